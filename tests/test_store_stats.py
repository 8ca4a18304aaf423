"""Corpus statistics (store/stats.py, `nianbao stats`, `nianbao chart`) on SQLite and a real PostgreSQL.

The expected numbers are computed by hand from the ingested files' own reports
(`check_file(path).report`), never from the store, so a wrong SQL aggregate cannot agree with itself.
"""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from nianbao import schema
from nianbao.batch import check_file
from nianbao.cli import app
from nianbao.errors import UsageError
from nianbao.model import ABSENT
from nianbao.store.query import Filter
from nianbao.store.stats import aggregate, corpus_stats
from nianbao.store.tables import figures

from .conftest import ROOT, SEEDS
from .store_fixtures import EXAMPLE_FILES, ingest_into

FILES = [str(p) for p in EXAMPLE_FILES] + sorted(str(p) for p in SEEDS.glob("*.txt"))
DENIED = [r.key for r in schema.APP_ROWS if r.group == "不予公开"]
GROUP_ROWS = {"unable": [r.key for r in schema.APP_ROWS if r.group == "无法提供"],
              "rejected": [r.key for r in schema.APP_ROWS if r.group == "不予处理"]}
OTHER = [r.key for r in schema.APP_ROWS if r.group == "其他处理"]


def _v(rep, path):
    v = rep.cells.get(path)
    return None if v is None or v.state == ABSENT else v.value


def _expected(rep) -> dict:
    """One report's contribution, by hand from the checked report."""
    app = lambda k: _v(rep, schema.app_path(k, "total")) or 0  # noqa: E731
    rl = lambda g, f: _v(rep, schema.rl_path(g, f)) or 0  # noqa: E731
    out = {k: app(k) for k in ("new_received", "carried_over", "handled_total", "carried_forward", "granted",
                               "partially_granted", *DENIED)}
    out["denied"] = sum(app(k) for k in DENIED)
    out.update({g: sum(app(k) for k in rows) for g, rows in GROUP_ROWS.items()})
    out["other_processing"] = sum(app(k) for k in OTHER) + (
        _v(rep, "extra_2019.applications.other_processing.total") or 0)
    for f in ("total", "corrected", "pending"):
        out[f"review_{f}"] = rl("review", f)
        out[f"litigation_{f}"] = rl("litigation_direct", f) + rl("litigation_after_review", f)
    return out


@pytest.fixture(scope="module")
def checked():
    assert len(FILES) == 9, FILES
    return {p: check_file(p) for p in FILES}


@pytest.fixture
def store(db_url):
    engine, summary = ingest_into(db_url, FILES)
    assert summary.counts["new"] == len(FILES)
    yield db_url, engine
    engine.dispose()


def _by(checked, key) -> dict:
    want: dict = defaultdict(lambda: defaultdict(float))
    for r in checked.values():
        k = key(r)
        want[k]["reports"] += 1
        want[k]["errors"] += r.count("error")
        want[k]["reports_with_errors"] += r.count("error") > 0
        for name, v in _expected(r.report).items():
            want[k][name] += v
    return want


def test_by_year_equals_hand_computation(store, checked):
    _, engine = store
    st = corpus_stats(engine, Filter.of(), by="year")
    want = _by(checked, lambda r: r.report.year)
    assert [g.key[0] for g in st.groups] == sorted(want)
    for g in st.groups:
        w = want[g.key[0]]
        assert g.counts["reports"] == w["reports"]
        assert g.counts["errors"] == w["errors"] and g.counts["reports_with_errors"] == w["reports_with_errors"]
        for k, v in g.sums.items():
            assert v == pytest.approx(w[k]), (g.key, k)
        assert g.rate("open_rate") == pytest.approx((w["granted"] + w["partially_granted"]) / w["handled_total"])
        den = w["review_total"] - w["review_pending"]
        assert g.rate("review_correction_rate") == (pytest.approx(w["review_corrected"] / den) if den else None)
    t = st.total
    assert t.counts["reports"] == len(FILES)
    assert t.sums["new_received"] == pytest.approx(sum(_expected(r.report)["new_received"] for r in checked.values()))
    assert t.counts["units"] == len({r.report.unit for r in checked.values()})
    assert t.label == ("合计",)


def test_group_by_level_region_unit_and_filters(store, checked):
    _, engine = store
    total = corpus_stats(engine, Filter.of()).total
    for by in ("level", "region", "unit"):
        st = corpus_stats(engine, Filter.of(), by=by)
        assert sum(g.counts["reports"] for g in st.groups) == len(FILES), by
        assert sum(g.sums["handled_total"] for g in st.groups) == pytest.approx(total.sums["handled_total"])
        assert st.total.sums == pytest.approx(total.sums)
    units = corpus_stats(engine, Filter.of(), by="unit")
    assert all(g.counts["units"] == 1 for g in units.groups)
    region = corpus_stats(engine, Filter.of(), by="region")
    assert region.depth == 1 and all("/" not in g.name for g in region.groups)

    years = sorted({r.report.year for r in checked.values()})
    y = years[-1]
    one = corpus_stats(engine, Filter.of(years=[y]), by="unit")
    want = _by({p: r for p, r in checked.items() if r.report.year == y}, lambda r: r.report.unit)
    assert sum(g.counts["reports"] for g in one.groups) == sum(w["reports"] for w in want.values())
    assert one.total.sums["new_received"] == pytest.approx(sum(w["new_received"] for w in want.values()))
    errs = corpus_stats(engine, Filter.of(with_errors=True), by="year").total
    assert errs.counts["reports"] == sum(1 for r in checked.values() if r.count("error"))
    township = corpus_stats(engine, Filter.of(level="乡镇"), by="level")
    assert [g.key[0] for g in township.groups] in ([], ["township"])

    # a region filter: the default depth is the element just below it
    some = next(g for g in region.groups if g.key[0])
    below = corpus_stats(engine, Filter.of(region=some.key[0]), by="region")
    assert below.depth == 2
    assert sum(g.counts["reports"] for g in below.groups) == some.counts["reports"]


def test_two_dimensions_and_depth_labels(store):
    _, engine = store
    with engine.connect() as conn:
        groups, depth = aggregate(conn, Filter.of(), ("region", "year"), 8)
    assert depth == 8
    assert sum(g.counts["reports"] for g in groups) == len(FILES)
    # a path shorter than the depth is the region's own level: 本级
    assert all(g.label[0].endswith("本级") or g.label[0] == "区划未知" for g in groups)


def test_ranking_is_stable_with_shared_ranks(store, checked):
    _, engine = store
    st = corpus_stats(engine, Filter.of(), by="unit", rank="applications", top=20)
    apps = [g.sums["new_received"] for g in st.groups]
    assert apps == sorted(apps, reverse=True) and len(st.groups) == len({r.report.unit for r in checked.values()})
    for a, b in zip(st.groups, st.groups[1:]):
        if a.sums["new_received"] == b.sums["new_received"]:
            assert a.rank == b.rank and a.name <= b.name
        else:
            assert b.rank > a.rank
    assert st.total is None and st.groups[0].rank == 1
    top2 = corpus_stats(engine, Filter.of(), by="unit", rank="applications", top=2)
    assert [g.key for g in top2.groups] == [g.key for g in st.groups[:2]]
    again = corpus_stats(engine, Filter.of(), by="unit", rank="errors", top=20)
    assert [g.key for g in again.groups] == [g.key for g in corpus_stats(
        engine, Filter.of(), by="unit", rank="errors", top=20).groups]
    errs = [g.counts["errors"] for g in again.groups]
    assert errs == sorted(errs, reverse=True)
    rates = corpus_stats(engine, Filter.of(), by="unit", rank="open_rate", top=20).groups
    defined = [g.rate("open_rate") for g in rates if g.rate("open_rate") is not None]
    assert defined == sorted(defined, reverse=True)
    assert all(g.rate("open_rate") is None for g in rates[len(defined):])  # undefined rates last
    with pytest.raises(UsageError, match="排名指标"):
        corpus_stats(engine, Filter.of(), rank="nonsense", top=3)


def test_null_figures_sum_as_zero_and_are_counted(store):
    _, engine = store
    before = corpus_stats(engine, Filter.of()).total
    with engine.begin() as conn:
        full = [figures.c[k].is_not(None) for k in (*DENIED, "handled_total", "review_total")]
        row = conn.execute(figures.select().where(*full).order_by(figures.c.report_id)).first()
        rid = row.report_id
        conn.execute(update(figures).where(figures.c.report_id == rid).values(
            handled_total=None, denied_third_party=None, review_total=None))
    after = corpus_stats(engine, Filter.of()).total
    for k in ("handled_total", "denied", "review_total", "denied_third_party"):
        assert after.nulls[k] == before.nulls.get(k, 0) + 1, k
    assert after.sums["handled_total"] == pytest.approx(before.sums["handled_total"] - (row.handled_total or 0))
    assert after.sums["denied"] == pytest.approx(before.sums["denied"] - (row.denied_third_party or 0))
    assert after.nulls.get("new_received", 0) == before.nulls.get("new_received", 0)
    doc = after.to_dict(("year",), total=True)
    assert doc["nulls"]["handled_total"] == after.nulls["handled_total"] and doc["total"] is True


def test_empty_selection(store):
    db_url, engine = store
    st = corpus_stats(engine, Filter.of(years=[1999]), by="region")
    assert st.empty and st.total is None
    r = CliRunner().invoke(app, ["stats", "--db", db_url, "--year", "1999", "--format", "json"])
    assert r.exit_code == 0 and json.loads(r.stdout) == []
    assert "没有符合条件的报告" in r.output
    r = CliRunner().invoke(app, ["stats", "--db", db_url, "--year", "1999"])
    assert r.exit_code == 0 and "没有符合条件的报告" in r.output


def test_cli_formats(store, checked, tmp_path):
    db_url, _ = store
    runner = CliRunner()
    r = runner.invoke(app, ["stats", "--db", db_url, "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert rows[-1]["total"] is True and rows[-1]["reports"] == len(FILES)
    assert {"open_rate", "review_correction_rate", "denied_state_secret", "nulls", "litigation_total"} <= set(rows[0])
    assert sum(x["reports"] for x in rows[:-1]) == len(FILES)

    r = runner.invoke(app, ["stats", "--db", db_url, "--by", "level", "--format", "csv"])
    assert r.exit_code == 0, r.output
    table = list(csv.DictReader(io.StringIO(r.stdout)))
    assert table[-1]["层级"] == "合计" and int(table[-1]["报告数"]) == len(FILES)
    assert {"公开率", "复议纠正率", "不予公开", "缺数说明"} <= set(table[0])

    out = tmp_path / "统计.xlsx"
    r = runner.invoke(app, ["stats", "--db", db_url, "--by", "unit", "--rank", "open_rate", "--top", "3",
                            "--format", "xlsx", "-o", str(out)])
    assert r.exit_code == 0, r.output
    from openpyxl import load_workbook
    ws = load_workbook(out).active
    head = [c.value for c in ws[2]]
    assert head[:2] == ["排名", "单位"] and "公开率" in head
    assert ws.max_row == 2 + 3 and ws.cell(3, 1).value == 1

    r = runner.invoke(app, ["stats", "--db", db_url, "--by", "region"])
    assert r.exit_code == 0 and "公开率" in r.stdout and "合计" in r.stdout


def test_chart_png_and_svg(store, tmp_path):
    pytest.importorskip("matplotlib")
    db_url, _ = store
    runner = CliRunner()
    for kind, extra, name in (("trend", [], "t.png"), ("trend", ["--by", "level"], "t.svg"),
                              ("outcomes", [], "o.png"), ("outcomes", ["--by", "unit", "--top", "3"], "o.svg"),
                              ("errors", [], "e.png")):
        out = tmp_path / name
        r = runner.invoke(app, ["chart", kind, "--db", db_url, "-o", str(out), *extra])
        assert r.exit_code == 0, r.output
        head = out.read_bytes()[:200]
        assert head.startswith(b"\x89PNG") if name.endswith(".png") else b"<svg" in out.read_bytes()
    r = runner.invoke(app, ["chart", "trend", "--db", db_url, "--year", "1999", "-o", str(tmp_path / "n.png")])
    assert r.exit_code == 0 and "没有符合条件的报告" in r.output


def test_bad_options_in_chinese(store, tmp_path):
    db_url, _ = store
    runner = CliRunner()
    cases = [(["stats", "--db", db_url, "--format", "xlsx"], "-o"),
             (["stats", "--db", db_url, "--level", "火星"], "层级"),
             (["stats", "--db", db_url, "--status", "bad"], "状态"),
             (["stats", "--db", db_url, "--depth", "2"], "--by region"),
             (["stats", "--db", db_url, "--by", "region", "--depth", "12"], "--depth"),
             (["chart", "trend", "--db", db_url], "-o"),
             (["chart", "trend", "--db", db_url, "-o", str(tmp_path / "x.pdf")], ".png"),
             (["stats", "--db", str(tmp_path / "missing.db")], "不存在")]
    for args, word in cases:
        r = runner.invoke(app, args)
        assert r.exit_code == 2, (args, r.output)
        assert "错误" in r.output and word in r.output, (args, r.output)
    assert not (tmp_path / "missing.db").exists()


def test_bad_enum_through_main_is_chinese(tmp_path):
    """Click's own usage errors go through nianbao.cli.main, which says them in Chinese."""
    exe = Path(sys.executable).with_name("nianbao")
    r = subprocess.run([str(exe), "stats", "--db", str(tmp_path / "x.db"), "--format", "pdf"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "用法错误" in r.stderr and "--format" in r.stderr
    r = subprocess.run([str(exe), "stats", "--by", "county"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "用法错误" in r.stderr


def test_docs_list_the_commands():
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert "## `nianbao stats`" in text and "## `nianbao chart`" in text
