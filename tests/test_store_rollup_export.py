"""Roll-up (nianbao.store.rollup) and export (nianbao.outputs.export) on SQLite and a real PostgreSQL.

The roll-up is checked against sums done by hand from `check_file` of the very files ingested, and
the export against `check_file(p).to_dict()`: the store must give back exactly what `nianbao check`
printed, whichever database holds it.
"""
from __future__ import annotations

import csv
import json
import random
import sys
from pathlib import Path

import pytest

from nianbao import regions, schema
from nianbao.batch import check_file
from nianbao.outputs.export import META_COLUMNS, export
from nianbao.store.db import open_engine
from nianbao.store.query import Filter
from nianbao.store.rollup import ROLLUP_FAMILIES, rollup
from nianbao.store.units import store_mapping
from nianbao.synth.corpus import make_corpus
from nianbao.synth.data import inject_error
from nianbao.synth.text import render_file

from .store_fixtures import EXAMPLES, ingest_into

YEARS = (2023, 2024)
GHOST = "幽灵镇人民政府"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """One county, 2023 and 2024, all 2021 format; in 2024 one township has an arithmetic error and
    another township did not report; the mapping lists a township that never reported."""
    folder = tmp_path_factory.mktemp("rollup")
    rng = random.Random(11)
    c = make_corpus(folder, rng, counties=1, townships=4, departments=2, years=YEARS, copy_narrative=0,
                    carry_mismatch=0, missing=0, identical_tables=0, errors=0)
    county = next(u for u in c.units if u.level == "county")
    towns = [u for u in c.units if u.kind == "township"]
    by_key = {(r.unit, r.year): (p, r) for p, r in c.reports}
    # an arithmetic error in one township's 2024 report (not in the carry rows)
    bad_unit = towns[0]
    bad_path, rep = by_key[(bad_unit.printed[2024], 2024)]
    for _ in range(50):
        printed, cells = inject_error(rng, rep)
        if cells and not any(".carried_" in x for x in cells):
            break
    render_file(printed, bad_path, rng, "tsv")
    # a township that did not report in 2024
    gone_unit = towns[1]
    gone_path, _ = by_key[(gone_unit.printed[2024], 2024)]
    Path(gone_path).unlink()
    files = [p for p in c.files if p != gone_path]
    region = county.region[-1]
    with open(folder / "units.csv", "a", encoding="utf-8") as fh:
        fh.write(f"{region}{GHOST},{'/'.join(county.region)},乡镇,{county.name}\n")
    checked = {p: check_file(p) for p in files}
    examples = sorted(str(p) for p in EXAMPLES.iterdir() if p.suffix in (".txt", ".md"))
    checked.update({p: check_file(p) for p in examples})
    return {"folder": folder, "files": files, "examples": examples, "checked": checked, "county": county,
            "region": region, "bad": (bad_unit, bad_path, cells), "gone": gone_unit, "units": c.units}


def _store(db_url, corpus, with_examples=False):
    engine = open_engine(db_url)
    with engine.begin() as conn:
        store_mapping(conn, regions.load_mapping(corpus["folder"] / "units.csv"))
    paths = corpus["files"] + (corpus["examples"] if with_examples else [])
    engine, summary = ingest_into(db_url, paths)
    assert not summary.counts["failed"]
    return engine


def _subordinate_files(corpus, year):
    """The files of `year` that the roll-up must sum: everything under the county but the county itself."""
    county = corpus["county"].name
    return [p for p in corpus["files"] if f"/{year}/" in p and Path(p).stem != county]


def _hand_sum(corpus, files):
    sums = dict.fromkeys(schema.paths_2021(), 0)
    for p in files:
        flat = corpus["checked"][p].report.flat()
        for k in sums:
            sums[k] += flat[k] or 0
    return sums


def test_rollup_sums_equal_hand_sums_and_balance(db_url, corpus):
    engine = _store(db_url, corpus)
    with engine.connect() as conn:
        r = rollup(conn, corpus["region"], 2023)
    files = _subordinate_files(corpus, 2023)
    assert sorted(u.file for u in r.included) == sorted(files)
    assert r.own is not None and Path(r.own.file).stem == corpus["county"].name  # not summed, but named
    expected = _hand_sum(corpus, files)
    got = r.report.flat()
    for p, x in expected.items():
        assert got[p] == pytest.approx(x), p
    assert r.report.unit == f"{corpus['region']}（汇总）" and r.report.year == 2023
    assert all(r.report.has_table(t) for t in schema.TABLE_SECTIONS)
    # the inputs hold, so the roll-up holds (only the T3/T4/NUM families are run on it)
    assert not any(f.severity == "error" for p in files for f in corpus["checked"][p].findings)
    assert r.findings == []
    assert not r.with_errors and not r.nulls and not r.not_summable
    assert {f.rule.split("-")[0] for f in r.findings} <= set(ROLLUP_FAMILIES)


def test_rollup_error_unit_missing_and_never_reported(db_url, corpus):
    engine = _store(db_url, corpus)
    with engine.connect() as conn:
        r = rollup(conn, corpus["region"], 2024)
    files = _subordinate_files(corpus, 2024)
    got, expected = r.report.flat(), _hand_sum(corpus, files)
    assert all(got[p] == pytest.approx(x) for p, x in expected.items())
    _, bad_path, cells = corpus["bad"]
    bad_rules = {f.rule for f in corpus["checked"][bad_path].findings if f.severity == "error"}
    assert bad_rules
    # the broken equation of the unit breaks the same equation of the sum
    assert any(f.rule in bad_rules and set(cells) <= set(f.cells) for f in r.findings), r.findings
    assert [u.file for u in r.with_errors] == [bad_path]
    assert set(r.with_errors[0].rules) == bad_rules
    gone = regions.normalize_unit(corpus["gone"].name)
    assert [u.key for u in r.missing] == [gone] and r.missing[0].years == [2023]
    assert [u.key for u in r.never_reported] == [corpus["region"] + GHOST.removesuffix("人民政府")]
    d = r.to_dict()
    assert d["report"]["unit"] == r.unit and d["units_with_errors"][0]["file"] == bad_path
    # a level narrows both the sum and the missing list
    with engine.connect() as conn:
        dept = rollup(conn, corpus["region"], 2024, level="部门")
    assert {u.level for u in dept.included} == {"department"} and not dept.missing


def test_rollup_2019_and_null_cells_are_recorded(db_url, corpus, tmp_path):
    """A 2019-format report and a report with blank cells: counted as 0 and listed."""
    examples = {Path(p).name: p for p in corpus["examples"]}
    engine, _ = ingest_into(db_url, [examples["示例-2019格式-福营镇2020年报.txt"]])
    with engine.connect() as conn:
        region = conn.exec_driver_sql("select region from units").scalar().split("/")[-2]
        r = rollup(conn, region, 2020)
    (u,) = r.included
    assert u.format == "2019"
    assert u.key in r.format_gaps and "active.fees.amount_wan_yuan" in r.format_gaps[u.key]
    assert u.key in r.not_summable  # its （六）其他处理 is not summed into the 2021 （六） rows
    assert any("其他处理" in n for n in r.notes)
    flat = corpus["checked"][examples["示例-2019格式-福营镇2020年报.txt"]].report.flat()
    assert r.report.get("applications.granted.total") == flat["applications.granted.total"]
    assert r.report.get("applications.other_other.total") == 0


def test_rollup_usage_errors(db_url, corpus):
    engine = _store(db_url, corpus)
    region = corpus["region"]
    from nianbao.errors import UsageError
    with engine.connect() as conn:
        with pytest.raises(UsageError, match="没有区划") as exc:
            rollup(conn, region[:-1] + "乡", 2024)
        assert region in str(exc.value)  # a close name is suggested
        with pytest.raises(UsageError, match="没有 2030 年的报告.*2023、2024"):
            rollup(conn, region, 2030)


def _jsonl(path):
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def _no_xy(findings):
    # cross-year findings exist only in the store (they need last year's report)
    return [f for f in findings if not f["rule"].startswith("XY-")]


def test_export_jsonl_equals_check(db_url, corpus, tmp_path):
    engine = _store(db_url, corpus, with_examples=True)
    out = tmp_path / "all.jsonl"
    with engine.connect() as conn:
        n = export(conn, Filter(), str(out), chunk=7)  # several chunks
    objs = _jsonl(out)
    paths = corpus["files"] + corpus["examples"]
    assert n == len(objs) == len(paths)
    assert sorted(o["file"] for o in objs) == sorted(paths)
    for o in objs:
        want = corpus["checked"][o["file"]].to_dict()
        assert o["status"] == want["status"] and o["error"] is None
        assert o["report"] == want["report"], o["file"]
        assert _no_xy(o["findings"]) == want["findings"], o["file"]
        assert o["version"] == 1 and "unit_key" in o and "region" in o and "level" in o
    county = [o for o in objs if o["unit_key"] == corpus["region"]]
    assert len(county) == 2 and county[0]["level"] == "county"


def test_export_csv_and_xlsx_chinese_headers_and_values(db_url, corpus, tmp_path):
    from openpyxl import load_workbook
    engine = _store(db_url, corpus, with_examples=True)
    with engine.connect() as conn:
        export(conn, Filter(), str(tmp_path / "a.csv"))
        export(conn, Filter(), str(tmp_path / "a.xlsx"), chunk=5)
    with open(tmp_path / "a.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    cols = list(schema.paths_2021()) + list(schema.paths_2019_extra())  # an example is in the 2019 format
    header = [label for _, label in META_COLUMNS] + [schema.label_of(c) for c in cols]
    assert rows[0] == header
    assert rows[0][:3] == ["文件", "单位", "单位（规范名）"] and "表三“（一）予以公开”行·自然人列" in rows[0]
    ws = load_workbook(tmp_path / "a.xlsx", read_only=True)["年报数据"]
    # read-only openpyxl drops trailing empty cells: pad to the header's width
    xrows = [list(r) + [None] * (len(cols) + len(META_COLUMNS) - len(r)) for r in ws.iter_rows(values_only=True)]
    assert xrows[0] == header
    assert len(rows) == len(xrows) == len(corpus["files"]) + len(corpus["examples"]) + 1
    m = len(META_COLUMNS)
    for row, xrow in zip(rows[1:], xrows[1:]):
        res = corpus["checked"][row[0]]
        flat = res.report.flat()
        want = [flat.get(c) for c in cols]
        assert row[m:] == ["" if x is None else str(x) for x in want], row[0]
        assert xrow[0] == row[0] and xrow[m:] == want, row[0]
        assert row[1] == res.report.unit and row[5] == str(res.report.year) and row[7] == "是"
        assert int(row[9]) == res.count("error")


def test_export_filters(db_url, corpus, tmp_path):
    engine = _store(db_url, corpus, with_examples=True)
    out = tmp_path / "f.jsonl"

    def run(**kw):
        with engine.connect() as conn:
            export(conn, Filter.of(**kw), str(out))
        return _jsonl(out)

    got = run(years=[2024], region=corpus["region"], level="乡镇")
    want = [p for p in _subordinate_files(corpus, 2024)
            if regions.unit_level(corpus["checked"][p].report.unit) == "township"]
    assert sorted(o["file"] for o in got) == sorted(want) and want
    errs = run(with_errors=True)
    assert corpus["bad"][1] in {o["file"] for o in errs}
    assert all(any(f["severity"] == "error" for f in o["findings"]) for o in errs)
    assert {o["report"]["year"] for o in run(years=[2023])} == {2023}
    assert all("卫生健康" in o["report"]["unit"] for o in run(unit="卫生健康"))
    from nianbao.errors import UsageError
    with pytest.raises(UsageError, match="没有符合条件的报告"):
        run(years=[1999])


def _cli(monkeypatch, capsys, *args):
    from nianbao.cli import main
    monkeypatch.setattr(sys, "argv", ["nianbao", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err.replace("\n", "")  # rich wraps long messages


def test_cli_rollup_and_export(db_url, corpus, tmp_path, monkeypatch, capsys):
    _store(db_url, corpus)
    region = corpus["region"]
    code, out, err = _cli(monkeypatch, capsys, "rollup", region, "--year", "2024", "--db", db_url)
    assert code == 1  # the roll-up inherits the broken township's error
    assert "表三 收到和处理政府信息公开申请情况" in out and "纳入汇总的单位" in out
    assert "本身有错误的单位" in out and "2024 年缺报的单位" in out and "单位对照表中列出" in out
    code, out, _ = _cli(monkeypatch, capsys, "rollup", region, "-y", "2023", "--db", db_url, "-f", "json")
    assert code == 0 and json.loads(out)["findings"] == []
    code, _, err = _cli(monkeypatch, capsys, "rollup", region, "-y", "2023", "--db", db_url, "-f", "xlsx",
                        "-o", str(tmp_path / "r.xlsx"))
    assert code == 0 and (tmp_path / "r.xlsx").stat().st_size > 0
    code, _, err = _cli(monkeypatch, capsys, "rollup", region[:-1], "-y", "2024", "--db", db_url)
    assert code == 2 and "没有区划" in err and region in err
    code, _, err = _cli(monkeypatch, capsys, "rollup", region, "-y", "1999", "--db", db_url)
    assert code == 2 and "没有 1999 年的报告" in err
    code, _, err = _cli(monkeypatch, capsys, "export", "--db", db_url, "-o", str(tmp_path / "x.csv"), "-y", "2024")
    assert code == 0 and "导出到" in err
    with open(tmp_path / "x.csv", encoding="utf-8-sig") as fh:
        assert len(fh.read().splitlines()) == 1 + len([p for p in corpus["files"] if "/2024/" in p])
    code, _, err = _cli(monkeypatch, capsys, "export", "--db", db_url, "-o", str(tmp_path / "x.txt"))
    assert code == 2 and "判断导出格式" in err
    code, _, err = _cli(monkeypatch, capsys, "export", "--db", db_url, "-o", str(tmp_path / "x.txt"), "-f", "jsonl")
    assert code == 0 and _jsonl(tmp_path / "x.txt")
    code, _, err = _cli(monkeypatch, capsys, "export", "--db", db_url, "-o", str(tmp_path / "e.csv"), "-y", "1999")
    assert code == 2 and "没有符合条件的报告" in err and not (tmp_path / "e.csv").exists()
    code, _, err = _cli(monkeypatch, capsys, "export", "--db", db_url, "-o", str(tmp_path / "no" / "x.csv"))
    assert code == 2 and "无法写入" in err and "文件夹不存在" in err
    code, _, err = _cli(monkeypatch, capsys, "export", "--db", db_url, "-o", str(tmp_path / "y.csv"),
                        "--region", region[:-1])
    assert code == 2 and region in err
    code, _, err = _cli(monkeypatch, capsys, "export", "--db", db_url, "-o", str(tmp_path / "y.csv"), "--level", "村")
    assert code == 2 and "无法识别的层级" in err
