"""The multi-year corpus generator (nianbao.synth.corpus): files read back exactly, the carry-over
chain holds where no fault was injected, and the expected cross-year findings are what the XY rules say.

The corpus feeds the store's tests and benchmarks, so a silent generator bug would show up as a
store or rule bug there; these tests pin the generator's promises down where they are made.
"""
from __future__ import annotations

import csv
import hashlib
import random
from pathlib import Path

import pytest

from nianbao import schema
from nianbao.batch import check_file
from nianbao.rules import run_rules
from nianbao.synth.corpus import LEVEL_CN, make_corpus, make_flat

from .helpers import same

YEARS = (2020, 2021, 2022, 2023)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    c = make_corpus(folder, random.Random(7), counties=2, townships=5, departments=2, years=YEARS,
                    copy_narrative=0.25, carry_mismatch=0.25, identical_tables=0.25, errors=0.1, missing=0.08)
    results = {path: check_file(path) for path in c.files}
    return folder, c, results


def _by_unit_year(c):
    printed = {(u.printed[y], y): u.name for u in c.units for y in u.printed}
    return {(printed[(rep.unit, rep.year)], rep.year): (path, rep) for path, rep in c.reports}


def test_every_file_reads_back_exactly(corpus):
    _, c, results = corpus
    assert len(c.files) == len(c.reports) == len(results) > 50
    for path, rep in c.reports:
        res = results[path]
        assert res.status == "ok", (path, res.error)
        assert res.report.year == rep.year and res.report.format == rep.fmt, path
        flat = res.report.flat()
        wrong = {p: (rep.cells[p], flat[p]) for p in schema.paths_2021() if not same(flat[p], rep.cells[p])}
        assert not wrong, (path, dict(list(wrong.items())[:5]))


def test_arithmetic_findings_only_where_injected(corpus):
    _, c, results = corpus
    injected = dict(c.errors)
    assert injected, "the fixture should inject some errors"
    for path, res in results.items():
        arith = [f for f in res.findings if f.rule.startswith(("T3-", "T4-"))]
        if path in injected:
            assert any(set(injected[path]) <= set(f.cells) for f in arith), (path, injected[path], arith)
        else:
            assert not arith, (path, [f.message for f in arith])


def test_carry_over_chain(corpus):
    _, c, _ = corpus
    reports = _by_unit_year(c)
    mismatched = {(u, y) for u, y, code, _ in c.expected_xy if code == "XY-01"}
    checked = 0
    for (unit, year), (_, rep) in reports.items():
        if (unit, year - 1) not in reports:
            continue
        prev = reports[(unit, year - 1)][1]
        equal = all(rep.app("carried_over", col) == prev.app("carried_forward", col)
                    for col in ("natural_person", "commercial", "research", "social_welfare", "legal_service",
                                "other", "total"))
        assert equal != ((unit, year) in mismatched), (unit, year)
        checked += 1
    assert checked > 30 and mismatched


def test_expected_cross_year_findings_match_the_rules(corpus):
    """The XY rules run on consecutive pairs as read back find exactly the recorded codes."""
    _, c, results = corpus
    reports = _by_unit_year(c)
    expected = {(u, y, code) for u, y, code, _ in c.expected_xy}
    got = set()
    for (unit, year), (path, _) in reports.items():
        if (unit, year - 1) in reports:
            prev = results[reports[(unit, year - 1)][0]].report
            for f in run_rules(results[path].report, previous=prev):
                if f.rule.startswith("XY-"):
                    got.add((unit, year, f.rule))
    assert got == expected
    assert {code for *_, code in expected} == {"XY-01", "XY-02", "XY-03"}
    for unit, year in c.missing:  # a missing year has no file and no finding
        assert (unit, year) not in reports
        assert not any(u == unit and y == year for u, y, _ in expected)


def test_unit_spellings_vary_and_csv_lists_every_unit(corpus):
    folder, c, _ = corpus
    with open(folder / "units.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["单位", "区划路径", "层级", "上级"]
    assert len(rows) - 1 == len(c.units) == 2 * (1 + 5 + 2)
    by_unit = {u.name: u for u in c.units}
    for row, u in zip(rows[1:], c.units):
        assert row[0] in u.printed.values()
        assert row[1] == "/".join(u.region) and len(u.region) == 3
        assert row[2] == LEVEL_CN[u.level]
        assert row[3] == (u.parent or "") and (u.parent is None or by_unit[u.parent].level == "county")
    names = [n for u in c.units for n in {u.name, u.short}]
    assert len(names) == len(set(names)), "unit names must be unique in the corpus"
    assert any(len(set(u.printed.values())) > 1 for u in c.units), "some township changes its spelling"


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(folder)).encode() + p.read_bytes())
    return h.hexdigest()


def test_deterministic(tmp_path):
    kw = {"counties": 1, "townships": 3, "departments": 1, "years": (2022, 2023), "errors": 0.2,
          "identical_tables": 0.2}
    a = make_corpus(tmp_path / "a", random.Random(3), **kw)
    b = make_corpus(tmp_path / "b", random.Random(3), **kw)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert a.expected_xy == b.expected_xy and a.missing == b.missing
    make_corpus(tmp_path / "c", random.Random(4), **kw)
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_flat(tmp_path):
    c = make_flat(tmp_path, random.Random(1), 25, years=(2023, 2024))
    assert len(c.files) == 25 == len({Path(f).name + Path(f).parent.name for f in c.files})
    for path in c.files[:5]:
        res = check_file(path)
        assert res.status == "ok" and res.report.year in (2023, 2024)
