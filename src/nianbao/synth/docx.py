"""Printing a SynthReport as a Word document in the official 国办 layout, with real merged cells.

The rows and their texts come from the text renderer (`render(..., layout="tsv")`), so a DOCX and a
text rendering made with the same random state print the same labels and numbers and expect the
same values; this module only lays those rows out as Word tables:

- 表三: a 3-column label region (三、本年度办理结果 | （三）不予公开… | 1. 属于国家秘密…) over the seven
  value columns. The 勾稽 note spans the 3 header rows × 3 label columns, 申请人情况 the 7 value
  columns, 法人或其他组织 5; 自然人 and 总计 are merged down over two header rows; 三、本年度办理结果
  is merged down over all outcome rows (（一）…（七）), each group label （三）…（五）（六） down over its
  items; rows 一、二、四 have their label merged over the 3 label columns, （一）（二）（七） over 2.
- 表四: 行政复议 over 5 columns, 行政诉讼 over 10, its two sub-groups over 5; the field labels of
  行政复议 merged down over two header rows.
- 表二: one table per 第二十条 item group: a title row merged over the 4 columns, 信息内容 header,
  item rows; a single value (本年处理决定数量, 本年收费金额) merged over the remaining columns.

`split_table=True` prints 表三 as two tables with a page break between (as Word does when a table is
split at a page): merged cells cut by the split restart empty in the second table.
Only damage that changes cell texts is supported (see TEXT_DAMAGE); structural damage (wrapped
labels, shifted cells…) belongs to the text layouts.
"""
from __future__ import annotations

import io
import random
from collections.abc import Iterable
from typing import Any

from docx import Document as new_document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from .. import schema
from .data import SynthReport
from .text import TRow, _date, _title, render

TEXT_DAMAGE = ("traditional", "fullwidth", "thousands", "blank_nulls", "units", "typos")
APP_WIDTH = 3 + 7

Merge = tuple[int, int, int, int]  # r0, c0, r1, c1 (inclusive)


# ------------------------------------------------------------------------------------------ grids

def active_grids(rows: list[TRow], merge_values: bool = True) -> list[tuple[list[list[str]], list[Merge]]]:
    """表二 as one 4-column grid per title row."""
    out: list[tuple[list[list[str]], list[Merge]]] = []
    for r in rows:
        if r.kind == "title":
            out.append(([[r.labels[0], "", "", ""]], [(0, 0, 0, 3)]))
            continue
        grid, merges = out[-1]
        cells = list(r.labels) + [v.text for v in r.values]
        n = len(grid)
        if len(cells) < 4 and merge_values:
            merges.append((n, len(cells) - 1, n, 3))
        grid.append(cells + [""] * (4 - len(cells)))
    return out


def application_grid(rows: list[TRow]) -> tuple[list[list[str]], list[Merge], list[str]]:
    """表三 on its true grid: (texts, merges, row keys). Vertical merges are recorded as runs."""
    h0, h1, h2 = (r for r in rows if r.kind == "header")
    note, applicants, total = h0.labels[0], h0.labels[2], h0.labels[-1]  # 总计 goes under 申请人情况
    grid = [[note] * 3 + [applicants] * 7,
            [note] * 3 + [h1.labels[2]] + [h1.labels[3]] * 5 + [total],
            [note] * 3 + [h1.labels[2]] + list(h2.labels[3:8]) + [total]]
    merges: list[Merge] = [(0, 0, 2, 2), (0, 3, 0, 9), (1, 3, 2, 3), (1, 4, 1, 8), (1, 9, 2, 9)]
    keys = ["header"] * 3
    outcome_start = group_start = None
    group = None
    for r in (x for x in rows if x.kind == "data"):
        n = len(grid)
        vals = [v.text for v in r.values]
        own = r.labels[r.label_slot]
        if r.key == "granted":
            outcome_start = n
            outer = r.labels[0]
        if group is not None and r.group != group:
            merges.append((group_start, 1, n - 1, 1))
            group = None
        if r.key in ("new_received", "carried_over", "carried_forward"):
            if outcome_start is not None:
                merges.append((outcome_start, 0, n - 1, 0))
                outcome_start = None
            grid.append([own] * 3 + vals)
            merges.append((n, 0, n, 2))
        elif r.group is None:
            grid.append([outer, own, own] + vals)
            merges.append((n, 1, n, 2))
        else:
            if r.group != group:
                group, group_start, glabel = r.group, n, r.labels[1]
            grid.append([outer, glabel, own] + vals)
        keys.append(r.key)
    return grid, merges, keys


def review_grid(rows: list[TRow]) -> tuple[list[list[str]], list[Merge]]:
    h0, h1, h2, data = rows
    fields = h1.labels[:5]
    grid = [[h0.labels[0]] * 5 + [h0.labels[5]] * 10,
            fields + [h1.labels[5]] * 5 + [h1.labels[10]] * 5,
            fields + list(h2.labels[5:15]),
            [v.text for v in data.values]]
    merges = [(0, 0, 0, 4), (0, 5, 0, 14), (1, 5, 1, 9), (1, 10, 1, 14)] + [(1, c, 2, c) for c in range(5)]
    return grid, merges


def split_grid(grid: list[list[str]], merges: list[Merge], at: int) -> list[tuple[list[list[str]], list[Merge]]]:
    """Two tables, the second starting at row `at`; a merge cut by the split restarts empty below it."""
    top, bottom = grid[:at], [list(r) for r in grid[at:]]
    m_top, m_bottom = [], []
    for r0, c0, r1, c1 in merges:
        if r1 < at:
            m_top.append((r0, c0, r1, c1))
        elif r0 >= at:
            m_bottom.append((r0 - at, c0, r1 - at, c1))
        else:
            m_top.append((r0, c0, at - 1, c1))
            m_bottom.append((0, c0, r1 - at, c1))
            for c in range(c0, c1 + 1):
                for r in range(r1 - at + 1):
                    bottom[r][c] = ""
    return [(top, m_top), (bottom, m_bottom)]


def read_grid(grid: list[list[str]], merges: list[Merge]) -> list[list[str]]:
    """What a reader following the true-grid convention must return: a merged cell's text in every
    position it covers."""
    out = [list(r) for r in grid]
    for r0, c0, r1, c1 in merges:
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                out[r][c] = grid[r0][c0]
    return out


# ------------------------------------------------------------------------------------------ docx

def _set_fonts(doc) -> None:
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    rpr = style.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = parse_xml(f"<w:rFonts {nsdecls('w')}/>")
        rpr.append(rfonts)
    rfonts.set(qn("w:eastAsia"), "宋体")


def add_table(doc_or_cell, grid: list[list[str]], merges: list[Merge]):
    """A Word table with `grid`'s texts, merged over `merges` (text set in the top-left cell only)."""
    nrows, ncols = len(grid), max(len(r) for r in grid)
    if hasattr(doc_or_cell, "is_linked_to_previous"):  # a header/footer wants a width
        from docx.shared import Cm
        table = doc_or_cell.add_table(nrows, ncols, Cm(16))
    else:
        table = doc_or_cell.add_table(rows=nrows, cols=ncols)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    covered = set()
    for r0, c0, r1, c1 in merges:
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    covered.add((r, c))
    # Cells fetched once (table.cell() recomputes the whole grid); merges never overlap, so the
    # corner cells of a rectangle are still in the table when its turn comes.
    cells = [row.cells for row in table.rows]
    for r, row in enumerate(cells):
        for c, cell in enumerate(row):
            if (r, c) not in covered and c < len(grid[r]) and grid[r][c]:
                cell.text = grid[r][c]
    for r0, c0, r1, c1 in merges:
        if (r0, c0) != (r1, c1):
            cells[r0][c0].merge(cells[r1][c1])
    return table


def _text_box(paragraph, lines: list[str]) -> None:
    """A Word text box (DrawingML with its VML fallback, as Word saves it) holding `lines`."""
    body = "".join(f"<w:p><w:r><w:t>{t}</w:t></w:r></w:p>" for t in lines)
    xml = (
        f'<w:r {nsdecls("w", "wp", "a")} xmlns:v="urn:schemas-microsoft-com:vml" '
        'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
        'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        '<mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wp:inline>'
        '<wp:extent cx="2286000" cy="685800"/><wp:docPr id="901" name="文本框 1"/>'
        '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        f'<wps:wsp><wps:cNvSpPr txBox="1"/><wps:spPr/><wps:txbx><w:txbxContent>{body}</w:txbxContent></wps:txbx>'
        '<wps:bodyPr/></wps:wsp></a:graphicData></a:graphic></wp:inline></w:drawing></mc:Choice>'
        '<mc:Fallback><w:pict><v:shape id="文本框1" type="#_x0000_t202" style="width:180pt;height:54pt">'
        f'<v:textbox><w:txbxContent>{body}</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback>'
        '</mc:AlternateContent></w:r>')
    paragraph._p.append(parse_xml(xml))


def _header_footer(doc, rng: random.Random) -> None:
    sec = doc.sections[0]
    sec.header.paragraphs[0].text = f"政府信息公开 {rng.randint(2019, 2025)} 第{rng.randint(1, 9)}期 编号 {rng.randint(10, 999)}"
    sec.footer.paragraphs[0].text = f"第 {rng.randint(1, 5)} 页 共 {rng.randint(5, 9)} 页"
    add_table(sec.footer, [["本年新收政府信息公开申请数量", str(rng.randint(1, 999)), "0", "7"]], [])


def render_docx(report: SynthReport, rng: random.Random, *, split_table: bool = False, damage: Iterable[str] = (),
                merge_values: bool = True, signature_in_textbox: bool = False, nested_active: bool = False,
                header_footer: bool = False, **options) -> tuple[bytes, dict[str, Any]]:
    """The report as DOCX bytes and the values a correct reader must return.

    `merge_values` merges a single 表二 value over its row's remaining columns (the official form);
    `signature_in_textbox` prints the unit and date at the end inside a text box;
    `nested_active` puts each 表二 table inside a one-cell layout table (a nested table);
    `header_footer` adds page headers/footers full of numbers (and a table) that must not be read.
    Other options go to `render` (the text model)."""
    damage = tuple(damage)
    bad = set(damage) - set(TEXT_DAMAGE)
    if bad:
        raise ValueError(f"damage {sorted(bad)} is not supported in DOCX (only {TEXT_DAMAGE})")
    rd = render(report, rng, layout="tsv", damage=damage, **options)
    doc = new_document()
    _set_fonts(doc)
    if header_footer:
        _header_footer(doc, rng)
    for line in _title(rng, report, "tsv"):
        p = doc.add_paragraph(line)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for sec in schema.SECTIONS:
        heading = f"{sec.no}、{sec.title}"
        if "traditional" in damage:
            from ..recognize.normalize import to_traditional
            heading = to_traditional(heading)
        doc.add_heading(heading, level=1)
        for text in report.sections.get(sec.key, []):
            doc.add_paragraph(text)
        rows = rd.tables.get(sec.key)
        if rows is None:
            continue
        if sec.key == "active":
            for grid, merges in active_grids(rows, merge_values):
                if nested_active:
                    outer = doc.add_table(rows=1, cols=1)
                    cell = outer.cell(0, 0)
                    add_table(cell, grid, merges)
                else:
                    add_table(doc, grid, merges)
                    doc.add_paragraph()
        elif sec.key == "applications":
            grid, merges, keys = application_grid(rows)
            if split_table:
                lo, hi = keys.index("granted"), keys.index("carried_forward")
                parts = split_grid(grid, merges, rng.randint(lo + 1, hi))
                add_table(doc, *parts[0])
                doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
                add_table(doc, *parts[1])
            else:
                add_table(doc, grid, merges)
        else:
            add_table(doc, *review_grid(rows))
    doc.add_paragraph()
    end = doc.add_paragraph()
    end.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if signature_in_textbox:
        _text_box(end, [report.unit, _date(report.report_date)])
    else:
        end.add_run(report.unit)
        p = doc.add_paragraph(_date(report.report_date))
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue(), rd.expected


def render_docx_file(report: SynthReport, path, rng: random.Random, **options) -> dict[str, Any]:
    data, expected = render_docx(report, rng, **options)
    with open(path, "wb") as fh:
        fh.write(data)
    return expected
