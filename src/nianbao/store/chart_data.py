"""What each corpus chart draws, read from the store: one definition for `nianbao chart` and the web
dashboard, so the two cannot drift apart.

The sums come from ``stats.aggregate(lean=True)`` (only the figures a chart shows: a third of the
work of the full statistics) and the error counts from ``reports`` alone; ``outputs.charts`` draws.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from .query import Filter, apply
from .stats import aggregate
from .tables import reports, units

KINDS = {"trend": "申请数趋势", "outcomes": "办理结果构成", "errors": "各单位错误与警告"}
DEFAULT_TOP = {"trend": 8, "outcomes": None, "errors": 30}


@dataclass(slots=True)
class ChartData:
    kind: str
    data: Any           # trend: {series name: [(year, value)]}; outcomes: [(group name, detail)]; errors: rows
    title: str
    top: int | None
    empty: bool         # no report matched: the chart says "没有数据"

    def draw(self, out) -> None:
        from ..outputs import charts
        if self.kind == "trend":
            charts.trend_chart(self.data, out, title=self.title)
        elif self.kind == "outcomes":
            charts.outcome_chart(self.data, out, title=self.title)
        else:
            charts.error_chart(self.data, out, title=self.title, top=self.top or DEFAULT_TOP["errors"])


def chart_data(conn: Connection, kind: str, f: Filter, group: str | None = None, depth: int | None = None,
               top: int | None = None) -> ChartData:
    """The numbers of chart ``kind`` for the selection: by year, or (trend, outcomes) by ``group``
    (level, region or unit) — the ``top`` groups with the most applications / handled applications."""
    desc = f.describe()
    top = top or DEFAULT_TOP[kind]
    if kind == "trend":
        if group is None:
            groups, _ = aggregate(conn, f, ("year",), lean=True)
            series = {"合计": [(g.key[0], g.sums["new_received"]) for g in groups if g.key[0] is not None]}
        else:
            groups, _ = aggregate(conn, f, (group, "year"), depth, lean=True)
            series = top_series(groups, top)
        return ChartData(kind, series, f"{desc}：本年新收政府信息公开申请数", top, not groups)
    if kind == "outcomes":
        groups, _ = aggregate(conn, f, (group or "year",), depth, lean=True)
        empty = not groups
        if top and group:
            groups = sorted(groups, key=lambda g: -g.sums["handled_total"])[:top]
        return ChartData(kind, [(g.name, g.detail) for g in groups], f"{desc}：依申请公开办理结果构成", top, empty)
    if kind == "errors":
        rows, any_report = error_rows(conn, f)
        return ChartData(kind, rows, f"{desc}：各单位年报的错误与警告", top, not any_report)
    raise ValueError(kind)


def top_series(groups, top: int) -> dict[str, list[tuple[int, float]]]:
    """One series per first-dimension group, the ``top`` with the most applications over all years."""
    by_name: dict[tuple, list] = {}
    for g in groups:
        if g.key[1] is not None:
            by_name.setdefault((g.key[0], g.label[0]), []).append((g.key[1], g.sums["new_received"]))
    ranked = sorted(by_name.items(), key=lambda kv: (-sum(v for _, v in kv[1]), kv[0][1], str(kv[0][0])))
    return {label: pts for (_, label), pts in ranked[:top]}


def error_rows(conn: Connection, f: Filter) -> tuple[list[tuple[str, int, int]], bool]:
    """(unit name, errors, warnings) of every unit with any, and whether any report matched: the same
    numbers as ``aggregate(by=unit)`` gives (Σ n_errors, Σ n_warnings; "未识别单位" without a unit),
    read from ``reports`` alone — the full aggregate also sums every figure, 10× the work for 2 columns."""
    e, w = func.sum(reports.c.n_errors), func.sum(reports.c.n_warnings)
    q = apply(select(func.max(units.c.name), e, w).select_from(reports)
              .outerjoin(units, units.c.id == reports.c.unit_id), f).group_by(reports.c.unit_id)
    rows = [(name or "未识别单位", int(ne), int(nw)) for name, ne, nw in conn.execute(q.having((e > 0) | (w > 0)))]
    if rows:
        return rows, True
    anyone = apply(select(reports.c.id).select_from(reports).outerjoin(units, units.c.id == reports.c.unit_id), f)
    return rows, conn.execute(anyone.limit(1)).first() is not None


__all__ = ["KINDS", "ChartData", "chart_data", "top_series", "error_rows"]
