"""Evaluating an equation between cells with the blank-cell semantics of spec/output.md.

Null counts as 0. An equation between printed numbers that fails is an arithmetic error. One that
fails only with some cell not printed is a warning of category `input` (the document did not state
that number). One that holds with blank cells says nothing here: the blank cells are listed once
per table by IN-01. An equation none of whose cells is printed is skipped.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from ..model import ABSENT, Finding, Report


def _fmt(v) -> str:
    if v is None:
        return "空白"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def evaluate(report: Report, code: str, lhs: Sequence[str], rhs: Sequence[str],
             message: Callable[[float, float, dict[str, object]], str], location_path: str) -> Finding | None:
    cells = list(lhs) + list(rhs)
    get = report.cells.get
    extra = report.extra_cells.get
    printed = False
    lsum = rsum = 0
    for p in lhs:
        v = get(p) or extra(p)
        if v is not None and v.value is not None:
            lsum += v.value
            printed = True
    for p in rhs:
        v = get(p) or extra(p)
        if v is not None and v.value is not None:
            rsum += v.value
            printed = True
    if not printed or abs(lsum - rsum) < 1e-9:
        return None  # the common case: nothing printed, or the equation holds
    vals = {p: report.value(p) for p in cells}
    shown = {p: _fmt(vals[p].value) for p in cells}
    text = message(lsum, rsum, shown)
    src = report.where(location_path)
    where = src.english() if src else ""
    unprinted = [p for p in cells if vals[p].value is None]
    if unprinted:
        absent = all(vals[p].state == ABSENT for p in unprinted)
        why = "所在行或列缺失" if absent else "空白或未填写"
        return Finding(code, "warning", "input", f"{text}；其中有单元格{why}，无法核对", cells, where)
    return Finding(code, "error", "arithmetic", text, cells, where)


def fmt(v) -> str:
    return _fmt(v)
