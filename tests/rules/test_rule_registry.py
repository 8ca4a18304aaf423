"""The rule catalogue itself: metadata, documentation, a case file per rule, the findings contract.

`KNOWN_BUGS` maps (test function, rule code) to the reason a rule is known to break a catalogue-wide
check; those tests are strict xfails, so a fix shows up as an XPASS to be removed from the list.
"""
from __future__ import annotations

import re
from functools import cache

import pytest

from nianbao.config import Config
from nianbao.model import Finding, Report
from nianbao.rules import catalogue, run_rules
from nianbao.rules.base import BASES, CATEGORIES, REGISTRY, SEVERITIES, Context, rule

from .conftest import (CHINESE, CaseFile, all_cases, build, case_files, cases_by_rule, contract_problems,
                       match_findings)

CODE = re.compile(r"^[A-Z]+\d?-\d{2}$")
# spec/output.md: “line 52”, “page 4, table 2, row 7, col 3”; empty when there is no single place.
LOCATION = re.compile(r"^(?:(?:page|line|table|row|col) \d+)(?:, (?:page|line|table|row|col) \d+)*$")

KNOWN_BUGS: dict[tuple[str, str], str] = {}


@cache
def _case_reports() -> tuple[tuple[str, bool, Report, Config], ...]:
    """Every case's report (id, known to be xfail, report, config), plus a report in which nothing
    at all was found."""
    out = [(c.id, bool(c.xfail), *build(c)) for c in all_cases()]
    out.append(("empty report", False, Report(path="empty.txt"), Config()))
    return tuple(out)


def _findings(rule_code: str) -> tuple[list[tuple[str, Finding]], list[str]]:
    """(case id, finding) for this rule run on every case report; crashes outside xfail cases are
    problems (a crash inside an xfail case is that case's known bug)."""
    check = REGISTRY[rule_code].check
    out, problems = [], []
    for case_id, known, report, config in _case_reports():
        try:
            out += [(case_id, f) for f in check(report, Context(config)) or []]
        except Exception as exc:
            if not known:
                problems.append(f"[{case_id}] {rule_code} raised {exc!r}")
    return out, problems


# ------------------------------------------------------------------------------------ metadata
def test_catalogue_lists_every_registered_rule_once() -> None:
    codes = [r.code for r in catalogue()]
    assert codes and len(codes) == len(set(codes)) and set(codes) == set(REGISTRY)


def test_rule_metadata(rule_code: str) -> None:
    r = REGISTRY[rule_code]
    assert CODE.match(r.code), r.code
    assert r.title.strip() and CHINESE.search(r.title), f"{r.code}: title must be non-empty Chinese"
    assert r.doc.strip() and CHINESE.search(r.doc), f"{r.code}: doc must be non-empty Chinese"
    assert len(r.doc) >= 15, f"{r.code}: doc too short to document the rule: {r.doc!r}"
    assert r.severity in SEVERITIES
    assert r.category in CATEGORIES
    assert r.basis in BASES
    assert not (r.basis == "H" and r.severity == "error"), f"{r.code}: a heuristic rule registered as error"
    assert callable(r.check)


def test_registry_refuses_heuristic_errors() -> None:
    with pytest.raises(ValueError):
        rule("ZZ-99", "测试", severity="error", category="consistency", basis="H", doc="测试")
    assert "ZZ-99" not in REGISTRY


def test_registry_refuses_bad_metadata_and_duplicates() -> None:
    with pytest.raises(ValueError):
        rule("ZZ-98", "测试", severity="fatal", category="consistency", basis="F", doc="测试")
    with pytest.raises(ValueError):
        rule("ZZ-97", "测试", severity="notice", category="style", basis="F", doc="测试")
    with pytest.raises(ValueError):
        rule(catalogue()[0].code, "测试", severity="notice", category="input", basis="F", doc="测试")
    assert not {"ZZ-98", "ZZ-97"} & set(REGISTRY)


# ------------------------------------------------------------------------------------ case files
def test_case_file_is_valid(case_file: CaseFile) -> None:
    assert case_file.rule in REGISTRY, f"{case_file.path.name} names an unregistered rule {case_file.rule!r}"
    assert not case_file.problems, "\n".join(case_file.problems)
    assert case_file.cases, f"{case_file.path.name} has no cases"


def test_rule_has_cases(rule_code: str) -> None:
    cases = cases_by_rule().get(rule_code, [])
    assert cases, f"no tests/rules/cases/{rule_code}.yaml"
    sound = [c for c in cases if not c.xfail]
    assert any(c.passing for c in sound), f"{rule_code}: needs a (non-xfail) case where it raises nothing"
    assert any(not c.passing for c in sound), f"{rule_code}: needs a (non-xfail) case where it raises a finding"


def test_every_case_file_is_loaded() -> None:
    assert {cf.path.stem for cf in case_files()} == set(REGISTRY)


# ------------------------------------------------------------------------------------ findings
def test_findings_keep_the_contract(rule_code: str) -> None:
    """This rule, run on every case report of every rule: right code, severity no stronger than the
    registered one, known category, Chinese message without unformatted placeholders."""
    found, problems = _findings(rule_code)
    for case_id, f in found:
        if f.rule != rule_code:
            problems.append(f"[{case_id}] emitted under code {f.rule}")
        problems += [f"[{case_id}] {p}" for p in contract_problems(f)]
    assert not problems, "\n".join(problems)


def test_locations_are_source_locations(rule_code: str) -> None:
    found, _ = _findings(rule_code)
    bad = [f"[{case_id}] {f.location!r}" for case_id, f in found if f.location and not LOCATION.match(f.location)]
    assert not bad, "\n".join(bad)


def test_run_rules_on_every_case() -> None:
    """The whole catalogue runs on every case report without raising."""
    problems = []
    for case_id, known, report, config in _case_reports():
        try:
            run_rules(report, config)
        except Exception as exc:
            if not known:  # a crash in an xfail case is that case's known bug
                problems.append(f"[{case_id}] run_rules raised {exc!r}")
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------------------ the harness
def test_harness_matching_is_strict() -> None:
    f = Finding("T3-03", "error", "arithmetic", "表三“（一）予以公开”行：各申请人列之和为 2，总计列为 0",
                ["applications.granted.natural_person", "applications.granted.total"], "line 36")
    ok = {"severity": "error", "category": "arithmetic", "cells_include": ["applications.granted.total"],
          "message_contains": ["各申请人列之和为 2"], "location": "line 36"}
    assert match_findings([ok], [f])
    assert not match_findings([], [f]), "an unexpected finding must fail the case"
    assert not match_findings([ok, ok], [f]), "one finding cannot satisfy two expectations"
    assert not match_findings([{**ok, "severity": "warning"}], [f])
    assert not match_findings([{**ok, "category": "input"}], [f])
    assert not match_findings([{**ok, "cells_include": ["applications.granted.other"]}], [f])
    assert not match_findings([{**ok, "cells_exact": ["applications.granted.total"]}], [f])
    assert not match_findings([{**ok, "message_contains": "总计列为 1"}], [f])
    assert not match_findings([{**ok, "location": "line 37"}], [f])
    bad = Finding("T3-03", "warning", "arithmetic", "total {x}", [], "")
    assert contract_problems(bad) and len(contract_problems(bad)) >= 2


def test_harness_refuses_unknown_cell_paths() -> None:
    with pytest.raises(ValueError):
        build({"cells": {"applications.granted.natual_person": 1}, "expect": []})
    report, _ = build({"cells": {"applications.granted.natural_person": None}, "expect": []})
    assert report.cells["applications.granted.natural_person"].state == "blank"
