"""Browsing the stored corpus: the filtered list of reports, its JSON twin, and exports of any view.

The filter is the one every corpus command shares (``store.query.Filter``), read from the query string
so that a filtered page is a shareable URL; the API answers the same parameters.

Pagination is by keyset (``?cursor=``), not OFFSET: the page after a row is "the rows sorted after its
(sort value, id)", which costs the same on page 1 and page 2,000 of a 100,000-report store, and a row
can never be shown twice or skipped when pages are walked. The total is one COUNT over the filter.

Exports stream ``outputs.export`` for the same filter: CSV and JSON Lines row by row (a chunk of
reports at a time), XLSX through a temporary file (openpyxl writes it in write-only mode).
"""
from __future__ import annotations

import base64
import csv
import io
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, StreamingResponse
from sqlalchemy import func, select, tuple_
from starlette.background import BackgroundTask

from .. import regions
from ..errors import UsageError
from ..store.query import Filter, apply
from ..store.tables import reports, units
from .auth import User, require
from .templating import is_htmx, page

router = APIRouter()
TAGS = ["年报库"]

PAGE_SIZE = 50
MAX_LIMIT = 500
STATUS_NAMES = {"ok": "完整识别", "partial": "部分识别"}
# sort key -> (column expression, Chinese name). Coalesced so that a NULL (a report whose unit or year
# was not recognised) has a place in the keyset order instead of dropping out of "(v, id) > (x, y)".
SORTS = {
    "year": (func.coalesce(reports.c.year, 0), "年度"),
    "unit": (func.coalesce(units.c.name, reports.c.unit_printed, ""), "单位"),
    "region": (func.coalesce(units.c.region, ""), "区划"),
    "errors": (reports.c.n_errors, "错误数"),
}
FILTER_KEYS = ("region", "level", "year", "status", "errors", "unit", "all_versions")


# ------------------------------------------------------------------------------------ the filter

@dataclass(slots=True)
class View:
    """A filtered, sorted view of the corpus as the query string gives it."""
    flt: Filter
    params: dict[str, Any]  # the filter's own query parameters (for links that keep the filter)
    sort: str = "year"
    desc: bool = True

    def query(self, **extra) -> str:
        """The view's query string (filter + sort), with ``extra`` overriding; empty values dropped."""
        items: list[tuple[str, Any]] = []
        base = {**self.params, "sort": self.sort, "dir": "desc" if self.desc else "asc", **extra}
        for k, v in base.items():
            for x in (v if isinstance(v, list) else [v]):
                if x not in (None, "", False):
                    items.append((k, "1" if x is True else x))
        return urlencode(items)

    def filter_query(self) -> str:
        return urlencode([(k, x) for k, v in self.params.items() for x in (v if isinstance(v, list) else [v])
                          if x not in (None, "", False)])


def _truthy(v: str | None) -> bool:
    return (v or "").strip().lower() in ("1", "true", "yes", "on", "是")


def read_view(request: Request, default_sort: str = "year") -> View:
    """The View of the request's query string; a bad value is a Chinese 400."""
    q = request.query_params
    years: list[int] = []
    for raw in q.getlist("year"):
        for part in raw.replace("，", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit() or not 1990 <= int(part) <= 2100:
                raise HTTPException(400, f"年度“{part}”无效：应为四位数的年份，如 2024")
            years.append(int(part))
    params = {"region": (q.get("region") or "").strip(), "level": (q.get("level") or "").strip(),
              "year": sorted(set(years)), "status": (q.get("status") or "").strip(),
              "errors": _truthy(q.get("errors")), "unit": (q.get("unit") or "").strip(),
              "all_versions": _truthy(q.get("all_versions"))}
    try:
        flt = Filter.of(years=params["year"], region=params["region"], level=params["level"], unit=params["unit"],
                        status=params["status"], with_errors=params["errors"], all_versions=params["all_versions"])
    except UsageError as exc:
        raise HTTPException(400, str(exc)) from None
    if flt.level:
        params["level"] = flt.level
    sort = q.get("sort") or default_sort
    if sort not in SORTS:
        raise HTTPException(400, f"无法按“{sort}”排序，可用：" + "、".join(f"{k}（{n}）" for k, (_, n) in SORTS.items()))
    direction = (q.get("dir") or ("desc" if sort in ("year", "errors") else "asc")).lower()
    if direction not in ("asc", "desc"):
        raise HTTPException(400, "排序方向应为 asc（升序）或 desc（降序）")
    return View(flt, params, sort, direction == "desc")


# ------------------------------------------------------------------------------------- the list

def _list_query(flt: Filter):
    cols = (reports.c.id, reports.c.unit_id, reports.c.year, reports.c.version, reports.c.is_current,
            reports.c.status, reports.c.n_errors, reports.c.n_warnings, reports.c.n_notices, reports.c.late,
            reports.c.unit_printed, units.c.name.label("unit_name"), units.c.level, units.c.region)
    return apply(select(*cols).select_from(reports).outerjoin(units, units.c.id == reports.c.unit_id), flt)


def count(conn, flt: Filter) -> int:
    """The view's total. Without a unit condition (level, region, unit name) the count reads ``reports``
    alone: SQLite does not drop the unused outer join, which doubles the time at 100,000 reports."""
    frm = reports.outerjoin(units, units.c.id == reports.c.unit_id) if (flt.level or flt.region or flt.unit) else reports
    q = apply(select(func.count()).select_from(frm), flt)
    return conn.execute(q).scalar_one()


def encode_cursor(value, rid: int, before: bool = False) -> str:
    raw = json.dumps([value, rid, 1 if before else 0], ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[Any, int, bool]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, rid, before = json.loads(raw)
        if not isinstance(rid, int) or not isinstance(value, (int, float, str)):
            raise ValueError
        return value, rid, bool(before)
    except (ValueError, TypeError, json.JSONDecodeError):
        raise HTTPException(400, "翻页参数 cursor 无效：请从第一页重新开始") from None


@dataclass(slots=True)
class Page:
    rows: list[dict]
    total: int
    next_cursor: str | None
    prev_cursor: str | None


def list_page(conn, view: View, cursor: str | None = None, limit: int = PAGE_SIZE) -> Page:
    """One page of the view after (or before) the cursor, with the view's total."""
    col, _ = SORTS[view.sort]
    q = _list_query(view.flt).add_columns(col.label("sort_value"))
    before = False
    if cursor:
        value, rid, before = decode_cursor(cursor)
        forward = view.desc == before  # walking towards larger keys?
        key, at = tuple_(col, reports.c.id), tuple_(value, rid)
        q = q.where(key > at if forward else key < at)
    forward_order = view.desc == before
    q = q.order_by(col.asc() if forward_order else col.desc(), reports.c.id.asc() if forward_order else reports.c.id.desc())
    rows = [r._asdict() for r in conn.execute(q.limit(limit + 1))]
    more = len(rows) > limit
    rows = rows[:limit]
    if before and not more:  # back at the start: show the whole first page
        return list_page(conn, view, None, limit)
    if before:
        rows.reverse()
    total = count(conn, view.flt)
    nxt = prv = None
    if rows:
        if more or before:
            nxt = encode_cursor(rows[-1]["sort_value"], rows[-1]["id"])
        if (cursor and not before) or (before and more):
            prv = encode_cursor(rows[0]["sort_value"], rows[0]["id"], before=True)
    for r in rows:
        r["level_name"] = regions.LEVELS.get(r["level"], r["level"] or "")
        r["status_name"] = STATUS_NAMES.get(r["status"], r["status"])
        r.pop("sort_value", None)
    return Page(rows, total, nxt, prv)


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit")
    if raw in (None, ""):
        return PAGE_SIZE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise HTTPException(400, f"limit 应为 1 到 {MAX_LIMIT} 之间的整数")
    return int(raw)


def filter_options(conn) -> dict:
    """What the filter form offers: the levels and the years in the store."""
    years = [y for (y,) in conn.execute(select(reports.c.year).where(reports.c.year.is_not(None)).distinct()
                                        .order_by(reports.c.year.desc()))]
    return {"levels": regions.LEVELS, "years": years, "statuses": STATUS_NAMES}


@router.get("/corpus", include_in_schema=False)
def corpus_page(request: Request, user: User = Depends(require("viewer"))):
    view = read_view(request)
    engine = request.app.state.engine
    with engine.connect() as conn:
        result = list_page(conn, view, request.query_params.get("cursor") or None, _limit(request))
        options = filter_options(conn) if not is_htmx(request) else {}
    ctx = dict(view=view, page=result, sorts={k: n for k, (_, n) in SORTS.items()}, options=options)
    if is_htmx(request) and request.headers.get("hx-target") == "corpus-results":
        return page(request, "corpus_results.html", **ctx)
    return page(request, "corpus_list.html", **ctx)


@router.get("/api/reports", tags=TAGS, summary="年报库中的报告列表（筛选、排序、翻页）")
def api_reports(request: Request, user: User = Depends(require("viewer"))):
    """参数：region（区划名称或“/”路径前缀）、level（层级）、year（可重复）、status（ok/partial）、errors=1（只要有错误的）、
    unit（单位名称包含的文字）、all_versions=1（含旧版本）、sort（year/unit/region/errors）、dir（asc/desc）、
    limit（每页条数，默认 50，最多 500）、cursor（上一次返回的 next_cursor）。返回 total（符合条件的报告总数）。"""
    view = read_view(request)
    with request.app.state.engine.connect() as conn:
        result = list_page(conn, view, request.query_params.get("cursor") or None, _limit(request))
    return {"total": result.total, "filter": view.flt.describe(), "items": result.rows,
            "next_cursor": result.next_cursor, "prev_cursor": result.prev_cursor}


# ---------------------------------------------------------------------------------------- export

def _disposition(name: str) -> str:
    ascii_name = "nianbao-export" + os.path.splitext(name)[1]
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def _export_name(flt: Filter, fmt: str) -> str:
    what = flt.describe().replace(" · ", "-").replace("/", "-")
    return f"年报库导出-{what}.{fmt}"


def _selected(request: Request, flt: Filter) -> list[int]:
    from ..outputs.export import selected_ids
    with request.app.state.engine.connect() as conn:
        ids = selected_ids(conn, flt)
    if not ids:
        raise HTTPException(404, f"没有符合条件的报告（{flt.describe()}），没有可导出的内容")
    return ids


def _csv_stream(engine, flt: Filter, ids: list[int]):
    """The bytes of `nianbao export -o x.csv` (UTF-8 with BOM, csv module's CRLF), chunk by chunk."""
    from ..outputs.export import cell_columns, headers, rows
    with engine.connect() as conn:
        cols = cell_columns(conn, flt)
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(headers(cols))
        yield ("\ufeff" + buf.getvalue()).encode("utf-8")
        buf.seek(0)
        buf.truncate()
        for i, row in enumerate(rows(conn, ids, cols), 1):
            w.writerow(["" if x is None else x for x in row])
            if i % 100 == 0:
                yield buf.getvalue().encode("utf-8")
                buf.seek(0)
                buf.truncate()
        if buf.tell():
            yield buf.getvalue().encode("utf-8")


def _jsonl_stream(engine, ids: list[int]):
    from ..outputs.export import iter_reports, jsonl_object
    with engine.connect() as conn:
        for meta, report, found in iter_reports(conn, ids, with_findings=True):
            yield (json.dumps(jsonl_object(meta, report, found), ensure_ascii=False) + "\n").encode("utf-8")


def export_response(request: Request, flt: Filter, fmt: str):
    """The filtered corpus as a download: CSV and JSON Lines streamed, XLSX from a temporary file."""
    from ..outputs.export import FORMATS, export
    if fmt not in FORMATS:
        raise HTTPException(400, f"不支持的导出格式“{fmt}”：可用 csv、xlsx、jsonl")
    engine = request.app.state.engine
    name = _export_name(flt, fmt)
    ids = _selected(request, flt)
    headers = {"Content-Disposition": _disposition(name)}
    if fmt == "csv":
        return StreamingResponse(_csv_stream(engine, flt, ids), media_type="text/csv; charset=utf-8", headers=headers)
    if fmt == "jsonl":
        return StreamingResponse(_jsonl_stream(engine, ids), media_type="application/x-ndjson; charset=utf-8",
                                 headers=headers)
    folder = tempfile.mkdtemp(prefix="nianbao-export-")
    path = os.path.join(folder, "export.xlsx")
    try:
        with engine.connect() as conn:
            export(conn, flt, path, "xlsx")
    except (UsageError, OSError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise HTTPException(400, f"导出失败：{exc}") from None
    return FileResponse(path, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers=headers, background=BackgroundTask(shutil.rmtree, folder, True))


@router.get("/corpus/export.csv", include_in_schema=False)
def corpus_export_csv(request: Request, user: User = Depends(require("viewer"))):
    return export_response(request, read_view(request).flt, "csv")


@router.get("/corpus/export.xlsx", include_in_schema=False)
def corpus_export_xlsx(request: Request, user: User = Depends(require("viewer"))):
    return export_response(request, read_view(request).flt, "xlsx")


@router.get("/api/export", tags=TAGS, summary="导出筛选出的报告（CSV、XLSX 或 JSON Lines）")
def api_export(request: Request, format: str = "csv", user: User = Depends(require("viewer"))):
    """筛选参数同 `GET /api/reports`；format 为 csv（中文表头，UTF-8 带 BOM）、xlsx 或 jsonl
    （每行一个与 `POST /api/check` 相同的对象，另附单位信息）。内容与命令 `nianbao export` 相同。"""
    return export_response(request, read_view(request).flt, format.lower())


__all__ = ["router", "View", "read_view", "list_page", "count", "export_response", "filter_options", "STATUS_NAMES"]
