"""Choosing reports from the store: the filters every corpus command shares.

``--year 2023 --year 2024 --region 河曲县 --level township --unit 巡镇 --status ok`` select the current
version of each unit's report (``--all-versions`` keeps the superseded ones). A region matches any
element of a unit's region path, or a path prefix written with "/" ("山西省/忻州市").
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, or_, select

from .. import regions
from ..errors import UsageError
from .tables import files, reports, units


@dataclass(slots=True)
class Filter:
    years: list[int] = field(default_factory=list)
    region: str | None = None
    level: str | None = None          # a regions level key (township, county, department…)
    unit: str | None = None           # part of the unit's name
    status: str | None = None         # ok | partial
    with_errors: bool = False
    all_versions: bool = False

    @classmethod
    def of(cls, years=None, region=None, level=None, unit=None, status=None, with_errors=False,
           all_versions=False) -> "Filter":
        """From CLI/web values, checked: a bad level or status is a Chinese usage error."""
        lv = None
        if level:
            try:
                lv = regions.parse_level(level)
            except ValueError:  # parse_level raises for an unknown word
                lv = None
            if lv is None:
                raise UsageError(f"无法识别的层级“{level}”，可用：" + "、".join(regions.LEVELS.values()))
        if status and status not in ("ok", "partial"):
            raise UsageError(f"无法识别的状态“{status}”，可用：ok（完整识别）、partial（部分识别）")
        return cls(sorted(set(years or [])), region or None, lv, unit or None, status or None, with_errors,
                   all_versions)

    def describe(self) -> str:
        """The filter in Chinese, for titles of tables and charts."""
        parts = []
        if self.region:
            parts.append(self.region)
        if self.level:
            parts.append(regions.LEVELS.get(self.level, self.level))
        if self.unit:
            parts.append(f"单位含“{self.unit}”")
        if self.years:
            parts.append("、".join(str(y) for y in self.years) + "年")
        if self.status:
            parts.append({"ok": "完整识别", "partial": "部分识别"}[self.status])
        if self.with_errors:
            parts.append("有错误")
        return " · ".join(parts) or "全部报告"


def apply(q: Select, f: Filter) -> Select:
    """Add the filter's conditions to a query that joins ``reports`` (and ``units``, outer)."""
    if not f.all_versions:
        q = q.where(reports.c.is_current)
    if f.years:
        q = q.where(reports.c.year.in_(f.years))
    if f.status:
        q = q.where(reports.c.status == f.status)
    if f.with_errors:
        q = q.where(reports.c.n_errors > 0)
    if f.level:
        q = q.where(units.c.level == f.level)
    if f.unit:
        q = q.where(or_(units.c.name.contains(f.unit, autoescape=True), units.c.key.contains(f.unit, autoescape=True),
                        reports.c.unit_printed.contains(f.unit, autoescape=True)))
    if f.region:
        r = f.region.strip().strip("/")
        if "/" in r:
            q = q.where(or_(units.c.region == r, units.c.region.startswith(r + "/", autoescape=True)))
        else:
            q = q.where(or_(units.c.region == r, units.c.region.startswith(r + "/", autoescape=True),
                            units.c.region.endswith("/" + r, autoescape=True),
                            units.c.region.contains("/" + r + "/", autoescape=True)))
    return q


def base_query(*columns) -> Select:
    """reports ⋈ files ⋈ units (outer: a report whose unit was not recognised is still a report)."""
    cols = columns or (reports, files.c.path, files.c.name.label("file_name"), units.c.name.label("unit_name"),
                       units.c.key.label("unit_key"), units.c.level, units.c.region)
    return (select(*cols).select_from(reports).join(files, files.c.id == reports.c.file_id)
            .outerjoin(units, units.c.id == reports.c.unit_id))


def stored_findings_of(conn, f: Filter, rules: list[str] | None = None, severity: str | None = None,
                       limit: int | None = None) -> list[dict]:
    """The stored findings of the chosen reports: unit, year, file and the finding. ``rules`` are
    codes or families ("XY" = every cross-year rule); ``severity`` keeps that level and above."""
    from .tables import findings
    q = apply(base_query(units.c.key.label("unit"), units.c.region, reports.c.year, files.c.path, findings.c.rule,
                         findings.c.severity, findings.c.category, findings.c.message, findings.c.cells,
                         findings.c.location).join(findings, findings.c.report_id == reports.c.id), f)
    if rules:
        q = q.where(or_(*[findings.c.rule == r if "-" in r else findings.c.rule.startswith(r + "-") for r in rules]))
    if severity:
        wanted = {"error": ["error"], "warning": ["error", "warning"]}.get(severity)
        if wanted is None and severity != "notice":
            raise UsageError(f"无法识别的级别“{severity}”，可用：error（错误）、warning（警告）、notice（提示）")
        if wanted:
            q = q.where(findings.c.severity.in_(wanted))
    q = q.order_by(units.c.region, units.c.key, reports.c.year, findings.c.id)
    if limit:
        q = q.limit(limit)
    return [row._asdict() for row in conn.execute(q)]
