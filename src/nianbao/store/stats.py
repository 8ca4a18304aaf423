"""Corpus statistics: the reports chosen by a ``Filter``, aggregated by year, level, region or unit.

Everything is summed by the database (one GROUP BY over ``reports`` ⋈ ``units`` ⋈ ``figures``), so a
store of 100,000 reports answers in well under a second on SQLite and PostgreSQL alike; Python only
turns the few aggregated rows into ratios and labels.

Definitions (over the selected reports of a group; a figure a report did not give sums as 0, and
``nulls`` counts the reports that lacked it, so a reader knows when a sum is incomplete):

- applications = Σ 本年新收 (``new_received``); carried_over = Σ 上年结转; handled_total = Σ 办理结果总计.
- 不予公开 / 无法提供 / 不予处理 = Σ of their reason rows; 其他处理 = Σ （六）1–3 plus 2019's single
  （六）其他处理 row. A group total counts as missing in a report when any of its rows is missing
  (其他处理: when neither the 2021 rows nor the 2019 row are all there).
- 公开率 (``open_rate``) = (予以公开 + 部分公开) / 办理结果总计 — the share of handled applications that
  were answered with information, whole or in part; every ``<outcome>_share`` is that outcome over the
  same 总计. None when nothing was handled.
- 复议/诉讼纠正率 = 结果纠正 / (总计 − 尚未审结): the corrected share of the cases that were decided;
  诉讼 is 未经复议直接起诉 + 复议后起诉. None when no case was decided.
- reports_with_errors: reports with at least one error-severity finding; errors/warnings: Σ findings.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from sqlalchemy import Text, and_, case, func, literal_column, or_, select
from sqlalchemy.engine import Connection, Engine

from .. import regions, schema
from ..errors import UsageError
from .query import Filter, apply
from .tables import figures, reports, units

DIMENSIONS = ("year", "level", "region", "unit")
MAX_DEPTH = 8
TOTAL_LABEL = "合计"

_DENIED = tuple(r.key for r in schema.APP_ROWS if r.group == "不予公开")
_UNABLE = tuple(r.key for r in schema.APP_ROWS if r.group == "无法提供")
_REJECTED = tuple(r.key for r in schema.APP_ROWS if r.group == "不予处理")
_OTHER_2021 = tuple(r.key for r in schema.APP_ROWS if r.group == "其他处理")
_OTHER_2019 = "other_processing_2019"
_RL_FIELDS = ("total", "corrected", "pending")

# Outcome groups of 表三 as reported: (key, Chinese label).
OUTCOMES = (("granted", "予以公开"), ("partially_granted", "部分公开"), ("denied", "不予公开"),
            ("unable", "无法提供"), ("rejected", "不予处理"), ("other_processing", "其他处理"))

# Output figures (sums) with their Chinese headers, in table order.
FIGURE_LABELS: dict[str, str] = {
    "new_received": "本年新收申请", "carried_over": "上年结转", "handled_total": "办理总数",
    "carried_forward": "结转下年",
    "granted": "予以公开", "partially_granted": "部分公开", "denied": "不予公开",
    **{k: "不予公开·" + schema.APP_ROW_BY_KEY[k].label for k in _DENIED},
    "unable": "无法提供", "rejected": "不予处理", "other_processing": "其他处理",
    "review_total": "复议总数", "review_corrected": "复议纠正", "review_pending": "复议尚未审结",
    "litigation_total": "诉讼总数", "litigation_corrected": "诉讼纠正", "litigation_pending": "诉讼尚未审结",
}
RATE_LABELS: dict[str, str] = {
    "open_rate": "公开率", **{f"{k}_share": f"{label}占比" for k, label in OUTCOMES},
    "review_correction_rate": "复议纠正率", "litigation_correction_rate": "诉讼纠正率",
}
COUNT_LABELS: dict[str, str] = {
    "reports": "报告数", "units": "单位数", "reports_with_errors": "有错误的报告", "errors": "错误条数",
    "warnings": "警告条数", "late_reports": "逾期报告", "partial_reports": "部分识别的报告",
}

# Ranking metrics: (Chinese name, higher is "top").
METRICS = {"applications": "本年新收申请数", "open_rate": "公开率", "errors": "错误条数",
           "correction_rate": "复议纠正率"}


@dataclass(slots=True)
class Group:
    """One group's aggregates. ``key`` is a tuple (one element per dimension); ``label`` likewise."""
    key: tuple
    label: tuple[str, ...]
    counts: dict[str, int]
    sums: dict[str, float]            # output figures (FIGURE_LABELS keys)
    nulls: dict[str, int]             # output figure -> reports that lacked it (only those > 0)
    detail: dict[str, float] = field(default_factory=dict)  # raw 表三 sums (for the outcome chart)
    rank: int | None = None

    @property
    def name(self) -> str:
        return " · ".join(self.label)

    def rate(self, key: str) -> float | None:
        s = self.sums
        if key == "open_rate":
            return _ratio(s["granted"] + s["partially_granted"], s["handled_total"])
        if key.endswith("_share"):
            return _ratio(s[key[:-len("_share")]], s["handled_total"])
        if key.endswith("_correction_rate"):
            g = key[:-len("_correction_rate")]
            return _ratio(s[f"{g}_corrected"], s[f"{g}_total"] - s[f"{g}_pending"])
        raise KeyError(key)

    @property
    def rates(self) -> dict[str, float | None]:
        return {k: self.rate(k) for k in RATE_LABELS}

    def metric(self, name: str):
        if name == "applications":
            return self.sums["new_received"]
        if name == "errors":
            return self.counts["errors"]
        if name == "correction_rate":
            return self.rate("review_correction_rate")
        return self.rate(name)

    def to_dict(self, by: Sequence[str], total: bool = False) -> dict[str, Any]:
        """The JSON object of the group (English keys; see ``nianbao stats --help``)."""
        key = None if total else (self.key[0] if len(self.key) == 1 else list(self.key))
        out: dict[str, Any] = {"by": "total" if total else "+".join(by), "group": self.name, "key": key,
                               "total": total}
        if self.rank is not None:
            out["rank"] = self.rank
        out.update(self.counts)
        out.update({k: _num(v) for k, v in self.sums.items()})
        out.update({k: (None if v is None else round(v, 6)) for k, v in self.rates.items()})
        out["nulls"] = dict(self.nulls)
        return out


@dataclass(slots=True)
class Stats:
    """What ``corpus_stats`` answers: the groups (ordered, or ranked) and the total over the selection."""
    by: tuple[str, ...]
    depth: int | None
    filter: Filter
    groups: list[Group]
    total: Group | None               # None when ranking (a total of the top N would mislead)
    rank: str | None = None

    @property
    def empty(self) -> bool:
        return not self.groups


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def _num(v: float | None):
    if v is None:
        return None
    return int(v) if float(v).is_integer() else v


# --------------------------------------------------------------------------- SQL
def _sum(col):
    return func.coalesce(func.sum(col), 0)


def _n_null(cols) -> Any:
    """Reports lacking any of ``cols``."""
    return func.sum(case((or_(*(c.is_(None) for c in cols)), 1), else_=0))


def _z(col):
    return func.coalesce(col, 0)


def _aggregates() -> list:
    """The aggregate columns. Every aggregate costs a step per row, so row groups the outputs only
    need as totals (无法提供, 不予处理, 其他处理, 诉讼) are added up per row inside one SUM."""
    fc = figures.c
    cols = [func.count().label("reports"), func.count(func.distinct(reports.c.unit_id)).label("units"),
            func.sum(case((reports.c.n_errors > 0, 1), else_=0)).label("reports_with_errors"),
            func.sum(reports.c.n_errors).label("errors"), func.sum(reports.c.n_warnings).label("warnings"),
            func.sum(case((reports.c.late, 1), else_=0)).label("late_reports"),
            func.sum(case((reports.c.status == "partial", 1), else_=0)).label("partial_reports")]
    singles = ("new_received", "carried_over", "handled_total", "carried_forward", "granted", "partially_granted",
               *_DENIED, "other_other", *(f"review_{f}" for f in _RL_FIELDS))
    cols += [func.sum(fc[k]).label(f"s_{k}") for k in singles]
    combined = {"unable": _UNABLE, "rejected": _REJECTED,
                "other_main": (*(k for k in _OTHER_2021 if k != "other_other"), _OTHER_2019),
                **{f"litigation_{f}": (f"litigation_direct_{f}", f"litigation_after_review_{f}") for f in _RL_FIELDS}}
    for name, keys in combined.items():
        expr = _z(fc[keys[0]])
        for k in keys[1:]:
            expr = expr + _z(fc[k])
        cols.append(func.sum(expr).label(f"s_{name}"))
    nullable = ("new_received", "carried_over", "handled_total", "carried_forward", "granted", "partially_granted",
                *(f"review_{f}" for f in _RL_FIELDS))
    cols += [(func.count() - func.count(fc[k])).label(f"n_{k}") for k in nullable]
    cols += [_n_null([fc[k] for k in _DENIED]).label("n_denied"),
             _n_null([fc[k] for k in _UNABLE]).label("n_unable"),
             _n_null([fc[k] for k in _REJECTED]).label("n_rejected"),
             func.sum(case((and_(fc[_OTHER_2019].is_(None), or_(*(fc[k].is_(None) for k in _OTHER_2021))), 1),
                           else_=0)).label("n_other_processing")]
    cols += [_n_null([fc[f"litigation_direct_{f}"], fc[f"litigation_after_review_{f}"]]).label(f"n_litigation_{f}")
             for f in _RL_FIELDS]
    return cols


# What the charts draw (trend: 新收; outcomes: the six outcome groups and 总计): a third of the
# aggregates of the full statistics, so a chart of 100,000 reports is summed in ~0.1 s, not ~0.5 s.
_LEAN_SUMS = {"new_received": ("new_received",), "handled_total": ("handled_total",), "granted": ("granted",),
              "partially_granted": ("partially_granted",), "denied": _DENIED, "unable": _UNABLE,
              "rejected": _REJECTED, "other_main": (*(k for k in _OTHER_2021 if k != "other_other"), _OTHER_2019),
              "other_other": ("other_other",)}


def _lean_aggregates() -> list:
    cols = [func.count().label("reports")]
    for name, keys in _LEAN_SUMS.items():
        expr = figures.c[keys[0]] if len(keys) == 1 else _z(figures.c[keys[0]])
        for k in keys[1:]:
            expr = expr + _z(figures.c[k])
        cols.append(func.sum(expr).label(f"s_{name}"))
    return cols


def region_prefix(dialect: str, depth: int):
    """A CTE (uid, prefix): each unit's region path cut to its first ``depth`` elements.

    SQLite has no split function: there each CTE peels one element off the path. They are
    MATERIALIZED (SQLite ≥ 3.35) because an inlined chain would repeat the previous step's expression
    twice per step, 2^depth copies evaluated for every report. PostgreSQL has split_part, and a
    materialized CTE there (no statistics) made the planner pick a nested loop: 0.6 s at 10,000 reports.
    """
    if dialect == "postgresql":
        # split_part is native there: one inlined expression the planner can join by hash
        parts = [func.split_part(units.c.region, "/", i + 1) for i in range(depth)]
        prefix = func.rtrim(func.concat_ws("/", *parts), "/", type_=Text)
        return select(units.c.id.label("uid"), prefix.label("prefix")).where(units.c.region.is_not(None)).cte("rp")
    pos = func.instr
    q = select(units.c.id.label("uid"), (units.c.region + "/").label("rest"),
               literal_column("''", Text).label("prefix")).where(units.c.region.is_not(None))
    q = q.cte("rp0").prefix_with("MATERIALIZED")
    for i in range(depth):
        cut = pos(q.c.rest, "/")
        has = q.c.rest != ""
        elem = func.substr(q.c.rest, 1, cut - 1, type_=Text)
        joined = case((q.c.prefix == "", elem), else_=q.c.prefix + "/" + elem)
        q = select(q.c.uid,
                   case((has, func.substr(q.c.rest, cut + 1, type_=Text)), else_=q.c.rest).label("rest"),
                   case((has, joined), else_=q.c.prefix).label("prefix")).cte(f"rp{i + 1}").prefix_with("MATERIALIZED")
    return q


def default_depth(conn: Connection, f: Filter) -> int:
    """The region element just below the filter's --region (1 = the first element without one)."""
    if not f.region:
        return 1
    r = f.region.strip().strip("/")
    if "/" in r:
        return min(len(r.split("/")) + 1, MAX_DEPTH)
    q = apply(select(units.c.region).select_from(reports.join(units, units.c.id == reports.c.unit_id)), f)
    q = q.where(units.c.region.is_not(None)).group_by(units.c.region)
    positions = [path.split("/").index(r) for (path,) in conn.execute(q) if r in path.split("/")]
    return min(min(positions) + 2, MAX_DEPTH) if positions else 1


def _dimension(dim: str, rp) -> tuple[list, list]:
    """(selected columns, GROUP BY columns) of a dimension. Units group by the integer
    ``reports.unit_id`` (its index gives the order), their key and name ride along as MAX()."""
    if dim == "year":
        return [reports.c.year.label("k_year")], [reports.c.year]
    if dim == "level":
        return [units.c.level.label("k_level")], [units.c.level]
    if dim == "region":
        return [rp.c.prefix.label("k_region")], [rp.c.prefix]
    if dim == "unit":
        return ([reports.c.unit_id.label("k_unit_id"), func.max(units.c.key).label("k_unit"),
                 func.max(units.c.name).label("k_unit_name")], [reports.c.unit_id])
    raise UsageError(f"无法识别的分组“{dim}”，可用：year（年度）、level（层级）、region（区划）、unit（单位）")


def _from(f: Filter, dims: Sequence[str], rp):
    frm = reports.outerjoin(figures, figures.c.report_id == reports.c.id)
    if f.level or f.unit or f.region or set(dims) & {"level", "region", "unit"}:
        frm = frm.outerjoin(units, units.c.id == reports.c.unit_id)
    if rp is not None:
        frm = frm.outerjoin(rp, rp.c.uid == units.c.id)
    return frm


def _label(dim: str, row, depth: int | None) -> tuple[Any, str]:
    if dim == "year":
        y = row.k_year
        return y, (f"{y}年" if y is not None else "年份未知")
    if dim == "level":
        lv = row.k_level
        return lv, (regions.LEVELS.get(lv, lv) if lv else "层级未知")
    if dim == "region":
        p = row.k_region
        if not p:
            return None, "区划未知"
        parts = p.split("/")
        return p, parts[-1] + ("本级" if depth and len(parts) < depth else "")
    return row.k_unit, (row.k_unit_name or "未识别单位")


_DENIED_SET = set(_DENIED)
# (output figure, its null-count column): the reasons share 不予公开's composite count.
_NULL_COLS = tuple((k, "n_denied" if k in _DENIED_SET else f"n_{k}") for k in FIGURE_LABELS)


def _group(row, dims: Sequence[str], depth: int | None) -> Group:
    """One result row as a Group (kept lean: a by-unit listing makes tens of thousands)."""
    m = row._asdict()
    keys, labels = [], []
    for d in dims:
        k, lab = _label(d, row, depth)
        keys.append(k)
        labels.append(lab)
    counts = {k: int(m[k] or 0) for k in COUNT_LABELS}

    def s(k):
        v = m[f"s_{k}"]
        return float(v) if v is not None else 0.0
    denied = [s(k) for k in _DENIED]
    sums = {"new_received": s("new_received"), "carried_over": s("carried_over"),
            "handled_total": s("handled_total"), "carried_forward": s("carried_forward"),
            "granted": s("granted"), "partially_granted": s("partially_granted"), "denied": sum(denied),
            **dict(zip(_DENIED, denied)), "unable": s("unable"), "rejected": s("rejected"),
            "other_processing": s("other_main") + s("other_other")}
    for g in ("review", "litigation"):
        for f in _RL_FIELDS:
            sums[f"{g}_{f}"] = s(f"{g}_{f}")
    nulls = {k: int(m[c]) for k, c in _NULL_COLS if m.get(c)}
    # For the outcome chart: （六）1–2 and 2019's row are its 其他处理, （六）3 its 其他.
    detail = {"granted": sums["granted"], "partially_granted": sums["partially_granted"], "denied": sums["denied"],
              "unable": sums["unable"], "rejected": sums["rejected"], "other_processing": s("other_main"),
              "other_other": s("other_other")}
    return Group(tuple(keys), tuple(labels), counts, sums, nulls, detail)


def _lean_group(row, dims: Sequence[str], depth: int | None) -> Group:
    m = row._asdict()
    keys, labels = zip(*(_label(d, row, depth) for d in dims)) if dims else ((), ())
    s = {k: float(m[f"s_{k}"] or 0) for k in _LEAN_SUMS}
    sums = {"new_received": s["new_received"], "handled_total": s["handled_total"], "granted": s["granted"],
            "partially_granted": s["partially_granted"], "denied": s["denied"], "unable": s["unable"],
            "rejected": s["rejected"], "other_processing": s["other_main"] + s["other_other"]}
    detail = {k: sums[k] for k in ("granted", "partially_granted", "denied", "unable", "rejected")}
    detail.update(other_processing=s["other_main"], other_other=s["other_other"])
    return Group(tuple(keys), tuple(labels), {"reports": int(m["reports"])}, sums, {}, detail)


_LEVEL_ORDER = {k: i for i, k in enumerate(regions.LEVELS)}


def _order_key(g: Group, dims: Sequence[str]):
    out = []
    for d, k, lab in zip(dims, g.key, g.label):
        if d == "level":
            out.append((k is None, _LEVEL_ORDER.get(k, 99), k or ""))
        elif d == "year":
            out.append((k is None, k or 0))
        elif d == "region":  # by path: a county's 本级 comes before its townships
            out.append((k is None, k or "", lab))
        else:
            out.append((k is None, lab, k or ""))
    return out


def _check(by: Sequence[str], depth: int | None) -> None:
    for d in by:
        if d not in DIMENSIONS:
            _dimension(d, None)  # raises the Chinese message
    if depth is not None and not 1 <= depth <= MAX_DEPTH:
        raise UsageError(f"--depth 应在 1 到 {MAX_DEPTH} 之间（1 = 区划路径的第一级，如省）")


def aggregate(conn: Connection, f: Filter, by: Sequence[str] = ("year",), depth: int | None = None, *,
              lean: bool = False) -> tuple[list[Group], int | None]:
    """Groups of the selection by one or more dimensions, in natural order; also the depth used.

    ``lean`` groups carry only what the charts draw: the report count, 本年新收, 办理结果总计 and the
    six outcome groups (sums and ``detail``) — no other counts, sums, rates or null counts."""
    by = tuple(by)
    _check(by, depth)
    if "region" in by and depth is None:
        depth = default_depth(conn, f)
    rp = region_prefix(conn.dialect.name, depth) if "region" in by else None
    sel, grp = [], []
    for d in by:
        a, b = _dimension(d, rp)
        sel += a
        grp += b
    q = apply(select(*sel, *(_lean_aggregates() if lean else _aggregates())).select_from(_from(f, by, rp)), f)
    if grp:
        q = q.group_by(*grp)
    make = _lean_group if lean else _group
    groups = [make(r, by, depth) for r in conn.execute(q) if r.reports]
    groups.sort(key=lambda g: _order_key(g, by))
    return groups, (depth if "region" in by else None)


def total_of(conn: Connection, f: Filter, groups: list[Group], by: Sequence[str]) -> Group | None:
    """The 合计 of disjoint groups, added up here rather than by a second scan; only the distinct
    unit count needs the database again when a unit can fall in several groups (by year)."""
    if not groups:
        return None
    if len(groups) > 500:  # one more scan beats adding up thousands of groups in Python
        (total,), _ = aggregate(conn, f, (), None)
        total.key, total.label = (None,), (TOTAL_LABEL,)
        return total
    counts = {k: sum(g.counts[k] for g in groups) for k in COUNT_LABELS}
    if tuple(by) not in (("level",), ("region",), ("unit",)):
        q = apply(select(func.count(func.distinct(reports.c.unit_id))).select_from(_from(f, (), None)), f)
        counts["units"] = int(conn.execute(q).scalar() or 0)
    sums = {k: sum(g.sums[k] for g in groups) for k in FIGURE_LABELS}
    nulls = {k: n for k in FIGURE_LABELS if (n := sum(g.nulls.get(k, 0) for g in groups))}
    detail = {k: sum(g.detail[k] for g in groups) for k in groups[0].detail}
    return Group((None,), (TOTAL_LABEL,), counts, sums, nulls, detail)


def _metric_sql(metric: str):
    fc = figures.c
    if metric == "applications":
        return _sum(fc.new_received)
    if metric == "errors":
        return _sum(reports.c.n_errors)
    if metric == "open_rate":
        num, den = _sum(fc.granted) + _sum(fc.partially_granted), _sum(fc.handled_total)
    elif metric == "correction_rate":
        num, den = _sum(fc.review_corrected), _sum(fc.review_total) - _sum(fc.review_pending)
    else:
        raise UsageError(f"无法识别的排名指标“{metric}”，可用：" + "、".join(f"{k}（{v}）" for k, v in METRICS.items()))
    return case((den != 0, num * 1.0 / den), else_=None)


def ranking(conn: Connection, f: Filter, metric: str, top: int, by: str = "unit", depth: int | None = None
            ) -> tuple[list[Group], int | None]:
    """The ``top`` groups by ``metric``, highest first, ordered and limited by the database.

    Ties keep a stable order (by name, then key) and share a rank (1, 2, 2, 4); groups whose rate
    is undefined (nothing handled / decided) come last.
    """
    _metric_sql(metric)  # validates
    _check((by,), depth)
    if top < 1:
        raise UsageError("--top 应为正整数")
    if by == "region" and depth is None:
        depth = default_depth(conn, f)
    rp = region_prefix(conn.dialect.name, depth) if by == "region" else None
    sel, grp = _dimension(by, rp)
    m = _metric_sql(metric).label("metric")
    q = apply(select(*sel, *_aggregates(), m).select_from(_from(f, (by,), rp)), f).group_by(*grp)
    ties = [sel[-1].asc().nulls_last(), grp[0].asc().nulls_last()]  # unit: name, then id
    q = q.order_by(m.desc().nulls_last(), *ties).limit(top)
    groups = [_group(r, (by,), depth) for r in conn.execute(q)]
    prev, rank = object(), 0
    for i, g in enumerate(groups, 1):
        v = g.metric(metric)
        v = round(v, 9) if isinstance(v, float) else v
        if v != prev:
            rank, prev = i, v
        g.rank = rank
    return groups, depth


def corpus_stats(engine: Engine | Connection, f: Filter, by: str = "year", depth: int | None = None,
                 rank: str | None = None, top: int | None = None) -> Stats:
    """Statistics of the selection grouped ``by`` (with a total row), or the ``top`` groups by ``rank``."""
    if isinstance(engine, Connection):
        return _stats(engine, f, by, depth, rank, top)
    with engine.connect() as conn:
        return _stats(conn, f, by, depth, rank, top)


def _stats(conn, f, by, depth, rank, top) -> Stats:
    if depth is not None and by != "region":
        raise UsageError("--depth 只用于按区划分组（--by region）")
    if rank:
        groups, depth = ranking(conn, f, rank, top or 10, by, depth)
        return Stats((by,), depth, f, groups, None, rank)
    groups, depth = aggregate(conn, f, (by,), depth)
    return Stats((by,), depth, f, groups, total_of(conn, f, groups, (by,)))


__all__ = ["DIMENSIONS", "METRICS", "OUTCOMES", "FIGURE_LABELS", "RATE_LABELS", "COUNT_LABELS", "Group", "Stats",
           "aggregate", "total_of", "ranking", "corpus_stats", "default_depth", "region_prefix"]
