"""The Python API, as thin as the CLI: ``load(path) -> Report``, ``check(report) -> findings``."""
from __future__ import annotations

import os

from .model import Finding, Report
from .readers import read
from .recognize import recognize


def load(path: str | os.PathLike) -> Report:
    """Read and recognise one report file. Raises ReadError (Chinese message) for bad input."""
    return recognize(read(path))


def check(report: Report, config=None) -> list[Finding]:
    """Run the whole rule catalogue on a report; findings in catalogue order."""
    from .rules import run_rules
    return run_rules(report, config)
