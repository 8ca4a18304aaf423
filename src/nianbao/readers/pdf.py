"""PDF reader: the text layer and the ruling lines of each page, rebuilt into prose and table grids.

Most reports are PDFs exported by WPS or Word: every character has a box, every table border is a
drawn line. Cells are rebuilt from the lines (a lattice), not guessed from text positions, so merged
cells (三、本年度办理结果 down its rows, 法人或其他组织 over five columns) come back as spans exactly as
the DOCX reader gives them: the text in the first grid position, `spanned` copies over the rest.

Why pypdfium2 and not pdfplumber: pdfplumber (pdfminer) parses a 5-page report in ~160 ms in pure
Python; pdfium does the same in ~15 ms, and the benchmark asks for ≥ 10 reports/s on one core. The
lattice below is small and ours: line segments → grid slots → slots merged where no line separates
them → cells.

Across pages: running heads, page numbers and footers (whatever repeats in the page margins) are
dropped; a table that goes on at the top of the next page with the same outer borders is stitched
into one table by column positions (a continuation that lost its label columns is placed by x), and
a row broken by the page end is joined back. Pages without a text layer (scans) go to the OCR reader.
"""
from __future__ import annotations

import ctypes
import re
from dataclasses import dataclass, field

from ..document import Cell, Document, Paragraph, Row, Source, Table
from ..errors import ReadError
from . import lattice

MAX_PAGES = 200  # an annual report has 3–30 pages; a 500-page file is a compilation or not a report
SNAP = 2.0       # points: border lines this close are the same line
THIN = 3.0       # points: a drawn object thinner than this is a line, not a box
MARGIN_BAND = 0.1  # fraction of the page height at top and bottom where running heads live

_NUMBER = re.compile(r"[-+]?[\d０-９][\d０-９,，.．]*%?|[/—–-]")
_NUMBERING = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）]|\d+\s*[.．、])")
_PAGE_NO = re.compile(r"^\s*(?:[-—–－]\s*\d+\s*[-—–－]|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+|"
                      r"\d{1,3}|[-—–－]?\s*[一二三四五六七八九十]+\s*[-—–－]?|page\s*\d+(?:\s*of\s*\d+)?)\s*$", re.IGNORECASE)


@dataclass(slots=True)
class Char:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float


@dataclass(slots=True)
class PCell:
    """A lattice cell: rows r0..r1 (inclusive, slot rows of its table part), x range, its text."""
    r0: int
    r1: int
    x0: float
    x1: float
    text: str


@dataclass(slots=True)
class PTable:
    """A ruled table as found on one page (later possibly stitched with its continuation)."""
    page: int
    top: float
    bottom: float
    x0: float
    x1: float
    nrows: int
    cells: list[PCell]
    row_pages: list[int] = field(default_factory=list)
    row_ys: list[tuple[float, float]] = field(default_factory=list)  # each row's (top, bottom) on its page

    def signature(self) -> str:
        return re.sub(r"\d+", "#", "|".join(c.text for c in self.cells))


@dataclass(slots=True)
class PLine:
    page: int
    top: float
    bottom: float
    x0: float
    x1: float
    text: str
    size: float
    chunks: list[str] = field(default_factory=list)  # the line cut at wide gaps (unruled table cells)

    @property
    def is_row(self) -> bool:
        """A row of an unruled table: three or more gap-separated cells, or a label and a number."""
        return len(self.chunks) >= 3 or (len(self.chunks) == 2 and _NUMBER.fullmatch(self.chunks[-1]) is not None)


# ------------------------------------------------------------------------------------------ open

def read_pdf(path: str, data: bytes) -> Document:
    import pypdfium2 as pdfium
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise ReadError(_open_error(str(exc)), path) from None
    try:
        n = len(pdf)
        if n == 0:
            raise ReadError("PDF 文件没有页面", path)
        if n > MAX_PAGES:
            raise ReadError(f"PDF 共 {n} 页，超过 {MAX_PAGES} 页上限：年度报告一般不超过 30 页，"
                            "这可能是多份报告的合订本，请拆分成单份报告后再检查", path)
        items: list[PLine | PTable] = []
        scanned: list[int] = []
        sizes: list[tuple[float, float]] = []
        for i in range(n):
            page = pdf[i]
            try:
                w, h = page.get_size()
                sizes.append((w, h))
                chars = _chars(page, h)
                if len([c for c in chars if not c.text.isspace()]) < 5:
                    if _has_images(page):
                        scanned.append(i + 1)
                    continue
                tables = _tables(_segments(page, h), chars, i + 1)
                items += _lines([c for c in chars if not any(_inside(c, t) for t in tables)], i + 1)
                items += tables
            finally:
                page.close()
    finally:
        pdf.close()
    doc = Document(path=path, kind="pdf")
    if scanned:
        from .ocr import (
            ocr_pdf_pages,  # the OCR stack is imported only when a page needs it
        )
        ocr_blocks = ocr_pdf_pages(path, data, scanned, notes=doc.notes)
        if len(scanned) == n:
            doc.kind = "ocr"
        else:
            doc.notes.append(f"第 {'、'.join(map(str, scanned))} 页没有文字层（扫描页），已用 OCR 识别")
    else:
        ocr_blocks = []
    items.sort(key=lambda it: (it.page, it.top))
    items = _drop_running(items, sizes)
    doc.blocks = _blocks(_stitch(items), sizes)
    if ocr_blocks:  # scanned pages slot in by page number
        doc.blocks = _merge_by_page(doc.blocks, ocr_blocks)
    for k, table in enumerate(doc.tables, 1):
        table.index = k
    if not doc.blocks:
        raise ReadError("PDF 中没有可读取的文字（既没有文字层，也没有可识别的扫描图像）", path)
    return doc


def _open_error(message: str) -> str:
    low = message.lower()
    if "password" in low:
        return "PDF 文件已加密（需要密码才能打开），请提供未加密的文件"
    if "format" in low or "file" in low:
        return "PDF 文件已损坏或不是有效的 PDF，无法打开，请重新下载或另存后再检查"
    return f"无法打开 PDF 文件（{message}）"


# ------------------------------------------------------------------------------------------ page content

def _chars(page, height: float) -> list[Char]:
    """Every printed character with its box, top-down coordinates; pdfium's generated spaces skipped."""
    from pypdfium2 import raw
    tp = page.get_textpage()
    try:
        out = []
        n = raw.FPDFText_CountChars(tp.raw)
        rect = raw.FS_RECTF()
        for i in range(n):
            if raw.FPDFText_IsGenerated(tp.raw, i):
                continue
            code = raw.FPDFText_GetUnicode(tp.raw, i)
            if code in (0, 0xFFFE, 0xFFFF) or code in (10, 13):
                continue
            # the loose box spans the font's ascent to descent and the glyph's advance: every character
            # of a line gets the same band (quotes and commas included), and gaps are real gaps
            if not raw.FPDFText_GetLooseCharBox(tp.raw, i, rect):
                continue
            ch = " " if chr(code).isspace() else chr(code)
            out.append(Char(ch, rect.left, height - rect.top, rect.right, height - rect.bottom))
        return out
    finally:
        tp.close()


def _has_images(page) -> bool:
    from pypdfium2 import raw
    return any(True for _ in page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE], max_depth=3))


def _segments(page, height: float) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
    """Horizontal (y, x0, x1) and vertical (x, y0, y1) border lines, top-down coordinates.
    A border may be drawn as a stroked path (its straight segments) or a thin filled box."""
    from pypdfium2 import raw
    hs, vs = [], []
    x, y = ctypes.c_float(), ctypes.c_float()
    for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_PATH], max_depth=3):
        l, b, r, t = obj.get_bounds()
        if r - l <= THIN and t - b > THIN:
            vs.append(((l + r) / 2, height - t, height - b))
            continue
        if t - b <= THIN and r - l > THIN:
            hs.append((height - (t + b) / 2, l, r))
            continue
        m = obj.get_matrix()
        pts: list[tuple[float, float]] = []
        start = None
        for k in range(raw.FPDFPath_CountSegments(obj.raw)):
            seg = raw.FPDFPath_GetPathSegment(obj.raw, k)
            raw.FPDFPathSegment_GetPoint(seg, x, y)
            px = m.a * x.value + m.c * y.value + m.e
            py = m.b * x.value + m.d * y.value + m.f
            kind = raw.FPDFPathSegment_GetType(seg)
            if kind == raw.FPDF_SEGMENT_MOVETO or not pts:
                pts, start = [(px, py)], (px, py)
            else:
                pts.append((px, py))
            if raw.FPDFPathSegment_GetClose(seg) and start is not None:
                pts.append(start)
            if len(pts) >= 2:
                (ax, ay), (bx, by) = pts[-2], pts[-1]
                if abs(ay - by) < 0.5 and abs(ax - bx) > THIN:
                    hs.append((height - ay, min(ax, bx), max(ax, bx)))
                elif abs(ax - bx) < 0.5 and abs(ay - by) > THIN:
                    vs.append((ax, height - max(ay, by), height - min(ay, by)))
    return hs, vs


def _inside(c: Char, t: PTable) -> bool:
    cx, cy = (c.x0 + c.x1) / 2, (c.top + c.bottom) / 2
    return t.x0 <= cx <= t.x1 and t.top <= cy <= t.bottom


# ------------------------------------------------------------------------------------------ lattice

def _cluster(values: list[float]) -> list[float]:
    """Coordinates within SNAP of each other are one line."""
    out: list[float] = []
    for v in sorted(values):
        if out and v - out[-1] <= SNAP:
            continue
        out.append(v)
    return out


def _covered(segs: list[tuple[float, float, float]], at: float, lo: float, hi: float) -> bool:
    """Is there a line at `at` covering the middle of lo..hi?"""
    mid = (lo + hi) / 2
    return any(abs(s[0] - at) <= SNAP and s[1] - SNAP <= mid <= s[2] + SNAP for s in segs)


def _tables(lines, chars: list[Char], page: int) -> list[PTable]:
    hs, vs = lines
    if len(hs) < 2 or len(vs) < 2:
        return []
    out = []
    for h_group, v_group in _components(hs, vs):
        ys = _cluster([s[0] for s in h_group])
        xs = _cluster([s[0] for s in v_group])
        if len(ys) < 2 or len(xs) < 2:
            continue
        out.append(_lattice(h_group, v_group, ys, xs, chars, page))
    return [t for t in out if t.cells]


def _components(hs, vs):
    """Groups of lines that touch each other: one group per table on the page."""
    items = [("h", s) for s in hs] + [("v", s) for s in vs]
    parent = list(range(len(items)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    nh = len(hs)
    for i, (y, hx0, hx1) in enumerate(hs):
        for j, (x, vy0, vy1) in enumerate(vs):
            if hx0 - SNAP <= x <= hx1 + SNAP and vy0 - SNAP <= y <= vy1 + SNAP:
                parent[find(i)] = find(nh + j)
    groups: dict[int, tuple[list, list]] = {}
    for i, (kind, s) in enumerate(items):
        g = groups.setdefault(find(i), ([], []))
        (g[0] if kind == "h" else g[1]).append(s)
    return [g for g in groups.values() if g[0] and g[1]]


def _lattice(hs, vs, ys: list[float], xs: list[float], chars: list[Char], page: int) -> PTable:
    """Grid slots between consecutive lines, joined where no line separates them, into cells."""
    nr = len(ys) - 1
    rects = lattice.cells(ys, xs, lambda x, y0, y1: _covered(vs, x, y0, y1), lambda y, x0, x1: _covered(hs, y, x0, x1))
    owner = {(r, c): k for k, (r0, c0, r1, c1) in enumerate(rects)
             for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
    inside: dict[int, list[Char]] = {}
    for ch in chars:
        cx, cy = (ch.x0 + ch.x1) / 2, (ch.top + ch.bottom) / 2
        if not (xs[0] <= cx <= xs[-1] and ys[0] <= cy <= ys[-1]):
            continue
        c = _slot(xs, cx)
        r = _slot(ys, cy)
        inside.setdefault(owner[r, c], []).append(ch)
    cells = [PCell(r0, r1, xs[c0], xs[c1 + 1], _cell_text(inside.get(k, [])))
             for k, (r0, c0, r1, c1) in enumerate(rects)]
    cells.sort(key=lambda p: (p.r0, p.x0))
    return PTable(page, ys[0], ys[-1], xs[0], xs[-1], nr, cells, [page] * nr,
                  [(ys[r], ys[r + 1]) for r in range(nr)])


def _slot(edges: list[float], v: float) -> int:
    lo, hi = 0, len(edges) - 2
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if edges[mid] <= v:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _cell_text(chars: list[Char]) -> str:
    """A cell's characters as one string: visual lines top to bottom, joined without a separator
    (a label wrapped over lines, or a header stacked one character per line, is one word in Chinese)."""
    if not chars:
        return ""
    parts = []
    for line in _visual_lines(chars):
        text = _line_text(line)
        if parts and parts[-1][-1:].isascii() and parts[-1][-1:].isalpha() and text[:1].isascii() and text[:1].isalpha():
            parts.append(" ")
        parts.append(text)
    return "".join(parts).strip()


def _visual_lines(chars: list[Char]) -> list[list[Char]]:
    """Characters grouped into lines: a character belongs to a line when its vertical middle lies
    within the line's extent (robust to mixed font sizes on one line), or when the two overlap by half
    the smaller height — some fonts give a flat glyph such as “一” a box only half as tall as its
    neighbours', whose middle then lies above the line's first character."""
    lines: list[list[Char]] = []
    spans: list[list[float]] = []
    for ch in sorted(chars, key=lambda c: (c.top + c.bottom) / 2):
        mid = (ch.top + ch.bottom) / 2
        overlap = min(ch.bottom, spans[-1][1]) - max(ch.top, spans[-1][0]) if spans else 0.0
        smaller = min(ch.bottom - ch.top, spans[-1][1] - spans[-1][0]) if spans else 0.0
        if spans and (spans[-1][0] <= mid <= spans[-1][1] or (smaller > 0 and overlap >= 0.5 * smaller)):
            lines[-1].append(ch)
            spans[-1][0] = min(spans[-1][0], ch.top)
            spans[-1][1] = max(spans[-1][1], ch.bottom)
        else:
            lines.append([ch])
            spans.append([ch.top, ch.bottom])
    return [sorted(line, key=lambda c: c.x0) for line in lines]


def _line_text(line: list[Char]) -> str:
    """Characters left to right; a wide gap without a printed space becomes one space."""
    return " ".join(_chunks(line))


def _chunks(line: list[Char]) -> list[str]:
    """The line cut where the gap between two characters (printed spaces included) is wider than
    1.5 characters: the cells of a table drawn without lines, or tab stops."""
    chunks: list[str] = []
    cur: list[str] = []
    last_x1 = None
    for ch in line:
        if ch.text == " ":
            continue
        size = max(ch.bottom - ch.top, 1.0)
        if last_x1 is not None and ch.x0 - last_x1 > 1.5 * size * 0.8:
            chunks.append("".join(cur))
            cur = []
        elif last_x1 is not None and ch.x0 - last_x1 > 0.25 * size and cur and (cur[-1].isascii() or ch.text.isascii()):
            cur.append(" ")  # a word space in Latin text or between a number and a word
        cur.append(ch.text)
        last_x1 = ch.x1
    if cur:
        chunks.append("".join(cur))
    return [c.strip() for c in chunks if c.strip()]


# ------------------------------------------------------------------------------------------ prose

def _lines(chars: list[Char], page: int) -> list[PLine]:
    out = []
    for line in _visual_lines([c for c in chars if c.text != " "] + [c for c in chars if c.text == " "]):
        chunks = _chunks(line)
        if not chunks:
            continue
        sizes = sorted(c.bottom - c.top for c in line if c.text != " ")
        out.append(PLine(page, min(c.top for c in line), max(c.bottom for c in line),
                         line[0].x0, line[-1].x1, " ".join(chunks), sizes[len(sizes) // 2] if sizes else 10.0,
                         chunks))
    return out


def _drop_running(items: list, sizes: list[tuple[float, float]]) -> list:
    """Running heads, page numbers and footers: items in the top/bottom margin band that look like a
    page number, or whose text (digits aside) recurs in the band of another page."""
    if not items:
        return items

    def in_band(it) -> bool:
        h = sizes[it.page - 1][1]
        return it.bottom < MARGIN_BAND * h or it.top > (1 - MARGIN_BAND) * h

    def key(it) -> str:
        return it.signature() if isinstance(it, PTable) else re.sub(r"\d+", "#", it.text)

    band = [it for it in items if in_band(it)]
    seen: dict[str, set[int]] = {}
    for it in band:
        seen.setdefault(key(it), set()).add(it.page)
    drop = set()
    for it in band:
        if len(seen[key(it)]) >= 2 or (isinstance(it, PLine) and _PAGE_NO.match(it.text)):
            drop.add(id(it))
    return [it for it in items if id(it) not in drop]


# ------------------------------------------------------------------------------------------ stitching

def _stitch(items: list) -> list:
    """A table continued at the top of the next page (nothing but the page break between, the same
    outer borders) becomes one table again."""
    out: list = []
    for it in items:
        prev = out[-1] if out else None
        if (isinstance(it, PTable) and isinstance(prev, PTable) and it.page == prev.row_pages[-1] + 1
                and abs(it.x1 - prev.x1) <= 3 * SNAP and abs(it.x0 - prev.x0) <= 3 * SNAP):
            _append(prev, it)
            continue
        out.append(it)
    return out


def _append(a: PTable, b: PTable) -> None:
    first = [c for c in b.cells if c.r0 == 0]
    last = [c for c in a.cells if c.r1 == a.nrows - 1]
    offset = a.nrows
    if _continues_row(last, first):
        # the row broken by the page end: its texts are joined and its remaining slots belong to it
        for c in first:
            if not c.text:
                continue
            owner = next((p for p in last if p.x0 - SNAP <= (c.x0 + c.x1) / 2 <= p.x1 + SNAP), None)
            if owner is not None:
                owner.text += c.text
        offset -= 1
        for c in b.cells:
            if c.r0 == 0:
                c.r0 = 1
        b = PTable(b.page, b.top, b.bottom, b.x0, b.x1, b.nrows, [c for c in b.cells if c.r1 >= 1], b.row_pages,
                   b.row_ys)
    for c in b.cells:
        a.cells.append(PCell(c.r0 + offset, c.r1 + offset, c.x0, c.x1, c.text))
    a.row_pages += b.row_pages[a.nrows - offset:]
    a.row_ys += b.row_ys[a.nrows - offset:]
    a.nrows = offset + b.nrows
    a.bottom = b.bottom


def _continues_row(last: list[PCell], first: list[PCell]) -> bool:
    """The first row on the new page is the rest of the last row on the old one: it has no value of
    its own (no number), does not start a numbered label, and its text sits under cells that have text."""
    texts = [c for c in first if c.text]
    if not texts:
        return False
    for c in texts:
        if _NUMBERING.match(c.text) or re.fullmatch(r"[\d.,，%\s/—-]+", c.text):
            return False
        # the same cell on both sides of the page break: the same left and right borders
        owner = next((p for p in last if abs(p.x0 - c.x0) <= SNAP and abs(p.x1 - c.x1) <= SNAP), None)
        if owner is None or not owner.text:
            return False
    return True


# ------------------------------------------------------------------------------------------ blocks

def _blocks(items: list, sizes) -> list:
    """Lattice tables as grids; the text between them — prose lines joined into paragraphs, and lines
    cut by wide gaps (a table drawn without lines) — through the text reader's own line parser, which
    already reads space-separated rows as people copy them out of PDFs. Sources say page and line."""
    from .text import parse_lines
    blocks: list = []
    lines_on_page: dict[int, int] = {}
    texts: list[str] = []
    where: list[Source] = []
    para: list[PLine] = []

    def place(page: int, lines: list[PLine]) -> Source:
        n = lines_on_page[page] = lines_on_page.get(page, 0) + 1
        on_page = [ln for ln in lines if ln.page == page]  # a paragraph may go on over the page break
        return Source(line=n, page=page, bbox=_box(min(ln.x0 for ln in on_page), min(ln.top for ln in on_page),
                                                   max(ln.x1 for ln in on_page), max(ln.bottom for ln in on_page)))

    def flush() -> None:
        if para:
            texts.append("".join(p.text for p in para))
            where.append(place(para[0].page, para))
            para.clear()

    def parse() -> None:
        flush()
        if not texts:
            return
        for block in parse_lines("", texts).blocks:
            if isinstance(block, Paragraph):
                block.source = where[block.source.line - 1]
            else:
                for row in block.rows:
                    src = where[row.source.line - 1]
                    row.source = src
                    row.cells = [c._replace(source=src._replace(col=c.source.col)) for c in row.cells]
            blocks.append(block)
        texts.clear()
        where.clear()

    text_lines = [it for it in items if isinstance(it, PLine)]
    left = min((ln.x0 for ln in text_lines), default=0.0)
    right = max((ln.x1 for ln in text_lines), default=0.0)
    for it in items:
        if isinstance(it, PTable):
            parse()
            blocks.append(_grid(it, sum(isinstance(b, Table) for b in blocks) + 1))
            continue
        if it.is_row:
            flush()
            texts.append(" ".join(it.chunks))
            where.append(place(it.page, [it]))
            continue
        if para and not _continues(para[-1], it, left, right):
            flush()
        para.append(it)
    parse()
    return blocks


def _continues(prev: PLine, line: PLine, left: float, right: float) -> bool:
    """A wrapped line of the same paragraph: the previous line ran to the right margin and this one
    starts at the left margin (no first-line indent), is not a numbered heading, same font size."""
    return (right - prev.x1 <= 3 * prev.size and line.x0 - left <= 0.5 * line.size
            and abs(line.size - prev.size) <= 0.15 * prev.size and not _NUMBERING.match(line.text)
            and (line.page == prev.page and line.top - prev.bottom < 1.5 * line.size or line.page == prev.page + 1))


def _grid(t: PTable, index: int) -> Table:
    """A (stitched) table as a grid over all its column edges; merged cells repeat their text with
    `spanned` on the copies, like the DOCX reader. Every cell's Source has its box on the page of its
    first row (a cell merged over a page break: the part on that page)."""
    xs = _cluster([c.x0 for c in t.cells] + [c.x1 for c in t.cells])
    nc = len(xs) - 1
    grid: list[list[Cell | None]] = [[None] * nc for _ in range(t.nrows)]
    for pc in t.cells:
        c0 = _slot(xs, pc.x0 + SNAP)
        c1 = _slot(xs, pc.x1 - SNAP)
        page = t.row_pages[pc.r0]
        r1 = pc.r0
        while r1 < pc.r1 and t.row_pages[r1 + 1] == page:
            r1 += 1
        src = Source(page=page, table=index, row=pc.r0 + 1, col=c0 + 1,
                     bbox=_box(pc.x0, t.row_ys[pc.r0][0], pc.x1, t.row_ys[r1][1]))
        first = True
        for r in range(pc.r0, pc.r1 + 1):
            for c in range(c0, c1 + 1):
                if grid[r][c] is None:
                    grid[r][c] = Cell(pc.text, src, spanned=not first)
                    first = False
    rows = []
    for r, cells in enumerate(grid):
        top, bottom = t.row_ys[r]
        src = Source(page=t.row_pages[r], table=index, row=r + 1, bbox=_box(xs[0], top, xs[-1], bottom))
        rows.append(Row([c if c is not None else
                         Cell("", src._replace(col=k + 1, bbox=_box(xs[k], top, xs[k + 1], bottom)))
                         for k, c in enumerate(cells)], src))
    return Table(rows, index, layout="grid")


def _box(x0: float, top: float, x1: float, bottom: float) -> tuple[float, float, float, float]:
    """A Source bbox: points, rounded to 0.1 as the store keeps it (a stored report equals the read one)."""
    return (round(x0, 1), round(top, 1), round(x1, 1), round(bottom, 1))


def _merge_by_page(blocks: list, extra: list) -> list:
    """OCR'd blocks of scanned pages among the text-layer blocks, in page order."""
    def page_of(b) -> int:
        src = b.source if isinstance(b, Paragraph) else (b.rows[0].source if b.rows else Source())
        return src.page or 0
    return sorted(blocks + extra, key=page_of)  # sorted() is stable: order within a page is kept
