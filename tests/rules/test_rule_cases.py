"""Run every case of tests/rules/cases/<CODE>.yaml against its rule (format: see conftest.py)."""
from __future__ import annotations

from nianbao.rules.base import REGISTRY, Context

from .conftest import RuleCase, build, build_previous, contract_problems, describe, match_findings


def test_rule_case(rule_case: RuleCase) -> None:
    report, config = build(rule_case)
    found = list(REGISTRY[rule_case.rule].check(report, Context(config, build_previous(rule_case))) or [])

    wrong_code = [f for f in found if f.rule != rule_case.rule]
    assert not wrong_code, f"{rule_case.rule} emitted findings under another code:\n{describe(wrong_code)}"

    problems = [f"{f.message}: {p}" for f in found for p in contract_problems(f)]
    assert not problems, "findings break the catalogue contract:\n  " + "\n  ".join(problems)

    assert match_findings(rule_case.expect, found), (
        f"{rule_case.id}: findings differ from the expectation\nexpected:\n"
        + ("\n".join(f"  - {e}" for e in rule_case.expect) or "  (no finding)")
        + f"\nactual:\n{describe(found)}")
