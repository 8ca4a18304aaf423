"""The corpus seen by unit, by region and as a whole: a unit's page, a region's roll-up, the dashboard.

Each page has its JSON twin (``/api/units``, ``/api/rollup``, ``/api/stats``). The figures are the
store's own: a unit's key figures per year are read from ``figures`` (the 总计 column of 表三, 表四)
with the definitions of ``store.stats`` (公开率 = (予以公开 + 部分公开) / 办理结果总计); the roll-up is
``store.rollup.rollup``; the dashboard's table is ``store.stats.corpus_stats`` and its charts are
``outputs.charts`` drawn as SVG for the same filter as the page.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections import OrderedDict

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy import func, or_, select
from starlette.background import BackgroundTask

from .. import regions, schema
from ..errors import UsageError
from ..outputs.render.layout import GRIDS, Grid
from ..store.chart_data import KINDS as CHARTS
from ..store.tables import figures, files, reports, unit_aliases, units
from .auth import User, require
from .cache import cached
from .corpus import STATUS_NAMES, TAGS, read_view
from .templating import page

router = APIRouter()

KEY_FIGURES = (("new_received", "本年新收申请"), ("carried_over", "上年结转"), ("handled_total", "办理总数"),
               ("granted", "予以公开"), ("partially_granted", "部分公开"), ("carried_forward", "结转下年"))
UNIT_PAGE = 100


# ----------------------------------------------------------------------------------------- units

def search_units(conn, q: str = "", level: str | None = None, region: str | None = None, limit: int = UNIT_PAGE,
                 offset: int = 0) -> tuple[list[dict], int]:
    """Units whose name, key, printed spelling or merged alias contains ``q`` (an exact name as
    ``store.units.find_unit`` resolves it first), with their current report count; and the total.
    A LIMITed query rather than ``list_units``, which reads every unit of a 100,000-report store."""
    from ..store.units import find_unit
    cond = []
    exact = None
    if q:
        exact = find_unit(conn, q)
        like = or_(units.c.name.contains(q, autoescape=True), units.c.key.contains(q, autoescape=True),
                   units.c.id.in_(select(unit_aliases.c.unit_id).where(unit_aliases.c.key.contains(q, autoescape=True))),
                   units.c.id.in_(select(reports.c.unit_id).where(reports.c.unit_printed.contains(q, autoescape=True))))
        cond.append(or_(like, units.c.id == exact.id) if exact is not None else like)
    if level:
        cond.append(units.c.level == level)
    if region:
        r = region.strip().strip("/")
        cond.append(or_(units.c.region == r, units.c.region.startswith(r + "/", autoescape=True),
                        *(() if "/" in r else (units.c.region.endswith("/" + r, autoescape=True),
                                               units.c.region.contains("/" + r + "/", autoescape=True)))))
    n = conn.execute(select(func.count()).select_from(units).where(*cond)).scalar_one()
    order = [units.c.id != (exact.id if exact is not None else -1), units.c.region, units.c.key]
    rows = conn.execute(select(units).where(*cond).order_by(*order).limit(limit).offset(offset)).all()
    # report counts for this page's units only: grouping every report first cost ~0.5 s at 100,000
    counts = {r.unit_id: r for r in conn.execute(
        select(reports.c.unit_id, func.count().label("reports"), func.min(reports.c.year).label("first"),
               func.max(reports.c.year).label("last"))
        .where(reports.c.is_current, reports.c.unit_id.in_([r.id for r in rows])).group_by(reports.c.unit_id))}
    out = []
    for r in rows:
        d = r._asdict()
        c = counts.get(r.id)
        d.update(reports=c.reports if c else 0, first=c.first if c else None, last=c.last if c else None)
        d["level_name"] = regions.LEVELS.get(d["level"], d["level"] or "")
        out.append(d)
    return out, n


def _figures_of(conn, ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    cols = [figures.c[k] for k, _ in KEY_FIGURES] + [figures.c.review_total, figures.c.litigation_direct_total,
                                                     figures.c.litigation_after_review_total]
    out = {}
    for row in conn.execute(select(figures.c.report_id, *cols).where(figures.c.report_id.in_(ids))):
        d = row._asdict()
        handled = d["handled_total"]
        opened = (d["granted"] or 0) + (d["partially_granted"] or 0)
        d["open_rate"] = opened / handled if handled else None
        a, b = d.pop("litigation_direct_total"), d.pop("litigation_after_review_total")
        d["litigation_total"] = None if a is None and b is None else (a or 0) + (b or 0)
        out[d.pop("report_id")] = {k: (int(v) if isinstance(v, float) and v.is_integer() and k != "open_rate" else v)
                                   for k, v in d.items()}
    return out


def unit_detail(conn, unit_id: int) -> dict:
    """A unit, its spellings, every stored report (all versions) with its key figures, and the
    cross-year findings of its current reports."""
    from ..store.writer import stored_findings
    row = conn.execute(select(units).where(units.c.id == unit_id)).first()
    if row is None:
        raise HTTPException(404, f"库中没有编号为 {unit_id} 的单位")
    unit = row._asdict()
    unit["level_name"] = regions.LEVELS.get(unit["level"], unit["level"] or "")
    parent = conn.execute(select(units.c.id, units.c.name).where(units.c.key == unit["parent"])).first() \
        if unit["parent"] else None
    unit["parent_id"], unit["parent_name"] = (parent.id, parent.name) if parent else (None, unit["parent"])
    aliases = sorted(conn.execute(select(unit_aliases.c.key).where(unit_aliases.c.unit_id == unit_id)).scalars())
    printed = sorted({p for p in conn.execute(select(reports.c.unit_printed).where(reports.c.unit_id == unit_id)
                                               .distinct()).scalars() if p})
    rows = conn.execute(select(reports.c.id, reports.c.year, reports.c.version, reports.c.is_current, reports.c.status,
                               reports.c.format, reports.c.n_errors, reports.c.n_warnings, reports.c.n_notices,
                               reports.c.late, reports.c.unit_printed, files.c.name.label("file_name"))
                        .join(files, files.c.id == reports.c.file_id).where(reports.c.unit_id == unit_id)
                        .order_by(reports.c.year.desc(), reports.c.version.desc())).all()
    figs = _figures_of(conn, [r.id for r in rows])
    history = []
    for r in rows:
        d = r._asdict()
        d["status_name"] = STATUS_NAMES.get(d["status"], d["status"])
        d["figures"] = figs.get(r.id, {})
        history.append(d)
    current = [r.id for r in rows if r.is_current]
    year_of = {r.id: r.year for r in rows}
    found = stored_findings(conn, current)
    cross_year = [{"report_id": rid, "year": year_of[rid], **f.to_dict()}
                  for rid in sorted(current, key=lambda i: (year_of[i] or 0, i)) for f in found[rid]
                  if f.rule.startswith("XY-")]
    return {"unit": unit, "aliases": aliases, "printed": printed, "reports": history, "cross_year": cross_year}


@router.get("/units", include_in_schema=False)
def units_page(request: Request, q: str = "", level: str = "", region: str = "", page_no: int = 1,
               user: User = Depends(require("viewer"))):
    lv = _level(level)
    page_no = max(1, page_no)
    with request.app.state.engine.connect() as conn:
        found, total = search_units(conn, q.strip(), lv, region.strip() or None, UNIT_PAGE, (page_no - 1) * UNIT_PAGE)
    return page(request, "corpus_units.html", units=found, total=total, q=q, level=lv or "", region=region,
                page_no=page_no, pages=max(1, -(-total // UNIT_PAGE)), levels=regions.LEVELS)


@router.get("/units/{unit_id}", include_in_schema=False)
def unit_page(request: Request, unit_id: int, user: User = Depends(require("viewer"))):
    with request.app.state.engine.connect() as conn:
        detail = unit_detail(conn, unit_id)
    return page(request, "corpus_unit.html", key_figures=KEY_FIGURES, **detail)


@router.get("/api/units", tags=TAGS, summary="查找单位（名称、规范名、印刷名或合并过的别名中包含 q）")
def api_units(request: Request, q: str = "", level: str = "", region: str = "", limit: int = UNIT_PAGE,
              offset: int = 0, user: User = Depends(require("viewer"))):
    if not 1 <= limit <= 1000 or offset < 0:
        raise HTTPException(400, "limit 应为 1 到 1000 之间的整数，offset 不能为负数")
    with request.app.state.engine.connect() as conn:
        found, total = search_units(conn, q.strip(), _level(level), region.strip() or None, limit, offset)
    return {"total": total, "items": found}


@router.get("/api/units/{unit_id}", tags=TAGS, summary="单位详情：历年报告（含旧版本）、主要数字和跨年度问题")
def api_unit(request: Request, unit_id: int, user: User = Depends(require("viewer"))):
    with request.app.state.engine.connect() as conn:
        return unit_detail(conn, unit_id)


def _level(text: str | None) -> str | None:
    try:
        return regions.parse_level(text)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None


# ---------------------------------------------------------------------------------------- roll-up

def grid_rows(grid: Grid) -> list[list[dict]]:
    """A layout Grid as rows of cells with rowspan/colspan (what render/html.py's table() prints)."""
    out = []
    for r, row in enumerate(grid.visible()):
        cells = []
        for c, text, rowspan, colspan in row:
            path = grid.paths.get((r, c))
            cells.append({"text": text, "rowspan": rowspan, "colspan": colspan, "head": r < grid.header_rows,
                          "num": path is not None, "path": path})
        out.append(cells)
    return out


def _rollup(request: Request, region: str, year: int | None, level: str | None):
    from ..store.rollup import rollup
    from ..store.units import load_stored_mapping
    if year is None:
        raise HTTPException(400, "请选择汇总的年度")
    state, lv = request.app.state, _level(level)

    def load_mapping():
        with state.engine.connect() as conn:
            return load_stored_mapping(conn)

    def compute():  # kept by the cache to recompute after a change: holds the app state, not the request
        mapping = state.query_cache.get(state.engine, ("mapping",), load_mapping)
        with state.engine.connect() as conn:
            return rollup(conn, region, year, level=lv, config=state.config, mapping=mapping)
    try:
        return cached(request, ("rollup", region, year, level), compute)
    except UsageError as exc:
        raise HTTPException(400, str(exc)) from None


def _year_param(raw: str | None) -> int | None:
    if not raw:
        return None
    if not raw.strip().isdigit():
        raise HTTPException(400, f"年度“{raw}”无效：应为四位数的年份，如 2024")
    return int(raw.strip())


@router.get("/regions/rollup", include_in_schema=False)
def rollup_page(request: Request, region: str = "", year: str = "", level: str = "",
                user: User = Depends(require("viewer"))):
    with request.app.state.engine.connect() as conn:
        years = [y for (y,) in conn.execute(select(reports.c.year).where(reports.c.year.is_not(None)).distinct()
                                            .order_by(reports.c.year.desc()))]
    y = _year_param(year) or (years[0] if years else None)
    ctx = dict(region=region.strip(), year=y, level=level, years=years, levels=regions.LEVELS, result=None,
               error=None, grids=[], label_of=schema.label_of)
    if region.strip():
        try:
            result = _rollup(request, region, y, level)
        except HTTPException as exc:
            if exc.status_code != 400:
                raise
            return page(request, "corpus_rollup.html", status_code=400, **{**ctx, "error": exc.detail})
        titles = {"active": "表二 主动公开政府信息情况", "applications": "表三 收到和处理政府信息公开申请情况",
                  "review_litigation": "表四 政府信息公开行政复议、行政诉讼情况"}
        ctx["grids"] = [(titles[k], grid_rows(make(result.report))) for k, make in GRIDS.items()
                        if result.report.has_table(k)]
        ctx["result"] = result
    return page(request, "corpus_rollup.html", **ctx)


@router.get("/regions/rollup.xlsx", include_in_schema=False)
def rollup_download(request: Request, region: str = "", year: str = "", level: str = "",
                    user: User = Depends(require("viewer"))):
    from ..outputs.workbooks import rollup_xlsx
    from .corpus import _disposition
    result = _rollup(request, region, _year_param(year), level)
    folder = tempfile.mkdtemp(prefix="nianbao-rollup-")
    path = os.path.join(folder, "rollup.xlsx")
    rollup_xlsx(result, path)
    name = f"{result.unit}{result.year}年数据汇总.xlsx"
    return FileResponse(path, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": _disposition(name)},
                        background=BackgroundTask(shutil.rmtree, folder, True))


@router.get("/api/rollup", tags=TAGS, summary="区划汇总：下属单位当年报告逐格相加，并检查汇总结果")
def api_rollup(request: Request, region: str, year: int, level: str = "", user: User = Depends(require("viewer"))):
    """与命令 `nianbao rollup 区划 --year 年 --format json` 相同的对象。"""
    return _rollup(request, region, year, level).to_dict()


# -------------------------------------------------------------------------------------- dashboard

BY_CHOICES = {"year": "年度", "level": "层级", "region": "区划", "unit": "单位"}


def _by(request: Request, allowed=("year", "level", "region", "unit")) -> str:
    by = request.query_params.get("by") or "year"
    if by not in allowed:
        raise HTTPException(400, f"无法按“{by}”分组，可用：" + "、".join(f"{k}（{BY_CHOICES[k]}）" for k in allowed))
    return by


def _stats(request: Request, by: str):
    from ..store.stats import corpus_stats
    view = read_view(request)
    engine, flt = request.app.state.engine, view.flt
    try:
        return view, cached(request, ("stats", repr(flt), by), lambda: corpus_stats(engine, flt, by=by))
    except UsageError as exc:
        raise HTTPException(400, str(exc)) from None


@router.get("/dashboard", include_in_schema=False)
def dashboard_page(request: Request, user: User = Depends(require("viewer"))):
    from ..outputs.workbooks import stats_rows, stats_title
    from .corpus import filter_options
    by = _by(request, ("year", "level", "region"))
    view, result = _stats(request, by)
    with request.app.state.engine.connect() as conn:
        options = filter_options(conn)
    fq = view.filter_query()
    chart_q = fq + ("&" if fq else "") + f"by={by}"
    return page(request, "corpus_dashboard.html", view=view, by=by, by_choices={k: v for k, v in BY_CHOICES.items()
                                                                               if k != "unit"},
                rows=stats_rows(result), title=stats_title(result), charts=CHARTS, chart_q=chart_q, options=options)


@router.get("/dashboard/chart/{kind}.svg", include_in_schema=False)
def dashboard_chart(request: Request, kind: str, user: User = Depends(require("viewer"))):
    if kind not in CHARTS:
        raise HTTPException(404, f"没有名为“{kind}”的图表，可用：" + "、".join(f"{k}（{v}）" for k, v in CHARTS.items()))
    by = _by(request)
    view = read_view(request)
    engine, flt = request.app.state.engine, view.flt

    def compute():
        with engine.connect() as conn:
            return draw_chart(conn, kind, flt, None if by == "year" else by)
    try:
        data = cached(request, chart_key(kind, flt, by), compute)
    except UsageError as exc:
        raise HTTPException(400, str(exc)) from None
    return Response(data, media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=60"})


_SVG_CACHE: OrderedDict[tuple, bytes] = OrderedDict()
_SVG_CACHE_SIZE = 64
_SVG_LOCK = threading.Lock()  # endpoints run in a thread pool


def _drawn(draw, what) -> bytes:
    """The SVG that ``draw(path)`` writes, drawn once per distinct ``what`` (the kind, numbers, title
    and top of the chart): matplotlib takes 0.1–1 s to draw a chart with Chinese text as paths.
    Keyed by the numbers themselves, so a changed store can never be answered with an old picture."""
    key = repr(what)
    with _SVG_LOCK:
        hit = _SVG_CACHE.get(key)
        if hit is not None:
            _SVG_CACHE.move_to_end(key)
            return hit
    folder = tempfile.mkdtemp(prefix="nianbao-chart-")
    try:
        path = os.path.join(folder, "chart.svg")
        draw(path)
        with open(path, "rb") as fh:
            svg = fh.read()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    with _SVG_LOCK:
        _SVG_CACHE[key] = svg
        while len(_SVG_CACHE) > _SVG_CACHE_SIZE:
            _SVG_CACHE.popitem(last=False)
    return svg


def draw_chart(conn, kind: str, flt, group: str | None, top: int | None = None) -> bytes:
    """The SVG of `nianbao chart KIND` for the filter (store/chart_data.py defines both); the outcome
    chart of a grouping shows the 12 groups with the most handled applications."""
    from ..store.chart_data import chart_data
    found = chart_data(conn, kind, flt, group, top=top or (12 if kind == "outcomes" and group else None))
    return _drawn(found.draw, (found.kind, found.data, found.title, found.top))


@router.get("/api/stats", tags=TAGS, summary="语料统计：按年度、层级、区划或单位汇总（同 nianbao stats --format json）")
def api_stats(request: Request, user: User = Depends(require("viewer"))):
    """筛选参数同 `GET /api/reports`；by 为 year（默认）、level、region 或 unit。最后一项是合计（total 为 true）。"""
    by = _by(request)
    _, result = _stats(request, by)
    out = [g.to_dict(result.by) for g in result.groups]
    if result.total is not None:
        out.append(result.total.to_dict(result.by, total=True))
    return out


__all__ = ["router", "search_units", "unit_detail", "grid_rows", "draw_chart", "warm_dashboard"]


def warm_dashboard(app) -> None:
    """Count the whole-corpus dashboard (its table and three charts, by year, level and region) and the
    unit mapping the roll-ups need as asked, so the cache's Refresher computes them at server start and
    again after every change: the first visit after a start or an ingest is as fast as a repeat one
    (cold, each takes 0.3–0.8 s at 100,000 reports). The keys are the ones the pages use."""
    from ..store.query import Filter
    from ..store.stats import corpus_stats
    from ..store.units import load_stored_mapping
    flt = Filter.of()
    engine, cache = app.state.engine, app.state.query_cache

    def mapping():
        with engine.connect() as conn:
            return load_stored_mapping(conn)
    cache.remember(("mapping",), mapping)
    for by in ("region", "level", "year"):  # the Refresher computes the last remembered first
        cache.remember(("stats", repr(flt), by), lambda by=by: corpus_stats(engine, flt, by=by))
        for kind in CHARTS:
            if kind == "errors" and by != "year":
                continue  # one errors chart whatever the grouping: see chart_key

            def compute(kind=kind, by=by):
                with engine.connect() as conn:
                    return draw_chart(conn, kind, flt, None if by == "year" else by)
            cache.remember(chart_key(kind, flt, by), compute)


def chart_key(kind: str, flt, by: str) -> tuple:
    """The cache key of a chart: the errors chart is drawn per unit whatever the page's grouping."""
    return ("chart", kind, repr(flt), "unit" if kind == "errors" else by)
