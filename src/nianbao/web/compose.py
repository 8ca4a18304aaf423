"""Writing a report in the browser: the official tables as a form, totals computed live, checking as
the clerk types, and the finished DOCX/PDF (pages and the JSON API, tag 写年报).

Anyone may write a report: nothing is stored on the server (the page keeps a draft in the browser's
localStorage). The form is a thin layer over nianbao.compose: the values are parsed by fill.py's
`parse_number` (a bad cell gets the same Chinese message as in the XLSX template), `compute` builds
the Report and `check_composed` runs the rules, exactly as `nianbao render` does.

The live totals in the browser come from a formula table read off `compose.derive` (see
web/compose_form.py, which also holds the draft → Filling validation); compose.js only sums what that
table says, so the page cannot compute a total differently from the report.

Accessible names (aria-label) of the cells, which the end-to-end tests fill by:
  * a table cell is "<行> <列>", the row and column as the template names them:
    表二 "规章 本年制发件数", "行政事业性收费 本年收费金额（单位：万元）";
    表三 "一、本年新收政府信息公开申请数量 自然人", "（一）予以公开 自然人", "（三）1.属于国家秘密 商业企业",
         "（七）总计 总计", "四、结转下年度继续办理 其他";
    表四 "行政复议 结果维持", "行政诉讼·未经复议直接起诉 总计".
    Leaf cells are <input>; derived cells are read-only <output> with the same pattern.
  * the other fields: "单位名称", "报告年度", "成文日期", and the section headings "一、总体情况",
    "五、存在的主要问题及改进情况", "六、其他需要报告的事项".
  Playwright's get_by_label matches substrings: "年度" alone would also match "四、结转下年度继续办理 …",
  so name the year field "报告年度" (or pass exact=True).
"""
from __future__ import annotations

import json
import os
from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from ..batch import CheckResult
from ..compose import layout as L
from ..compose import narrative_sentences, read_filling
from ..compose.fill import MISSING, FillingError, parse_number
from ..compose.template import initial_values
from ..errors import ReadError, UsageError
from ..model import Report
from ..outputs.render import render_bytes
from ..outputs.render.layout import fmt_value
from . import auth, uploads
from .compose_form import (
    Draft,
    Outcome,
    Problem,
    evaluate,
    form_tables,
    page_spec,
    parse_year_zh,
    run,
    section_heading,
    template_bytes,
)
from .templating import page

router = APIRouter()
TAGS = ["写年报"]

# The JSON API changes nothing and stores nothing, and anyone may call it: like POST /api/check it
# needs no session, so no CSRF token (a cross-site POST could only make a browser download a file).
API_PATHS = ("/api/compose/check", "/api/compose/render", "/api/compose/template")
assert set(API_PATHS) <= auth.CSRF_EXEMPT  # listed in auth.py, where every exemption is

FORMATS = {"docx": ".docx", "pdf": ".pdf", "html": ".html", "md": ".md"}
MEDIA = {".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         ".pdf": "application/pdf", ".html": "text/html; charset=utf-8", ".md": "text/markdown; charset=utf-8",
         ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
FILLING_SUFFIXES = {".xlsx", ".xlsm", ".yaml", ".yml", ".json"}


def run_draft(request: Request, d: Draft) -> Outcome:
    return run(d, request.app.state.config, previous_of(request, d))


def previous_of(request: Request, d: Draft) -> Report | None:
    """Last year's report of the draft's unit from the store, for the cross-year rules — for a
    logged-in user only: the store is not shown to anonymous callers of the compose API, and a
    finding that quotes last year's numbers would show it. Cached by the store's generation."""
    from ..store.writer import previous_report
    from .cache import cached
    from .compose_form import parse_year_zh
    unit = str(d.unit or "").strip()
    year, _ = parse_year_zh(d.year)
    if not unit or year is None or auth.current_user(request) is None:
        return None
    engine = request.app.state.engine

    def load():
        with engine.connect() as conn:
            return previous_report(conn, unit, year)
    return cached(request, ("previous", unit, year), load, keep_fresh=False)


def report_name(unit: str, year: int | None, suffix: str) -> str:
    return uploads.clean_name(f"{unit}{year or ''}年政府信息公开工作年度报告{suffix}")


def attachment(data: bytes, name: str) -> Response:
    suffix = os.path.splitext(name)[1]
    ascii_name = "nianbao-report" + suffix
    return Response(data, media_type=MEDIA.get(suffix, "application/octet-stream"), headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"})


async def render_file(request: Request, report: Report, fmt: str) -> Response:
    suffix = FORMATS[fmt]
    if suffix == ".pdf":  # LibreOffice: the one expensive thing anyone may ask for
        host = request.client.host if request.client else "?"
        limiter = request.app.state.check_limiter
        if not limiter.allow(host):
            raise HTTPException(429, f"生成 PDF 的请求过于频繁，请 {limiter.retry_after(host)} 秒后再试")
    try:
        data = await run_in_threadpool(render_bytes, report, suffix)
    except (ReadError, UsageError, ValueError) as exc:
        raise HTTPException(503, f"生成{fmt.upper()}失败：{getattr(exc, 'message', None) or exc}") from None
    return attachment(data, report_name(report.unit, report.year, suffix))


def template_name(unit: str, year) -> str:
    return uploads.clean_name(f"{str(unit).strip()}{year}年政府信息公开工作年度报告-填报模板.xlsx")


# ------------------------------------------------------------------------------ pages

def form_page(request: Request, d: Draft, *, outcome: Outcome | None = None, status_code: int = 200,
              message: str | None = None, blocked: bool = False):
    values = d.shown()
    parsed = {p: parse_number(values.get(p), L.is_decimal(p))[0] for p in L.leaf_paths()}
    totals = evaluate({p: (None if v is None or v is MISSING else v) for p, v in parsed.items()})
    shown = {**values, **{p: fmt_value(v) for p, v in totals.items()}}
    return page(request, "compose_form.html", status_code=status_code, draft=d, values=shown,
                tables=form_tables(), spec=page_spec(), message=message, blocked=blocked,
                sections={k: (section_heading(k), d.sections.get(k) or "") for k in L.NARRATIVE_SECTIONS},
                **findings_context(outcome))


def findings_context(outcome: Outcome | None) -> dict:
    if outcome is None:
        return {"problems": [], "findings": [], "marks": "{}", "sentences": None, "outcome": None}
    sentences = narrative_sentences(outcome.report) if outcome.report is not None else None
    return {"problems": outcome.problems, "findings": outcome.findings, "sentences": sentences,
            "marks": json.dumps(outcome.marks(), ensure_ascii=False), "outcome": outcome}


def start_page(request: Request, *, error: str | None = None, problems: list[str] | None = None,
               status_code: int = 200, unit: str = "", year: str = ""):
    return page(request, "compose_start.html", status_code=status_code, error=error, problems=problems or [],
                unit=unit, year=year)


@router.get("/compose", include_in_schema=False)
def compose_start(request: Request):
    return start_page(request)


@router.get("/compose/form", include_in_schema=False)
def compose_form(request: Request, unit: str = "", year: str = "", draft: bool = False):
    """A blank form (or, with draft=1, an empty one that compose.js fills from localStorage)."""
    if not draft:
        y, err = parse_year_zh(year)
        if err or not unit.strip():
            return start_page(request, error=f"报告年度：{err}" if err else "请填写单位名称", status_code=422,
                              unit=unit, year=year)
        return form_page(request, Draft(unit.strip(), y, None, initial_values(y)))
    return form_page(request, Draft("", "", None, dict.fromkeys(L.leaf_paths(), "")))


@router.post("/compose/start", include_in_schema=False)
async def compose_start_from(request: Request):
    """Start from last year's report (上年结转 from its 结转下年度) or from any existing report."""
    form = await request.form()
    unit, year_raw, mode = str(form.get("unit", "")).strip(), str(form.get("year", "")), form.get("mode", "blank")
    year, err = parse_year_zh(year_raw)
    if err:
        return start_page(request, error=f"报告年度：{err}", status_code=422, unit=unit, year=year_raw)
    file = form.get("file")
    if mode == "blank" or not getattr(file, "filename", ""):
        if mode != "blank":
            return start_page(request, error="请选择一份年报文件作为起点", status_code=422, unit=unit, year=year_raw)
        if not unit:
            return start_page(request, error="请填写单位名称", status_code=422, unit=unit, year=year_raw)
        return form_page(request, Draft(unit, year, None, initial_values(year)))
    settings = request.app.state.settings
    wd = uploads.workdir()
    try:
        up = (await uploads.receive([file], settings.max_upload_bytes, 1, wd))[0]
        from ..api import load
        try:
            base = await run_in_threadpool(load, up.path)
        except ReadError as exc:
            return start_page(request, error=f"{up.name}：{exc.message}", status_code=422, unit=unit, year=year_raw)
    finally:
        uploads.discard(wd)
    try:
        values = initial_values(year, base if mode == "previous" else None)
    except UsageError as exc:
        return start_page(request, error=f"{up.name}：{exc}", status_code=422, unit=unit, year=year_raw)
    sections: dict[str, str] = {}
    date = None
    if mode == "base":
        flat = base.flat()
        values.update({p: flat.get(p) for p in values})
        sections = {k: s.text for k, s in base.sections.items() if k in L.NARRATIVE_SECTIONS and s.text}
        unit = unit or (base.unit or "")
    return form_page(request, Draft(unit, year, date, values, sections),
                     message=f"已按 {up.name} 预填" + ("“二、上年结转”" if mode == "previous" else "全部数字和正文")
                     + "，请核对。")


@router.post("/compose/upload", include_in_schema=False)
async def compose_upload(request: Request):
    """Continue online from a filled template (XLSX/YAML/JSON): every problem named by sheet and cell."""
    form = await request.form()
    file = form.get("file")
    if not getattr(file, "filename", ""):
        return start_page(request, error="请选择填好的填报模板（.xlsx、.yaml 或 .json）", status_code=422)
    settings = request.app.state.settings
    wd = uploads.workdir()
    try:
        up = (await uploads.receive([file], settings.max_upload_bytes, 1, wd, FILLING_SUFFIXES))[0]
        try:
            f = await run_in_threadpool(read_filling, up.path)
        except FillingError as exc:
            return start_page(request, error=f"{up.name} 有 {len(exc.problems)} 处问题，请改正后重新上传：",
                              problems=exc.problems, status_code=422)
        except UsageError as exc:
            return start_page(request, error=str(exc).replace(os.path.basename(up.path), up.name), status_code=422)
    finally:
        uploads.discard(wd)
    d = Draft(f.unit, f.year, f.report_date, dict(f.cells), dict(f.sections))
    return form_page(request, d, outcome=run_draft(request, d), message=f"已读入 {up.name}，可以继续填写。")


@router.post("/compose/check", include_in_schema=False)
async def compose_check(request: Request):
    """The findings fragment (htmx, as the clerk types)."""
    outcome = run_draft(request, Draft.from_form(await request.form()))
    return page(request, "compose_findings.html", **findings_context(outcome))


@router.post("/compose/sentences", include_in_schema=False)
async def compose_sentences(request: Request):
    """The generated numeric sentences (compose/narrative.py) for the “生成正文数字句” button."""
    outcome = run_draft(request, Draft.from_form(await request.form()))
    if outcome.report is None:
        return JSONResponse({"detail": "表格中还有填写问题，改正后才能生成数字句：" + "；".join(
            p.message for p in outcome.problems[:5])}, status_code=422)
    s = narrative_sentences(outcome.report)
    return {"text": "\n".join(s[k] for k in ("active", "applications", "review_litigation")), **s}


@router.post("/compose/render", include_in_schema=False)
async def compose_render(request: Request, format: Literal["docx", "pdf", "html", "md"] = "docx"):
    form = await request.form()
    d = Draft.from_form(form)
    outcome = run_draft(request, d)
    if outcome.report is None:
        return form_page(request, d, outcome=outcome, status_code=422, blocked=True,
                         message=f"有 {len(outcome.problems)} 处填写问题，未生成报告。请改正标出的单元格。")
    if outcome.errors and not form.get("force"):
        return form_page(request, d, outcome=outcome, status_code=422, blocked=True,
                         message=f"有 {len(outcome.errors)} 个错误，未生成报告。请修改，或勾选“仍然生成”。")
    return await render_file(request, outcome.report, format)


@router.post("/compose/template", include_in_schema=False)
async def compose_template(request: Request):
    """The filling as the XLSX template, to continue offline."""
    d = Draft.from_form(await request.form())
    data, problems = await run_in_threadpool(template_bytes, d)
    if data is None:
        return form_page(request, d, outcome=Outcome(d, problems), status_code=422,
                         message="下载填报模板需要单位名称和有效的年度。")
    return attachment(data, template_name(d.unit, d.year))


# ------------------------------------------------------------------------------ JSON API

class ComposeIn(BaseModel):
    """The body of every /api/compose call."""
    unit: str = Field("", max_length=200, description="单位名称", examples=["XX镇人民政府"])
    year: Any = Field(None, description="报告年度（2021 年度及以后）", examples=[2025])
    date: str | None = Field(None, max_length=40, description="成文日期 YYYY-MM-DD，可为空")
    values: dict[str, Any] = Field(default_factory=dict, description=(
        "各叶子单元格的数（没有的填 0），键为单元格路径，如 applications.granted.natural_person；"
        "各总计、（七）总计、四、结转下年度继续办理由 nianbao 计算，可不填（填了须与计算结果一致）"))
    sections: dict[str, str | None] = Field(default_factory=dict, description=(
        "正文：overview（一、总体情况）、problems（五、存在的主要问题及改进情况）、other（六、其他需要报告的事项），"
        "纯文本或 Markdown"))

    def draft(self) -> Draft:
        return Draft(self.unit, self.year, self.date, dict(self.values), dict(self.sections), strict=True)


def _refuse(problems: list[Problem]) -> HTTPException:
    return HTTPException(422, f"有 {len(problems)} 处填写问题，未生成报告：" + "；".join(
        f"{i}. {p.message}" for i, p in enumerate(problems, 1)))


def _api_outcome(request: Request, body: ComposeIn) -> Outcome:
    outcome = run_draft(request, body.draft())
    if outcome.report is None:
        raise _refuse(outcome.problems)
    return outcome


@router.post("/api/compose/check", tags=TAGS, summary="计算全部合计并检查，返回报告对象和问题（不保存）")
def api_check(request: Request, body: ComposeIn) -> dict:
    """按填写的叶子单元格计算各合计，运行规则目录（不含版式和识别类规则），返回 spec/output.md 形式的对象。
    填写有误（字母、负数、小数、缺项）时返回 422，信息中指出单元格。"""
    o = _api_outcome(request, body)
    out = CheckResult(report_name(o.report.unit, o.report.year, ""), o.report.status, None, o.report,
                      o.findings, "compose").to_dict()
    out["sections"] = {k: s.text for k, s in o.report.sections.items()}
    return out


@router.post("/api/compose/render", tags=TAGS, summary="生成年报文件（docx、pdf、html、md）")
async def api_render(request: Request, body: ComposeIn,
                     format: Literal["docx", "pdf", "html", "md"] = Query("docx", description="输出格式"),
                     force: bool = Query(False, description="有“错误”级问题时仍然生成")):
    """按官方格式生成年报并下载。有“错误”级问题时不生成（422，列出问题），除非 force=true。"""
    o = await run_in_threadpool(_api_outcome, request, body)
    if o.errors and not force:
        raise HTTPException(422, f"有 {len(o.errors)} 个错误，未生成报告（可加 force=true 仍然生成）：" + "；".join(
            f"{i}. [{f.rule}] {f.message}" for i, f in enumerate(o.errors, 1)))
    return await render_file(request, o.report, format)


@router.post("/api/compose/template", tags=TAGS, summary="下载填好这些数的 XLSX 填报模板")
async def api_template(body: ComposeIn):
    """把填写的内容写入 nianbao 的 XLSX 填报模板，便于离线继续填写（nianbao render 可直接读取）。
    只需单位名称和年度；values 中没有的单元格为 0，填错或为 null 的单元格在模板中留空。"""
    d = body.draft()
    d.strict = False
    data, problems = await run_in_threadpool(template_bytes, d)
    if data is None:
        raise _refuse(problems)
    return attachment(data, template_name(d.unit, d.year))
