"""The findings as files to download: XLSX (openpyxl) and PDF (an HTML table through LibreOffice).

One row per finding, with the file, unit and year it belongs to, so the findings of a whole batch of
uploads fit one sheet that a reviewer can filter; stored reports add the reviewer's decision.
The PDF goes through LibreOffice (the one converter the project already relies on), with the CJK
font chain of the rendered reports so Chinese never comes out as boxes.
"""
from __future__ import annotations

import html
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..model import Finding
from .catalogue import CAT
from .human import SEVERITY_NAME, location_zh

if TYPE_CHECKING:  # a stored reviewer's decision (store.reviews); outputs do not import the store
    from ..store.reviews import Decision

HEADERS = ["文件", "单位", "年度", "严重程度", "规则", "类别", "问题", "单元格", "位置"]
REVIEW_HEADERS = ["审核结论", "备注"]
PDF_WIDTHS = [11, 10, 5, 5, 6, 5, 26, 16, 8, 5, 9]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(slots=True)
class FindingRow:
    file: str
    unit: str
    year: int | None
    finding: Finding
    decision: "Decision | None" = None

    def cells(self, with_review: bool) -> list:
        f = self.finding
        out = [self.file, self.unit or "", self.year if self.year is not None else "",
               SEVERITY_NAME.get(f.severity, f.severity), f.rule, CAT.get(f.category, f.category), f.message,
               "、".join(f.cells), location_zh(f.location)]
        if with_review:
            out += [self.decision.name if self.decision else "", self.decision.note if self.decision else ""]
        return out


def findings_xlsx(rows: list[FindingRow], with_review: bool = False, title: str = "检查结果") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    wb = Workbook()
    ws = wb.active
    ws.title = "问题清单"
    headers = HEADERS + (REVIEW_HEADERS if with_review else [])
    ws.append(headers)
    for c in ws[1]:
        c.font = Font(bold=True)
    for r in rows:
        ws.append(r.cells(with_review))
    widths = [28, 24, 8, 10, 9, 10, 60, 36, 18, 10, 30]
    for i, w in enumerate(widths[:len(headers)]):
        ws.column_dimensions[chr(ord("A") + i)].width = w
    for row in ws.iter_rows(min_row=2):
        row[6].alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    wb.properties.title = title
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def findings_html(rows: list[FindingRow], with_review: bool = False, title: str = "检查结果",
                  short_cells: bool = False) -> str:
    """The findings as one HTML table; `short_cells` names at most three cells (in Chinese) per finding,
    so a page-wide arithmetic finding does not fill a printed page."""
    from .render.layout import BODY_FONTS, HEADING_FONTS
    from .render.pdf import first_installed
    body_font, head_font = first_installed(BODY_FONTS), first_installed(HEADING_FONTS)
    headers = HEADERS + (REVIEW_HEADERS if with_review else [])
    e = html.escape
    out = ["<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>", f"<title>{e(title)}</title>",
           f"<style>body{{font-family:'{body_font}';font-size:9pt}} h1{{font-family:'{head_font}';font-size:14pt}}"
           " table{border-collapse:collapse;width:100%} th,td{border:1px solid #444;padding:2px 4px;"
           "vertical-align:top} th{background:#eee}</style></head><body>",
           # the title as the table's first row: Writer/Web drops what comes before the table onto a
           # page of its own, which comes out empty
           "<table width='100%' cellpadding='3'>" + "".join(f"<col width='{w}*'>" for w in PDF_WIDTHS[:len(headers)])
           + f"<thead><tr><th colspan='{len(headers)}' class='title'>{e(title)}　共 {len(rows)} 条问题</th></tr><tr>" + "".join(f"<th>{e(h)}</th>" for h in headers) + "</tr></thead><tbody>"]
    for r in rows:
        cells = r.cells(with_review)
        if short_cells:
            cells[7] = _short_cells(r.finding.cells)
        out.append("<tr>" + "".join(f"<td>{e(str(x))}</td>" for x in cells) + "</tr>")
    if not rows:
        out.append(f"<tr><td colspan='{len(headers)}'>未发现问题</td></tr>")
    out.append("</tbody></table></body></html>")
    return "\n".join(out)


def findings_pdf(rows: list[FindingRow], with_review: bool = False, title: str = "检查结果") -> bytes:
    """Raises errors.ReadError (Chinese) when LibreOffice is missing or fails."""
    from ..libreoffice import convert
    data = findings_html(rows, with_review, title, short_cells=True).encode("utf-8")
    return _drop_blank_pages(convert(data, ".html", "pdf", name="findings.html"))


def _drop_blank_pages(pdf: bytes) -> bytes:
    """LibreOffice's HTML import (Writer/Web) starts its PDF with an empty page: drop pages without
    any text, keeping at least one."""
    import pypdfium2 as pdfium
    doc = pdfium.PdfDocument(pdf)
    try:
        blank = [i for i in range(len(doc)) if not doc[i].get_textpage().count_chars()]
        if not blank or len(blank) == len(doc):
            return pdf
        for i in reversed(blank):
            doc.del_page(i)
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()
    finally:
        doc.close()


def _short_cells(cells: list[str]) -> str:
    from .. import schema
    names = []
    for c in cells[:3]:
        try:
            names.append(schema.label_of(c))
        except (KeyError, IndexError, StopIteration):
            names.append(c)
    more = f" 等 {len(cells)} 个单元格" if len(cells) > 3 else ""
    return "；".join(names) + more


def download_name(stem: str, suffix: str) -> str:
    """A Content-Disposition value that carries a Chinese file name (RFC 5987) and an ASCII fallback."""
    from urllib.parse import quote
    return f"attachment; filename=\"findings{suffix}\"; filename*=UTF-8''{quote(stem + suffix)}"


__all__ = ["FindingRow", "findings_xlsx", "findings_pdf", "findings_html", "download_name", "XLSX_TYPE", "HEADERS"]
