"""表四 (政府信息公开行政复议、行政诉讼情况): fifteen numbers onto three groups × five fields.

Most tables print one data row of fifteen numbers under a two- or three-row header; some print one
row per group (“行政复议 0 0 0 0 0”); flattened text gives bare numbers. Values are taken in reading
order after the header, in the official field order.
"""
from __future__ import annotations

from .. import schema
from ..document import Cell
from ..model import Finding, Report
from . import digit_runs
from . import labels as L
from .rows import Item, cell_value
from .values import BLANK, parse_cell

GROUPS = [g for g, _ in schema.RL_GROUPS]
FIELDS = [f for f, _ in schema.RL_FIELDS]


def read_review(items: list[Item], report: Report) -> bool:
    per_group: dict[str, list[Cell]] = {}
    stream: list[Cell] = []
    first_source = None
    for it in items:
        if it.row is None:
            continue
        v = it.view
        first_source = first_source or it.row.source
        if not v.n_filled:
            continue
        g = L.RL_GROUPS.match(v.last_label.text) if v.last_label is not None else None
        if g is not None and g.target.kind == "rlgroup" and v.n_filled >= 4:
            per_group[g.target.key] = v.values
            continue
        if v.last_label is not None and v.n_numbers == 0:
            continue
        stream.extend(v.values)
    if per_group:
        for g in GROUPS:
            cells = per_group.get(g, [])
            for f, c in zip(FIELDS, cells + [None] * (5 - len(cells))):
                report.cells[schema.rl_path(g, f)] = cell_value(c, "表四少于 15 个数，此格未印出")
        found = len(per_group)
    elif (run := _glued(stream)) is not None:
        split = digit_runs.split_review(run)
        paths = [schema.rl_path(g, f) for g in GROUPS for f in FIELDS]
        for p, v in zip(paths, digit_runs.values_of(run, split, 15)):
            report.cells[p] = v
        report.notes.append(digit_runs.review_finding(run, split, paths))
        report.tables_found["review_litigation"] = first_source
        return True
    else:
        # Blanks beyond fifteen cells are padding, trailing ones first (merged cells at the row's end);
        # blanks among the fifteen are blank cells.
        blank = [parse_cell(c.text).kind == BLANK for c in stream]
        if len(stream) > 15 and blank[0] and blank[-1] and blank[1:16] != blank[:15]:
            report.notes.append(Finding(
                "IN-07", "warning", "input",
                "表四的数字多出一格空白，可以理解为整行右移一格，也可以理解为末尾多一格，两种读法不同；已按末尾多一格读取，请核对",
                ["table.review_litigation"], stream[0].source.english()))
        while len(stream) > 15 and parse_cell(stream[-1].text).kind == BLANK:
            stream.pop()
        while len(stream) > 15 and parse_cell(stream[0].text).kind == BLANK:
            stream.pop(0)
        if not stream:
            return False
        cells = stream[:15]
        for n, c in enumerate(cells + [None] * (15 - len(cells))):
            report.cells[schema.rl_path(GROUPS[n // 5], FIELDS[n % 5])] = cell_value(c, "表四少于 15 个数，此格未印出")
        if len(stream) > 15:
            extra = [c for c in stream[15:] if parse_cell(c.text).kind != BLANK]
            if extra:
                report.notes.append(Finding("IN-03", "warning", "input",
                                            f"表四在 15 个数之后还有 {len(extra)} 个单元格（{'、'.join(c.text for c in extra[:5])}），已忽略",
                                            ["table.review_litigation"], extra[0].source.english()))
        found = len(cells)
    report.tables_found["review_litigation"] = first_source
    for g in GROUPS:
        for f in FIELDS:
            if report.cells[schema.rl_path(g, f)].state == "guessed":
                report.missing.append(schema.rl_path(g, f))
    return found > 0


def _glued(stream: list[Cell]) -> digit_runs.Run | None:
    """表四's numbers glued into digit runs by a crawler: fewer than 14 cells but at least 15 digits
    (one run is always glued; several must leave a split whose group totals add up)."""
    cells = [c for c in stream if parse_cell(c.text).kind != BLANK]
    tokens = [digit_runs.digit_string(c.text) for c in cells]
    if not tokens or None in tokens or len(tokens) > 13 or sum(map(len, tokens)) < 15:
        return None
    if len(tokens) > 1 and not digit_runs.splits(tokens, 15, digit_runs.RL_SUMS):
        return None
    return digit_runs.Run("review_litigation", tokens, cells, "表四")
