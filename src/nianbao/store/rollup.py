"""Roll-up: a county's (or city's) summary tables, summed from its subordinate units' reports.

A county office that publishes "全县政府信息公开工作年度报告数据汇总" adds up the tables of its townships,
subdistricts and departments. This module does that addition from the store and checks the sum with
the same arithmetic rules a printed report gets, so a clerk sees at once whether the summary can be
trusted and, when it cannot, which units' reports broke it.

Choices, and why:

- **Who is summed.** The current report for ``year`` of every unit whose region path contains the
  region below it (``query.apply`` with the shared region filter), optionally narrowed to one level.
  The region's own government report (unit key == the region's name, e.g. the county government
  "河曲县") is *not* summed: it is a report of the county government as one body (its own
  applications), and counting it together with its townships and departments would be a different
  figure from the sum of the subordinates, with no way for the reader to tell; it is returned
  separately (``Rollup.own``) so the reader can compare.
- **Null cells** count as 0 — a sum has to be a number — but each unit's null cells are recorded
  (``Rollup.nulls``), so the reader knows the sum is a lower bound there. Cells that a 2019-format
  table cannot have (表二's 废止/现行有效/收费金额, 表三's three （六） rows) are recorded apart
  (``format_gaps``): they are not the unit's omission.
- **2019-format reports** contribute the cells that have a 2021 equivalent (the store already holds
  them under the 2021 keys). Their single （六）其他处理 row cannot be split into the three 2021
  （六） rows, so it is not summed anywhere and is listed (``not_summable``); their （七）总计 still
  includes it, which is why T3-02 may then fail on the roll-up — the notes say so.
- **Which rules.** The roll-up has tables but no text, layout, title, date or source lines, so only
  the families about numbers make sense: T3 (表三's equations), T4 (表四's totals) and NUM (count
  types). FMT (printed structure and labels), NT (narrative vs tables), PUB (title, deadline), IN
  (how cells were read) and XY (needs last year's report) would only report what a sum cannot have.
- The 表二 fee amounts (万元, decimals) are summed as floats and rounded to 4 decimals (1 元), which
  removes binary float noise without losing anything a report prints.
"""
from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from .. import regions, schema
from ..config import Config
from ..document import Source
from ..errors import UsageError
from ..model import PRINTED, Finding, Report, Value
from ..rules import catalogue
from ..rules.base import Context
from .query import Filter, apply, base_query
from .tables import files, reports, unit_mapping, units
from .units import load_stored_mapping
from .writer import load_reports, stored_findings

ROLLUP_FAMILIES = ("T3", "T4", "NUM")
FEES = "active.fees.amount_wan_yuan"
_FEE_DECIMALS = 4
# 2021 cells that a 2019-format table cannot have (not the unit's omission).
_GAPS_ACTIVE_2019 = tuple(p for p in schema.paths_2021()
                          if p.startswith("active.") and p not in schema.ACTIVE_2019_TO_2021.values())
_GAPS_APPS_2019 = tuple(schema.app_path(r, c.key) for r in schema.ROWS_2021_ONLY for c in schema.APP_COLUMNS)
_OTHER_2019 = tuple("extra_2019." + schema.app_path("other_processing", c.key) for c in schema.APP_COLUMNS)


@dataclass(slots=True)
class UnitRef:
    """One unit as the roll-up lists it."""
    key: str
    name: str
    level: str | None
    region: str | None
    report_id: int | None = None
    file: str | None = None
    format: str | None = None
    status: str | None = None
    version: int | None = None
    errors: int = 0
    years: list[int] = field(default_factory=list)   # for missing units: the years it did report
    rules: list[str] = field(default_factory=list)   # for units with errors: their error rules

    def to_dict(self) -> dict[str, Any]:
        return {"unit_key": self.key, "unit": self.name, "level": self.level, "region": self.region,
                "report_id": self.report_id, "file": self.file, "format": self.format, "status": self.status,
                "version": self.version, "errors": self.errors, "years": list(self.years), "rules": list(self.rules)}


@dataclass(slots=True)
class Rollup:
    region: str
    year: int
    level: str | None
    report: Report                       # the summed tables, 2021 format, every summed cell printed
    findings: list[Finding]              # T3/T4/NUM on the sum
    included: list[UnitRef]
    missing: list[UnitRef]               # reported in another year, not this one
    never_reported: list[UnitRef]        # in the user's mapping under the region, no report at all
    with_errors: list[UnitRef]           # included units whose own report has errors
    nulls: dict[str, list[str]]          # unit key -> its null cells (counted as 0)
    format_gaps: dict[str, list[str]]    # unit key -> 2021 cells its 2019-format tables cannot have
    not_summable: dict[str, dict[str, Any]]  # unit key -> its 2019 （六）其他处理 cells
    own: UnitRef | None = None           # the region's own government report (not summed)
    notes: list[str] = field(default_factory=list)

    @property
    def unit(self) -> str:
        return self.report.unit or ""

    def check_result(self):
        """As a CheckResult, for the renderers of `nianbao check`."""
        from ..batch import CheckResult
        return CheckResult(self.report.path, "ok", None, self.report, list(self.findings))

    def to_dict(self) -> dict[str, Any]:
        return {"region": self.region, "year": self.year, "level": self.level, "unit": self.unit,
                "report": self.report.to_dict(), "findings": [f.to_dict() for f in self.findings],
                "included": [u.to_dict() for u in self.included], "missing": [u.to_dict() for u in self.missing],
                "never_reported": [u.to_dict() for u in self.never_reported],
                "units_with_errors": [u.to_dict() for u in self.with_errors],
                "null_cells": [{"unit_key": k, "cells": v} for k, v in self.nulls.items()],
                "format_gaps": [{"unit_key": k, "cells": v} for k, v in self.format_gaps.items()],
                "not_summable_2019": [{"unit_key": k, "cells": v} for k, v in self.not_summable.items()],
                "own_report": self.own.to_dict() if self.own else None, "notes": list(self.notes)}


def rollup_rules():
    """The catalogue rules that make sense on a table without text (see the module docstring)."""
    return [r for r in catalogue() if r.family in ROLLUP_FAMILIES]


def region_names(conn: Connection) -> set[str]:
    """Every division name the store knows (units' region paths and the user's mapping)."""
    out: set[str] = set()
    for (path,) in conn.execute(select(units.c.region).where(units.c.region.is_not(None)).distinct()):
        out.update(path.split("/"))
    for (path,) in conn.execute(select(unit_mapping.c.region).where(unit_mapping.c.region.is_not(None)).distinct()):
        out.update(path.split("/"))
    return out


def close_regions(conn: Connection, region: str, n: int = 5) -> list[str]:
    names = region_names(conn)
    near = sorted((x for x in names if region in x or x in region), key=lambda x: (abs(len(x) - len(region)), x))
    near += [x for x in difflib.get_close_matches(region, sorted(names), n=n, cutoff=0.34) if x not in near]
    return near[:n]


def _last(region: str) -> str:
    return region.strip().strip("/").split("/")[-1]


def _under(path: str | None, region: str) -> bool:
    """The same matching as query.apply: a path prefix with "/", else any element of the path."""
    if not path:
        return False
    r = region.strip().strip("/")
    return path == r or path.startswith(r + "/") if "/" in r else r in path.split("/")


def _is_own(key: str, level: str | None, path: str | None, region: str) -> bool:
    """The region's own government: its key is the region's name (河曲县), or it is a division whose
    path ends at the region."""
    last = _last(region)
    if key == last:
        return True
    return level in regions.DIVISION_LEVELS and bool(path) and path.split("/")[-1] == last


_LOAD = object()


def rollup(conn: Connection, region: str, year: int, *, level: str | None = None,
           config: Config | None = None, mapping=_LOAD) -> Rollup:
    """Sum the current ``year`` reports of the units under ``region``; UsageError (Chinese) when the
    region is unknown, the region has no subordinate unit, or none of them reported that year.
    ``mapping``: the stored unit mapping when the caller already holds it (the web app caches it:
    loading a national mapping is most of a roll-up's time); loaded from the store otherwise."""
    region = (region or "").strip().strip("/")
    if not region:
        raise UsageError("请给出要汇总的区划名称，如 河曲县 或 山西省/忻州市/河曲县")
    flt = Filter.of(region=region, level=level)
    lv = flt.level
    # Every current report of every unit under the region, all years: who reported when.
    q = apply(base_query(reports.c.id, reports.c.year, reports.c.version, reports.c.format, reports.c.status,
                         reports.c.n_errors, units.c.key, units.c.name, units.c.level, units.c.region,
                         files.c.path), flt)
    rows = conn.execute(q.order_by(units.c.key, reports.c.year, reports.c.id)).all()
    stored_mapping = load_stored_mapping(conn) if mapping is _LOAD else mapping
    mapped = [e for e in (stored_mapping or ()) if _under("/".join(e.region), region)
              and not _is_own(e.unit, e.level, "/".join(e.region), region) and (lv is None or e.level == lv)]
    if not rows and not mapped:
        near = close_regions(conn, _last(region))
        hint = ("；相近的区划：" + "、".join(near)) if near else "；库中还没有带区划的单位（可用 nianbao ingest --map 载入单位对照表）"
        raise UsageError(f"库中没有区划“{region}”下的单位{hint}")
    own_rows = [r for r in rows if _is_own(r.key, r.level, r.region, region)]
    sub_rows = [r for r in rows if not _is_own(r.key, r.level, r.region, region)]
    this_year = [r for r in sub_rows if r.year == year]
    if not this_year:
        years = sorted({r.year for r in sub_rows if r.year is not None})
        scope = f"“{region}”下的{regions.LEVELS.get(lv, '') if lv else ''}单位"
        if years:
            raise UsageError(f"{scope}没有 {year} 年的报告；库中有这些年份：" + "、".join(str(y) for y in years))
        raise UsageError(f"{scope}没有 {year} 年的报告（库中只有该区划本级政府的报告，没有下级单位的报告）"
                         if own_rows else f"{scope}在库中还没有任何报告")
    if len({r.key for r in this_year}) != len(this_year):  # cannot happen with is_current, but be sure
        this_year = list({r.key: r for r in this_year}.values())

    ids = [r.id for r in this_year]
    loaded = load_reports(conn, ids)
    found = stored_findings(conn, [r.id for r in this_year if r.n_errors])
    ref = {r.id: UnitRef(r.key, r.name, r.level, r.region, r.id, r.path, r.format, r.status, r.version, r.n_errors)
           for r in this_year}

    name = _last(region) + "（汇总）"
    out = Report(path=f"{region}（汇总）", format=schema.FORMAT_2021, unit=name, year=year, status="ok")
    sums: dict[str, float] = defaultdict(int)
    nulls: dict[str, list[str]] = {}
    gaps: dict[str, list[str]] = {}
    not_summable: dict[str, dict[str, Any]] = {}
    has_table = dict.fromkeys(schema.TABLE_SECTIONS, False)
    for rid in ids:
        rep, u = loaded[rid], ref[rid]
        for t in schema.TABLE_SECTIONS:
            has_table[t] |= rep.has_table(t)
        gap = set(_GAPS_ACTIVE_2019 if rep.active_is_2019 else ()) | set(_GAPS_APPS_2019 if rep.apps_is_2019 else ())
        unit_nulls, unit_gaps = [], []
        for p in schema.paths_2021():
            v = rep.cells[p].value
            if v is None:
                (unit_gaps if p in gap else unit_nulls).append(p)
            else:
                sums[p] += v
        if unit_nulls:
            nulls[u.key] = unit_nulls
        if unit_gaps:
            gaps[u.key] = unit_gaps
        if rep.apps_is_2019:
            other = {p: rep.value(p).value for p in _OTHER_2019}
            if any(v is not None for v in other.values()):
                not_summable[u.key] = other
    n = len(ids)
    for p in schema.paths_2021():
        table = p.split(".")[0]
        if not has_table[table]:
            continue  # no unit has this table: its cells stay absent rather than a vacuous 0
        x = sums.get(p, 0)
        if p == FEES:
            x = round(float(x), _FEE_DECIMALS)
        elif isinstance(x, float) and x.is_integer():
            x = int(x)
        out.cells[p] = Value(x, PRINTED, _fmt(x), None, None, f"汇总：{n} 个单位之和")
    for t in schema.TABLE_SECTIONS:
        out.tables_found[t] = Source() if has_table[t] else None
        if not has_table[t]:
            out.missing.append(f"table.{t}")
    out.table_formats = dict.fromkeys(schema.TABLE_SECTIONS, schema.FORMAT_2021)
    out.format_how = "汇总表：按 2021 年格式逐个单元格相加"

    ctx = Context(config or Config(), None)
    findings = [f for r in rollup_rules() for f in r.check(out, ctx)]

    with_errors = []
    for rid in ids:
        if ref[rid].errors:
            u = ref[rid]
            u.rules = sorted({f.rule for f in found.get(rid, ()) if f.severity == "error"})
            with_errors.append(u)

    # Missing: under the region, reported some other year, not this one.
    reported: dict[str, UnitRef] = {}
    for r in sub_rows:
        u = reported.setdefault(r.key, UnitRef(r.key, r.name, r.level, r.region))
        if r.year is not None and r.year not in u.years:
            u.years.append(r.year)
    present = {r.key for r in this_year}
    missing = [u for k, u in sorted(reported.items()) if k not in present]
    never = _never_reported(conn, mapped, stored_mapping, set(reported) | {r.key for r in own_rows})

    own = next((r for r in own_rows if r.year == year), None)
    own_ref = UnitRef(own.key, own.name, own.level, own.region, own.id, own.path, own.format, own.status,
                      own.version, own.n_errors) if own else None
    notes = [f"汇总了“{region}”下 {n} 个单位 {year} 年的当前版本报告"
             + (f"（仅{regions.LEVELS.get(lv, lv)}）" if lv else "")
             + "；区划本级政府自身的报告不计入汇总" + (f"（{own_ref.file}）" if own_ref else "") + "。"]
    if nulls:
        notes.append(f"{len(nulls)} 个单位的部分单元格空白或缺失，按 0 计入，相应合计可能偏小。")
    if gaps:
        notes.append(f"{len(gaps)} 个单位使用 2019 年格式，表中没有 2021 年格式新增的单元格（如表二“本年废止件数”“现行有效件数”"
                     "“收费金额”、表三（六）的三个分项），这些单元格未计入。")
    if not_summable:
        total = sum((v.get(_OTHER_2019[-1]) or 0) for v in not_summable.values())
        notes.append(f"{len(not_summable)} 个 2019 年格式报告的“（六）其他处理”（总计 {_fmt(total)} 件）无法拆分到 2021 年格式"
                     "（六）的三个分项，未计入这三行；但它们已含在各自的“（七）总计”中，因此汇总表的 T3-02 可能因此不平。")
    if with_errors:
        notes.append(f"{len(with_errors)} 个单位的报告本身有错误，其数字照原样计入汇总，汇总表的问题可能来自这些报告。")
    return Rollup(region, year, lv, out, findings, [ref[i] for i in ids], missing, never, with_errors, nulls, gaps,
                  not_summable, own_ref, notes)


def _never_reported(conn: Connection, mapped, mapping, reported_keys: set[str]) -> list[UnitRef]:
    """Mapping entries under the region with no report in any year. A unit stored before the mapping
    was loaded may keep a shorter key (巡镇镇 vs 河曲县巡镇镇), so names are also looked up."""
    if not mapped:
        return []
    matched = {e.unit for e in mapped if e.unit in reported_keys}
    rest = [e for e in mapped if e.unit not in matched]
    if rest and mapping is not None:
        for key, name in conn.execute(select(units.c.key, units.c.name).where(units.c.key.in_(reported_keys))):
            for candidate in (name, key):
                entry = mapping.lookup(candidate)
                if entry is not None:
                    matched.add(entry.unit)
    return [UnitRef(e.unit, e.unit, e.level, "/".join(e.region) or None) for e in mapped if e.unit not in matched]


def _fmt(x) -> str:
    if isinstance(x, float):
        return f"{x:.{_FEE_DECIMALS}f}".rstrip("0").rstrip(".") or "0"
    return str(x)


__all__ = ["Rollup", "UnitRef", "rollup", "rollup_rules", "close_regions", "ROLLUP_FAMILIES"]
