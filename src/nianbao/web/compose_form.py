"""The compose form's model: a draft as typed → a validated Filling, the grid the form shows, and
the formula table behind the live totals (the pages and API are in web/compose.py, whose docstring
documents the accessible names of the cells).

Values are parsed by compose/fill.py's `parse_number`, so a bad cell gets the same Chinese message as
in the XLSX template. The formula table is read off `compose.derive` with one probe per leaf (derive
is linear in the leaf cells): derived path -> [(leaf path, coefficient)]. compose.js only sums what
this table says, so the page cannot compute a total differently from the report.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .. import schema
from ..compose import check_composed, compute, derive, write_template
from ..compose import layout as L
from ..compose.compute import negative_carry_problems
from ..compose.fill import (
    Filling,
    parse_date,
    parse_number,
    parse_year,
)
from ..compose.template import check_year
from ..config import Config
from ..errors import UsageError
from ..model import Finding, Report
from ..outputs.render.layout import GRIDS, fmt_value

INFO_NAMES = {"unit": "单位名称", "year": "报告年度", "report_date": "成文日期"}
SEVERITY_RANK = {"error": 3, "warning": 2, "notice": 1}


# ------------------------------------------------------------------------------ labels and formulas

def aria_label(path: str) -> str:
    """“<行> <列>” of a table cell (see the module docstring)."""
    row, col = L.places()[path].label.rsplit("·", 1)
    return f"{row} {col}"


def cell_label(path: str) -> str:
    """The name a message gives a cell: schema.label_of, the wording of every other nianbao message."""
    if path.startswith("section."):
        return section_heading(path.split(".", 1)[1])
    return INFO_NAMES.get(path) or schema.label_of(path)


def section_heading(key: str) -> str:
    s = schema.SECTION_BY_KEY[key]
    return f"{s.no}、{s.title}"


@cache
def formula_table() -> dict[str, tuple[tuple[str, int], ...]]:
    """Derived path -> ((leaf path, coefficient), …), read off `derive` with one probe per leaf."""
    leaves = L.leaf_paths()
    zero = dict.fromkeys(leaves, 0)
    base = derive(zero)
    terms: dict[str, list[tuple[str, int]]] = {p: [] for p in base}
    for leaf in leaves:
        for p, v in derive({**zero, leaf: 1}).items():
            if v != base[p]:
                terms[p].append((leaf, v - base[p]))
    return {p: tuple(t) for p, t in terms.items()}


def evaluate(values: dict[str, int | float | None]) -> dict[str, int | float | None]:
    """The derived cells as compose.js computes them: the formula table summed; blank when a term is."""
    out: dict[str, int | float | None] = {}
    for p, terms in formula_table().items():
        vals = [values.get(leaf) for leaf, _ in terms]
        out[p] = None if any(v is None for v in vals) else sum(k * v for (_, k), v in zip(terms, vals))
    return out


@cache
def page_spec() -> str:
    """What compose.js needs, as JSON embedded in the page."""
    return json.dumps({"formulas": {p: [list(t) for t in terms] for p, terms in formula_table().items()},
                       "decimal": [p for p in L.leaf_paths() if L.is_decimal(p)],
                       "labels": {p: aria_label(p) for p in schema.paths_2021()}},
                      ensure_ascii=False).replace("</", "<\\/")  # safe inside <script>


@cache
def form_tables() -> tuple[dict, ...]:
    """The three official grids as rows of cells ready for the template: header/label texts with
    rowspan/colspan, and value positions as leaf or derived cells with their aria-label."""
    leaves, derived = set(L.leaf_paths()), set(L.derived_paths())
    empty = Report(path="")
    out = []
    for key, make in GRIDS.items():
        grid = make(empty)
        valued_rows = {r for r, _ in grid.paths}
        rows = []
        for r, visible in enumerate(grid.visible()):
            cells = []
            for c, text, rowspan, colspan in visible:
                cell = {"rowspan": rowspan, "colspan": colspan}
                path = grid.paths.get((r, c))
                if path is None:
                    head = r < grid.header_rows or r not in valued_rows
                    cell.update(kind="head" if head else "label", text=text)
                else:
                    cell.update(kind="leaf" if path in leaves else "derived", path=path, label=aria_label(path),
                                decimal=L.is_decimal(path))
                    assert path in leaves or path in derived
                cells.append(cell)
            rows.append(cells)
        out.append({"key": key, "title": section_heading(key), "rows": rows})
    return tuple(out)


# ------------------------------------------------------------------------------ a draft → Filling

@dataclass(slots=True)
class Problem:
    key: str       # a cell path, unit / year / report_date, or section.<key>
    message: str   # “<cell label>：<what is wrong>”


@dataclass(slots=True)
class Draft:
    """What the form or the API body states, unparsed."""
    unit: Any = ""
    year: Any = None
    report_date: Any = None
    values: dict[str, Any] = field(default_factory=dict)
    sections: dict[str, Any] = field(default_factory=dict)
    strict: bool = False  # API: unknown keys are errors (a form only posts its own fields)

    @classmethod
    def from_form(cls, form) -> Draft:
        return cls(form.get("unit", ""), form.get("year"), form.get("report_date"),
                   {p: form.get(p) for p in L.leaf_paths()},
                   {k: form.get(f"section.{k}", "") for k in L.NARRATIVE_SECTIONS})

    def shown(self) -> dict[str, str]:
        """The values as the inputs show them (what was typed, even when it is wrong)."""
        return {p: v if isinstance(v, str) else fmt_value(v) for p, v in self.values.items()}


def parse_year_zh(raw) -> tuple[int | None, str | None]:
    """fill.py's parse_year, with the 2019-format refusal worded as `nianbao template` words it."""
    year, err = parse_year(raw)
    if err and raw is not None:
        text = str(raw).strip().removesuffix("年度").removesuffix("年")
        if text.isdigit() and int(text) < L.FIRST_YEAR_2021:
            try:
                check_year(int(text))
            except UsageError as exc:
                return None, str(exc)
    return year, err


def build(d: Draft) -> tuple[Filling | None, list[Problem]]:
    """Validate a draft completely (every problem, each naming its cell) and make the Filling."""
    problems: list[Problem] = []

    def bad(key: str, err: str) -> None:
        where = cell_label(key) + (f"（{key}）" if d.strict and "." in key else "")
        problems.append(Problem(key, f"{where}：{err}"))

    unit = str(d.unit or "").strip()
    if not unit:
        bad("unit", "没有填写单位名称")
    year, err = parse_year_zh(d.year)
    if err:
        bad("year", err)
    date, err = parse_date(d.report_date)
    if err:
        bad("report_date", err)
    cells: dict[str, int | float] = {}
    for p in L.leaf_paths():
        v, err = parse_number(d.values.get(p), L.is_decimal(p))
        if err:
            bad(p, err)
        else:
            cells[p] = v
    given_derived = {}
    if d.strict:
        known_derived, leaves = set(L.derived_paths()), set(L.leaf_paths())
        for p, raw in d.values.items():
            if p in known_derived and raw is not None:
                v, err = parse_number(raw, False)
                if err:
                    bad(p, err)
                else:
                    given_derived[p] = v
            elif p not in known_derived and p not in leaves:
                problems.append(Problem(p, f"“{p}”：表中没有这一栏（单元格路径写错了？路径见 spec/output.md，如 "
                                           "applications.granted.natural_person）"))
        for k in d.sections:
            if k not in L.NARRATIVE_SECTIONS:
                problems.append(Problem(f"section.{k}", f"sections.{k}：正文只填 overview（一）、problems（五）、"
                                                        "other（六）三部分，二、三、四部分由 nianbao 生成"))
    if not problems:
        computed = derive(cells)
        for p, v in given_derived.items():
            if computed[p] != v:
                bad(p, f"填写的是 {fmt_value(v)}，按分项计算应为 {fmt_value(computed[p])}（各合计由 nianbao 计算，可不填）")
        negative = [c for c in schema.APPLICANT_COLUMNS if computed[schema.app_path("carried_forward", c)] < 0]
        for c, message in zip(negative, negative_carry_problems(cells)):
            problems.append(Problem(schema.app_path("carried_forward", c), message))
    if problems:
        return None, problems
    sections = {k: str(d.sections.get(k) or "").strip() for k in L.NARRATIVE_SECTIONS}
    where = {p: cell_label(p) for p in schema.paths_2021()}
    return Filling("网页填报", "web", unit, year, date, cells, sections, {}, where), []


@dataclass(slots=True)
class Outcome:
    draft: Draft
    problems: list[Problem]
    report: Report | None = None
    findings: list[Finding] = field(default_factory=list)
    previous: Report | None = None   # last year's stored report the cross-year rules compared with

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def marks(self) -> dict[str, str]:
        """Element key (cell path, unit, section.<key>, applications.row.X …) -> worst severity."""
        out: dict[str, str] = {}
        for p in self.problems:
            out[p.key] = "error"
        for f in self.findings:
            for c in f.cells:
                if SEVERITY_RANK[f.severity] > SEVERITY_RANK.get(out.get(c, ""), 0):
                    out[c] = f.severity
        return out


def run(d: Draft, config: Config | None = None, previous: Report | None = None) -> Outcome:
    """Validate, compute and check a draft, as `nianbao render` does with a filling file; with last
    year's report, the cross-year rules (XY) run too."""
    filling, problems = build(d)
    if filling is None:
        return Outcome(d, problems)
    report = compute(filling)
    return Outcome(d, [], report, check_composed(report, config, previous), previous)


def template_bytes(filling_like: Draft) -> tuple[bytes | None, list[Problem]]:
    """The XLSX template holding what the draft states: the valid cells as stated, a cell the draft
    leaves blank or gets wrong blank (the reader names it again offline), a cell it does not mention
    (an API call sending only some values) at the template's 0."""
    _, problems = build(filling_like)
    head = [p for p in problems if p.key in ("unit", "year")]
    if head:
        return None, head
    year, _ = parse_year_zh(filling_like.year)
    date, _ = parse_date(filling_like.report_date)
    values = {}
    for p in L.leaf_paths():
        if p not in filling_like.values:
            continue
        v, err = parse_number(filling_like.values.get(p), L.is_decimal(p))
        values[p] = None if err else v
    sections = {k: str(filling_like.sections.get(k) or "") for k in L.NARRATIVE_SECTIONS}
    fd, path = tempfile.mkstemp(suffix=".xlsx", prefix="nianbao-template-")
    os.close(fd)
    try:
        write_template(path, year, str(filling_like.unit).strip(), report_date=date, values=values, sections=sections)
        with open(path, "rb") as fh:
            return fh.read(), []
    finally:
        os.unlink(path)
