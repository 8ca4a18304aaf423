"""Table cells that crawlers glued into one run of digits: “…申请数量801000081”.

Web pages copied by crawlers often lose the boundaries between the cells of a statistics table, so
a row's numbers come out as one digit string, usually stuck to the row's label. The digits alone do
not say where the cells end (“801000081” could be 8,0,1,0,0,0,81 or 80,1,0,0,0,0,81 …), but the
table's own identities usually do: each row's 总计 is the sum of its applicant columns, each column
obeys the 勾稽关系 一＋二＝（七）＋四 and （七）＝Σ outcome rows, and added subtotal rows equal their
items. This module finds every split of a run into the expected number of non-negative integers
without leading zeros (a “0” is one cell), keeps the splits that satisfy the row's identity, and then
searches the glued rows jointly for the choices that satisfy the column identities.

A row is read only when exactly one split survives; otherwise its cells are left empty and the
report says so — guessing a number would invent data. The search is bounded: a run with too many
splits, or a joint search that grows too large, is reported as ambiguous rather than explored.
Numbers are never adjusted: when no split satisfies every identity (the document's own error), the
splits satisfying the most identities are kept, and the arithmetic rules report what still fails.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import product

from .. import schema
from ..document import Cell, Row
from ..model import GUESSED, PRINTED, Finding, Report, Value
from .normalize import nfkc
from .rows import Item, RowView
from .values import BLANK, parse_cell

HOW_SPLIT = "连写数字按勾稽关系拆分"
HOW_AMBIGUOUS = "连写数字有多种拆法，未作猜测"
HOW_NONE = "连写数字无法拆成该行的列数"

MAX_NODES = 200_000      # search steps per run before giving up (reported as ambiguous)
MAX_CANDIDATES = 5_000   # splits kept per run when the row's own identity does not narrow them
MAX_JOINT_NODES = 200_000  # states × splits the joint dynamic programme may visit
MAX_FALLBACK = 20_000    # combinations scored when no joint choice satisfies every identity
MIN_COLUMNS = 6          # the narrowest 表三 row (the 其他 column missing)

_TRAILING = re.compile(r"^(.*?[^\s0-9０-９])\s*([0-9０-９]+)$", re.DOTALL)
_CJK = re.compile(r"[\u4e00-\u9fff]")


# ------------------------------------------------------------------------------------ recognising runs

def digit_string(text: str) -> str | None:
    """The cell's digits when it is nothing but digits (full-width folded), else None."""
    t = nfkc(text).strip()
    return t if t.isascii() and t.isdigit() else None


def cut_label(text: str) -> tuple[str, str] | None:
    """(label, run) for a label cell with digits stuck to its end, e.g. “（七）总计12000012”.

    Only the end is cut: a leading item number (“1.属于国家秘密”) is part of the label. The label
    must hold Chinese text, so a bare number is never taken for a label with a run."""
    m = _TRAILING.match(text.strip())
    if m is None:
        return None
    label = m.group(1).rstrip()
    if not _CJK.search(label):
        return None
    return label, nfkc(m.group(2))


# ------------------------------------------------------------------------------------ splitting

class _TooMany(Exception):
    pass


def splits(tokens: list[str], n: int, sums: dict[int, tuple[int, ...]] | None = None,
           max_nodes: int = MAX_NODES) -> list[tuple[int, ...]] | None:
    """Every way to cut the digit strings `tokens` (in order; a token boundary is a cell boundary)
    into `n` non-negative integers without leading zeros. `sums` maps a cell index to the earlier
    cells it must equal the sum of (a row's 总计): such a cell is not chosen but read off as the
    digits of that sum, which prunes the search at once. None when the search exceeds `max_nodes`."""
    sums = sums or {}
    suffix = [0] * (len(tokens) + 1)
    for i in range(len(tokens) - 1, -1, -1):
        suffix[i] = suffix[i + 1] + len(tokens[i])
    out: list[tuple[int, ...]] = []
    parts: list[int] = []
    nodes = 0

    def rec(ti: int, pos: int) -> None:
        nonlocal nodes
        nodes += 1
        if nodes > max_nodes:
            raise _TooMany
        i = len(parts)
        if ti == len(tokens):
            if i == n:
                out.append(tuple(parts))
            return
        if i == n:
            return
        tok = tokens[ti]
        if i in sums:
            s = str(sum(parts[j] for j in sums[i]))
            ends = [pos + len(s)] if tok.startswith(s, pos) else []
        else:
            ends = [pos + 1] if tok[pos] == "0" else range(pos + 1, len(tok) + 1)
        for end in ends:
            inside = end < len(tok)
            left = n - i - 1
            need = (len(tokens) - ti - 1) + (1 if inside else 0)
            if not need <= left <= (len(tok) - end) + suffix[ti + 1]:
                continue
            parts.append(int(tok[pos:end]))
            rec(ti if inside else ti + 1, end if inside else 0)
            parts.pop()

    try:
        rec(0, 0)
    except _TooMany:
        return None
    return out


@dataclass(slots=True)
class Run:
    """A glued row: its digit strings, where they were printed, and its candidate splits."""
    key: str
    tokens: list[str]
    cells: list[Cell]
    label: str
    candidates: list[tuple[int, ...]] | None = None  # None: too many to search
    row_ok: bool = True                              # the candidates satisfy the row's own identity


def candidates(run: Run, n: int, sums: dict[int, tuple[int, ...]] | None) -> Run:
    """The splits satisfying the row's own identity; when none does (the document's error, or a
    table whose row identity is unknown), every split, if there are not too many."""
    if sums:
        found = splits(run.tokens, n, sums)
        if found:
            run.candidates, run.row_ok = found, True
            return run
        if found is None:
            run.candidates = None
            return run
    found = splits(run.tokens, n, None)
    run.candidates = found if found is not None and len(found) <= MAX_CANDIDATES else None
    run.row_ok = not sums
    return run


# ------------------------------------------------------------------------------------ joint search

@dataclass(frozen=True, slots=True)
class Identity:
    """Σ lhs rows = Σ rhs rows, column by column."""
    lhs: tuple[str, ...]
    rhs: tuple[str, ...]


def resolve(runs: dict[str, list[tuple[int, ...]]], identities: list[Identity],
            known: dict[str, list[int | None]], ncols: int) -> dict[str, tuple[int, ...] | None]:
    """For each glued row, its split if every best joint choice agrees on it, else None.

    “Best” is every choice satisfying all identities that can be evaluated (a row neither known nor
    glued, or a blank cell, leaves that identity or column out); when no choice does, the choices
    satisfying the most identity columns. A search too large to finish leaves ambiguous every row
    that still has more than one candidate."""
    order = [k for k in runs if runs[k]]
    out: dict[str, tuple[int, ...] | None] = {k: (v[0] if len(v) == 1 else None) for k, v in runs.items() if v}
    if not order:
        return out
    pos = {k: i for i, k in enumerate(order)}
    checks = []  # (index of the last glued row involved, glued rows with signs, constants, columns)
    for ident in identities:
        rows = [(r, 1) for r in ident.lhs] + [(r, -1) for r in ident.rhs]
        if any(r not in known and r not in pos for r, _ in rows):
            continue
        glued = [(pos[r], s) for r, s in rows if r in pos]
        if not glued:
            continue
        const, cols = [0] * ncols, []
        for k in range(ncols):
            vals = [known[r][k] for r, _ in rows if r not in pos]
            if None in vals:
                continue
            const[k] = sum(s * known[r][k] for r, s in rows if r not in pos)
            cols.append(k)
        if cols:
            checks.append((max(i for i, _ in glued), glued, const, cols))

    def holds(check, choice) -> int:
        _, glued, const, cols = check
        return sum(1 for k in cols if const[k] + sum(s * runs[order[i]][choice[i]][k] for i, s in glued) == 0)

    viable = _viable(order, runs, checks)
    if viable is None:
        return out  # too large to finish: only rows with a single split are read
    if any(viable):
        for i, k in enumerate(order):
            out[k] = runs[k][next(iter(viable[i]))] if len(viable[i]) == 1 else None
        return out
    # No choice satisfies every identity: the document has an error somewhere. Keep the choices
    # satisfying the most identity columns, if they are few enough to score one by one.
    sizes = [len(runs[k]) for k in order]
    total = 1
    for s in sizes:
        total *= s
    if total > MAX_FALLBACK:
        return out
    best, solutions = -1, []
    for combo in product(*(range(s) for s in sizes)):
        score = sum(holds(ch, combo) for ch in checks)
        if score > best:
            best, solutions = score, [combo]
        elif score == best:
            solutions.append(combo)
    for i, k in enumerate(order):
        picked = {runs[k][sol[i]] for sol in solutions}
        out[k] = picked.pop() if len(picked) == 1 else None
    return out


def _viable(order: list[str], runs: dict[str, list[tuple[int, ...]]], checks: list) -> list[set[int]] | None:
    """For each glued row, the candidates that occur in some choice satisfying every check; all
    empty when no choice does; None when the search outgrows MAX_JOINT_NODES.

    A dynamic programme over the rows in order rather than a search over combinations: the state
    is what each identity column still lacks (its residual), so rows whose choices lead to the same
    residuals share one state — 25 glued rows of two or three splits each stay small. A check is
    enforced (residual 0) once its last glued row is placed; a backward pass keeps only states that
    reach the end, and a candidate is viable when it links two kept states."""
    slots = [(n, k) for n, ch in enumerate(checks) for k in ch[3]]
    if not slots:
        return [set(range(len(runs[k]))) for k in order]
    sign = {}
    for n, ch in enumerate(checks):
        for i, s in ch[1]:
            sign[(n, i)] = sign.get((n, i), 0) + s
    contrib = [[tuple(sign.get((n, i), 0) * cand[k] for n, k in slots) for cand in runs[key]]
               for i, key in enumerate(order)]
    closing = [[j for j, (n, _) in enumerate(slots) if checks[n][0] == i] for i in range(len(order))]
    # Cells are never negative: once every row still to come adds with the same sign to a
    # residual, a residual on the wrong side of 0 can never come back (bounds keep the states few).
    must_ge, must_le = [], []
    for i in range(len(order)):
        later = [[sign.get((n, r), 0) for r in range(i + 1, len(order))] for n, _ in slots]
        must_ge.append([j for j, sg in enumerate(later) if all(x <= 0 for x in sg)])
        must_le.append([j for j, sg in enumerate(later) if all(x >= 0 for x in sg)])
    layers = [{tuple(checks[n][2][k] for n, k in slots)}]
    size = 0
    for i in range(len(order)):
        nxt = set()
        for state in layers[-1]:
            for add in contrib[i]:
                t = tuple(a + b for a, b in zip(state, add))
                if all(t[j] == 0 for j in closing[i]) and all(t[j] >= 0 for j in must_ge[i]) \
                        and all(t[j] <= 0 for j in must_le[i]):
                    nxt.add(t)
        size += len(nxt) * max(1, len(contrib[i]))
        if size > MAX_JOINT_NODES:
            return None
        layers.append(nxt)
    keep = layers[-1]
    viable: list[set[int]] = [set() for _ in order]
    for i in range(len(order) - 1, -1, -1):
        before = set()
        for state in layers[i]:
            for c, add in enumerate(contrib[i]):
                if tuple(a + b for a, b in zip(state, add)) in keep:
                    before.add(state)
                    viable[i].add(c)
        keep = before
    return viable


# ------------------------------------------------------------------------------------ 表三

def application_identities(rows: set[str], is_2019: bool) -> list[Identity]:
    """The column identities of 表三 (T3-01, T3-02, T3-04) over the rows present."""
    outcome = [r.key for r in (schema.APP_ROWS_2019 if is_2019 else schema.APP_ROWS)
               if r.no.startswith("三（") and r.key != "handled_total"]
    out = [Identity(("new_received", "carried_over"), ("handled_total", "carried_forward")),
           Identity(("handled_total",), tuple(outcome))]
    for key, _, label in schema.OUTCOME_GROUPS_2021:
        sub = f"subtotal_{key}"
        if sub not in rows:
            continue
        if key == "outcomes":
            members = tuple(outcome)
        else:
            members = tuple(r.key for r in schema.APP_ROWS if r.group == label)
        out.append(Identity((sub,), members))
    return out


def application_row_sums(columns: list[str]) -> dict[int, tuple[int, ...]] | None:
    """Which cells of a 表三 row are sums of earlier ones (总计, an added 法人小计); None when a
    column is missing, since the row's 总计 then includes a number that is not printed."""
    if not all(c in columns for c in schema.APPLICANT_COLUMNS) or "total" not in columns:
        return None
    idx = {c: i for i, c in enumerate(columns)}
    legal = tuple(idx[c] for c in schema.APPLICANT_COLUMNS if c != "natural_person")
    applicants = tuple(idx[c] for c in schema.APPLICANT_COLUMNS)
    sums = {}
    for target, parts in (("total", applicants), ("legal_subtotal", legal)):
        if target in idx:
            if max(parts) > idx[target]:
                return None
            sums[idx[target]] = parts
    return sums


def split_applications(runs: list[Run], columns: list[str], placed: dict[str, list[Value]], is_2019: bool,
                       report: Report) -> dict[str, list[Value]]:
    """Values for the glued rows of 表三, and one IN-10 finding per row saying what was done."""
    ncols = len(columns)
    sums = application_row_sums(columns)
    for run in runs:
        candidates(run, ncols, sums)
    known = {k: [v.value for v in vals] for k, vals in placed.items()}
    present = set(known) | {r.key for r in runs}
    chosen = resolve({r.key: r.candidates for r in runs if r.candidates}, application_identities(present, is_2019),
                     known, ncols)
    out = {}
    for run in runs:
        split = chosen.get(run.key)
        paths = [report.app_cell_path(run.key, c) for c in columns if c in schema.APP_COLUMN_BY_KEY]
        out[run.key] = values_of(run, split, len(columns))
        report.notes.append(_finding(run, split, f"表三“{run.label}”行", paths,
                                     [schema.APP_COLUMN_BY_KEY[c].label if c in schema.APP_COLUMN_BY_KEY else "小计"
                                      for c in columns]))
    return out


# ------------------------------------------------------------------------------------ 表四

RL_SUMS = {5 * g + 4: tuple(range(5 * g, 5 * g + 4)) for g in range(3)}


def split_review(run: Run) -> tuple[int, ...] | None:
    """表四's fifteen cells from glued digits: each group's 总计 is the sum of its four results;
    the three groups share no identity, so the row's own splits are all there is."""
    candidates(run, 15, RL_SUMS)
    found = run.candidates
    if found and not run.row_ok:
        # No split makes every group add up (the document's error): keep the splits that make the
        # most groups add up; the failing group is then T4's to report.
        def score(split):
            return sum(split[t] == sum(split[j] for j in parts) for t, parts in RL_SUMS.items())
        best = max(map(score, found))
        found = [f for f in found if score(f) == best]
    return found[0] if found and len(found) == 1 else None


def review_finding(run: Run, split: tuple[int, ...] | None, paths: list[str]) -> Finding:
    labels = [f"{schema.RL_GROUP_LABEL[g]}·{schema.RL_FIELD_LABEL[f]}" for g, _ in schema.RL_GROUPS
              for f, _ in schema.RL_FIELDS]
    return _finding(run, split, "表四", paths, labels, own="按各组总计等于结果维持、结果纠正、其他结果、尚未审结之和")


# ------------------------------------------------------------------------------------ shared

def values_of(run: Run, split: tuple[int, ...] | None, n: int) -> list[Value]:
    raw = " ".join(c.text for c in run.cells)
    src = run.cells[0].source if run.cells else None
    if split is None:
        how = HOW_NONE if run.candidates == [] else HOW_AMBIGUOUS
        return [Value(None, GUESSED, raw, src, how=how) for _ in range(n)]
    return [Value(v, PRINTED, raw, src, how=HOW_SPLIT) for v in split]


def _finding(run: Run, split: tuple[int, ...] | None, where: str, paths: list[str], labels: list[str],
             own: str = "按该行总计等于各列之和") -> Finding:
    shown = "”“".join(run.tokens)
    loc = run.cells[0].source.english() if run.cells else ""
    if split is not None:
        basis = "按表内勾稽关系" if run.candidates is None or len(run.candidates) > 1 else \
            (own if run.row_ok else "按数字个数")
        parts = "、".join(f"{lab}{v}" for lab, v in zip(labels, split))
        msg = f"{where}的数字连在一起印成“{shown}”，{basis}拆分为：{parts}；请对照原件核对"
    elif not run.candidates:
        if run.candidates is None:
            msg = f"{where}的数字连在一起印成“{shown}”，可能的拆法过多，无法确定；该行 {len(labels)} 个单元格按未填写处理，请对照原件核对"
        else:
            msg = f"{where}的数字连在一起印成“{shown}”，无法拆成 {len(labels)} 个数；该行单元格按未填写处理，请对照原件核对"
    else:
        msg = (f"{where}的数字连在一起印成“{shown}”，按表内勾稽关系仍有不止一种拆法，不作猜测；"
               f"该行 {len(labels)} 个单元格按未填写处理，请对照原件核对")
    return Finding("IN-10", "warning", "input", msg, paths, loc)


# ------------------------------------------------------------------------------------ hooks

def glued_view(it: Item, vocabulary, min_score: float = 85) -> RowView | None:
    """The row (or line of prose: a glued row has no space for the text reader to split at) as a
    label plus a digit run, when its last label ends in digits and the rest is an official label.
    Any value cells after the run must be digits too (a crawler joins cells, it adds no text)."""
    if it.row is None:
        text, src = it.para.text, it.para.source
        before: list[Cell] = []
        after: list[Cell] = []
        row = None
    else:
        v = it.view
        if not v.labels or v.glued:
            return None
        text, src = v.labels[-1].text, v.labels[-1].source
        before = v.labels[:-1]
        after = [c for c in v.values if parse_cell(c.text).kind != BLANK]
        # With a row's worth of numbers after it, digits ending the label belong to the label.
        if len(after) >= MIN_COLUMNS or any(digit_string(c.text) is None for c in after):
            return None
        row = it.row
    if len(text) > 80 or not text[-1:].isdigit():
        return None
    cut = cut_label(text)
    if cut is None:
        return None
    label, run = cut
    view = RowView(row or Row([Cell(label, src), Cell(run, src)], src), before + [Cell(label, src)],
                   [Cell(run, src)] + after, [], 0, glued=True)
    m = vocabulary.match(view.last_label.text)
    if m is None or m.score < min_score:
        return None
    view.parsed = [parse_cell(c.text) for c in view.values]
    view.n_numbers = len(view.values)
    return view


def row_run(view: RowView, key: str, label: str, ncols: int, sums: dict[int, tuple[int, ...]] | None) -> Run | None:
    """The row as a glued run: a label with digits stuck to it, or — without a label run — too
    few cells of which some are overlong digit strings, provided the row's own identity then has a
    split (else the row is simply short, which align() and IN-02 handle)."""
    if view.glued:
        return Run(key, [digit_string(c.text) for c in view.values], list(view.values), label)
    kinds = [p.kind != BLANK for p in view.parsed]
    if True not in kinds:
        return None
    first, last = kinds.index(True), len(kinds) - 1 - kinds[::-1].index(True)
    cells = view.values[first:last + 1]
    tokens = [digit_string(c.text) for c in cells]
    if None in tokens or len(tokens) > ncols - 2 or sum(map(len, tokens)) < ncols:
        return None
    if len(tokens) > 1 and (not sums or not splits(tokens, ncols, sums)):
        return None
    return Run(key, tokens, cells, label)
