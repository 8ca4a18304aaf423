"""Excel workbooks (.xlsx): every sheet in order, prose rows as paragraphs, table regions as grids.

Some units fill the three tables in Excel, often with the title, headings and narrative on the same
sheet. A merged range is repeated in every position it covers (a true grid: the recognizer matches
columns by position, and 申请人情况 over seven columns must sit over all seven); every copy but the
top-left one is marked `spanned`, so a merged value is still one value. A row is a table row
when it holds two or more distinct cells (a merged range counts once), when its cell has a border
(tables are drawn, prose is not), or when it is a short line between two table rows (a 第二十条
title merged across 表二); every other non-empty row is a paragraph.

Numbers are given in their printed form: an integral 3.0 is "3", a fixed-decimals number format
("0.00") prints its decimals. A formula whose result was never saved (files written by programs,
not by Excel) has no value to read: the cell is read as blank — never as 0 — and a note names it.
"""
from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime, time

from ..document import Cell, Document, Paragraph, Row, Source, Table
from ..errors import ReadError

_OLE = b"\xd0\xcf\x11\xe0"
_FIXED = re.compile(r"^[#,]*0\.(0+)(?:;.*)?$")
_SENTENCE = re.compile(r"[。；;：:！？]")
_SECTION = re.compile(r"^\s*(?:[一二三四五六七八九十]+[、.．]|第[一二三四五六七八九十]+部分)")
_new = tuple.__new__


def read_xlsx(path: str, data: bytes) -> Document:
    wb = _open(path, data)
    doc = Document(path=path, kind="xlsx")
    formula_wb = None
    try:
        for n, ws in enumerate(wb.worksheets, start=1):
            xml = _sheet_xml(wb, ws)
            missing: set[tuple[int, int]] = set()
            if xml is None or _FORMULA.search(xml):
                if formula_wb is None:
                    formula_wb = _load(path, data, data_only=False)
                missing = _uncached(ws, formula_wb.worksheets[n - 1])
                for r, c in sorted(missing):
                    doc.notes.append(f"{ws.title}!{_col_letter(c)}{r} 是公式，文件中没有保存计算结果，按空白读取")
            _read_sheet(ws, n, doc, missing, _merged_ranges(xml) if xml is not None else _merged_fallback(path, data, n))
    finally:
        wb.close()
        if formula_wb is not None:
            formula_wb.close()
    return doc


# ------------------------------------------------------------------------------------------ opening

def _open(path: str, data: bytes):
    if data[:4] == _OLE:
        raise ReadError("这是加密的 Excel 工作簿或旧版 .xls 文件（OLE 格式），无法直接读取；"
                        "请去掉密码后另存为 .xlsx", path)
    if not data.startswith(b"PK"):
        raise ReadError("不是有效的 Excel（.xlsx）文件：文件内容不是 xlsx 格式", path)
    return _load(path, data, data_only=True)


def _load(path: str, data: bytes, data_only: bool, read_only: bool = True):
    """Read-only mode streams the sheets: the full mode spends four fifths of its time formatting
    merged ranges. The merged ranges are read from the sheet XML instead (`_merged_ranges`)."""
    try:
        from openpyxl import load_workbook
    except ImportError:  # pragma: no cover - openpyxl is a core dependency
        raise ReadError("读取 .xlsx 需要安装 openpyxl（pip install openpyxl）", path) from None
    import warnings
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "unknown extension", "no default style": not our concern
            return load_workbook(io.BytesIO(data), data_only=data_only, read_only=read_only)
    except zipfile.BadZipFile:
        raise ReadError("Excel 文件已损坏（压缩包结构不完整），无法读取", path) from None
    except KeyError as exc:
        raise ReadError(f"Excel 文件已损坏或不完整（缺少 {exc.args[0] if exc.args else '必要部件'}）", path) from None
    except Exception as exc:  # noqa: BLE001  openpyxl raises many kinds on damaged XML
        raise ReadError(f"Excel 文件已损坏，无法读取（{type(exc).__name__}）", path) from None


_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*\bref=\"([A-Za-z]+[0-9]+(?::[A-Za-z]+[0-9]+)?)\"")


def _sheet_xml(wb, ws) -> bytes | None:
    """The sheet's XML part (None if openpyxl's read-only internals are not as expected)."""
    try:
        return wb._archive.read(ws._worksheet_path)
    except Exception:  # noqa: BLE001  private attributes: fall back to openpyxl's full mode
        return None


def _merged_ranges(xml: bytes) -> list[tuple[int, int, int, int]]:
    """(min_col, min_row, max_col, max_row) of every <mergeCell ref="A1:C3"/>."""
    from openpyxl.utils.cell import range_boundaries
    out = []
    for m in _MERGE.finditer(xml):
        try:
            out.append(range_boundaries(m.group(1).decode("ascii")))
        except ValueError:
            continue
    return out


def _merged_fallback(path: str, data: bytes, n: int) -> list[tuple[int, int, int, int]]:
    ws = _load(path, data, data_only=True, read_only=False).worksheets[n - 1]
    return [(r.min_col, r.min_row, r.max_col, r.max_row) for r in ws.merged_cells.ranges]


def _uncached(ws_values, ws_formulas) -> set[tuple[int, int]]:
    """Cells holding a formula whose cached result is missing."""
    formulas = set()
    for row in ws_formulas.iter_rows():
        for cell in row:
            v = getattr(cell, "value", None)
            if (isinstance(v, str) and v.startswith("=")) or type(v).__name__ in ("ArrayFormula", "DataTableFormula"):
                formulas.add((cell.row, cell.column))
    if not formulas:
        return set()
    cached = {(c.row, c.column) for row in ws_values.iter_rows() for c in row if getattr(c, "value", None) is not None}
    return formulas - cached


def _col_letter(c: int) -> str:
    s = ""
    while c:
        c, rem = divmod(c - 1, 26)
        s = chr(65 + rem) + s
    return s


# ------------------------------------------------------------------------------------------ cells

def cell_text(value, number_format: str = "General") -> str:
    """A cell value in its printed form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        m = _FIXED.match(number_format or "")
        if m:
            return f"{value:.{len(m.group(1))}f}"
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return f"{value.year}年{value.month}月{value.day}日"
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value).strip()


# ------------------------------------------------------------------------------------------ sheet

def _read_sheet(ws, page: int, doc: Document, missing: set[tuple[int, int]],
                merged: list[tuple[int, int, int, int]]) -> None:
    texts: dict[tuple[int, int], str] = {}
    bordered: set[tuple[int, int]] = set()
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()  # a stale <dimension> must not cut rows or columns off
    for row in ws.iter_rows():
        for cell in row:
            v = getattr(cell, "value", None)
            if v is None and not getattr(cell, "has_style", False):
                continue
            r, c = cell.row, cell.column
            if v is not None and (r, c) not in missing:
                t = cell_text(v, cell.number_format)
                if t:
                    texts[(r, c)] = t
            if cell.has_style:
                b = cell.border
                if b is not None and any(side is not None and side.style for side in (b.left, b.right, b.top, b.bottom)):
                    bordered.add((r, c))
    if not texts:
        return
    # Merged ranges: every covered position → its anchor (top-left) cell. Ranges are clipped to the
    # printed extent (a whole-column merge must not become a million cells).
    max_row = max(r for r, _ in texts)
    max_col = max(c for _, c in texts)
    anchor_of: dict[tuple[int, int], tuple[int, int]] = {}
    for c0, r0, c1, r1 in merged:
        a = (r0, c0)
        if a not in texts:
            continue
        for r in range(r0, min(r1, max_row) + 1):
            for c in range(c0, min(c1, max_col) + 1):
                anchor_of[(r, c)] = a

    def text_at(r: int, c: int) -> str:
        return texts.get(anchor_of.get((r, c), (r, c)), "")

    # Rows with something printed: their grid (merged values repeated) and their distinct anchors.
    rows: dict[int, list[str]] = {}
    anchors: dict[int, set[tuple[int, int]]] = {}
    used_rows = sorted({r for r, _ in texts} | {r for r, _ in anchor_of})
    for r in used_rows:
        grid = [text_at(r, c) for c in range(1, max_col + 1)]
        rows[r] = grid
        anchors[r] = {anchor_of.get((r, c), (r, c)) for c in range(1, max_col + 1) if grid[c - 1]}


    kind: dict[int, str] = {}
    for r in used_rows:
        a = anchors[r]
        if len(a) >= 2 or any(x in bordered for x in a):
            kind[r] = "table"
        else:
            kind[r] = "prose"
    for i, r in enumerate(used_rows):
        if kind[r] != "prose" or i == 0 or i + 1 >= len(used_rows):
            continue
        t = next(x for x in rows[r] if x)
        prev, nxt = used_rows[i - 1], used_rows[i + 1]
        if (prev == r - 1 and nxt == r + 1 and kind[prev] == "table" and kind[nxt] == "table"
                and len(t) <= 40 and not _SENTENCE.search(t) and not _SECTION.match(t)):
            kind[r] = "table"  # a title row inside a table drawn without borders

    i = 0
    while i < len(used_rows):
        r = used_rows[i]
        if kind[r] == "prose":
            (ar, ac) = min(anchors[r])
            doc.blocks.append(Paragraph(texts[(ar, ac)], Source(page=page, row=r, col=ac)))
            i += 1
            continue
        j = i
        while j < len(used_rows) and kind[used_rows[j]] == "table":
            j += 1
        block = used_rows[i:j]
        index = len(doc.tables) + 1
        lo = min(c for rr in block for c, t in enumerate(rows[rr], start=1) if t)
        hi = max(c for rr in block for c, t in enumerate(rows[rr], start=1) if t)
        table_rows = []
        for rr in block:
            grid = rows[rr]
            # `spanned`: a position a merged range covers other than its own top-left cell.
            cs = [_new(Cell, (grid[c - 1], _new(Source, (None, page, index, rr, c, None, None)),
                              anchor_of.get((rr, c), (rr, c)) != (rr, c))) for c in range(lo, hi + 1)]
            table_rows.append(Row(cs, Source(page=page, table=index, row=rr)))
        doc.blocks.append(Table(table_rows, index, layout="grid"))
        i = j
