"""Printing a SynthReport as a text document, in the layouts and with the damage of real reports.

Each table is first built as rows of label cells and value cells (every value cell knows its cell
path); damage is applied to that model; a layout then prints it. Because damage is applied to
known cells, every rendering also says what a correct reader must return (`Rendered.expected`)
and which findings it must raise (`Rendered.findings`) — e.g. a zero printed as "/" must come back
as null, not 0, and a dropped 其他 column as a FMT-03 finding.

Layouts are those of the seed reports: "tsv" (Word tables exported with tabs), "cell-per-line"
(Word's table-to-text: one cell per line after a tab, rows between blank lines), "markdown" (pipe
tables of website converters) and "spaced" (pdftotext: a label then space-separated numbers).
"""
from __future__ import annotations

import os
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations, pairwise, product
from math import comb
from typing import Any

from .. import schema
from .data import COLUMNS, OTHER_PROCESSING, SynthReport, app_path, outcome_rows

LAYOUTS = ("tsv", "cell-per-line", "markdown", "spaced")
DAMAGE_KINDS = ("traditional", "fullwidth", "thousands", "blank_nulls", "units", "typos", "subtotal_rows",
                "wrapped_labels", "extra_trailing_cells", "missing_other_column", "shifted_cells", "glued")
ENCODINGS = ("utf-8", "gb18030", "utf-16")
NULL_MARKS = ("/", "—", "-", "无")

NOTE = "(本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和)"


# ------------------------------------------------------------------------------------------ model

@dataclass
class VCell:
    """A printed value cell. `path` is None for cells that are not schema cells (padding, subtotal,
    a merged cell printed again); `copy_of` makes a cell print exactly like another one."""
    path: str | None
    value: int | float | None
    kind: str = "count"          # count | fee | amount | signed | pad
    text: str | None = None
    blank: bool = False          # printed as blank/null mark → the reader must return None
    copy_of: "VCell | None" = None
    last: bool = False           # the last value cell of its row (a trailing "" would be trimmed)


@dataclass
class TRow:
    labels: list[str]
    values: list[VCell] = field(default_factory=list)
    kind: str = "data"           # data | header | title | cont (a wrapped label's continuation)
    key: str | None = None       # 表三 row key, 表二 item key, "rl" for the 表四 data row
    trail: int = 0               # grid padding: empty cells up to the table's width (tsv, markdown)
    extra: int = 0               # damage: extra empty trailing cells beyond the grid
    lead: int | None = None      # header rows of 表三: how many of `labels` are the label region
    table: str = ""
    group: str | None = None     # 表三 group key of an item row (denied, unable, rejected, other)
    label_slot: int = -1         # index in `labels` of the row's own label
    typo: bool = False           # the own label was given a typo
    glued: list[VCell] | None = None  # damage "glued": the value cells now printed as one digit run


@dataclass
class Rendered:
    """A rendering and what reading it must give."""
    text: str
    expected: dict[str, Any]
    findings: list[tuple[str, str, str]]  # (rule, severity, cell path) that must be present
    layout: str
    damage: tuple[str, ...]
    report: SynthReport
    tables: dict[str, list[TRow]]


# ------------------------------------------------------------------------------------------ labels

class Style:
    """Per-report printing choices (numbering with ASCII or full-width brackets, spacing)."""

    def __init__(self, rng: random.Random):
        self.ascii_paren = rng.random() < 0.5
        self.item_space = rng.random() < 0.5

    def group_no(self, cn: str) -> str:
        return f"({cn}) " if self.ascii_paren else f"（{cn}）"

    def item_no(self, n: str) -> str:
        return f"{n}. " if self.item_space else f"{n}."


def row_label(row: schema.Row, st: Style) -> str:
    """The label of a 表三 row as printed in its own cell: “(一) 予以公开”, “1. 属于国家秘密”."""
    no = row.no
    if no in ("一", "二", "四"):
        return f"{no}、{row.label}"
    inner = no[2]  # 三（X）…
    if no[-1].isdigit():
        return st.item_no(no[-1]) + row.label
    return st.group_no(inner) + row.label


GROUPS = {key: (cn, label) for key, cn, label in schema.OUTCOME_GROUPS_2021 if cn.startswith("（")}
OUTCOMES_LABEL = "三、本年度办理结果"


def group_label(group: str, st: Style) -> str:
    cn, label = GROUPS[group]
    return st.group_no(cn.strip("（）")) + label


# ------------------------------------------------------------------------------------------ tables

def _v(rep: SynthReport, path: str, kind: str = "count") -> VCell:
    return VCell(path, rep.cells[path], kind)


def active_rows(rep: SynthReport) -> list[TRow]:
    """表二 as in the seeds: per 第二十条 item a title row, a 信息内容 header row, then item rows."""
    is19 = rep.fmt == schema.FORMAT_2019
    items = schema.ACTIVE_ITEMS_2019 if is19 else schema.ACTIVE_ITEMS
    rows: list[TRow] = []
    group = None
    width = 4
    for item in items:
        if item.group != group:
            group = item.group
            rows.append(TRow([group], kind="title", table="active", trail=width - 1))
            rows.append(TRow(["信息内容"] + [f.label for f in item.fields], kind="header", table="active",
                             trail=width - 1 - len(item.fields)))
        vals = []
        for f in item.fields:
            path = (f"extra_2019.active.{item.key}.{f.key}" if is19 else schema.active_path(item.key, f.key))
            kind = ("amount" if f.key == "amount" else "fee") if f.decimal else ("signed" if f.signed else "count")
            vals.append(_v(rep, path, kind))
        rows.append(TRow([item.label], vals, key=item.key, table="active", trail=width - 1 - len(vals), label_slot=0))
    return rows


def application_rows(rep: SynthReport, st: Style) -> list[TRow]:
    """表三 with its 3-row header. Label region like the seeds: outer label (一、二、三、（七）、四),
    group label（三）…（六）on the first item of its group, item label."""
    is19 = rep.fmt == schema.FORMAT_2019
    rows_def = schema.APP_ROWS_2019 if is19 else schema.APP_ROWS
    legal = [c.label for c in schema.APP_COLUMNS if c.group]
    rows: list[TRow] = [
        TRow([NOTE, "", "申请人情况"] + [""] * 5 + ["总计"], kind="header", table="applications", lead=2),
        TRow(["", "", "自然人", "法人或其他组织"] + [""] * 5, kind="header", table="applications", lead=2),
        TRow(["", "", ""] + legal + [""], kind="header", table="applications", lead=2),
    ]
    seen_groups: set[str] = set()
    for r in rows_def:
        vals = [_v(rep, app_path(r.key, c)) for c in COLUMNS]
        own = row_label(r, st)
        group = next((k for k, (_, lbl) in GROUPS.items() if lbl == r.group), None)
        if r.key == OTHER_PROCESSING:
            own = st.group_no("六") + "其他处理"
        if r.key in ("new_received", "carried_over", "handled_total", "carried_forward"):
            labels = [own, ""]
        elif r.key == "granted":
            labels = [OUTCOMES_LABEL, own]
        elif group is None:
            labels = ["", own]
        elif group not in seen_groups:
            seen_groups.add(group)
            labels = ["", group_label(group, st), own]
        else:
            labels = ["", "", own]
        rows.append(TRow(labels, vals, key=r.key, table="applications", group=group, label_slot=labels.index(own)))
    return rows


RL_FIELD_LABELS = [lbl for _, lbl in schema.RL_FIELDS]


def review_rows(rep: SynthReport) -> list[TRow]:
    """表四: two or three header rows over one row of fifteen numbers (as in every seed)."""
    vals = [_v(rep, schema.rl_path(g, f)) for g, _ in schema.RL_GROUPS for f, _ in schema.RL_FIELDS]
    return [
        TRow(["行政复议", "", "", "", "", "行政诉讼"] + [""] * 9, kind="header", table="review_litigation"),
        TRow(RL_FIELD_LABELS + ["未经复议直接起诉", "", "", "", "", "复议后起诉", "", "", "", ""], kind="header",
             table="review_litigation"),
        TRow([""] * 5 + RL_FIELD_LABELS * 2, kind="header", table="review_litigation"),
        TRow([], vals, key="rl", table="review_litigation"),
    ]


# ------------------------------------------------------------------------------------------ damage

TYPOS_ROW = {
    "rejected_confirm_or_reissue": ("重新出具", "重复出具"),
    "denied_prohibited_by_law": ("其他法律行政法规禁止公开", "其他法律法规禁止公开"),
    "denied_internal_affairs": ("内部事务", "内部事物"),
    "unable_not_held": ("相关政府信息", "相关的政府信息"),
    "new_received": ("政府信息公开申请数量", "政府信息公开申请件数"),
}
TYPOS_HEADER = {"本年废止件数": "本年度止件数", "现行有效件数": "现行有效文件数"}

WRAPPABLE = ("partially_granted", "other_no_correction", "other_fee_unpaid", "rejected_confirm_or_reissue",
             "unable_needs_creation", "new_received", "carried_over", "carried_forward", "rejected_excessive")


def _typos(rng: random.Random, tables: dict[str, list[TRow]]) -> None:
    rows = {r.key: r for r in tables["applications"] if r.kind == "data"}
    choices = [k for k in TYPOS_ROW if k in rows]
    for k in rng.sample(choices, rng.randint(1, min(3, len(choices)))):
        old, new = TYPOS_ROW[k]
        r = rows[k]
        r.labels[r.label_slot] = r.labels[r.label_slot].replace(old, new)
        r.typo = True
    for r in tables["active"]:
        if r.kind == "header":
            r.labels = [TYPOS_HEADER.get(x, x) if rng.random() < 0.7 else x for x in r.labels]


def _subtotals(rng: random.Random, rep: SynthReport, st: Style, rows: list[TRow]) -> list[str]:
    """Insert subtotal rows with their items' sums: “(三) 不予公开” over its items, or a
    “三、本年度办理结果” row over all outcome rows. Returns the groups added."""
    groups = ["denied", "unable", "rejected"] + ([] if rep.fmt == schema.FORMAT_2019 else ["other"])
    chosen = [g for g in groups if rng.random() < 0.6] or [rng.choice(groups)]
    if rng.random() < 0.3:
        chosen.append("outcomes")
    outcome_keys = set(outcome_rows(rep.fmt))
    out: list[TRow] = []
    for r in rows:
        if r.kind == "data" and r.key == "granted" and "outcomes" in chosen:
            members = [x for x in rows if x.kind == "data" and x.key in outcome_keys]
            sums = [VCell(None, sum(m.values[i].value or 0 for m in members)) for i in range(len(COLUMNS))]
            out.append(TRow([OUTCOMES_LABEL, ""], sums, key="subtotal_outcomes", table="applications", label_slot=0))
            r.labels = ["", r.labels[-1]]
            r.label_slot = 1
        elif r.kind == "data" and r.group in chosen and r.labels[1:2] and r.labels[1] == group_label(r.group, st):
            members = [x for x in rows if x.kind == "data" and x.group == r.group]
            sums = [VCell(None, sum(m.values[i].value or 0 for m in members)) for i in range(len(COLUMNS))]
            out.append(TRow(["", group_label(r.group, st)], sums, key=f"subtotal_{r.group}", table="applications",
                            label_slot=1))
            r.labels = ["", "", r.labels[-1]]
            r.label_slot = 2
        out.append(r)
    rows[:] = out
    return chosen


def _drop_other(rows: list[TRow]) -> None:
    """Remove the 其他 column, as seed 000 prints 表三 (header and every row)."""
    idx = COLUMNS.index("other")
    for r in rows:
        if r.kind == "header":
            if "其他" in r.labels:
                r.labels.remove("其他")
            elif len(r.labels) > 6:
                del r.labels[-2]
        elif r.values and len(r.values) == len(COLUMNS):
            del r.values[idx]


def _wrap(rng: random.Random, rows: list[TRow], layout: str, wrap_rows: Iterable[str], values_on_tail: bool,
          stack: bool, max_wraps: int) -> None:
    """Break up to `max_wraps` long labels; the tail goes on a continuation row without numbers.

    Either the numbers stay with the head (seed 003) or, in the spaced layout with
    `values_on_tail`, they move to the tail's line (PDFs centre numbers vertically in a cell)."""
    wrap_rows = set(wrap_rows)
    cands = [r for r in rows if r.kind == "data" and r.key in wrap_rows and (stack or not r.typo)]
    for r in rng.sample(cands, min(len(cands), rng.randint(1, max(1, max_wraps)))):
        text = r.labels[r.label_slot]
        head_len = rng.randint(max(8, len(text) // 3), max(9, len(text) - 4))
        head, tail = text[:head_len], text[head_len:]
        if not tail:
            continue
        slot = r.label_slot
        i = rows.index(r)
        if layout == "spaced" and values_on_tail:
            first = TRow(r.labels[:slot] + [head], [], kind="cont", table=r.table, label_slot=slot)
            r.labels = [""] * slot + [tail]
            rows.insert(i, first)
        else:
            r.labels[slot] = head
            cont = TRow([""] * slot + [tail], [], kind="cont", table=r.table, label_slot=slot,
                        trail=len(r.values) if layout == "tsv" else 0)
            rows.insert(i + 1, cont)


def _shift(rng: random.Random, tables: dict[str, list[TRow]]) -> None:
    for name, rows in tables.items():
        for r in rows:
            if r.kind == "data" and r.values and rng.random() < (0.35 if name != "review_litigation" else 0.5):
                r.values.insert(0, VCell(None, None, "pad", text=""))


def _extra_trailing(rng: random.Random, tables: dict[str, list[TRow]]) -> None:
    for r in tables["active"]:
        if r.kind == "data" and len(r.values) == 1 and rng.random() < 0.7:
            # A merged cell printed once per grid column: “行政处罚⇥0⇥0⇥0”.
            r.values += [VCell(None, None, "pad", copy_of=r.values[0]) for _ in range(r.trail)]
            r.trail = 0
    for rows in tables.values():
        for r in rows:
            if rng.random() < 0.5:
                r.extra += rng.randint(1, 2)


GLUE_MAX = 5_000        # splits per glued row (the reader searches no more: digit_runs.MAX_CANDIDATES)
GLUE_MAX_JOINT = 20_000  # combinations of the glued rows' splits checked by brute force below


def _all_splits(digits: str, n: int) -> list[tuple[int, ...]]:
    """Every split of `digits` into n numbers without leading zeros, by trying every set of cut
    positions — slow and obvious on purpose: it checks the reader's pruned search."""
    out = []
    for cuts in combinations(range(1, len(digits)), n - 1):
        bounds = (0, *cuts, len(digits))
        parts = [digits[a:b] for a, b in pairwise(bounds)]
        if all(p == "0" or not p.startswith("0") for p in parts):
            out.append(tuple(int(p) for p in parts))
    return out


def _n_splits(length: int, n: int) -> int:
    return comb(length - 1, n - 1) if length >= n else 0


def _row_splits(r: TRow) -> list[tuple[int, ...]] | None:
    """A 表三 row's splits keeping those whose 总计 is the sum of the applicant columns (only
    when all seven columns are printed); None when there are too many to check by brute force."""
    digits = "".join(str(v.value) for v in r.glued)
    n = len(r.glued)
    if _n_splits(len(digits), n) > 40_000:
        return None
    found = _all_splits(digits, n)
    if n == len(COLUMNS):
        found = [s for s in found if sum(s[:-1]) == s[-1]]
    return found if len(found) <= GLUE_MAX else None


def _glue(rng: random.Random, tables: dict[str, list[TRow]], fullwidth: bool, null_cells: set[str]) -> None:
    """Crawler text: a row's value cells run together and onto its label, “…申请数量801000081”.

    Rows of 表三 (all of them, a few, or one) and 表四's row of fifteen. A glued row has no blank
    cells (a blank would vanish from the run) and is never a wrapped one. Rows are added only while
    the brute force of `glued_expected` stays small."""
    rows = tables["applications"]
    data = [r for r in rows if r.kind == "data" and r.values and not (r.key or "").startswith("subtotal_")]
    conts = {i for i, r in enumerate(rows) if r.kind == "cont"}
    ok = [r for r in data if rows.index(r) - 1 not in conts and rows.index(r) + 1 not in conts
          and not any(v.path in null_cells for v in r.values)]
    want = rng.choice((1, 3, len(ok)))
    joint = 1
    for r in rng.sample(ok, len(ok)):
        if want == 0:
            break
        r.glued = [v for v in r.values if v.kind != "pad"]
        found = _row_splits(r)
        if not found or joint * len(found) > GLUE_MAX_JOINT:
            r.glued = None
            continue
        joint *= len(found)
        want -= 1
    # Mostly stuck to the label; sometimes the label's cell survived and the run is one cell of its own.
    own_cell = rng.random() < 0.3
    for r in rows:
        if r.glued:
            run = "".join(str(v.value) for v in r.glued)
            if fullwidth and rng.random() < 0.5:
                run = run.translate(_FULL)
            if own_cell:
                r.labels = r.labels[:r.label_slot + 1]
                r.values = [VCell(None, None, "glued", text=run)]
            else:
                r.labels = r.labels[:r.label_slot] + [r.labels[r.label_slot] + run]
                r.values = []
    rl = next(r for r in tables["review_litigation"] if r.kind == "data")
    cells = [v for v in rl.values if v.kind != "pad"]
    run = "".join(str(v.value) for v in cells)
    if rng.random() < 0.6 and _n_splits(len(run), len(cells)) <= 20_000 \
            and not any(v.path in null_cells for v in cells):
        rl.glued = cells
        rl.values = [VCell(None, None, "glued", text=run.translate(_FULL) if fullwidth and rng.random() < 0.5 else run)]


def glued_expected(tables: dict[str, list[TRow]], fmt: str) -> dict[str, int | None]:
    """What a correct reader returns for the glued rows: the values when only one split of the
    runs satisfies the table's identities — each row's 总计 = Σ applicants (all columns printed),
    per column 一+二 = （七）+四, （七） = Σ outcome rows, subtotal rows = Σ their items — and None
    for every cell of a row with more than one such split. Brute force over all combinations, with
    cells printed blank taken as unknown (an identity with one is not used)."""
    out: dict[str, int | None] = {}
    rows = [r for r in tables["applications"] if r.kind == "data" and r.values or r.glued]
    glued = [r for r in rows if r.glued]
    known = {r.key: [None if v.blank else v.value for v in r.values if v.kind != "pad"] for r in rows if not r.glued}
    outcomes = list(outcome_rows(fmt))
    equations = [(["new_received", "carried_over"], ["handled_total", "carried_forward"]), (["handled_total"], outcomes)]
    for r in rows:
        if (r.key or "").startswith("subtotal_"):
            g = r.key[len("subtotal_"):]
            members = outcomes if g == "outcomes" else [x.key for x in rows if x.group == g]
            equations.append(([r.key], members))
    choices = [_row_splits(r) for r in glued]
    ncols = len(glued[0].glued) if glued else 0
    solutions = []
    for combo in product(*choices):
        value = dict(known)
        value.update({r.key: list(c) for r, c in zip(glued, combo)})
        good = True
        for lhs, rhs in equations:
            if not any(r.key in lhs + rhs for r in glued):
                continue
            for j in range(ncols):
                terms = [value[k][j] for k in lhs + rhs]
                if None in terms:
                    continue
                if sum(value[k][j] for k in lhs) != sum(value[k][j] for k in rhs):
                    good = False
        if good:
            solutions.append(combo)
    for i, r in enumerate(glued):
        picked = {s[i] for s in solutions}
        only = picked.pop() if len(picked) == 1 else None
        for n, v in enumerate(r.glued):
            out[v.path] = None if only is None else only[n]
    for r in tables["review_litigation"]:
        if r.glued:
            digits = "".join(str(v.value) for v in r.glued)
            found = [s for s in _all_splits(digits, 15)
                     if all(s[g + 4] == s[g] + s[g + 1] + s[g + 2] + s[g + 3] for g in (0, 5, 10))]
            for n, v in enumerate(r.glued):
                out[v.path] = found[0][n] if len(found) == 1 else None
    return out


def _mark_last(tables: dict[str, list[TRow]]) -> None:
    for rows in tables.values():
        for r in rows:
            for v in r.values:
                v.last = False
            real = [v for v in r.values if v.kind != "pad"]
            if real:
                real[-1].last = True


def _choose_blanks(rng: random.Random, tables: dict[str, list[TRow]], layout: str, blank_at_row_end: bool) -> None:
    """Zero cells printed blank or as “/”“—”“-”“无”: the reader must return null for them.
    With `blank_at_row_end` false, a row's last value cell is never printed as "" (only as a mark):
    trimmed trailing blanks make such a row look one cell short."""
    p = rng.choice((0.2, 0.5, 0.9))
    for rows in tables.values():
        for r in rows:
            for v in r.values:
                if v.path is None or v.value != 0 or rng.random() > p:
                    continue
                v.blank = True
                allow_empty = layout != "spaced" and (blank_at_row_end or not v.last)
                v.text = rng.choice(("",) * 3 + NULL_MARKS) if allow_empty else rng.choice(NULL_MARKS)


_FULL = str.maketrans("0123456789", "０１２３４５６７８９")


def _format_number(v: int | float, thousands: bool) -> str:
    if isinstance(v, float):
        s = repr(v)
        if thousands:
            whole, _, frac = s.partition(".")
            s = f"{int(whole):,}" + ("." + frac if frac else "")
        return s
    return f"{v:,}" if thousands else str(v)


def _format_values(rng: random.Random, tables: dict[str, list[TRow]], damage: set[str], procurement_yuan: bool) -> None:
    unit_p = rng.choice((0.3, 1.0))
    full_p = rng.choice((0.5, 1.0))
    for rows in tables.values():
        for r in rows:
            for v in r.values:
                if v.copy_of is not None or v.kind in ("pad", "glued") or v.blank:
                    continue
                s = _format_number(v.value, "thousands" in damage and abs(v.value) >= 1000 and rng.random() < 0.9)
                if "units" in damage and rng.random() < unit_p:
                    if v.kind == "count":
                        s += rng.choice(("件", "件", "个")) if r.table == "active" else "件"
                    elif v.kind == "fee":
                        s += "万元"
                    elif v.kind == "amount" and procurement_yuan:
                        s += "元"
                if "fullwidth" in damage and rng.random() < full_p:
                    s = s.translate(_FULL)
                v.text = s
            for v in r.values:
                if v.copy_of is not None:
                    v.text = v.copy_of.text
                elif v.text is None:
                    v.text = ""


def _traditional(tables: dict[str, list[TRow]]) -> None:
    for rows in tables.values():
        for r in rows:
            r.labels = [to_traditional(x) for x in r.labels]


from ..recognize.normalize import to_traditional  # noqa: E402  (one OpenCC wrapper for the project)


# ------------------------------------------------------------------------------------------ layouts

def lines_tsv(rows: list[TRow], rng: random.Random) -> list[str]:
    out = []
    for r in rows:
        if r.kind == "cont" and rng.random() < 0.5:
            out.append("")  # seed 003: a blank line before the wrapped tail
        cells = list(r.labels) + [v.text for v in r.values] + [""] * (r.trail + r.extra)
        out.append("\t".join(cells))
    return out


def lines_cell_per_line(rows: list[TRow], rng: random.Random) -> list[str]:
    """Word's table-to-text (seed 002): every cell on its own line after a tab, a blank line between
    rows, no grid padding. The second line of a wrapped cell has no tab: it is the same cell's text."""
    out: list[str] = []
    for n, r in enumerate(rows):
        if r.kind == "cont":
            continue  # printed with the row it continues
        labels = list(r.labels)
        if r.kind in ("title", "header"):
            first = next((i for i, c in enumerate(labels) if c), 0)
            labels = labels[:first] + [c for c in labels[first:] if c]
        tail = rows[n + 1] if n + 1 < len(rows) and rows[n + 1].kind == "cont" else None
        for i, c in enumerate(labels):
            out.append("\t" + c)
            if tail is not None and i == r.label_slot:
                out.append(tail.labels[tail.label_slot])
        out.extend("\t" + v.text for v in r.values)
        out.extend(["\t"] * r.extra)
        out.append("")
    return out


def lines_markdown(rows: list[TRow], rng: random.Random) -> list[str]:
    """A pipe table: every row padded to the grid (label region, then values), a |---| line after
    the first row, `|` inside cells escaped."""
    data = [r for r in rows if r.kind in ("data", "cont")]
    width_l = max(len(r.labels) for r in data)
    width_v = max(len(r.values) for r in data)
    out = []
    for n, r in enumerate(rows):
        if r.kind in ("data", "cont"):
            cells = list(r.labels) + [""] * (width_l - len(r.labels)) + [v.text for v in r.values]
        elif r.lead is not None:
            cells = r.labels[: r.lead] + [""] * (width_l - r.lead) + r.labels[r.lead:]
        else:
            cells = list(r.labels)
        cells += [""] * (width_l + width_v - len(cells)) + [""] * r.extra
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        if n == 0:
            out.append("|" + "|".join(["---"] * len(cells)) + "|")
    return out


def lines_spaced(rows: list[TRow], rng: random.Random, inline_groups: bool, inline_outcomes: bool) -> list[str]:
    """pdftotext: labels joined by spaces, then the numbers. A merged group label （三）…（六）
    stands on its own line or, with `inline_groups`, in front of its first item; likewise the
    outer label 三、本年度办理结果 in front of （一）予以公开 with `inline_outcomes`."""
    out = []
    for r in rows:
        labels = [x for x in r.labels if x]
        if r.kind in ("title", "header"):
            if NOTE in labels:
                out.append(NOTE)
                labels.remove(NOTE)
            if labels:
                out.append(" ".join(labels))
            continue
        vals = [v.text for v in r.values if v.kind != "pad" or v.copy_of is not None]
        if len(labels) > 1 and not (inline_outcomes if r.key == "granted" else inline_groups):
            out.extend(labels[:-1])
            labels = labels[-1:]
        out.append(" ".join(labels + vals))
    return out


# ------------------------------------------------------------------------------------------ document

def _title(rng: random.Random, rep: SynthReport, layout: str) -> list[str]:
    y = rep.year
    variants = [[f"{rep.unit}{y}年政府信息公开工作年度报告"], [f"{rep.unit} {y} 年政府信息公开工作年度报告"],
                [rep.unit, f"{y}年政府信息公开工作年度报告"]]
    if rep.kind == "township":
        variants.append([f"{rep.short_name}{y}年政府信息公开工作年度报告"])
    lines = rng.choice(variants)
    if layout == "markdown":
        lines = lines[:-1] + ["# " + lines[-1]]
    return lines


def _heading(sec: schema.Section, layout: str, damage: set[str]) -> str:
    text = f"{sec.no}、{sec.title}"
    if "traditional" in damage:
        text = to_traditional(text)
    return ("## " + text) if layout == "markdown" else text


def _date(iso: str) -> str:
    y, m, d = (int(x) for x in iso.split("-"))
    return f"{y}年{m}月{d}日"


def render(report: SynthReport, rng: random.Random, *, layout: str = "tsv", damage: Iterable[str] = (),
           blank_at_row_end: bool = True, procurement_yuan: bool = True, inline_groups: bool | None = None,
           inline_outcomes: bool | None = None, wrap_values_on_tail: bool | None = None,
           wrap_rows: Iterable[str] = WRAPPABLE, stack_label_damage: bool = True,
           null_cells: Iterable[str] = (), max_wraps: int = 2) -> Rendered:
    """Print `report` and state what reading it must give.

    By default every variant of a damage kind may occur. The options switch single variants off
    (tests use them to keep reader bugs that are already reported out of the general tests):
    `blank_at_row_end` lets blank_nulls print "" in a row's last value cell; `procurement_yuan`
    lets units print “元” after the 2019 采购总金额; `inline_groups` (spaced) prints a merged group
    label （三）…（六） in front of its first item instead of on its own line, `inline_outcomes` the
    same for 三、本年度办理结果 before （一）予以公开 (None: random);
    `wrap_values_on_tail` (spaced) puts a wrapped row's numbers on the label's second line
    (None: random); `wrap_rows` are the 表三 rows whose label may be wrapped, at most `max_wraps`
    of them; `stack_label_damage` lets one label carry both a typo and a wrap. `null_cells` are
    printed as “/” whatever their value (the reader must return null for them), to put a blank
    exactly where a test needs one."""
    damage = set(damage)
    unknown = damage - set(DAMAGE_KINDS)
    if unknown or layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r} or damage {sorted(unknown)}")
    st = Style(rng)
    if inline_groups is None:
        inline_groups = rng.random() < 0.5
    if inline_outcomes is None:
        inline_outcomes = rng.random() < 0.5
    tables = {"active": active_rows(report), "applications": application_rows(report, st),
              "review_litigation": review_rows(report)}
    findings: list[tuple[str, str, str]] = []
    if "typos" in damage:
        _typos(rng, tables)
    if "subtotal_rows" in damage:
        for g in _subtotals(rng, report, st, tables["applications"]):
            findings.append(("FMT-03", "notice", f"applications.row.subtotal_{g}"))
    if "missing_other_column" in damage:
        _drop_other(tables["applications"])
        findings.append(("FMT-03", "error", "applications.column.other"))
    if "wrapped_labels" in damage:
        if wrap_values_on_tail is None:
            wrap_values_on_tail = rng.random() < 0.5
        _wrap(rng, tables["applications"], layout, wrap_rows, wrap_values_on_tail, stack_label_damage,
              max_wraps)
    if "shifted_cells" in damage and layout != "spaced":
        _shift(rng, tables)
    if "extra_trailing_cells" in damage:
        _extra_trailing(rng, tables)
    if "glued" in damage:
        _glue(rng, tables, "fullwidth" in damage, set(null_cells))
    _mark_last(tables)
    if "blank_nulls" in damage:
        _choose_blanks(rng, tables, layout, blank_at_row_end)
    null_cells = set(null_cells)
    for rows in tables.values():
        for r in rows:
            for v in r.values:
                if v.path in null_cells:
                    v.blank, v.text = True, "/"
    _format_values(rng, tables, damage, procurement_yuan)
    if "traditional" in damage:
        _traditional(tables)

    expected = dict(report.cells)
    for rows in tables.values():
        for r in rows:
            for v in r.values:
                if v.path is not None and v.blank:
                    expected[v.path] = None
    if "missing_other_column" in damage:
        for r in (schema.APP_ROWS_2019 if report.fmt == schema.FORMAT_2019 else schema.APP_ROWS):
            expected[app_path(r.key, "other")] = None
    if "glued" in damage:
        for path, value in glued_expected(tables, report.fmt).items():
            expected[path] = value
        findings += [("IN-10", "warning", r.glued[0].path) for rows in tables.values() for r in rows if r.glued]
    if report.fmt == schema.FORMAT_2019:
        for src, dst in schema.ACTIVE_2019_TO_2021.items():
            expected[dst] = expected["extra_2019." + src]

    printer = {"tsv": lines_tsv, "cell-per-line": lines_cell_per_line, "markdown": lines_markdown,
               "spaced": lambda rows, rng: lines_spaced(rows, rng, inline_groups, inline_outcomes)}[layout]

    out: list[str] = ["", ""] if rng.random() < 0.5 else []
    out += _title(rng, report, layout)
    out.append("")
    for sec in schema.SECTIONS:
        out.append(_heading(sec, layout, damage))
        out.append("")
        for p in report.sections.get(sec.key, []):
            out += [p, ""]
        if sec.key in tables:
            out += printer(tables[sec.key], rng)
            out.append("")
    out += ["", report.unit, _date(report.report_date), ""]
    return Rendered("\n".join(out), expected, findings, layout, tuple(sorted(damage)), report, tables)


def render_text(report: SynthReport, rng: random.Random, *, layout: str = "tsv", damage: Iterable[str] = (),
                **options) -> str:
    """The whole report as text (see `render` for the options)."""
    return render(report, rng, layout=layout, damage=damage, **options).text


def render_file(report: SynthReport, path: str | os.PathLike, rng: random.Random, layout: str = "tsv",
                damage: Iterable[str] = (), encoding: str = "utf-8", **options) -> Rendered:
    """Write the rendering as bytes in `encoding` (utf-8, gb18030 or utf-16 with BOM; Windows line
    endings for gb18030, as Chinese Windows editors save) and return what reading it must give."""
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {ENCODINGS}")
    rendered = render(report, rng, layout=layout, damage=damage, **options)
    text = rendered.text
    if encoding == "gb18030":
        text = text.replace("\n", "\r\n")
    with open(path, "wb") as fh:
        fh.write(text.encode(encoding))
    return rendered
