"""Row anatomy shared by the table recognizers: where a row's label ends and its values begin,
and which value goes to which column when merged-cell conversion shifted the cells.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..document import Cell, Paragraph, Row, Table
from .labels import is_note, last_segment
from .values import BLANK, NUMBER, TEXT, Parsed, parse_cell


@dataclass(slots=True)
class Item:
    """One line of the document in reading order: a table row or a paragraph."""
    index: int
    row: Row | None = None
    para: Paragraph | None = None
    table: Table | None = None
    _view: "RowView | None" = None

    @property
    def view(self) -> "RowView":
        """The row's anatomy, computed once per recognition (every step asks for it)."""
        if self._view is None:
            self._view = row_view(self.row)
        return self._view

    @property
    def text(self) -> str:
        if self.para is not None:
            return self.para.text
        return " ".join(c.text for c in self.row.cells if c.text)


@dataclass(slots=True)
class RowView:
    row: Row
    labels: list[Cell]            # text cells in order (the 勾稽 note excluded)
    values: list[Cell]            # cells after the last label, trailing blanks trimmed
    parsed: list[Parsed]
    n_numbers: int

    @property
    def last_label(self) -> Cell | None:
        """The most specific label of the row (a cell holding group and item labels is cut to the item)."""
        if not self.labels:
            return None
        cell = self.labels[-1]
        seg = last_segment(cell.text)
        return cell if seg == cell.text else Cell(seg, cell.source)


def row_view(row: Row) -> RowView:
    cells = row.cells
    last = -1
    labels = []
    for i, c in enumerate(cells):
        p = parse_cell(c.text)
        if p.kind == TEXT:
            last = i
            if not is_note(c.text):
                labels.append(c)
    values = list(cells[last + 1:])
    while values and parse_cell(values[-1].text).kind == BLANK:
        values.pop()
    parsed = [parse_cell(c.text) for c in values]
    return RowView(row, labels, values, parsed, sum(1 for p in parsed if p.kind == NUMBER))


@dataclass(slots=True)
class Alignment:
    cells: list[Cell | None]  # one per column; None = not printed (row too short)
    offset: int
    short: int                # how many columns the row did not reach
    extra: list[Cell]         # non-blank cells beyond the last column


def align(view: RowView, ncols: int, preferred: int | None = None) -> Alignment:
    """Choose where the row's values start: the offset that captures the most printed cells,
    then the table's usual offset, then the leftmost. Values are never reordered."""
    vals = view.values
    filled = [p.kind != BLANK for p in view.parsed]
    best = None
    for o in range(0, max(1, len(vals) - min(ncols, len(vals)) + 1)):
        captured = sum(filled[o:o + ncols])
        key = (captured, -abs(o - preferred) if preferred is not None else 0, -o)
        if best is None or key > best[0]:
            best = (key, o)
    o = best[1] if best else 0
    window = vals[o:o + ncols]
    cells: list[Cell | None] = list(window) + [None] * (ncols - len(window))
    extra = [c for c, f in zip(vals[o + ncols:], filled[o + ncols:]) if f]
    return Alignment(cells, o, ncols - len(window), extra)


def usual_offset(views: list[RowView], ncols: int) -> int | None:
    """The offset at which complete rows of this table start their values."""
    offsets = Counter()
    for v in views:
        if v.n_numbers == ncols:
            first = next(i for i, p in enumerate(v.parsed) if p.kind == NUMBER)
            offsets[first] += 1
    return offsets.most_common(1)[0][0] if offsets else None
