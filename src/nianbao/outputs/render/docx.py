"""DOCX: the report as a Word document a clerk can publish or edit, in the 公文 look.

A4 with the GB/T 9704 margins, 标题 in 方正小标宋简体 二号, 一级标题 in 黑体 三号, 正文 in 仿宋_GB2312 三号
with a fixed 28 pt line, page numbers “— N —” in the footer (a PAGE field), unit and date at the end
right-aligned. The tables are written as WordprocessingML directly (gridSpan/vMerge, fixed layout,
column widths summing to the text width, header rows repeated on every page, rows that do not split
across pages): python-docx's cell merging is slow and leaves widths to Word, and the renders must be
fast (≥ 20 reports/s) and identical in Word and LibreOffice.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from functools import cache
from xml.sax.saxutils import escape

from docx import Document as new_document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor

from ...model import Report
from .layout import (
    BODY_FONTS,
    HEADING_FONTS,
    LATIN_FONT,
    SUBHEADING_FONTS,
    TITLE_FONTS,
    Block,
    Grid,
    blocks,
    title_text,
)

TWIPS_PER_CM = 567
PAGE_W, PAGE_H = 21.0, 29.7
MARGINS = {"top": 3.7, "bottom": 3.5, "left": 2.8, "right": 2.6}  # GB/T 9704-2012
TEXT_W = PAGE_W - MARGINS["left"] - MARGINS["right"]  # 15.6 cm

# Column widths (cm) per table; each row sums to TEXT_W.
WIDTHS = {
    "active": (5.4, 3.4, 3.4, 3.4),
    "applications": (1.2, 1.5, 4.4) + (1.2,) * 6 + (1.3,),
    "review_litigation": (TEXT_W / 15,) * 15,
}
TABLE_PT = 10.5   # 五号
MIN_TABLE_PT = 7.0
CELL_PAD_CM = 0.2  # left + right cell margins


@dataclass(frozen=True, slots=True)
class Fonts:
    """The font names written into the document (the first of each chain unless resolved)."""
    title: str = TITLE_FONTS[0]
    body: str = BODY_FONTS[0]
    heading: str = HEADING_FONTS[0]
    subheading: str = SUBHEADING_FONTS[0]
    title_bold: bool = False  # a substitute for 小标宋 needs bold to look like it


def _rfonts(east_asia: str) -> str:
    return (f'<w:rFonts {nsdecls("w")} w:ascii="{LATIN_FONT}" w:hAnsi="{LATIN_FONT}" '
            f'w:eastAsia="{escape(east_asia)}" w:cs="{LATIN_FONT}"/>')


def _set_font(style, east_asia: str, size: float | None = None) -> None:
    """The style's fonts: Latin face for digits, `east_asia` for Chinese (w:eastAsia)."""
    rpr = style.element.get_or_add_rPr()
    old = rpr.find(qn("w:rFonts"))
    if old is not None:
        rpr.remove(old)
    rpr.insert(0, parse_xml(_rfonts(east_asia)))
    if size is not None:
        style.font.size = Pt(size)


def _styles(doc, fonts: Fonts) -> dict[str, str]:
    """Normal (正文), 标题 1 (一级标题) and 表格文字; returns style ids for the table XML."""
    normal = doc.styles["Normal"]
    _set_font(normal, fonts.body, 16)
    rpr = normal.element.get_or_add_rPr()
    rpr.append(parse_xml(f'<w:lang {nsdecls("w")} w:val="en-US" w:eastAsia="zh-CN"/>'))
    pf = normal.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = Pt(28)
    pf.space_before = pf.space_after = Pt(0)
    pf.widow_control = True

    _heading_style(doc.styles["Heading 1"], fonts.heading, bold=False)
    # 二级标题 of a narrative (“（一）主动公开情况”, a Markdown heading): 楷体, bold, like the 一级标题
    # otherwise; a real heading style so Word's navigation pane lists it.
    _heading_style(doc.styles["Heading 2"], fonts.subheading, bold=True)

    cell = doc.styles.add_style("表格文字", WD_STYLE_TYPE.PARAGRAPH)
    cell.base_style = normal
    cpf = cell.paragraph_format
    cpf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    cpf.first_line_indent = Pt(0)
    cpf.alignment = WD_ALIGN_PARAGRAPH.CENTER
    cell.font.size = Pt(TABLE_PT)
    return {"cell": cell.style_id}


def _page(doc) -> None:
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(PAGE_W), Cm(PAGE_H)
    sec.top_margin, sec.bottom_margin = Cm(MARGINS["top"]), Cm(MARGINS["bottom"])
    sec.left_margin, sec.right_margin = Cm(MARGINS["left"]), Cm(MARGINS["right"])
    sec.footer_distance = Cm(2.5)
    p = sec.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = '<w:r><w:rPr><w:rFonts w:ascii="{f}" w:hAnsi="{f}" w:eastAsia="{f}"/><w:sz w:val="28"/></w:rPr>{x}</w:r>'
    parts = ['<w:t xml:space="preserve">— </w:t>', '<w:fldChar w:fldCharType="begin"/>',
             '<w:instrText xml:space="preserve"> PAGE </w:instrText>', '<w:fldChar w:fldCharType="separate"/>',
             "<w:t>1</w:t>", '<w:fldChar w:fldCharType="end"/>', '<w:t xml:space="preserve"> —</w:t>']
    for x in parts:
        p._p.append(parse_xml(f'<w:wrap {nsdecls("w")}>{run.format(f=LATIN_FONT, x=x)}</w:wrap>')[0])


def _font_size(grid: Grid, widths: tuple[float, ...]) -> float:
    """The largest size ≤ 五号 at which every number fits its column on one line (a number broken
    over two lines misreads, on paper and in the PDF)."""
    covered = grid.covered()
    need = TABLE_PT
    for r, row in enumerate(grid.rows):
        for c, text in enumerate(row):
            if (r, c) in covered or not text or not text.replace(".", "").isdigit():
                continue
            room_pt = (widths[c] - CELL_PAD_CM) / 2.54 * 72
            # Digits are 0.5 em in Times New Roman, 0.64 em in DejaVu Serif (LibreOffice's substitute).
            need = min(need, room_pt / (0.65 * len(text)))
    return max(MIN_TABLE_PT, min(TABLE_PT, int(need * 2) / 2))


def table_xml(grid: Grid, style_id: str) -> str:
    widths = WIDTHS[grid.kind]
    tw = [round(w * TWIPS_PER_CM) for w in widths]
    size = _font_size(grid, widths)
    rpr = f'<w:rPr><w:sz w:val="{round(size * 2)}"/><w:szCs w:val="{round(size * 2)}"/></w:rPr>'
    covered, anchors = grid.covered(), grid.anchors()
    border = '<w:{0} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
    borders = "".join(border.format(b) for b in ("top", "left", "bottom", "right", "insideH", "insideV"))
    out = [(f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblW w:w="{sum(tw)}" w:type="dxa"/><w:jc w:val="center"/>'
           f'<w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type="fixed"/>'
           '<w:tblCellMar><w:left w:w="57" w:type="dxa"/><w:right w:w="57" w:type="dxa"/></w:tblCellMar>'
           '<w:tblLook w:val="0000"/></w:tblPr><w:tblGrid>')]
    out += [f'<w:gridCol w:w="{w}"/>' for w in tw]
    out.append("</w:tblGrid>")
    # Keep-with-next: 表二 and 表四 stay whole (they fit a page), 表三 keeps its header with its first
    # rows — a table never starts with a lone row at the foot of a page.
    keep_until = len(grid.rows) - 1 if grid.kind != "applications" else grid.header_rows + 2
    for r, row in enumerate(grid.rows):
        keep = "<w:keepNext/>" if r < keep_until else ""
        head = "<w:tblHeader/>" if r < grid.header_rows else ""
        out.append(f"<w:tr><w:trPr><w:cantSplit/>{head}</w:trPr>")
        c = 0
        while c < len(row):
            m = anchors.get((r, c)) or covered.get((r, c))
            if m is not None and (r, c) in covered and m[0] == r:
                c += 1  # covered horizontally by a span in this row: no cell of its own
                continue
            c0, c1 = (m[1], m[3]) if m else (c, c)
            tcpr = f'<w:tcW w:w="{sum(tw[c0:c1 + 1])}" w:type="dxa"/>'
            if c1 > c0:
                tcpr += f'<w:gridSpan w:val="{c1 - c0 + 1}"/>'
            if m and m[2] > m[0]:
                tcpr += '<w:vMerge w:val="restart"/>' if r == m[0] else "<w:vMerge/>"
            tcpr += '<w:vAlign w:val="center"/>'
            text = row[c] if (r, c) not in covered else ""
            # 表三 row labels read left-aligned; the vertical 三、本年度办理结果 stays centred.
            left = grid.kind == "applications" and r >= grid.header_rows and (0 < c0 < 3 or c1 == 2)
            jc = '<w:jc w:val="left"/>' if left else ""
            bold = "<w:b/>" if r < grid.header_rows else ""
            run = (f'<w:r>{rpr.replace("<w:rPr>", "<w:rPr>" + bold)}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'
                   if text else "")
            out.append(f'<w:tc><w:tcPr>{tcpr}</w:tcPr><w:p><w:pPr><w:pStyle w:val="{style_id}"/>{keep}{jc}</w:pPr>'
                       f"{run}</w:p></w:tc>")
            c = c1 + 1
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


def _run(text: str, rpr: str = "") -> str:
    return f'<w:r>{rpr}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def _para(text: str, ppr: str = "", rpr: str = "") -> str:
    return f"<w:p><w:pPr>{ppr}</w:pPr>{_run(text, rpr) if text else ''}</w:p>"


def _rich(b: Block, ppr: str) -> str:
    """A paragraph of (text, bold) runs."""
    runs = "".join(_run(t, "<w:rPr><w:b/><w:bCs/></w:rPr>" if bold else "") for t, bold in b.pieces() if t)
    return f"<w:p><w:pPr>{ppr}</w:pPr>{runs}</w:p>"


def body_xml(report: Report, fonts: Fonts, style_ids: dict[str, str]) -> str:
    """The document body as WordprocessingML (strings, not python-docx objects: 10× faster)."""
    out = []
    first_sign = True
    for b in blocks(report):
        if b.kind == "title":
            bold = "<w:b/><w:bCs/>" if fonts.title_bold else ""
            out.append(_para(b.text, '<w:spacing w:after="360" w:line="720" w:lineRule="exact"/><w:jc w:val="center"/>',
                             f'<w:rPr>{_rfonts(fonts.title).replace(nsdecls("w") + " ", "")}{bold}'
                             '<w:sz w:val="44"/><w:szCs w:val="44"/></w:rPr>'))
        elif b.kind == "heading":
            out.append(_para(b.text, f'<w:pStyle w:val="{style_ids["heading"]}"/><w:keepNext/>'))
        elif b.kind == "subheading":
            out.append(_para(b.text, f'<w:pStyle w:val="{style_ids["subheading"]}"/><w:keepNext/>'))
        elif b.kind == "paragraph":
            out.append(_rich(b, '<w:ind w:firstLine="640"/>'))
        elif b.kind == "table":
            out.append(table_xml(b.grid, style_ids["cell"]).replace(" " + nsdecls("w"), "", 1))
            out.append(_para("", '<w:spacing w:line="240" w:lineRule="exact"/>'))  # ends the table
        else:
            if first_sign:
                out.append(_para(""))
                first_sign = False
            out.append(_para(b.text, '<w:ind w:right="640"/><w:jc w:val="right"/>'))
    return "".join(out)


@cache
def template(fonts: Fonts) -> tuple[bytes, dict[str, str]]:
    """An empty document with the styles, page setup and footer: built once per font set."""
    doc = new_document()
    ids = _styles(doc, fonts)
    ids["heading"] = doc.styles["Heading 1"].style_id
    ids["subheading"] = doc.styles["Heading 2"].style_id
    _page(doc)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue(), ids


def render_docx(report: Report, fonts: Fonts | None = None) -> bytes:
    data, ids = template(fonts or Fonts())
    body = body_xml(report, fonts or Fonts(), ids)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            raw = src.read(info.filename)
            if info.filename == "word/document.xml":
                xml = raw.decode("utf-8")
                at = xml.rindex("<w:sectPr")
                raw = (xml[:at] + body + xml[at:]).encode("utf-8")
            elif info.filename == "docProps/core.xml":
                raw = _core(raw.decode("utf-8"), title_text(report)).encode("utf-8")
            dst.writestr(info.filename, raw)
    return out.getvalue()


def _core(xml: str, title: str) -> str:
    """docProps/core.xml with the report's title (python-docx's template has an empty one)."""
    import re
    xml = re.sub(r"<dc:title>.*?</dc:title>|<dc:title/>", "", xml)
    return xml.replace("</cp:coreProperties>", f"<dc:title>{escape(title)}</dc:title></cp:coreProperties>")


def _heading_style(style, font: str, *, bold: bool) -> None:
    """A heading of the official layout: 三号 (16 pt) black, 28 pt exact lines, 2-character indent, kept
    with the paragraph after it."""
    _set_font(style, font, 16)
    style.font.bold = bold
    style.font.italic = False
    style.font.color.rgb = RGBColor(0, 0, 0)
    pf = style.paragraph_format
    pf.space_before = pf.space_after = Pt(0)
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = Pt(28)
    pf.first_line_indent = Pt(32)
    pf.keep_with_next = True
