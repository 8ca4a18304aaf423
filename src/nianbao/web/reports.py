"""A stored report: the report view from the store, its source, downloads, and reviewers' decisions.

Decisions (确认 / 排除 with a note) are written through store.reviews, keyed by unit, year, rule and
cells, so they outlive the findings rows that a re-check or a new version replaces. Viewers see the
decisions; only reviewers and admins may change them, and that is enforced here, on the server.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Literal, Optional

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.engine import Engine

from ..errors import ReadError
from ..model import Finding, Report
from ..store import reviews
from ..store.tables import files, reports, units
from ..store.writer import load_reports, stored_findings
from .auth import User, require
from ..outputs.findings_files import (
    XLSX_TYPE,
    FindingRow,
    download_name,
    findings_pdf,
    findings_xlsx,
)
from .report_source import page_response, source_response
from .report_view import report_view
from .templating import is_htmx, page

router = APIRouter()


@dataclass(slots=True)
class StoredReport:
    id: int
    report: Report
    findings: list[Finding]
    file_path: str
    file_name: str
    kind: str | None
    status: str
    unit_id: int | None
    unit_name: str | None
    year: int | None
    version: int
    is_current: bool
    decisions: dict = field(default_factory=dict)

    @property
    def file_exists(self) -> bool:
        return os.path.exists(self.file_path)


def load_stored(engine: Engine, report_id: int) -> StoredReport:
    with engine.connect() as conn:
        row = conn.execute(
            select(reports.c.id, reports.c.unit_id, reports.c.year, reports.c.version, reports.c.is_current,
                   reports.c.status, files.c.path, files.c.name, files.c.kind, units.c.name.label("unit_name"))
            .join(files, files.c.id == reports.c.file_id).outerjoin(units, units.c.id == reports.c.unit_id)
            .where(reports.c.id == report_id)).first()
        if row is None:
            raise HTTPException(404, f"没有编号为 {report_id} 的报告")
        report = load_reports(conn, [report_id])[report_id]
        found = stored_findings(conn, [report_id])[report_id]
        decisions = reviews.decisions_for(conn, row.unit_id, row.year)
    return StoredReport(row.id, report, found, row.path, row.name, row.kind, row.status, row.unit_id, row.unit_name,
                        row.year, row.version, bool(row.is_current), decisions)


def _rows(s: StoredReport) -> list[FindingRow]:
    return [FindingRow(s.file_name, s.report.unit or s.unit_name or "", s.year, f, s.decisions.get(reviews.key_of(f)))
            for f in s.findings]


def _decide(request: Request, s: StoredReport, user: User, rule: str, cells: list[str], decision: str,
            note: str) -> reviews.Decision:
    if decision not in reviews.DECISIONS:
        raise HTTPException(400, "审核结论只能是“确认”（confirmed）或“排除”（dismissed）")
    if len(note or "") > 2000:
        raise HTTPException(400, "备注不能超过 2000 个字符")
    key = reviews.cells_key(cells)
    if not any(reviews.key_of(f) == (rule, key) for f in s.findings):
        raise HTTPException(404, f"该报告没有规则 {rule} 关于这些单元格的问题")
    if s.unit_id is None:
        raise HTTPException(400, "该报告没有识别出单位，无法记录审核结论")
    reviews.set_decision(request.app.state.engine, s.unit_id, s.year, rule, cells, decision, (note or "").strip(),
                         user.id)
    with request.app.state.engine.connect() as conn:
        return reviews.decisions_for(conn, s.unit_id, s.year)[(rule, key)]


# ----------------------------------------------------------------------------------------- pages

@router.get("/reports/{report_id}", include_in_schema=False)
def report_page(request: Request, report_id: int, user: User = Depends(require("viewer"))):
    s = load_stored(request.app.state.engine, report_id)
    view = report_view(s.status, None, s.report, s.findings, s.kind, s.decisions)
    return page(request, "report.html", stored=s, view=view, can_review=user.can("reviewer"))


@router.get("/reports/{report_id}/source", include_in_schema=False)
def report_source(request: Request, report_id: int, path: str, user: User = Depends(require("viewer"))):
    s = load_stored(request.app.state.engine, report_id)
    return source_response(request, s.file_path, s.kind, s.report, path, f"/reports/{report_id}")


@router.get("/reports/{report_id}/page/{number}.png", include_in_schema=False)
def report_page_png(request: Request, report_id: int, number: int, bbox: str | None = None,
                    user: User = Depends(require("viewer"))):
    s = load_stored(request.app.state.engine, report_id)
    return page_response(s.file_path, number, bbox)


@router.post("/reports/{report_id}/decisions", include_in_schema=False)
def decision_form(request: Request, report_id: int, index: int = Form(...), decision: str = Form(""),
                  note: str = Form(""), user: User = Depends(require("reviewer"))):
    s = load_stored(request.app.state.engine, report_id)
    if not 0 <= index < len(s.findings):
        raise HTTPException(404, "该问题不存在（报告可能已被重新检查），请刷新页面")
    f = s.findings[index]
    made = _decide(request, s, user, f.rule, f.cells, decision, note)
    if is_htmx(request):
        return page(request, "_decision.html", decision=made, report_id=report_id, index=index, can_review=True)
    return RedirectResponse(f"/reports/{report_id}#finding-{index}", status_code=303)


@router.get("/reports/{report_id}/findings.xlsx", include_in_schema=False)
def report_findings_xlsx(request: Request, report_id: int, user: User = Depends(require("viewer"))):
    return _xlsx(request, report_id)


@router.get("/reports/{report_id}/findings.pdf", include_in_schema=False)
def report_findings_pdf(request: Request, report_id: int, user: User = Depends(require("viewer"))):
    s = load_stored(request.app.state.engine, report_id)
    try:
        data = findings_pdf(_rows(s), with_review=True, title=f"{s.report.unit or s.file_name} {s.year or ''} 年报问题清单")
    except ReadError as exc:
        raise HTTPException(503, f"无法生成 PDF：{exc.message}")
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": download_name(f"年报问题-{report_id}", ".pdf")})


def _xlsx(request: Request, report_id: int) -> Response:
    s = load_stored(request.app.state.engine, report_id)
    data = findings_xlsx(_rows(s), with_review=True)
    return Response(data, media_type=XLSX_TYPE,
                    headers={"Content-Disposition": download_name(f"年报问题-{report_id}", ".xlsx")})


# ------------------------------------------------------------------------------------------- API

class DecisionIn(BaseModel):
    rule: str = Field(max_length=16, description="规则代码，如 T3-03")
    cells: list[str] = Field(default_factory=list, max_length=200, description="问题涉及的单元格路径")
    decision: Literal["confirmed", "dismissed"] = Field(description="confirmed 确认；dismissed 排除")
    note: str = Field("", max_length=2000, description="备注")


class DecisionOut(BaseModel):
    rule: str
    cells: list[str]
    decision: str
    note: str
    user: Optional[str]
    decided_at: Optional[str]


@router.get("/api/reports/{report_id}", tags=["报告"], summary="已入库报告：报告内容、问题和审核结论")
def api_report(request: Request, report_id: int, user: User = Depends(require("viewer"))):
    s = load_stored(request.app.state.engine, report_id)
    out = []
    for f in s.findings:
        d = f.to_dict()
        dec = s.decisions.get(reviews.key_of(f))
        d["decision"] = dec.to_dict() if dec else None
        out.append(d)
    return {"id": s.id, "file": s.file_name, "status": s.status, "kind": s.kind, "unit_id": s.unit_id,
            "unit": s.unit_name, "year": s.year, "version": s.version, "is_current": s.is_current,
            "file_available": s.file_exists, "report": s.report.to_dict(), "findings": out}


@router.post("/api/reports/{report_id}/decisions", response_model=DecisionOut, tags=["报告"],
             summary="记录对一个问题的审核结论（确认或排除，审核人及以上）")
def api_decide(request: Request, report_id: int, body: DecisionIn, user: User = Depends(require("reviewer"))):
    s = load_stored(request.app.state.engine, report_id)
    return _decide(request, s, user, body.rule, body.cells, body.decision, body.note).to_dict()


@router.get("/api/reports/{report_id}/findings.xlsx", tags=["报告"], summary="下载报告的问题清单（XLSX，含审核结论）",
            responses={200: {"content": {XLSX_TYPE: {}}}})
def api_findings_xlsx(request: Request, report_id: int, user: User = Depends(require("viewer"))):
    return _xlsx(request, report_id)


__all__ = ["router", "load_stored", "StoredReport"]
