"""A multi-year corpus of synthetic reports for the corpus store: many units, several years, known truth.

Single reports (`data`) cannot exercise what the store is for — grouping a unit's reports across
years although its name is printed differently, rolling units up by region, and the cross-year rules
(XY-01 carry-over chain, XY-02 copied prose, XY-03 copied tables). So this module builds an
administrative tree, writes one report per unit and year whose 表三 carry-over chains from last
year's, injects the cross-year faults at given rates and records exactly which findings a correct
pipeline must produce. Expected XY findings are not just the injections: after a unit-year is built
we evaluate the three conditions on the printed data, retry when one holds by accident, and record
whatever still holds, so `expected_xy` is the truth rather than the intent.
"""
from __future__ import annotations

import csv
import os
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

from .. import schema
from .data import (APPLICANTS, DEPARTMENTS, SYLLABLES, SynthReport, _narrative, app_path, app_rows,
                   check_consistent, inject_error, random_report)
from .text import LAYOUTS, render_file

LEVEL_CN = {"township": "乡镇", "subdistrict": "街道", "department": "部门", "county": "县"}
_CO, _CF = "carried_over", "carried_forward"
# Stock fields of 表二 are equal year after year by nature; XY-03 ignores them (rules/cross_year.py).
_STOCK = {"in_force", "total_published", "previous_count"}
_RETRIES = 8


@dataclass
class Unit:
    name: str                    # canonical full name, e.g. 河曲县巡镇镇人民政府
    region: tuple[str, ...]      # county path as written to units.csv: (云岭省, 青松市, 河曲县)
    level: str                   # regions.py level key: township | subdistrict | department | county
    parent: str | None           # the county government's name (None for the county itself)
    kind: str                    # SynthReport.kind: township | department | government
    short: str                   # the other spelling a title may use (without county prefix) or == name
    printed: dict[int, str] = field(default_factory=dict)  # year -> name printed in that report


@dataclass
class Corpus:
    files: list[str] = field(default_factory=list)
    reports: list[tuple[str, SynthReport]] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    expected_xy: list[tuple[str, int, str, str]] = field(default_factory=list)  # (unit, year, code, detail)
    missing: list[tuple[str, int]] = field(default_factory=list)
    errors: list[tuple[str, list[str]]] = field(default_factory=list)  # (path, cells of the broken equation)

    def report_of(self, unit: str, year: int) -> SynthReport | None:
        """The printed truth of a unit-year by canonical unit name."""
        return self._index().get((unit, year))

    def _index(self) -> dict[tuple[str, int], SynthReport]:
        by_printed = {(u.printed.get(y), y): u.name for u in self.units for y in u.printed}
        return {(by_printed[(r.unit, r.year)], r.year): r for _, r in self.reports}


# ------------------------------------------------------------------------------------------ names

class _Names:
    """Unique place-name stems. Stems are unique across all levels so that every spelling of every
    unit is unique in the corpus; two syllables while they last, then three (large benchmarks)."""

    def __init__(self, rng: random.Random):
        self.rng, self.used = rng, set()

    def stem(self) -> str:
        for n in (2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4):
            s = "".join(self.rng.choice(SYLLABLES) for _ in range(n))
            if s not in self.used:
                self.used.add(s)
                return s
        raise RuntimeError("name space exhausted")


def build_units(rng: random.Random, provinces: int, cities: int, counties: int, townships: int,
                departments: int) -> list[Unit]:
    """The administrative tree, flattened to the units that publish reports."""
    names = _Names(rng)
    if departments > len(DEPARTMENTS):
        raise ValueError(f"at most {len(DEPARTMENTS)} departments per county")
    out: list[Unit] = []
    for _ in range(provinces):
        prov = names.stem() + "省"
        for _ in range(cities):
            city = names.stem() + "市"
            for _ in range(counties):
                county = names.stem() + rng.choice("县县县区")
                region = (prov, city, county)
                gov = county + "人民政府"
                out.append(Unit(gov, region, "county", None, "government", gov))
                for _ in range(townships):
                    suffix = rng.choice(("镇", "镇", "乡", "街道"))
                    core = names.stem() + suffix
                    tail = "办事处" if suffix == "街道" else "人民政府"
                    level = "subdistrict" if suffix == "街道" else "township"
                    out.append(Unit(county + core + tail, region, level, gov, "township", core + tail))
                for dept in rng.sample(DEPARTMENTS, departments):
                    out.append(Unit(county + dept, region, "department", gov, "department", county + dept))
    return out


def _spellings(rng: random.Random, unit: Unit, years: Sequence[int]) -> None:
    """Townships print their name with or without the county in front; a unit keeps one habit but
    switches some years, so unit normalisation in the store has something to do."""
    habit = rng.random() < 0.5
    for y in years:
        full = habit if rng.random() < 0.7 else not habit
        unit.printed[y] = unit.name if full else unit.short


def write_units_csv(path: str, units: Iterable[Unit]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["单位", "区划路径", "层级", "上级"])
        for u in units:
            first = u.printed[min(u.printed)] if u.printed else u.name
            w.writerow([first, "/".join(u.region), LEVEL_CN[u.level], u.parent or ""])


# ------------------------------------------------------------------------------------------ tables

def _set_carry(rep: SynthReport, carried: dict[str, int]) -> None:
    """Make 二、上年结转 equal `carried` per applicant column and restore every equation: 一 is
    solved from 一+二 = （七）+四; when the carry-over exceeds what was handled and carried on, the
    surplus is closed as 予以公开 (those applications had to end somewhere)."""
    c = rep.cells
    for col in APPLICANTS:
        co = carried[col]
        handled, cf = c[app_path("handled_total", col)], c[app_path(_CF, col)]
        if co > handled + cf:
            d = co - handled - cf
            c[app_path("granted", col)] += d
            c[app_path("handled_total", col)] += d
            handled += d
        c[app_path(_CO, col)] = co
        c[app_path("new_received", col)] = handled + cf - co
    for row in app_rows(rep.fmt):
        c[app_path(row, "total")] = sum(c[app_path(row, col)] for col in APPLICANTS)


@cache
def _paths_of(fmt: str, table: str) -> tuple[str, ...]:
    paths = list(schema.paths_2021()) + (list(schema.paths_2019_extra()) if fmt == schema.FORMAT_2019 else [])
    return tuple(p for p in paths if p.split(".")[0] == table
                 or (p.startswith("extra_2019.") and p.split(".")[1] == table))


def _table_paths(rep: SynthReport, table: str) -> tuple[str, ...]:
    return _paths_of(rep.fmt, table)


def _similar_sections(a: SynthReport, b: SynthReport) -> list[str]:
    # The rule's own measure, so that "expected XY-02" means what the rule will decide.
    from ..rules.cross_year import MIN_SIMILARITY, NARRATIVE_SECTIONS, similarity
    out = []
    for key, paras in b.sections.items():
        if key not in NARRATIVE_SECTIONS:
            continue
        s = similarity("\n".join(a.sections.get(key, [])), "\n".join(paras))
        if s is not None and s >= MIN_SIMILARITY:
            out.append(key)
    return out


def _identical_tables(a: SynthReport, b: SynthReport) -> list[str]:
    """Tables XY-03 flags: every cell equal and some non-stock cell non-zero (same format only)."""
    out = []
    for table in schema.TABLE_SECTIONS:
        if table != "review_litigation" and a.fmt != b.fmt:
            continue
        paths = _table_paths(b, table)
        if all(a.cells.get(p) == b.cells[p] for p in paths) and any(
                b.cells[p] for p in paths if p.rsplit(".", 1)[1] not in _STOCK):
            out.append(table)
    return out


def _carry_diff(prev: SynthReport, rep: SynthReport) -> list[str]:
    cols = APPLICANTS + ("total",)
    return [f"{c}: {rep.app(_CO, c)}≠{prev.app(_CF, c)}" for c in cols
            if (rep.app(_CO, c) or 0) != (prev.app(_CF, c) or 0)]


# ------------------------------------------------------------------------------------------ corpus

def _fmt_of(fmt_for_year, year: int) -> str:
    if fmt_for_year is None:
        return schema.FORMAT_2019 if year < 2021 else schema.FORMAT_2021
    return fmt_for_year(year) if callable(fmt_for_year) else fmt_for_year[year]


def _tables(rng: random.Random, unit: Unit, year: int, fmt: str, prev: SynthReport | None,
            inject: set[str]) -> SynthReport:
    """One report's numbers chained to `prev` with the requested 表三 faults (narrative not yet set)."""
    rep = random_report(rng, fmt=fmt, year=year, unit=unit.printed[year], kind=unit.kind)
    if prev is not None:
        if "identical_tables" in inject:
            for p in _table_paths(prev, "applications"):
                rep.cells[p] = prev.cells[p]
        else:
            carried = {c: prev.app(_CF, c) for c in APPLICANTS}
            if "carry_mismatch" in inject:
                col = rng.choice(APPLICANTS)
                delta = rng.choice([d for d in (-2, -1, 1, 2, 3) if carried[col] + d >= 0])
                carried[col] += delta
            _set_carry(rep, carried)
    return rep


def _narrate(rng: random.Random, rep: SynthReport, prev: SynthReport | None, prev_seed: int | None,
             copy: bool) -> int:
    """Set rep.sections; returns the narrative seed. A copy reuses last year's seed, i.e. the same
    template choices with this year's numbers. Otherwise seeds are retried until no section
    resembles last year's: the templates have two variants each, so half of all independent pairs
    would look copied to XY-02 by chance."""
    if copy and prev_seed is not None:
        rep.sections = _narrative(random.Random(prev_seed), rep)
        # The choices may still diverge when a count turns zero; the number-free 问题及改进
        # section copied verbatim makes the copy certain.
        rep.sections["problems"] = list(prev.sections["problems"])
        return prev_seed
    for _ in range(_RETRIES * 4):
        seed = rng.getrandbits(32)
        rep.sections = _narrative(random.Random(seed), rep)
        if prev is None or not _similar_sections(prev, rep):
            break
    return seed


def _xy(prev: SynthReport, rep: SynthReport) -> list[tuple[str, str]]:
    out = []
    if diff := _carry_diff(prev, rep):
        out.append(("XY-01", "; ".join(diff)))
    if sim := _similar_sections(prev, rep):
        out.append(("XY-02", ",".join(sim)))
    if same := _identical_tables(prev, rep):
        out.append(("XY-03", ",".join(same)))
    return out


def make_corpus(folder: str | os.PathLike, rng: random.Random, *, provinces: int = 1, cities: int = 1,
                counties: int = 2, townships: int = 4, departments: int = 2, years: Sequence[int] = (2023, 2024),
                fmt_for_year: dict[int, str] | Callable[[int], str] | None = None, copy_narrative: float = 0.1,
                carry_mismatch: float = 0.1, missing: float = 0.05, identical_tables: float = 0.0,
                errors: float = 0.0, layout: str | Sequence[str] = "tsv") -> Corpus:
    """Write folder/<year>/<printed unit>.txt for every unit-year (bar the missing ones) and
    folder/units.csv. `layout` is one of text.LAYOUTS or a sequence to pick from per file."""
    folder = os.fspath(folder)
    years = sorted(years)
    layouts = (layout,) if isinstance(layout, str) else tuple(layout)
    if set(layouts) - set(LAYOUTS):
        raise ValueError(f"layout must be among {LAYOUTS}")
    corpus = Corpus(units=build_units(rng, provinces, cities, counties, townships, departments))
    for y in years:
        os.makedirs(os.path.join(folder, str(y)), exist_ok=True)
    for unit in corpus.units:
        if unit.kind == "township":
            _spellings(rng, unit, years)
        else:
            unit.printed = dict.fromkeys(years, unit.name)
        prev: SynthReport | None = None     # last year's printed report (None: none last year)
        truth: SynthReport | None = None    # last year's truth, printed or not: the chain goes on
        prev_seed = prev_error = None
        for y in years:
            fmt = _fmt_of(fmt_for_year, y)
            gone = rng.random() < missing
            # A year after a gap has no report to compare with: cross-year faults are undetectable.
            comparable = prev is not None and prev.year == y - 1 and not gone
            inject = set()
            if comparable:
                inject = {k for k, p in (("carry_mismatch", carry_mismatch), ("copy_narrative", copy_narrative),
                                         ("identical_tables", identical_tables)) if rng.random() < p}
                if "identical_tables" in inject and (prev.fmt != fmt or prev_error or not any(
                        prev.cells[p] for p in _table_paths(prev, "applications"))):
                    inject.discard("identical_tables")  # nothing non-zero (or clean) to copy
            chained = truth if truth is not None and truth.year == y - 1 else None
            for _ in range(_RETRIES):
                rep = _tables(rng, unit, y, fmt, chained, inject)
                # Independent tables can repeat by chance (small counts): redraw them.
                if not comparable or "identical_tables" in inject or not _identical_tables(prev, rep):
                    break
            seed = _narrate(rng, rep, prev if comparable else None, prev_seed, "copy_narrative" in inject)
            assert not check_consistent(rep), check_consistent(rep)
            truth, prev_seed, prev_error = rep, seed, None  # prev_error: this year's, from here on
            if gone:
                corpus.missing.append((unit.name, y))
                prev = None
                continue
            printed = rep
            if rng.random() < errors:
                # Not in the carry rows: a broken 二/四 would also break the chain with the
                # neighbouring years and blur which finding belongs to which injection.
                for _ in range(20):
                    printed, cells = inject_error(rng, rep)
                    if not any(f".{_CO}." in c or f".{_CF}." in c for c in cells):
                        break
                else:
                    printed, cells = rep, []
                prev_error = cells or None
            path = os.path.join(folder, str(y), unit.printed[y] + ".txt")
            render_file(printed, path, rng, rng.choice(layouts))
            if prev_error:
                corpus.errors.append((path, prev_error))
            if comparable:
                for code, detail in _xy(prev, printed):
                    corpus.expected_xy.append((unit.name, y, code, detail))
            corpus.files.append(path)
            corpus.reports.append((path, printed))
            prev = printed
    write_units_csv(os.path.join(folder, "units.csv"), corpus.units)
    return corpus


def make_flat(folder: str | os.PathLike, rng: random.Random, n: int, *, years: Sequence[int] = (2023, 2024),
              layout: str = "tsv") -> Corpus:
    """n independent reports over ceil(n/len(years)) units, no chain, no injections, no unit
    spelling changes: for benchmarks where only the volume matters."""
    folder = os.fspath(folder)
    per_unit = max(1, len(years))
    n_units = -(-n // per_unit)
    per_county = 12
    counties = max(1, -(-n_units // per_county))
    # 12 units a county (government, 8 townships, 3 departments), at most 20 counties a city.
    units = build_units(rng, 1, -(-counties // 20), min(counties, 20), 8, 3)[:n_units]
    corpus = Corpus(units=units)
    for y in years:
        os.makedirs(os.path.join(folder, str(y)), exist_ok=True)
    for unit in units:
        unit.printed = dict.fromkeys(years, unit.name)
        for y in years:
            if len(corpus.files) >= n:
                break
            rep = random_report(rng, fmt=_fmt_of(None, y), year=y, unit=unit.name, kind=unit.kind)
            path = os.path.join(folder, str(y), unit.name + ".txt")
            render_file(rep, path, rng, layout)
            corpus.files.append(path)
            corpus.reports.append((path, rep))
    write_units_csv(os.path.join(folder, "units.csv"), units)
    return corpus
