"""The rule catalogue. Importing this package registers every built-in rule, in catalogue order."""
from __future__ import annotations

from ..config import Config
from ..model import Finding, Report
from . import arithmetic, compliance, cross_year, inputs, narrative, structure  # noqa: F401  (registration)
from .base import REGISTRY, Context, Rule

__all__ = ["REGISTRY", "Rule", "run_rules", "catalogue"]

_ORDER = ("FMT", "T3", "T4", "NUM", "NT", "PUB", "IN", "XY")


def catalogue() -> list[Rule]:
    return sorted(REGISTRY.values(), key=lambda r: (_ORDER.index(r.family) if r.family in _ORDER else 99, r.code))


def run_rules(report: Report, config: Config | None = None, previous: Report | None = None) -> list[Finding]:
    ctx = Context(config or Config(), previous)
    out: list[Finding] = []
    for r in catalogue():
        out.extend(r.check(report, ctx))
    return out
