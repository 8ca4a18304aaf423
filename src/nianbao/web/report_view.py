"""What the report view shows, computed once in Python so the template only prints it.

The same view serves a freshly checked upload and a stored report: the three tables on the official
grid (outputs.render.layout.GRIDS, so the page looks like the printed form), every value as printed
(the raw text when it differs from the number; blank, "/" and "not in the document" kept visibly
apart — a clerk must see what the document says, never a "fixed" number), each cell coloured by the
worst finding naming it (the "likely culprit" logic of the terminal report, outputs.human), and the
findings in Chinese with their cells and reviewer decisions.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from types import SimpleNamespace

from .. import schema
from ..model import ABSENT, BLANK, GUESSED, NULL_MARK, Finding, Report
from ..outputs.catalogue import CAT
from ..outputs.human import (
    FORMAT_NAME,
    SEVERITY_NAME,
    STATUS_NAME,
    _cell_marks,
    location_zh,
)
from ..outputs.render.layout import GRIDS, fmt_value
from ..store.reviews import Decision, key_of

RANK = {"error": 3, "warning": 2, "notice": 1}
TABLE_TITLE = {s.key: f"{s.no}、{s.title}" for s in schema.SECTIONS}
KIND_NAME = {"text": "纯文本", "markdown": "Markdown", "html": "网页", "docx": "Word（DOCX）", "pdf": "PDF",
             "ocr": "扫描件（文字识别）", "xlsx": "Excel", "doc": "Word 97（DOC）", "wps": "WPS 文字",
             "office": "Office 文档"}


@dataclass(slots=True)
class CellView:
    tag: str               # th | td
    text: str
    rowspan: int = 1
    colspan: int = 1
    classes: str = ""
    path: str | None = None
    title: str = ""        # tooltip: the cell's Chinese label and what was printed


@dataclass(slots=True)
class TableView:
    key: str
    title: str
    found: bool
    rows: list[list[CellView]]
    header_rows: int


@dataclass(slots=True)
class FindingView:
    index: int
    rule: str
    severity: str
    severity_name: str
    category: str
    message: str
    cells: list[str]
    cell_labels: list[str]
    location: str
    has_source: bool         # some cell of it has a place in the file to show
    source_cell: str | None = None  # the cell whose source a click shows: the likeliest culprit with a place
    decision: Decision | None = None


@dataclass(slots=True)
class ReportView:
    status: str
    status_name: str
    error: str | None
    unit: str | None = None
    year: int | None = None
    report_date: str | None = None
    format_name: str = ""
    kind_name: str = ""
    tables: list[TableView] = field(default_factory=list)
    findings: list[FindingView] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    sections_found: list[str] = field(default_factory=list)
    sections_missing: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    culprits: list[str] = field(default_factory=list)


def cell_marks(findings: list[Finding]) -> dict[str, str]:
    """Severity per cell, with "culprit" for the cell named by the most error findings (outputs.human)."""
    return _cell_marks(SimpleNamespace(findings=findings))


def value_display(report: Report, path: str) -> tuple[str, str, str]:
    """(text, css classes, tooltip) of one value as the document prints it."""
    v = report.cells.get(path) or report.extra_cells.get(path)
    label = schema.label_of(path)
    if v is None or v.state == ABSENT:
        return "缺", "absent", f"{label}：文件中没有这一格"
    if v.state == BLANK:
        return "", "blank", f"{label}：空白（未填写）"
    if v.state == NULL_MARK:
        return v.raw or "/", "null-mark", f"{label}：印为“{v.raw or '/'}”"
    shown = fmt_value(v.value)
    text = v.raw if v.raw not in (None, "") and v.raw != shown else shown
    classes = "guessed" if v.state == GUESSED else ""
    tip = f"{label}：{text}"
    if text != shown:
        tip += f"（读作 {shown}）"
    if v.how:
        tip += f"，{v.how}"
    if v.state == GUESSED:
        tip += "（版式不明确，按位置推定）"
    return text, classes, tip


def table_views(report: Report, marks: dict[str, str]) -> list[TableView]:
    out = []
    for key, build in GRIDS.items():
        grid = build(report)
        rows: list[list[CellView]] = []
        for r, row in enumerate(grid.visible()):
            cells = []
            for c, text, *span in row:
                path = grid.paths.get((r, c))
                if r < grid.header_rows:
                    cells.append(CellView("th", text, *span))
                elif path is None:
                    cells.append(CellView("td", text, *span, classes="label"))
                else:
                    shown, classes, tip = value_display(report, path)
                    mark = marks.get(path)
                    if mark == "culprit":
                        classes += " sev-error culprit"
                        tip += "（最可能出错的单元格）"
                    elif mark:
                        classes += f" sev-{mark}"
                    cells.append(CellView("td", shown, *span, classes=("num " + classes).strip(), path=path,
                                          title=tip))
            rows.append(cells)
        out.append(TableView(key, TABLE_TITLE.get(key, key), report.has_table(key), rows, grid.header_rows))
    return out


def finding_views(report: Report | None, findings: list[Finding],
                  decisions: dict | None = None, marks: dict | None = None) -> list[FindingView]:
    """The findings, worst first (stable within a severity), each with its index in `findings` (the
    decision form names a finding by it), the cell to show the source of, and its decision, if any."""
    decisions = decisions or {}
    marks = marks if marks is not None else cell_marks(findings)
    weight = {"culprit": 4, **RANK}
    order = sorted(range(len(findings)), key=lambda i: -RANK.get(findings[i].severity, 0))
    out = []
    for i in order:
        f = findings[i]
        placed = [c for c in f.cells if report is not None and report.where(c) is not None]
        best = max(placed, key=lambda c: weight.get(marks.get(c, ""), 0), default=None)
        out.append(FindingView(i, f.rule, f.severity, SEVERITY_NAME.get(f.severity, f.severity),
                               CAT.get(f.category, f.category), f.message, list(f.cells),
                               [_label(c) for c in f.cells], location_zh(f.location), bool(placed), best,
                               decisions.get(key_of(f))))
    return out


def _label(path: str) -> str:
    try:
        return schema.label_of(path)
    except (KeyError, IndexError, StopIteration):
        return path


def report_view(status: str, error: str | None, report: Report | None, findings: list[Finding],
                kind: str | None = None, decisions: dict | None = None) -> ReportView:
    view = ReportView(status, STATUS_NAME.get(status, status), error, kind_name=KIND_NAME.get(kind or "", kind or ""))
    marks = cell_marks(findings)
    view.findings = finding_views(report, findings, decisions, marks)
    view.counts = Counter(f.severity for f in findings)
    if report is None:
        return view
    view.unit, view.year, view.report_date = report.unit, report.year, report.report_date
    view.format_name = FORMAT_NAME.get(report.format, report.format)
    view.culprits = [_label(c) for c, m in marks.items() if m == "culprit"]
    view.tables = table_views(report, marks)
    for sec in schema.SECTIONS:
        name = f"{sec.no}、{sec.title}"
        found = sec.key in report.sections and report.sections[sec.key].heading is not None \
            or report.has_table(sec.key)
        (view.sections_found if found else view.sections_missing).append(name)
    view.missing = [_label(p) for p in report.missing if not p.startswith(("section.", "table."))]
    return view


__all__ = ["ReportView", "TableView", "CellView", "FindingView", "report_view", "cell_marks", "value_display",
           "table_views", "finding_views", "KIND_NAME"]
