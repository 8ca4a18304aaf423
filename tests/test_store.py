"""The corpus store on SQLite and on a real PostgreSQL (the `db_url` fixture runs each test on both):
exact round trip, idempotent ingest, versions, failed files, cross-year findings, units, migrations."""
from __future__ import annotations

import json
import random
import shutil
import sqlite3

import pytest
from sqlalchemy import create_engine, func, select, text

from nianbao import regions
from nianbao.batch import check_file, expand_paths
from nianbao.errors import UsageError
from nianbao.ingest import ingest
from nianbao.store import db as store_db
from nianbao.store.tables import cells, figures, files, findings, reports, unit_aliases, units
from nianbao.store.units import find_unit, load_stored_mapping, merge_units, store_mapping
from nianbao.store.writer import load_reports, stored_findings
from nianbao.synth.corpus import make_corpus

from .conftest import SEEDS
from .store_fixtures import EXAMPLE_FILES, ingest_into


def _count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def _ids_by_path(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {p: i for i, p in conn.execute(select(reports.c.id, files.c.path).join(files))}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Two counties, three years; every kind of cross-year fault injected at a high rate."""
    folder = tmp_path_factory.mktemp("corpus")
    return make_corpus(folder, random.Random(7), counties=2, townships=4, departments=1, years=(2022, 2023, 2024),
                       copy_narrative=0.25, carry_mismatch=0.25, identical_tables=0.15, missing=0.1, errors=0.1)


def test_stored_reports_equal_what_check_prints(db_url):
    """The stored report, rebuilt, is exactly `nianbao check --format json`'s report and findings."""
    paths = [str(p) for p in EXAMPLE_FILES] + sorted(expand_paths([str(SEEDS)]))
    engine, summary = ingest_into(db_url, paths)
    assert summary.counts == {"new": len(paths)}
    ids = _ids_by_path(engine)
    with engine.connect() as conn:
        rebuilt = load_reports(conn, list(ids.values()))
        stored = stored_findings(conn, list(ids.values()))
    for path, rid in ids.items():
        expected = check_file(path)
        assert json.dumps(rebuilt[rid].to_dict(), ensure_ascii=False) == json.dumps(
            expected.report.to_dict(), ensure_ascii=False), path
        assert [f.to_dict() for f in stored[rid]] == [f.to_dict() for f in expected.findings], path
        # provenance survives: every printed value still knows its line
        for p, v in expected.report.cells.items():
            assert rebuilt[rid].cells[p].source == v.source and rebuilt[rid].cells[p].raw == v.raw, (path, p)


def test_pdf_cell_boxes_survive_the_store(db_url):
    """A PDF value's box on the page (Source.bbox, for the web page's "show me where") is stored and
    rebuilt exactly, and the JSON report stays what `check` prints (the box is not in it)."""
    from .conftest import ROOT
    path = str(ROOT / "tests" / "data" / "pdf" / "merged-cells-2021.pdf")
    engine, _ = ingest_into(db_url, [path])
    expected = check_file(path)
    with engine.connect() as conn:
        (rid,) = _ids_by_path(engine).values()
        rebuilt = load_reports(conn, [rid])[rid]
    boxes = {p: v.source.bbox for p, v in expected.report.cells.items() if v.source is not None}
    assert sum(b is not None for b in boxes.values()) > 100
    assert {p: rebuilt.cells[p].source.bbox for p in boxes} == boxes
    assert {p: rebuilt.cells[p].source for p in boxes} == {p: expected.report.cells[p].source for p in boxes}
    assert json.dumps(rebuilt.to_dict(), ensure_ascii=False) == json.dumps(expected.report.to_dict(),
                                                                           ensure_ascii=False)


def test_reingest_changes_nothing(db_url):
    paths = [str(p) for p in EXAMPLE_FILES]
    engine, _ = ingest_into(db_url, paths)
    before = {t.name: _count(engine, t) for t in (files, reports, cells, findings, figures, units)}
    _, again = ingest_into(db_url, paths)
    assert again.counts == {"unchanged": len(paths)}
    assert {t.name: _count(engine, t) for t in (files, reports, cells, findings, figures, units)} == before


def test_a_changed_file_becomes_a_new_version_and_the_old_one_is_kept(db_url, tmp_path):
    src = next(p for p in SEEDS.glob("*.txt"))
    f = tmp_path / "report.txt"
    shutil.copy(src, f)
    engine, first = ingest_into(db_url, [f])
    f.write_text(f.read_text(encoding="utf-8") + "\n（此件已更正）\n", encoding="utf-8")
    _, second = ingest_into(db_url, [f])
    (o,) = second.outcomes
    assert (o.action, o.version) == ("version", 2)
    with engine.connect() as conn:
        rows = conn.execute(select(reports.c.version, reports.c.is_current).order_by(reports.c.version)).all()
    assert [tuple(r) for r in rows] == [(1, False), (2, True)]
    assert _count(engine, files) == 2


def test_unreadable_files_are_stored_as_failed_and_retried_on_request(db_url, tmp_path):
    bad = tmp_path / "坏文件.pdf"
    bad.write_bytes(b"%PDF-1.7 truncated")
    empty = tmp_path / "空.txt"
    empty.write_bytes(b"")
    engine, summary = ingest_into(db_url, [bad, empty, tmp_path / "不存在.txt"])
    assert [o.action for o in summary.outcomes] == ["failed"] * 3
    assert all(o.error for o in summary.outcomes)
    with engine.connect() as conn:
        stored = dict(conn.execute(select(files.c.name, files.c.error).where(files.c.status == "failed")).all())
    assert set(stored) == {"坏文件.pdf", "空.txt"} and all("\u4e00" <= ch <= "\u9fff" for ch in stored["空.txt"][:1])
    _, again = ingest_into(db_url, [bad, empty])
    assert again.counts == {"unchanged": 2}
    _, retried = ingest_into(db_url, [bad, empty], retry_failed=True)
    assert retried.counts == {"failed": 2}
    assert _count(engine, files) == 2


def test_duplicate_content_in_one_run_is_stored_once(db_url, tmp_path):
    src = next(p for p in SEEDS.glob("*.txt"))
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    shutil.copy(src, a)
    shutil.copy(src, b)
    engine, summary = ingest_into(db_url, [a, b])
    by_file = {o.path.rsplit("/", 1)[1]: o for o in summary.outcomes}
    assert (by_file["a.txt"].action, by_file["b.txt"].action) == ("new", "unchanged")
    assert "与" in by_file["b.txt"].error and "内容相同" in by_file["b.txt"].error
    assert _count(engine, reports) == 1


def _stored_xy(engine) -> set[tuple[str, int, str]]:
    with engine.connect() as conn:
        q = (select(units.c.key, reports.c.year, findings.c.rule).select_from(findings)
             .join(reports, reports.c.id == findings.c.report_id).join(units, units.c.id == reports.c.unit_id)
             .where(findings.c.rule.like("XY-%"), reports.c.is_current))
        return {(k, y, r) for k, y, r in conn.execute(q)}


def _expected_xy(corpus, mapping) -> set[tuple[str, int, str]]:
    return {(regions.resolve_unit(u, mapping).key, y, code) for u, y, code, _ in corpus.expected_xy}


@pytest.mark.parametrize("order", ["by-year", "newest-first"])
def test_cross_year_findings_match_the_corpus_truth(db_url, corpus, order):
    """XY findings appear whichever year is ingested first, and only where the truth has them."""
    mapping = regions.load_mapping(corpus.files[0].rsplit("/", 2)[0] + "/units.csv")
    engine = store_db.open_engine(db_url)
    with engine.begin() as conn:
        store_mapping(conn, mapping)
    paths = sorted(corpus.files, key=lambda p: p.split("/")[-2], reverse=order == "newest-first")
    summary = ingest(paths, engine, workers=1, batch=7)
    assert summary.counts["new"] == len(paths)
    expected = _expected_xy(corpus, mapping)
    assert {c for _, _, c in expected} >= {"XY-01", "XY-02", "XY-03"}
    assert _stored_xy(engine) == expected
    # every unit was grouped across its spellings: one unit per mapping entry that has reports
    assert _count(engine, units) == len({u.name for u in corpus.units if u.printed})


def test_merging_two_spellings_follows_into_later_ingests(db_url, tmp_path):
    texts = sorted(SEEDS.glob("*.txt"))
    engine, _ = ingest_into(db_url, texts[1:3])   # 奉母镇, 永乐镇: two different units
    with engine.begin() as conn:
        a, b = find_unit(conn, "永乐镇人民政府"), find_unit(conn, "奉母镇")
        assert merge_units(conn, a.id, b.id) == 1
    with engine.connect() as conn:
        assert conn.execute(select(unit_aliases.c.key)).scalars().all() == ["永乐镇"]
        assert conn.execute(select(func.count()).select_from(reports).where(reports.c.unit_id == b.id)).scalar() == 2
    changed = tmp_path / "永乐镇.txt"
    changed.write_text(texts[2].read_text(encoding="utf-8") + "\n", encoding="utf-8")
    _, s = ingest_into(db_url, [changed])
    assert s.outcomes[0].action == "version" and s.outcomes[0].version == 3
    assert _count(engine, units) == 1


def test_mapping_is_kept_and_applied_to_stored_units(db_url, tmp_path):
    engine, _ = ingest_into(db_url, sorted(SEEDS.glob("*.txt")))
    csv = tmp_path / "units.csv"
    csv.write_text("单位,区划路径,层级,上级\n巡镇镇,山西省/忻州市/河曲县,乡镇,河曲县人民政府\n", encoding="gbk")
    with engine.begin() as conn:
        assert store_mapping(conn, regions.load_mapping(csv)) == 1
    with engine.connect() as conn:
        row = conn.execute(select(units).where(units.c.key == "河曲县巡镇镇")).one()
        assert (row.region, row.level, row.origin) == ("山西省/忻州市/河曲县/巡镇镇", "township", "mapping")
        assert len(load_stored_mapping(conn)) == 1


# --------------------------------------------------------------------------- migrations and refusals
def test_upgrade_from_the_first_schema_keeps_and_backfills_data(db_url):
    engine = store_db.open_engine(db_url, migrate=False)
    store_db.upgrade(engine, "0001")
    now = "2025-01-01 00:00:00"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO files (id, sha256, path, name, size, kind, status, ingested_at) "
                          f"VALUES (1, '{'a' * 64}', 'x.txt', 'x.txt', 1, 'text', 'ok', '{now}')"))
        conn.execute(text("INSERT INTO reports (id, file_id, year, version, is_current, format, status, n_errors, "
                          "n_warnings, n_notices, late) VALUES (1, 1, 2020, 1, true, '2019', 'ok', 0, 0, 0, false)"))
        conn.execute(text("INSERT INTO cell_paths (id, path) VALUES "
                          "(1, 'extra_2019.applications.other_processing.total')"))
        conn.execute(text("INSERT INTO cells (report_id, path_id, value, is_float, state, source) "
                          "VALUES (1, 1, 4, false, 'printed', 'l60')"))
        conn.execute(text("INSERT INTO figures (report_id, new_received) VALUES (1, 9)"))
    assert store_db.current_revision(engine) == "0001"
    engine = store_db.open_engine(db_url)  # opening migrates to head
    assert store_db.current_revision(engine) == store_db.head_revision()
    with engine.connect() as conn:
        row = conn.execute(select(figures.c.new_received, figures.c.other_processing_2019)).one()
    assert tuple(row) == (9, 4)
    if not db_url.startswith("postgresql"):
        backup = db_url + ".bak-0001"
        with sqlite3.connect(backup) as b:  # the pre-migration copy is a complete store at 0001
            assert b.execute("select version_num from alembic_version").fetchone() == ("0001",)
            assert b.execute("select count(*) from cells").fetchone() == (1,)


def test_a_store_from_a_newer_nianbao_is_refused(db_url):
    engine = store_db.open_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(UsageError, match="更新版本的 nianbao"):
        store_db.open_engine(db_url)


def test_a_database_of_another_program_is_not_touched(db_url):
    url = store_db.resolve_url(db_url)
    with create_engine(url).begin() as conn:
        conn.execute(text("CREATE TABLE customers (id integer primary key, name text)"))
    with pytest.raises(UsageError, match="其他程序的表"):
        store_db.open_engine(db_url)


def test_a_file_that_is_not_sqlite_is_refused(tmp_path):
    f = tmp_path / "notes.db"
    f.write_text("my notes", encoding="utf-8")
    with pytest.raises(UsageError, match="不是 SQLite 数据库文件"):
        store_db.open_engine(str(f))
    assert f.read_text(encoding="utf-8") == "my notes"


def test_unreachable_postgresql_is_a_chinese_error():
    with pytest.raises(UsageError, match="无法连接数据库"):
        store_db.open_engine("postgresql://nobody@127.0.0.1:1/none")


def test_two_files_of_one_unit_and_year_in_one_batch_become_two_versions(db_url, tmp_path):
    """The later file (in input order) is the current version, whatever the workers' timing."""
    src = next(p for p in SEEDS.glob("*.txt"))
    first, second = tmp_path / "1.txt", tmp_path / "2.txt"
    shutil.copy(src, first)
    second.write_text(src.read_text(encoding="utf-8") + "\n（更正版）\n", encoding="utf-8")
    engine, summary = ingest_into(db_url, [first, second])
    assert [(o.action, o.version) for o in summary.outcomes] == [("new", 1), ("version", 2)]
    with engine.connect() as conn:
        rows = conn.execute(select(files.c.name, reports.c.version, reports.c.is_current)
                            .join(reports, reports.c.file_id == files.c.id).order_by(reports.c.version)).all()
    assert [tuple(r) for r in rows] == [("1.txt", 1, False), ("2.txt", 2, True)]
