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


def write_golden(folder, name: str, suffix: str, data: bytes, rep, expected) -> None:
    """Write a golden document and its NAME.gold.json: the generator's truth, never the reader's output."""
    import json
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}{suffix}").write_bytes(data)
    gold = {"format": rep.fmt, "year": rep.year, "unit": rep.unit, "report_date": rep.report_date,
            "cells": expected}
    (folder / f"{name}.gold.json").write_text(json.dumps(gold, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                              encoding="utf-8")


def rewrite_golden_files(folder, suffix: str, golden: dict, render) -> None:
    """Rewrite every golden file of a format: `golden` maps name → (seed, report format, render options),
    `render(report, rng, **options) -> (bytes, expected)` is the format's generator."""
    import random

    from nianbao.synth import random_report
    for name, (seed, fmt, options) in golden.items():
        rng = random.Random(seed)
        rep = random_report(rng, fmt=fmt)
        data, expected = render(rep, rng, **options)
        write_golden(folder, name, suffix, data, rep, expected)


def assert_golden(folder, name: str, suffix: str):
    """A golden document reads exactly as its NAME.gold.json says; returns the report for more checks."""
    import json

    import nianbao
    gold = json.loads((folder / f"{name}.gold.json").read_text(encoding="utf-8"))
    report = nianbao.load(folder / f"{name}{suffix}")
    assert (report.format, report.year, report.unit, report.report_date) == \
        (gold["format"], gold["year"], gold["unit"], gold["report_date"])
    flat = report.flat()
    wrong = {p: (want, flat.get(p)) for p, want in gold["cells"].items() if not same(flat.get(p), want)}
    assert not wrong, wrong
    return report
