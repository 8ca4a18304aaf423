"""Checking many files: one result per file, whatever happens to the others.

Bad input becomes a `failed` result with a one-line Chinese reason; an unexpected exception (a bug)
also becomes `failed`, saying so, so a batch of thousands never stops on one file.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .config import Config
from .errors import ReadError
from .model import Finding, Report
from .readers import read, supported_suffixes
from .recognize import recognize
from .rules import run_rules

OK, PARTIAL, FAILED = "ok", "partial", "failed"


@dataclass(slots=True)
class CheckResult:
    file: str
    status: str
    error: str | None = None
    report: Report | None = None
    findings: list[Finding] = field(default_factory=list)
    kind: str | None = None  # the reader that read the file (text, html, docx, pdf, ocr…)

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def to_dict(self) -> dict:
        """One line of `nianbao check --format json` (spec/output.md)."""
        return {"file": self.file, "status": self.status, "error": self.error,
                "report": self.report.to_dict() if self.report is not None else None,
                "findings": [f.to_dict() for f in self.findings]}


def check_file(path: str, config: Config | None = None) -> CheckResult:
    kind = None
    try:
        doc = read(path)
        kind = doc.kind
        report = recognize(doc)
    except ReadError as exc:
        return CheckResult(path, FAILED, exc.message)
    except MemoryError:
        return CheckResult(path, FAILED, "内存不足，文件过大或内容异常")
    except Exception as exc:  # a bug: report it on this file and go on with the batch
        return CheckResult(path, FAILED, f"内部错误（{type(exc).__name__}: {exc}），请将此文件反馈给开发者")
    try:
        findings = run_rules(report, config)
    except Exception as exc:
        return CheckResult(path, FAILED, f"检查规则运行出错（{type(exc).__name__}: {exc}），请将此文件反馈给开发者", report,
                           kind=kind)
    return CheckResult(path, report.status, None, report, findings, kind)


def expand_paths(paths: Iterable[str]) -> Iterator[str]:
    """Files as given, folders walked recursively (sorted, hidden entries skipped); a path that does
    not exist is yielded as is, so that it gets its own `failed` line."""
    suffixes = set(supported_suffixes())
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name.startswith(".") or name.endswith(".gold.json"):
                        continue
                    if os.path.splitext(name)[1].lower() in suffixes:
                        yield os.path.join(root, name)
        else:
            yield p
