"""Assertions shared by the reader tests: gold matching and exact round trips."""
from __future__ import annotations


def gold_match(gold, got) -> bool:
    """A gold value of ../shared/data/seeds: "*" any, {"any_of": [...]} one of them, else equal."""
    if gold == "*":
        return True
    if isinstance(gold, dict) and "any_of" in gold:
        return any(gold_match(g, got) for g in gold["any_of"])
    if gold is None or got is None:
        return gold is got
    return isinstance(got, (int, float)) and abs(float(gold) - float(got)) < 1e-6


def same(got, want) -> bool:
    """Exact equality including the type: a count is an int, null is None (never 0)."""
    if want is None:
        return got is None
    return type(got) is type(want) and got == want


def assert_exact(rep, expected, report) -> None:
    """`report` read back from a rendering of the synthetic `rep` gives exactly `expected`."""
    flat = report.flat()
    assert set(flat) == set(expected)
    wrong = {p: (want, flat[p]) for p, want in expected.items() if not same(flat[p], want)}
    assert not wrong, f"(expected, got) {dict(list(wrong.items())[:8])}"
    assert report.format == rep.fmt
    assert report.year == rep.year
    assert report.unit and rep.unit_core in report.unit, (report.unit, rep.unit_core)
    assert report.report_date == rep.report_date
