"""Row anatomy shared by the table recognizers: where a row's label ends and its values begin,
and which value goes to which column when merged-cell conversion shifted the cells.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..document import Cell, Paragraph, Row, Table
from .labels import is_note, last_segment
from ..model import BLANK as V_BLANK, GUESSED, NULL_MARK, PRINTED, Value
from .values import BLANK, NULL, NUMBER, TEXT, Parsed, parse_cell


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


@dataclass(slots=True)
class RowView:
    row: Row
    labels: list[Cell]            # text cells in order (the 勾稽 note excluded)
    values: list[Cell]            # cells after the last label (blanks kept: they may be blank cells)
    parsed: list[Parsed]
    n_numbers: int
    start: int = 0                # index in row.cells of the first value cell
    _last: object = False         # cache of last_label (False: not computed yet)
    positions: list[int] | None = None  # grid column of each value cell (None: start, start+1, …)
    glued: bool = False           # values[0] is a digit run cut off the label (crawler text, digit_runs.py)

    def pos(self, i: int) -> int:
        """The grid column of value cell i (a merged value covers several columns but is one cell)."""
        return self.start + i if self.positions is None else self.positions[i]

    def rel(self, column: int) -> int | None:
        """The index among the value cells of the one at grid column `column` (or of the first after it)."""
        if self.positions is None:
            return column - self.start if column >= self.start else None
        return next((i for i, p in enumerate(self.positions) if p >= column), None)

    @property
    def n_filled(self) -> int:
        """Value cells with something printed (a number or a “/”-style mark)."""
        return sum(1 for p in self.parsed if p.kind != BLANK)

    @property
    def last_label(self) -> Cell | None:
        """The most specific label of the row (a cell holding group and item labels is cut to the item)."""
        if self._last is False:
            if not self.labels:
                self._last = None
            else:
                cell = self.labels[-1]
                seg = last_segment(cell.text)
                self._last = cell if seg == cell.text else Cell(seg, cell.source)
        return self._last


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
    values = cells[last + 1:]
    positions = None
    if any(c.spanned for c in values):  # the rest of a merged value cell is not another value
        positions = [i for i in range(last + 1, len(cells)) if not cells[i].spanned]
        values = [cells[i] for i in positions]
    else:
        values = list(values)
    parsed = [parse_cell(c.text) for c in values]
    return RowView(row, labels, values, parsed, sum(1 for p in parsed if p.kind == NUMBER), last + 1,
                   positions=positions)


@dataclass(slots=True)
class Alignment:
    cells: list[Cell | None]  # one per column; None = not printed (row too short)
    offset: int
    short: int                # how many columns the row did not reach
    extra: list[Cell]         # non-blank cells beyond the last column
    ambiguous: bool = False   # another start fits as well and reads different values


def align(view: RowView, ncols: int, usual: "UsualOffsets | None" = None) -> Alignment:
    """`usual` knows the table's usual column of the first value; it is asked only on a tie."""
    return _align(view, ncols, usual)


def _align(view: RowView, ncols: int, usual) -> Alignment:
    """Choose where the row's values start: the offset that captures the most printed cells, then
    one that keeps the whole row (a blank cell is a cell, not a gap), then the table's usual offset,
    then the leftmost. Values are never reordered."""
    vals = view.values
    filled = [p.kind != BLANK for p in view.parsed]
    best = None
    offsets = set(range(0, max(1, len(vals) - min(ncols, len(vals)) + 1)))
    preferred = None
    if usual is not None and len(offsets) > 1:
        top = max(_key(filled, o, ncols, len(vals)) for o in offsets)
        if sum(1 for o in offsets if _key(filled, o, ncols, len(vals)) == top) > 1:
            preferred = usual(view)  # only a tie needs the table's habit
            if preferred is not None:
                preferred = view.rel(preferred)
                if preferred is not None and preferred < len(vals):
                    offsets.add(preferred)
    for o in sorted(offsets):
        key = (*_key(filled, o, ncols, len(vals)), -abs(o - preferred) if preferred is not None else 0, -o)
        if best is None or key > best[0]:
            best = (key, o)
    o = best[1] if best else 0
    # A tie on what matters (cells captured, row kept whole) broken only by habit: say so when the
    # other reading gives different values.
    rivals = [k for k in offsets if k != o and _key(filled, k, ncols, len(vals))[:2] == best[0][:2]]
    ambiguous = any([p.kind for p in view.parsed[k:k + ncols]] != [p.kind for p in view.parsed[o:o + ncols]]
                    or [c.text for c in vals[k:k + ncols]] != [c.text for c in vals[o:o + ncols]] for k in rivals)
    window = vals[o:o + ncols]
    cells: list[Cell | None] = list(window) + [None] * (ncols - len(window))
    extra = [c for c, f in zip(vals[o + ncols:], filled[o + ncols:]) if f]
    return Alignment(cells, o, ncols - len(window), extra, ambiguous)


def _key(filled: list[bool], o: int, ncols: int, n: int) -> tuple[int, bool]:
    return sum(filled[o:o + ncols]), o + ncols <= n


class UsualOffsets:
    """Where a row's values usually start (cell index in the printed row). Rows laid out alike —
    label ending at the same cell, same number of cells — have their values at the same cells in a
    grid, so the start is learnt per layout from the rows printed in full, else from the span of the
    cells printed in partly blank rows; then over the whole table; then from a header row of the
    same width (its 自然人 cell)."""

    def __init__(self, views: list[RowView], ncols: int, header_first: dict[int, int] | None = None):
        self._args = (views, ncols, header_first)
        self.known: dict | None = None

    def _learn(self, views: list[RowView], ncols: int, header_first: dict[int, int] | None) -> None:
        full: dict[object, Counter] = {}
        extent: dict[object, tuple[int, int]] = {}  # layout → (leftmost, rightmost) printed cell
        for v in views:
            filled = [v.pos(i) for i, p in enumerate(v.parsed) if p.kind != BLANK]
            if not filled:
                continue
            for key in ((v.start, len(v.row.cells)), v.start, None):
                lo, hi = extent.get(key, (filled[0], filled[-1]))
                extent[key] = (min(lo, filled[0]), max(hi, filled[-1]))
                if v.n_filled == ncols:  # every cell printed: a number or a “/”-style mark
                    full.setdefault(key, Counter())[filled[0]] += 1
        self.known = {k: c.most_common(1)[0][0] for k, c in full.items()}
        for key, (lo, hi) in extent.items():
            if key not in self.known and key is not None and hi - lo + 1 <= ncols:
                start = key[0] if isinstance(key, tuple) else key
                if hi - ncols + 1 >= start:
                    self.known[key] = hi - ncols + 1
        self.header_first = header_first or {}

    def __call__(self, view: RowView) -> int | None:
        if self.known is None:
            self._learn(*self._args)
        for key in ((view.start, len(view.row.cells)), view.start, None):
            if key in self.known:
                return self.known[key]
        return self.header_first.get(len(view.row.cells))


def cell_value(cell: Cell | None, missing: str = "该行数字个数少于列数，此格未印出") -> Value:
    """A printed cell as a Value (number, “/”-style mark, blank); None is a cell the row never reached."""
    if cell is None:
        return Value(None, GUESSED, None, None, how=missing)
    p = parse_cell(cell.text)
    if p.kind == NUMBER:
        return Value(p.value, PRINTED, cell.text, cell.source, p.unit, p.note)
    if p.kind == NULL:
        return Value(None, NULL_MARK, cell.text, cell.source)
    return Value(None, V_BLANK, cell.text, cell.source)
