"""The rule registry: one small unit per rule, named by its code.

A rule is a function ``check(report, ctx) -> Iterable[Finding]`` registered with its code, Chinese
title, severity, category, basis (F format / L 条例 / I implied by a label / H heuristic) and a
Chinese description that becomes the catalogue (`nianbao rules`, docs/rules.md). Severity follows
the basis: an H rule can never be registered with severity error.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..model import Finding, Report

SEVERITIES = ("error", "warning", "notice")
CATEGORIES = ("arithmetic", "structure", "consistency", "compliance", "input")
BASES = {"F": "年报格式明文规定", "L": "《条例》规定", "I": "由“总计”等栏目含义推出", "H": "经验判断（启发式）"}


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    title: str
    severity: str      # the strongest severity this rule raises
    category: str
    basis: str
    doc: str           # Chinese description for users
    check: Callable[[Report, "Context"], Iterable[Finding]]

    @property
    def family(self) -> str:
        return self.code.split("-")[0]


REGISTRY: dict[str, Rule] = {}


def rule(code: str, title: str, *, severity: str, category: str, basis: str, doc: str):
    """Register a rule function under its code (the one extension seam for rules)."""
    if severity not in SEVERITIES or category not in CATEGORIES or basis not in BASES:
        raise ValueError(f"bad rule metadata for {code}")
    if basis == "H" and severity == "error":
        raise ValueError(f"{code}: a heuristic rule cannot raise errors")
    if code in REGISTRY:
        raise ValueError(f"duplicate rule code {code}")

    def deco(fn):
        REGISTRY[code] = Rule(code, title, severity, category, basis, doc.strip(), fn)
        return fn
    return deco


@dataclass(slots=True)
class Context:
    config: "object"
    previous: Report | None = None


def loc(report: Report, path: str) -> str:
    src = report.where(path)
    return src.english() if src else ""
