"""Between a checked report and the store's rows, both ways.

`record_of` runs in the ingest workers (a local process or a Dask worker): it turns one file's
Report and findings into plain tuples, cheap to pickle and ready for a bulk insert, so the single
writer only writes. `reports_from_rows` rebuilds Reports from the store — with every value's state,
raw text and provenance — for the cross-year rules and for exports that must equal what
`nianbao check --format json` printed for the same file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .. import schema
from ..document import Source
from ..model import ABSENT, Finding, Report, SectionText, Value

# A cell row: (path, value, is_float, state, raw, how, source) — raw None when it is just the value.
CellRow = tuple
_PATHS_2021 = schema.paths_2021()
_SCHEMA_PATHS = frozenset(_PATHS_2021) | frozenset(schema.paths_2019_extra())
_ABSENT = Value()


@dataclass(slots=True)
class Record:
    """One ingested file as the worker saw it: file facts, the report (as rows) and its findings."""
    path: str
    sha256: str
    size: int
    status: str                       # ok | partial | failed
    error: str | None = None
    kind: str | None = None           # the reader that read it: text, html, docx, pdf, ocr…
    unit: str | None = None           # as printed
    year: int | None = None
    format: str = schema.FORMAT_UNKNOWN
    title: str | None = None
    report_date: str | None = None
    cells: list[CellRow] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    sections: dict[str, list] = field(default_factory=dict)   # key -> [heading, text, misplaced, source]
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def has_report(self) -> bool:
        return self.status != "failed"


def record_of(path: str, sha256: str, size: int, status: str, error: str | None, kind: str | None,
              report: Report | None, findings: list[Finding]) -> Record:
    rec = Record(path, sha256, size, status, error, kind)
    if report is None:
        return rec
    rec.unit, rec.year, rec.format = report.unit, report.year, report.format
    rec.title, rec.report_date = report.title, report.report_date
    rec.cells = [_cell_row(p, v) for p, v in report.cells.items() if v.state != ABSENT]
    rec.cells += [_cell_row(p, v) for p, v in report.extra_cells.items() if v.state != ABSENT]
    rec.findings = list(findings)
    rec.sections = {k: [s.heading, s.text, s.misplaced, source_text(s.source)] for k, s in report.sections.items()}
    rec.details = {"tables_found": [k for k, v in report.tables_found.items() if v is not None],
                   "missing": list(report.missing), "extra": list(report.extra),
                   "table_formats": dict(report.table_formats), "format_how": report.format_how}
    return rec


def _cell_row(path: str, v: Value) -> CellRow:
    raw = v.raw
    if raw is not None and v.value is not None and raw == str(v.value):
        raw = None
    elif raw is None and v.value is not None:
        raw = ""  # no printed text behind a value (rare): keep that fact, "" never equals a value
    return (path, v.value, isinstance(v.value, float), v.state, raw, v.how, source_text(v.source))


def source_text(s: Source | None) -> str | None:
    """A Source as a short string: "l52", "p4 t2 r7 c3", "p1 t1 r5 c2 k0.931 b90,428.1,522,441.3"
    (k = OCR confidence, b = the box on the page, x0,top,x1,bottom rounded to 0.1)."""
    if s is None:
        return None
    parts = [f"{k}{v}" for k, v in zip("lptrc", (s.line, s.page, s.table, s.row, s.col)) if v is not None]
    if s.confidence is not None:
        parts.append(f"k{s.confidence!r}")
    if s.bbox is not None:
        parts.append("b" + ",".join(_num(v) for v in s.bbox))
    return " ".join(parts)


def _num(v: float) -> str:
    """A coordinate rounded to 0.1, without a trailing ".0": 90 and 428.1."""
    r = round(float(v), 1)
    return str(int(r)) if r.is_integer() else repr(r)


@lru_cache(maxsize=1 << 16)
def parse_source(text: str | None) -> Source | None:
    """The inverse of `source_text`. Cached: the same few hundred strings ("l52") recur in every
    report, and a Source is immutable."""
    if text is None:
        return None
    f: dict[str, Any] = {}
    for tok in text.split():
        if tok[0] == "b":
            f["b"] = tuple(float(v) for v in tok[1:].split(","))
        else:
            f[tok[0]] = float(tok[1:]) if tok[0] == "k" else int(tok[1:])
    return Source(f.get("l"), f.get("p"), f.get("t"), f.get("r"), f.get("c"), f.get("k"), f.get("b"))


def figure_values(cells: list[CellRow], columns: list[tuple[str, str]]) -> dict[str, Any]:
    """The ``figures`` row of a report: the value of each figure column's cell (None when absent)."""
    by_path = {c[0]: c[1] for c in cells}
    return {name: by_path.get(path) for name, path in columns}


def report_from_rows(meta: dict[str, Any], cells: list[CellRow]) -> Report:
    """A Report rebuilt from the store, for reading (rules, exports): every absent cell is the same
    empty Value, which nothing after the recognizer ever modifies. ``meta`` carries the reports
    row (and the file path)."""
    report = Report(path=meta["path"], format=meta["format"], unit=meta["unit_printed"], year=meta["year"],
                    report_date=meta["report_date"], title=meta["title"], status=meta["status"],
                    cells=dict.fromkeys(_PATHS_2021, _ABSENT))
    for path, value, is_float, state, raw, how, source in cells:
        if value is not None:
            value = float(value) if is_float else int(value)
            if raw is None:
                raw = str(value)
            elif raw == "":
                raw = None
        target = report.cells if path in _SCHEMA_PATHS else report.extra_cells
        target[path] = Value(value, state, raw, parse_source(source), None, how)
    for key, (heading, text, misplaced, *source) in (meta.get("sections") or {}).items():
        report.sections[key] = SectionText(key, heading, text, parse_source(source[0]) if source else None, None,
                                           misplaced=bool(misplaced))
    details = meta.get("details") or {}
    for key in schema.TABLE_SECTIONS:
        report.tables_found[key] = Source() if key in details.get("tables_found", ()) else None
    report.missing = list(details.get("missing", ()))
    report.extra = list(details.get("extra", ()))
    report.table_formats = dict(details.get("table_formats", {}))
    report.format_how = details.get("format_how", "")
    return report

