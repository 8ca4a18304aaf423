"""One page read: ruled tables through their cells, the rest through detection, all recognised in
one batch; visual lines grouped into paragraphs and unruled tables; blocks placed in reading
order; and rows cut by a page break joined back.

Why apart: this is where the parts (image prep, grids, engine) meet and where Blocks with their
provenance are built — the layout logic, as opposed to the pixel work in image.py and grid.py.
"""
from __future__ import annotations

import re

from ...document import Block, Cell, Paragraph, Row, Source, Table
from .engine import MIN_SCORE, _detect_boxes, _engine, _libs, _recognise
from .grid import _LATIN, _cell_jobs, _find_grids, join_lines
from .image import _deskew, _normalise

# ------------------------------------------------------------------------------------------ text lines

def _group_lines(boxes):
    """Boxes into visual lines by vertical overlap, each line's boxes left to right."""
    lines: list[list[tuple]] = []
    for b in sorted(boxes, key=lambda b: (b[1] + b[3]) / 2):
        cy = (b[1] + b[3]) / 2
        if lines:
            last = lines[-1]
            y0 = sum(x[1] for x in last) / len(last)
            y1 = sum(x[3] for x in last) / len(last)
            if y0 <= cy <= y1:
                last.append(b)
                continue
        lines.append([b])
    return [sorted(line, key=lambda b: b[0]) for line in lines]


def _line_text(line, ch) -> str:
    out = ""
    for i, b in enumerate(line):
        if i:
            gap = b[0] - line[i - 1][2]
            if gap > 1.2 * ch or (_LATIN.match(out[-1]) and _LATIN.match(b[4][0])) or \
                    (out[-1].isdigit() and b[4][0].isdigit()):
                out += " "
        out += b[4]
    return out


_NUMBERED = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d+[.、．])")


def _union(boxes) -> tuple[float, float, float, float]:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _text_blocks(lines, ch, page: int, table_no: int, to_box=None):
    """Visual lines → Paragraphs (wrapped lines of one paragraph joined) and unruled tables (runs of
    two or more lines made of widely spaced boxes). Returns [(y, block)], next table number.
    `to_box` maps a box of page pixels to a Source bbox (see `ocr_page`)."""
    to_box = to_box or _pixels
    if not lines:
        return [], table_no
    left = min(line[0][0] for line in lines)
    right = max(line[-1][2] for line in lines)
    out: list = []
    i = 0
    n_line = 0

    def spaced(line) -> bool:
        return len(line) >= 3 and all(line[k][0] - line[k - 1][2] > 1.5 * ch for k in range(1, len(line)))

    while i < len(lines):
        j = i
        while j < len(lines) and spaced(lines[j]):
            j += 1
        if j - i >= 2:
            out.append((lines[i][0][1], _unruled_table(lines[i:j], page, table_no, to_box)))
            table_no += 1
            i = j
            continue
        line = lines[i]
        n_line += 1
        text = _line_text(line, ch)
        conf = min(b[5] for b in line)
        prev = out[-1][1] if out and isinstance(out[-1][1], Paragraph) else None
        if prev is not None and out[-1][2] and line[0][0] <= left + 0.6 * ch and not _NUMBERED.match(text):
            joined = prev.text + (" " if _LATIN.match(prev.text[-1]) and _LATIN.match(text[0]) else "") + text
            pixels = _union([out[-1][3], _union(line)])
            src = prev.source._replace(confidence=min(prev.source.confidence, conf), bbox=to_box(pixels))
            out[-1] = (out[-1][0], Paragraph(joined, src), line[-1][2] >= right - 2.5 * ch, pixels)
        else:
            pixels = _union(line)
            out.append((line[0][1], Paragraph(text, Source(line=n_line, page=page, confidence=round(conf, 4),
                                                           bbox=to_box(pixels))),
                        line[-1][2] >= right - 2.5 * ch and len(text) > 8, pixels))
        i += 1
    return [(y, b) for y, b, *_ in out], table_no


def _unruled_table(lines, page: int, index: int, to_box=None) -> Table:
    """Rows by visual line, columns by the x-intervals of the boxes merged over all rows. A cell's
    bbox is its boxes' union (an empty cell: its column over the line)."""
    to_box = to_box or _pixels
    spans = sorted((b[0], b[2]) for line in lines for b in line)
    cols: list[list[float]] = []
    for x0, x1 in spans:
        if cols and x0 <= cols[-1][1]:
            cols[-1][1] = max(cols[-1][1], x1)
        else:
            cols.append([x0, x1])
    rows = []
    for r, line in enumerate(lines, 1):
        texts: list[list[tuple[str, float]]] = [[] for _ in cols]
        boxes: list[list[tuple]] = [[] for _ in cols]
        for b in line:
            cx = (b[0] + b[2]) / 2
            k = min(range(len(cols)), key=lambda k: 0 if cols[k][0] <= cx <= cols[k][1] else
                    min(abs(cx - cols[k][0]), abs(cx - cols[k][1])))
            texts[k].append((b[4], b[5]))
            boxes[k].append(b)
        lx0, ly0, lx1, ly1 = _union(line)
        cells = [Cell(join_lines([t for t, _ in parts]),
                      Source(page=page, table=index, row=r, col=c, confidence=round(min((s for _, s in parts),
                                                                                         default=1.0), 4),
                             bbox=to_box(_union(boxes[c - 1]) if boxes[c - 1] else
                                         (cols[c - 1][0], ly0, cols[c - 1][1], ly1))))
                 for c, parts in enumerate(texts, 1)]
        rows.append(Row(cells, Source(page=page, table=index, row=r, bbox=to_box((lx0, ly0, lx1, ly1)))))
    return Table(rows, index, layout="spaced")


# ------------------------------------------------------------------------------------------ a page

def ocr_page(grey, page: int, first_table: int, path: str = "",
             unit: tuple[float, float] = (1.0, 1.0)) -> list[Block]:
    """The blocks of one page image (8-bit grey numpy array), tables numbered from `first_table`.
    All recognition of the page is one batch: cell strips and the lines found by detection.
    Every Source's bbox is on the page as given: its pixels times `unit` (x, y) — PDF points per
    pixel for a rendered PDF page, (1, 1) for an image file — whatever scaling and deskewing the
    reading did."""
    cv2, np = _libs(path)
    eng = _engine(path)
    h0, w0 = grey.shape[:2]
    grey, ink, ch = _normalise(cv2, np, grey)
    if ch <= 0:
        return []
    grey, ink, m = _deskew(cv2, np, grey, ink, ch)
    to_box = _box_mapper(cv2, m, unit[0] * w0 / grey.shape[1], unit[1] * h0 / grey.shape[0])
    grids = _find_grids(cv2, np, ink, ch)
    images: list = []

    def add(im) -> int:
        images.append(im)
        return len(images) - 1

    # Tables: cells as strips; a cell whose lines touch goes through detection.
    per_grid = []
    for g in grids:
        jobs = []
        for kind, item in _cell_jobs(cv2, np, grey, ink, g, ch):
            if kind == "strips":
                jobs.append(("strips", [add(im) for im in item]))
            else:
                boxes = _detect_boxes(cv2, np, eng, item, ch)
                jobs.append(("boxes", [(b, add(item[b[1]:b[3], b[0]:b[2]])) for b in boxes]))
        per_grid.append(jobs)

    # Everything else: whiten the tables, detect what is left band by band.
    rest = grey.copy()
    rest_ink = ink.copy()
    for g in grids:
        x0, y0, x1, y1 = g.box
        rest[max(0, y0 - 2):y1 + 3, max(0, x0 - 2):x1 + 3] = 255
        rest_ink[max(0, y0 - 2):y1 + 3, max(0, x0 - 2):x1 + 3] = 0
    prose = []
    rows_with_ink = np.nonzero(rest_ink.any(axis=1))[0]
    if len(rows_with_ink):
        bands = []
        start = prev = int(rows_with_ink[0])
        for y in rows_with_ink[1:]:
            y = int(y)
            if y - prev > 3 * ch:
                bands.append((start, prev + 1))
                start = y
            prev = y
        bands.append((start, prev + 1))
        pad = int(ch)
        for y0, y1 in bands:
            if y1 - y0 < 0.4 * ch:
                continue
            ya, yb = max(0, y0 - pad), min(rest.shape[0], y1 + pad)
            band = rest[ya:yb]
            for x0, by0, x1, by1 in _detect_boxes(cv2, np, eng, band, ch):
                prose.append(((x0, by0 + ya, x1, by1 + ya), add(band[by0:by1, x0:x1])))
    del rest, rest_ink

    results = _recognise(cv2, np, eng, images)
    images.clear()  # the crops are no longer needed: free them before building the blocks

    placed: list[tuple[float, Block]] = []
    table_no = first_table
    for g, jobs in zip(grids, per_grid):
        nr, nc = len(g.ys) - 1, len(g.xs) - 1
        grid_text: list[list[tuple[str, float, bool, tuple] | None]] = [[None] * nc for _ in range(nr)]
        for (r0, c0, r1, c1), (kind, refs) in zip(g.cells, jobs):
            if kind == "strips":
                got = [results[k] for k in refs]
            else:
                lines = _group_lines([(*b, *results[k]) for b, k in refs])
                got = [(_line_text(line, ch), min(b[5] for b in line)) for line in lines]
            kept = [(t, sc) for t, sc in got if sc >= MIN_SCORE and t.strip()]
            text = join_lines([t for t, _ in kept])
            conf = min((sc for _, sc in (kept if text else got)), default=1.0)
            box = to_box((g.xs[c0], g.ys[r0], g.xs[c1 + 1], g.ys[r1 + 1]))
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    grid_text[r][c] = (text, conf, (r, c) != (r0, c0), box)
        rows = []
        for r in range(nr):
            cells = []
            for c in range(nc):
                t, conf, spanned, box = grid_text[r][c] or \
                    ("", 1.0, False, to_box((g.xs[c], g.ys[r], g.xs[c + 1], g.ys[r + 1])))
                cells.append(Cell(t, Source(page=page, table=table_no, row=r + 1, col=c + 1,
                                            confidence=round(conf, 4), bbox=box), spanned))
            rows.append(Row(cells, Source(page=page, table=table_no, row=r + 1,
                                          bbox=to_box((g.xs[0], g.ys[r], g.xs[-1], g.ys[r + 1])))))
        if any(c.text for row in rows for c in row.cells):
            placed.append((g.box[1], Table(rows, table_no, layout="grid")))
            table_no += 1

    boxes = [(*b, *results[k]) for b, k in prose]
    boxes = [b for b in boxes if b[5] >= MIN_SCORE and b[4]]
    text_blocks, table_no = _text_blocks(_group_lines(boxes), ch, page, table_no, to_box)
    placed.extend(text_blocks)
    placed.sort(key=lambda p: p[0])
    # Unruled tables were numbered after the ruled ones: renumber in reading order.
    n = first_table
    blocks: list[Block] = []
    for _, b in placed:
        if isinstance(b, Table) and b.index != n:
            b = _renumber(b, n)
        if isinstance(b, Table):
            n += 1
        blocks.append(b)
    return blocks


def _pixels(box) -> tuple[float, float, float, float]:
    return (round(float(box[0]), 1), round(float(box[1]), 1), round(float(box[2]), 1), round(float(box[3]), 1))


def _box_mapper(cv2, m, sx: float, sy: float):
    """A function from a box of the prepared page (scaled, maybe rotated) to the Source bbox on the
    page as given: the rotation undone (the box's corners, then their bounding box), then scaled by
    (sx, sy) — original units per prepared pixel — and rounded to 0.1 as the store keeps it."""
    if m is None:
        def to_box(b):
            return (round(float(b[0]) * sx, 1), round(float(b[1]) * sy, 1),
                    round(float(b[2]) * sx, 1), round(float(b[3]) * sy, 1))
        return to_box
    (a, b_, c), (d, e, f) = (tuple(float(v) for v in row) for row in cv2.invertAffineTransform(m))

    def to_box(b):
        corners = [(a * x + b_ * y + c, d * x + e * y + f) for x in (float(b[0]), float(b[2]))
                   for y in (float(b[1]), float(b[3]))]
        xs = [p[0] for p in corners]
        ys = [p[1] for p in corners]
        return (round(min(xs) * sx, 1), round(min(ys) * sy, 1), round(max(xs) * sx, 1), round(max(ys) * sy, 1))
    return to_box


def _renumber(t: Table, index: int) -> Table:
    rows = [Row([c._replace(source=c.source._replace(table=index)) for c in r.cells],
                r.source._replace(table=index)) for r in t.rows]
    return Table(rows, index, t.layout)


# ------------------------------------------------------------------------------------------ page breaks

_NUMBER = re.compile(r"^[\s\d.,，．%‰+\-－—/]*\d[\s\d.,，．%‰+\-－—/]*$")


def join_cut_rows(blocks: list[Block]) -> list[Block]:
    """A row cut by a page break: its label goes on at the top of the next page's table in a row
    whose other cells are empty (“5. 要” | 0 | 0 … then “求行政机关确认…” | | …). When a table
    directly follows another with the same number of columns, and its first row has text only
    where the previous table's last row has text, and is empty where that row has values, the
    first row's texts are appended to the last row's and the cut row is dropped."""
    out: list[Block] = []
    for b in blocks:
        prev = out[-1] if out else None
        if (isinstance(b, Table) and isinstance(prev, Table) and b.rows and prev.rows
                and len(b.rows[0].cells) == len(prev.rows[-1].cells)):
            head, last = b.rows[0].cells, prev.rows[-1].cells
            own = [c for c in head if c.text and not c.spanned]
            values = [k for k, c in enumerate(last) if not c.spanned and _NUMBER.match(c.text)]
            fits = all(not c.spanned or not c.text for c in head) and own and values and \
                all(last[k].text for k, c in enumerate(head) if c.text) and \
                all(not head[k].text for k in values)
            if fits:
                joined = [c if not head[k].text else
                          c._replace(text=join_lines([c.text, head[k].text]),
                                     source=c.source._replace(confidence=min(c.source.confidence or 1.0,
                                                                             head[k].source.confidence or 1.0)))
                          for k, c in enumerate(last)]
                prev.rows[-1] = Row(joined, prev.rows[-1].source)
                if len(b.rows) == 1:
                    continue
                b = Table(b.rows[1:], b.index, b.layout)
        out.append(b)
    return out
