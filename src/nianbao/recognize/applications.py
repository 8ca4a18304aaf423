"""表三 (收到和处理政府信息公开申请情况): rows and columns onto the schema.

Steps, each a plain function: find the header rows and the columns they name; match each data row's
label to an official row; align its values to the columns (offset chosen by captured cells, ties
broken by the table's usual offset); place the gap of a row that is one value short where the
table's own equations say it belongs, else at the end (merged-cell conversion truncates there).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import combinations

from .. import schema
from ..document import Cell, Row
from ..model import Finding, PrintedLabel, Report, Value
from . import digit_runs
from . import labels as L
from .normalize import fold
from .rows import Item, RowView, UsualOffsets, align, cell_value, row_view
from .values import NUMBER, parse_cell

OFFICIAL_ORDER = [c.key for c in schema.APP_COLUMNS]


@dataclass(slots=True)
class DataRow:
    key: str           # schema row key, or a group key for a subtotal row
    kind: str          # row | group
    view: RowView
    label: Cell
    score: float


def header_first_columns(views: list[RowView]) -> dict[int, int]:
    """Row width → cell index of the 自然人 header cell: in a grid, a data row as wide as a header
    row has its values where the header has its column labels."""
    out: dict[int, int] = {}
    for v in views:
        for i, c in enumerate(v.row.cells):
            m = L.APP_COLUMNS.match(c.text) if c.text else None
            if m is not None and m.target.key == "natural_person":
                out.setdefault(len(v.row.cells), i)
    return out


def find_columns(views: list[RowView], report: Report) -> tuple[list[str], bool]:
    """Columns named by the header rows, in official order (plus an added 小计 column), and whether
    a header was found at all (without one, the official seven are assumed)."""
    present: set[str] = set()
    subtotal_after: str | None = None
    found = False
    for v in views:
        matches = [(c, L.APP_COLUMNS.match(c.text)) for c in v.labels]
        cols = [(c, m) for c, m in matches if m is not None]
        if not cols or (v.n_numbers and len(cols) < 3):
            continue
        # A header row: mostly column labels, no numbers.
        if v.n_numbers == 0 and len(cols) >= max(1, len(v.labels) // 2):
            found = True
            prev = None
            for c, m in cols:
                if m.target.kind == "column":
                    if m.target.key == "legal_subtotal":
                        subtotal_after = prev
                    else:
                        present.add(m.target.key)
                        prev = m.target.key
                    if L.differs(m, c.text) and m.target.key in schema.APP_COLUMN_BY_KEY:
                        report.labels.append(PrintedLabel(f"applications.column.{m.target.key}", c.text,
                                                          m.target.label, c.source, m.score))
    if not found:
        return list(OFFICIAL_ORDER), False
    cols = [k for k in OFFICIAL_ORDER if k in present]
    if subtotal_after is not None or any("小计" in c.text for v in views for c in v.labels if v.n_numbers == 0):
        at = cols.index("total") if "total" in cols else len(cols)
        cols.insert(at, "legal_subtotal")
    return cols, True


def _header_views(items: list[Item]) -> list[RowView]:
    """The rows above the first data row; prose lines there are split at spaces (a header line of
    the space-separated layout has no numbers, so the reader left it as prose)."""
    out = []
    for it in items:
        if it.row is not None:
            v = it.view
            if v.last_label is not None and v.n_filled and (m := L.APP_ROWS.match(v.last_label.text)) \
                    and m.target.kind == "row":
                break
            out.append(v)
        elif len(it.para.text) <= 80:
            toks = it.para.text.split()
            if len(toks) >= 2:
                out.append(row_view(Row([Cell(t, it.para.source) for t in toks], it.para.source)))
    return out


def match_rows(items: list[Item], report: Report) -> list[DataRow]:
    """Match each row's label to an official row, in document order.

    A label broken across lines is joined back: a label-only row (or a short line of prose, in the
    space-separated layout) is tried as the first part of the next row's label, and kept when the
    joined label matches better. A label-only row followed by values-only rows takes those values;
    a label row whose cells are all blank is a row of blank cells."""
    rows: list[DataRow] = []
    seen: set[str] = set()
    prev: tuple[Cell, RowView | None] | None = None  # a label without values, waiting for what follows

    def flush() -> None:
        # A waiting label row that nothing completed, below the header: a row of blank cells.
        if prev is not None and prev[1] is not None and prev[1].values and rows:
            m = L.APP_ROWS.match(prev[0].text)
            if (m is not None and m.target.kind == "row" and m.target.key not in seen and m.score >= 90
                    and fold(prev[0].text) not in _COLUMN_WORDS):
                _add(rows, seen, prev[1], prev[0], report)

    for it in items:
        glued = digit_runs.glued_view(it, L.APP_ROWS)
        if it.row is None and glued is None:
            flush()
            t = it.para.text.strip()
            prev = (Cell(t, it.para.source), None) if len(t) <= 60 and not _SENTENCE.search(t) else None
            continue
        v = glued or it.view
        label = v.last_label
        if label is None:
            if prev is not None and prev[1] is not None and v.n_filled:
                merged = RowView(it.row, prev[1].labels, v.values, v.parsed, v.n_numbers, v.start, positions=v.positions)
                _add(rows, seen, merged, prev[0], report)
                prev = None
            continue
        if v.n_filled == 0:
            flush()
            prev = (label, v)
            continue
        m = L.APP_ROWS.match(label.text)
        if prev is not None:
            joined = Cell(prev[0].text + label.text, prev[0].source)
            mj = L.APP_ROWS.match(joined.text)
            if mj is not None and (m is None or mj.score > m.score or (m.target.key in seen and mj.target.key not in seen)):
                label, m = joined, mj
            else:
                flush()
        prev = None
        if m is not None:
            _add(rows, seen, v, label, report)
    flush()
    return rows


_SENTENCE = re.compile(r"[。；;：:]")  # labels may hold “，” (the note of （二）) but end no sentence
_COLUMN_WORDS = {fold(c.label) for c in schema.APP_COLUMNS}  # a bare “总计” cell is a header, “（七）总计” a row


def _add(rows: list[DataRow], seen: set[str], v: RowView, label: Cell, report: Report) -> None:
    m = L.APP_ROWS.match(label.text)
    if m is None:
        return
    key, kind = m.target.key, m.target.kind
    if key in seen:
        report.notes.append(Finding(
            "IN-05", "notice", "input", f"表三“{label.text}”行重复出现，只采用第一次出现的数据",
            [f"applications.row.{key}"] if kind == "row" else [], label.source.english()))
        return
    seen.add(key)
    rows.append(DataRow(key, kind, v, label, m.score))
    official = schema.APP_ROW_BY_KEY[key].label if kind == "row" else None
    # Matched through a short alias (部分公开) or cut by a wrap: not a wording difference.
    if official and L.differs(m, label.text) and not L.is_fragment(label.text, official):
        report.labels.append(PrintedLabel(f"applications.row.{key}", label.text, official, label.source, m.score))


def read_applications(items: list[Item], report: Report, fmt: str) -> bool:
    # No table row at all is fine: crawler text glues whole rows into lines of prose (digit_runs).
    header_views = _header_views(items)
    columns, _ = find_columns(header_views, report)
    data = match_rows(items, report)
    if not any(d.kind == "row" for d in data):
        return False
    report.tables_found["applications"] = data[0].label.source
    ncols = len(columns)
    usual = UsualOffsets([d.view for d in data if not d.view.glued], ncols, header_first_columns(header_views))

    has_sub6 = any(d.key in schema.ROWS_2021_ONLY for d in data)
    # The table decides its own format: the three （六） sub-items are 2021, a （六）其他处理 row with
    # numbers is 2019; only when neither is printed does the report's format decide.
    if has_sub6:
        is_2019 = False
    elif any(d.key == "other" and d.kind == "group" for d in data):
        is_2019 = True
    else:
        is_2019 = fmt == schema.FORMAT_2019
    report.table_formats["applications"] = schema.FORMAT_2019 if is_2019 else schema.FORMAT_2021

    placed: dict[str, list[Value]] = {}
    short_rows: list[tuple[str, list[Cell]]] = []
    runs: list[digit_runs.Run] = []   # rows whose cells a crawler glued into digit runs
    unsure: set[str] = set()          # rows read by habit: not evidence for splitting runs
    sums = digit_runs.application_row_sums(columns)
    for d in data:
        if d.kind == "group" and d.key == "other" and is_2019:
            target = "other_processing"
        elif d.kind == "group":
            target = f"subtotal_{d.key}"
        else:
            target = d.key
        if (run := digit_runs.row_run(d.view, target, d.label.text, ncols, sums)) is not None:
            runs.append(run)
            continue
        al = align(d.view, ncols, usual)
        values = [cell_value(c) for c in al.cells]
        placed[target] = values
        if al.short or al.ambiguous:
            unsure.add(target)
        if al.short:
            short_rows.append((target, [c for c in al.cells if c is not None]))
        elif al.ambiguous:
            report.notes.append(Finding(
                "IN-07", "warning", "input",
                f"表三“{d.label.text}”行的数字可以有两种对齐方式（整行右移一格，或末尾多一格），读法不同；"
                f"已按同类行的位置读取，请核对该行", [f"applications.row.{target}"], d.label.source.english()))
        if al.extra:
            report.notes.append(Finding(
                "IN-03", "warning" if any(parse_cell(c.text).kind == NUMBER for c in al.extra) else "notice", "input",
                f"表三“{d.label.text}”行在 {ncols} 列之外还有 {len(al.extra)} 个单元格（{'、'.join(c.text for c in al.extra)}），已忽略",
                [f"applications.row.{target}"], d.label.source.english()))

    if runs:
        placed.update(digit_runs.split_applications(
            runs, columns, {k: v for k, v in placed.items() if k not in unsure}, is_2019, report))
    for target, printed in short_rows:
        _place_short_row(target, printed, columns, placed, report)

    _store(report, placed, columns)
    _missing(report, placed, columns, is_2019)
    return True


def _place_short_row(target: str, printed: list[Cell], columns: list[str], placed: dict[str, list[Value]],
                     report: Report) -> None:
    """A row with fewer values than columns: which column was not printed?

    Each possible gap is scored by the table's equations (row 总计 = Σ applicants; each column's
    （七）总计 = Σ outcome rows; 一 + 二 = （七） + 四). The end of the row wins ties, since merged-cell
    conversion drops the last cells of a row that a spilled label pushed right."""
    ncols = len(columns)
    gaps = ncols - len(printed)
    context = _EquationContext(placed, columns, target)
    best = None
    for missing in combinations(range(ncols), gaps):
        it = iter(printed)
        values = [cell_value(None if k in missing else next(it)) for k in range(ncols)]
        at_end = tuple(range(ncols - gaps, ncols)) == missing
        key = (context.score(values), at_end)
        if best is None or key > best[0]:
            best = (key, missing, values)
    (score, at_end), missing, values = best
    placed[target] = values
    miss_cols = [columns[k] for k in missing]
    labels = "、".join(schema.APP_COLUMN_BY_KEY[c].label if c in schema.APP_COLUMN_BY_KEY else "小计" for c in miss_cols)
    how = "按表内勾稽关系推定" if not at_end else "按合并单元格错位规律推定为行末"
    row_label = schema.row_title(target) if target in schema.APP_ROW_BY_KEY or target == "other_processing" else target
    loc = printed[0].source.english() if printed else ""
    report.notes.append(Finding(
        "IN-02", "warning", "input",
        f"表三“{row_label}”行比表头少 {gaps} 个数，{how}：未印出的是“{labels}”列，其余数字依次对应各列",
        [report.app_cell_path(target, c) for c in miss_cols if c in schema.APP_COLUMN_BY_KEY], loc))


class _EquationContext:
    """The table's equations with everything but the row being placed summed in advance."""

    _IDENTITY = ("new_received", "carried_over", "handled_total", "carried_forward")

    def __init__(self, placed: dict[str, list[Value]], columns: list[str], target: str):
        self.columns = columns
        self.target = target
        self.applicants = [i for i, c in enumerate(columns) if c in schema.APPLICANT_COLUMNS]
        self.total = columns.index("total") if "total" in columns else None
        outcome = [r.key for r in schema.APP_ROWS if r.no.startswith("三（") and r.key != "handled_total"]
        if "other_processing" in placed:
            outcome = [r for r in outcome if r not in schema.ROWS_2021_ONLY] + ["other_processing"]
        self.target_is_outcome = target in outcome
        others = [r for r in outcome if r in placed and r != target]
        self.outcome_sum = [self._sum(placed, others, k) for k in range(len(columns))]
        self.handled = placed.get("handled_total") if target != "handled_total" else None
        self.identity = {r: placed.get(r) for r in self._IDENTITY if r != target}

    @staticmethod
    def _sum(placed, rows, k):
        vals = [placed[r][k].value for r in rows]
        return None if any(v is None for v in vals) else sum(vals)

    def score(self, values: list[Value]) -> int:
        score = 0
        parts = [values[i].value for i in self.applicants]
        if self.total is not None and values[self.total].value is not None and None not in parts:
            score += 1 if sum(parts) == values[self.total].value else -1
        for k in range(len(self.columns)):
            if self.target_is_outcome and self.handled is not None:
                tot, base, mine = self.handled[k].value, self.outcome_sum[k], values[k].value
            elif self.target == "handled_total":
                tot, base, mine = values[k].value, self.outcome_sum[k], 0
            else:
                tot = None
            if tot is not None and None not in (base, mine):
                score += 1 if base + mine == tot else -1
            row = {r: (v[k].value if v is not None else None) for r, v in self.identity.items()}
            if self.target in self._IDENTITY:
                row[self.target] = values[k].value
            a, b, t, f = (row.get(r) for r in self._IDENTITY)
            if None not in (a, b, t, f):
                score += 1 if a + b == t + f else -1
        return score


def _store(report: Report, placed: dict[str, list[Value]], columns: list[str]) -> None:
    for row, values in placed.items():
        for col, v in zip(columns, values):
            if row.startswith("subtotal_") or col == "legal_subtotal":
                report.extra_cells[f"applications.{row}.{col}"] = v
                continue
            if row == "other_processing":
                report.cells[f"extra_2019.applications.other_processing.{col}"] = v
                continue
            report.cells[f"applications.{row}.{col}"] = v
    for row in placed:
        if row.startswith("subtotal_"):
            report.extra.append(f"applications.row.{row}")
    if "legal_subtotal" in columns:
        report.extra.append("applications.column.legal_subtotal")


def _missing(report: Report, placed: dict[str, list[Value]], columns: list[str], is_2019: bool) -> None:
    expected_rows = [r.key for r in (schema.APP_ROWS_2019 if is_2019 else schema.APP_ROWS)]
    for r in expected_rows:
        if r not in placed:
            report.missing.append(f"applications.row.{r}")
    for c in OFFICIAL_ORDER:
        if c not in columns:
            report.missing.append(f"applications.column.{c}")
    if is_2019:
        for c in OFFICIAL_ORDER:
            report.cells.setdefault(f"extra_2019.applications.other_processing.{c}", Value())
