"""The Report: what a document prints, keyed by the schema's stable cell paths.

Every cell of the 2021 schema is present (null when the document does not give it) and every value
knows where it was printed (`Value.source`) and how (`Value.raw`, `Value.state`). Nothing here fixes
numbers: a wrong total stays wrong, and the rules say so.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import schema
from .document import Source

# Value.state
PRINTED = "printed"   # a number was printed
BLANK = "blank"       # the cell exists but nothing was printed
NULL_MARK = "null"    # “/”, “—”, “无” printed
ABSENT = "absent"     # the row, column or table is not in the document
GUESSED = "guessed"   # placed by the recognizer where the layout was ambiguous


@dataclass(slots=True)
class Value:
    value: int | float | None = None
    state: str = ABSENT
    raw: str | None = None
    source: Source | None = None
    unit: str | None = None
    how: str | None = None  # what reading it involved: “千位分隔符”, “按列位置推定”…


@dataclass(slots=True)
class Finding:
    rule: str
    severity: str  # error | warning | notice
    category: str  # arithmetic | structure | consistency | compliance | input
    message: str
    cells: list[str] = field(default_factory=list)
    location: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "severity": self.severity, "category": self.category,
                "message": self.message, "cells": list(self.cells), "location": self.location}


@dataclass(slots=True)
class SectionText:
    key: str
    heading: str | None   # the heading as printed, None when not found
    text: str             # the section's prose
    source: Source | None
    order: int | None = None  # position among the found sections
    misplaced: bool = False   # the heading is printed, but out of the official order
    paragraphs: list[tuple[Source, str]] = field(default_factory=list)  # the prose with its lines


@dataclass(slots=True)
class PrintedLabel:
    """A label as printed, for FMT-06 (wording differs from the official label)."""
    path: str       # applications.row.granted, applications.column.other, active.regulations, …
    printed: str
    official: str
    source: Source
    score: float


@dataclass(slots=True)
class Report:
    path: str
    format: str = schema.FORMAT_UNKNOWN
    unit: str | None = None
    year: int | None = None
    report_date: str | None = None
    title: str | None = None
    title_source: Source | None = None
    date_source: Source | None = None
    cells: dict[str, Value] = field(default_factory=dict)
    sections: dict[str, SectionText] = field(default_factory=dict)
    paragraphs: list[tuple[Source, str]] = field(default_factory=list)  # all prose, in order
    tables_found: dict[str, Source | None] = field(default_factory=dict)  # table key -> where it starts
    missing: list[str] = field(default_factory=list)  # applications.row.X, applications.column.X, table.X, …
    extra: list[str] = field(default_factory=list)    # added rows/columns (subtotals), as paths
    extra_cells: dict[str, Value] = field(default_factory=dict)  # values of added subtotal rows/columns
    labels: list[PrintedLabel] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)  # what the recognizer had to guess (category input)
    format_how: str = ""   # why this format was chosen, for `nianbao explain`
    table_formats: dict[str, str] = field(default_factory=dict)  # per table, when a report mixes formats
    unit_source: Source | None = None
    status: str = "ok"
    derived: dict[str, Any] = field(default_factory=dict, repr=False)  # computed once for the rules

    def __post_init__(self) -> None:
        if not self.cells:
            for p in schema.paths_2021():
                self.cells[p] = Value()

    # ----------------------------------------------------------------- access
    def get(self, path: str) -> int | float | None:
        v = self.cells.get(path)
        return None if v is None else v.value

    def value(self, path: str) -> Value:
        return self.cells.get(path) or self.extra_cells.get(path) or Value()

    def app(self, row: str, col: str) -> int | float | None:
        return self.get(schema.app_path(row, col))

    def has_table(self, key: str) -> bool:
        return self.tables_found.get(key) is not None

    @property
    def is_2019(self) -> bool:
        """Some table is in the 2019 format (so the 2019-only cells are part of the report)."""
        return self.format == schema.FORMAT_2019 or schema.FORMAT_2019 in self.table_formats.values()

    @property
    def apps_is_2019(self) -> bool:
        """表三 has the single （六）其他处理 row of 2019 (decided from the table itself)."""
        return self.table_formats.get("applications", self.format) == schema.FORMAT_2019

    @property
    def active_is_2019(self) -> bool:
        return self.table_formats.get("active", self.format) == schema.FORMAT_2019

    def app_rows(self) -> tuple[schema.Row, ...]:
        return schema.APP_ROWS_2019 if self.apps_is_2019 else schema.APP_ROWS

    def app_cell_path(self, row: str, col: str) -> str:
        if row == "other_processing":
            return "extra_2019." + schema.app_path(row, col)
        return schema.app_path(row, col)

    def where(self, path: str) -> Source | None:
        v = self.cells.get(path) or self.extra_cells.get(path)
        return v.source if v else None

    # ----------------------------------------------------------------- contract
    def to_dict(self) -> dict[str, Any]:
        """The `report` object of spec/output.md."""
        out: dict[str, Any] = {
            "format": self.format, "unit": self.unit, "year": self.year, "report_date": self.report_date,
        }
        cells = self.cells
        for table, rows in _LAYOUT_2021:
            out[table] = {a: {b: cells[p].value for b, p in fields} for a, fields in rows}
        if self.is_2019:
            extra: dict[str, Any] = {}
            for p in schema.paths_2019_extra():
                _, table, a, b = p.split(".")
                v = self.cells.get(p)
                extra.setdefault(table, {}).setdefault(a, {})[b] = v.value if v else None
            out["extra_2019"] = extra
        return out

    def flat(self) -> dict[str, Any]:
        """One value per cell path, for tables of many reports (extract)."""
        out = {p: self.cells[p].value for p in schema.paths_2021()}
        if self.is_2019:
            for p in schema.paths_2019_extra():
                v = self.cells.get(p)
                out[p] = v.value if v else None
        return out


def _layout() -> tuple:
    """paths_2021 grouped as the contract nests them: ((table, ((row, ((field, path), …)), …)), …)."""
    nested: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for p in schema.paths_2021():
        table, a, b = p.split(".")
        nested.setdefault(table, {}).setdefault(a, []).append((b, p))
    return tuple((t, tuple((a, tuple(f)) for a, f in rows.items())) for t, rows in nested.items())


_LAYOUT_2021 = _layout()
