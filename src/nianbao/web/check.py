"""Checking reports in the browser and through `POST /api/check`: upload, check, show, download, store.

A page check keeps its uploads and results for a while under a random token (an in-process LRU of at
most 200 checks, one hour each): the source view needs the uploaded bytes, and a reviewer may decide
to store the files after looking at them. Evicting a check deletes its temporary files. The API check
keeps nothing: its temporary files are deleted before the answer is sent.
"""
from __future__ import annotations

import json
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from fastapi import APIRouter, Depends, File, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select, update
from starlette.concurrency import run_in_threadpool

from ..batch import CheckResult, check_file
from ..errors import ReadError
from ..store.tables import files as files_table
from ..store.tables import reports as reports_table
from . import uploads
from .auth import User, require
from ..outputs.findings_files import (
    XLSX_TYPE,
    FindingRow,
    download_name,
    findings_pdf,
    findings_xlsx,
)
from .report_view import report_view
from .templating import page

router = APIRouter()

MAX_CHECKS = 200
CHECK_TTL = 3600.0


@dataclass(slots=True)
class CheckEntry:
    token: str
    workdir: str
    uploads: list[uploads.Upload]
    results: list[CheckResult]
    created: float = field(default_factory=time.monotonic)
    stored: list[dict] | None = None  # what "存入年报库" did, once done


class CheckCache:
    """The recent page checks by token: least recently used evicted first, none older than `ttl`."""

    def __init__(self, size: int = MAX_CHECKS, ttl: float = CHECK_TTL):
        self.size, self.ttl = size, ttl
        self._items: OrderedDict[str, CheckEntry] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, entry: CheckEntry) -> None:
        with self._lock:
            self._items[entry.token] = entry
            gone = self._expire_locked()
            while len(self._items) > self.size:
                gone.append(self._items.popitem(last=False)[1])
        for e in gone:
            uploads.discard(e.workdir)

    def get(self, token: str) -> CheckEntry | None:
        with self._lock:
            gone = self._expire_locked()
            entry = self._items.get(token)
            if entry is not None:
                self._items.move_to_end(token)
        for e in gone:
            uploads.discard(e.workdir)
        return entry

    def clear(self) -> None:
        with self._lock:
            gone, self._items = list(self._items.values()), OrderedDict()
        for e in gone:
            uploads.discard(e.workdir)

    def __len__(self) -> int:
        return len(self._items)

    def _expire_locked(self) -> list[CheckEntry]:
        now = time.monotonic()
        old = [t for t, e in self._items.items() if now - e.created > self.ttl]
        return [self._items.pop(t) for t in old]


_cache_lock = threading.Lock()


def check_cache(request: Request) -> CheckCache:
    state = request.app.state
    with _cache_lock:
        if not hasattr(state, "checks"):
            state.checks = CheckCache()
    return state.checks


async def receive_and_check(request: Request, files: list[UploadFile]) -> tuple[str, list[uploads.Upload], list[CheckResult]]:
    """Write the uploads into a fresh folder and check each one (in the thread pool: checking is CPU
    work and must not block the event loop). On refusal the folder is deleted and the HTTPException
    (Chinese, naming the file) goes up."""
    settings = request.app.state.settings
    folder = uploads.workdir()
    try:
        got = await uploads.receive(files, settings.max_upload_bytes, settings.max_files, folder)
        config = request.app.state.config
        results = await run_in_threadpool(lambda: [check_file(u.path, config) for u in got])
    except BaseException:
        uploads.discard(folder)
        raise
    return folder, got, results


def entry_or_404(request: Request, token: str) -> CheckEntry:
    entry = check_cache(request).get(token)
    if entry is None:
        raise HTTPException(404, "检查结果不存在或已过期（检查结果保留 1 小时），请重新上传文件")
    return entry


def result_or_404(entry: CheckEntry, index: int) -> tuple[uploads.Upload, CheckResult]:
    if not 0 <= index < len(entry.results):
        raise HTTPException(404, f"本次检查没有第 {index + 1} 个文件")
    return entry.uploads[index], entry.results[index]


# ----------------------------------------------------------------------------------------- pages

@router.get("/check", include_in_schema=False)
def check_page(request: Request):
    from ..readers import supported_suffixes
    settings = request.app.state.settings
    return page(request, "check.html", suffixes=supported_suffixes(), max_files=settings.max_files,
                max_mb=settings.max_upload_bytes // (1024 * 1024))


@router.post("/check", include_in_schema=False)
async def check_upload(request: Request, files: list[UploadFile] = File(default=[])):
    folder, got, results = await receive_and_check(request, files)
    entry = CheckEntry(secrets.token_urlsafe(16), folder, got, results)
    check_cache(request).add(entry)
    return RedirectResponse(f"/check/{entry.token}", status_code=303)


@router.get("/check/{token}", include_in_schema=False)
def check_result_page(request: Request, token: str):
    entry = entry_or_404(request, token)
    views = [report_view(r.status, r.error, r.report, r.findings, r.kind) for r in entry.results]
    return page(request, "check_result.html", entry=entry, items=list(zip(entry.uploads, views)))


@router.get("/check/{token}/{index}/source", include_in_schema=False)
def check_source(request: Request, token: str, index: int, path: str):
    from .report_source import source_response
    upload, result = result_or_404(entry_or_404(request, token), index)
    return source_response(request, upload.path, result.kind, result.report, path,
                           f"/check/{token}/{index}")


@router.get("/check/{token}/{index}/page/{number}.png", include_in_schema=False)
def check_page_png(request: Request, token: str, index: int, number: int, bbox: str | None = None):
    from .report_source import page_response
    upload, _ = result_or_404(entry_or_404(request, token), index)
    return page_response(upload.path, number, bbox)


@router.post("/check/{token}/store", include_in_schema=False)
def check_store(request: Request, token: str, user: User = Depends(require("reviewer"))):
    entry = entry_or_404(request, token)
    if entry.stored is None:
        entry.stored = store_uploads(request, entry.uploads)
    return RedirectResponse(f"/check/{token}#stored", status_code=303)


def store_uploads(request: Request, ups: list[uploads.Upload]) -> list[dict]:
    """Keep each upload in the data folder (the stored report's source, never lost) and ingest the kept
    copies; one line per upload: its name and the stored report's id (None when it could not be read)."""
    from ..ingest import ingest
    engine = request.app.state.engine
    kept = [uploads.keep(u, request.app.state.data_dir) for u in ups]
    summary = ingest(kept, engine, workers=1, config=request.app.state.config)
    actions = {o.path: o.action for o in summary.outcomes}
    with engine.begin() as conn:  # listings show the name the user uploaded, not the content hash
        for u, path in zip(ups, kept):
            if actions.get(path) in ("new", "version", "failed"):
                conn.execute(update(files_table).where(files_table.c.sha256 == u.sha256,
                                                       files_table.c.path == path).values(name=u.name))
    out = []
    with engine.connect() as conn:
        for u, path in zip(ups, kept):
            row = conn.execute(select(reports_table.c.id, files_table.c.status, files_table.c.error)
                               .select_from(files_table.outerjoin(reports_table,
                                                                  reports_table.c.file_id == files_table.c.id))
                               .where(files_table.c.sha256 == u.sha256)).first()
            out.append({"name": u.name, "report_id": row.id if row else None, "action": actions.get(path),
                        "error": row.error if row else "未能入库"})
    return out


@router.get("/check/{token}/findings.xlsx", include_in_schema=False)
def check_findings_xlsx(request: Request, token: str):
    entry = entry_or_404(request, token)
    data = findings_xlsx(_rows(entry))
    return Response(data, media_type=XLSX_TYPE, headers={"Content-Disposition": download_name("检查结果", ".xlsx")})


@router.get("/check/{token}/findings.pdf", include_in_schema=False)
def check_findings_pdf(request: Request, token: str):
    entry = entry_or_404(request, token)
    try:
        data = findings_pdf(_rows(entry))
    except ReadError as exc:
        raise HTTPException(503, f"无法生成 PDF：{exc.message}")
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": download_name("检查结果", ".pdf")})


def _rows(entry: CheckEntry) -> list[FindingRow]:
    out = []
    for u, r in zip(entry.uploads, entry.results):
        unit, year = (r.report.unit, r.report.year) if r.report else (None, None)
        out += [FindingRow(u.name, unit or "", year, f) for f in r.findings]
    return out


# ------------------------------------------------------------------------------------------- API

JSONL = "application/x-ndjson"


@router.post("/api/check", tags=["检查"], summary="检查上传的年报（无需登录，不保存）",
             description="上传一个或多个年报文件（表单字段 `files`），返回每个文件的检查结果（spec/output.md 的对象）："
                         "默认为 JSON 数组；`?format=jsonl` 或 `Accept: application/x-ndjson` 时为 JSON Lines。"
                         "无法读取的文件（损坏、空文件、加密）得到 `status: failed` 和中文原因；文件过大、过多或类型不支持时"
                         "整个请求被拒绝（413/415）。按客户端地址限制频率（超出时 429，并带 Retry-After）。",
             responses={200: {"content": {"application/json": {}, JSONL: {}}}, 413: {"description": "文件过大或过多"},
                        415: {"description": "不支持的文件类型"}, 429: {"description": "请求过于频繁"}})
async def api_check(request: Request, files: list[UploadFile] = File(default=[], description="年报文件，可多个"),
                    format: str | None = None):
    if format not in (None, "", "json", "jsonl"):
        raise HTTPException(400, f"无法识别的输出格式“{format}”，可用：json、jsonl")
    folder, got, results = await receive_and_check(request, files)
    try:
        objects = []
        for u, r in zip(got, results):
            d = r.to_dict()
            d["file"] = u.name
            objects.append(d)
    finally:
        uploads.discard(folder)
    if format == "jsonl" or (format != "json" and JSONL in request.headers.get("accept", "")):
        body = "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects)
        return Response(body, media_type=JSONL)
    return Response(json.dumps(objects, ensure_ascii=False), media_type="application/json")


__all__ = ["router", "CheckCache", "CheckEntry", "store_uploads"]
