"""Harness for the per-rule cases in ``tests/rules/cases/<CODE>.yaml``.

Each registered rule has one YAML file named by its code. A case builds a `Report` programmatically
(no reader, no recognizer: a rule is tested on exactly the data it sees), runs that one rule on it and
compares its findings with the expected ones.

File format
===========

.. code-block:: yaml

    rule: T3-03                 # must equal the file name and a registered code
    cases:
      - name: printed numbers that do not add up     # unique within the file; becomes the test id
        doc: optional free text saying what the case shows
        base: zeros             # zeros (default) | 2019
        cells:                  # overrides, by cell path (spec/output.md)
          applications.granted.natural_person: 2          # a printed number
          applications.granted.total: null                # a blank cell (state blank, raw "")
          applications.granted.commercial: {value: null, state: "null", raw: "/"}   # explicit state
          active.fees.amount_wan_yuan: {value: 25.1, raw: "251000元", unit: "元"}
          active.regulations.issued: {value: 3, confidence: 0.82}   # read by OCR with this score
        missing: [applications.column.other]   # Report.missing; see below for what it does to cells
        extra: [applications.row.subtotal_denied]        # Report.extra; adds printed-0 extra cells
        sections:               # section key -> prose of the section (official heading kept),
          overview: "……"        #   null -> heading not found (SectionText(key, None, "", None, None)),
          other: {heading: "六、其他事项", text: "……"}   # or a dict with heading/text,
          problems: {misplaced: true}   # heading printed out of the official order (as the recognizer marks it)
        unit: 河曲县巡镇镇人民政府   # the title follows unit and year unless `title` is given
        year: 2024
        report_date: "2025-02-07"   # ISO date or null
        title: null             # null -> no title found
        format: "2021"          # override Report.format ("2021" | "2019" | "unknown")
        table_formats: {active: "2019", applications: "2021"}   # override Report.table_formats (mixed formats)
        labels:                 # PrintedLabel entries for FMT-06
          - {path: active.field.repealed, printed: 本年度止件数, official: 本年废止件数}
        notes:                  # Report.notes: the recognizer's own findings, passed through by IN-xx
          - {rule: IN-02, severity: warning, category: input, message: "……", cells: [...], location: "line 40"}
        config:                 # the TOML document of nianbao.config, as a mapping
          deadlines: {township: "01-31", region: [{match: 河曲县, level: township, date: "01-20"}]}
        previous:               # last year's report of the same unit, for the cross-year rules (XY);
          year: 2023            #   see “Previous year” below
          cells:
            applications.carried_forward.total: 2
        expect:                 # the findings of THIS rule, all of them; [] = the rule must stay silent
          - severity: error
            category: arithmetic
            cells_include: [applications.granted.natural_person, applications.granted.total]
            cells_exact: [...]          # optional: the cells, as a set
            message_contains: "总计列为 0"  # optional: a string or a list of strings
            location: "line 36"          # optional: the exact location string
        xfail: "reason"         # the rule is known to be wrong here (strict xfail): keep the case,
                                # report the bug, let the lead fix src/

Bases
=====

``zeros``: a complete, consistent 2021-format report. Title "河曲县人民政府办公室2024年政府信息公开工作
年度报告" (a department), year 2024, report date 2025-01-20, all six sections found in order with their
official headings and neutral prose (section 一 names its five topics), all three tables found, and
every cell of the schema printed as 0 with a `Source(line=…)`: title line 1, 表二 items from line 13,
表三 rows from line 34 (row i on line 34+i), 表四 groups on lines 74–76, date line 90.

``2019``: the same for the 2019 试行 format: format "2019", year 2020, date 2021-01-20; 表三 has the 23
rows of 2019 with the single （六）其他处理 row under ``extra_2019.applications.other_processing.*``
(the three 2021 （六） rows stay absent); 表二's 2019 cells under ``extra_2019.active.*`` and the 2021 cells
that have a 2019 equivalent (`schema.ACTIVE_2019_TO_2021`) filled from them, the others absent —
exactly what the recognizer produces. Overriding a 2019 cell with a 2021 equivalent also overrides the
2021 cell (unless the case sets that one too).

Previous year
=============

``previous`` is a mapping of the report keys of a case (``base``, ``cells``, ``missing``, ``extra``,
``sections``, ``unit``, ``year``, ``report_date``, ``title``, ``format``, ``table_formats``, ``labels``,
``notes``; not ``name``/``expect``/``config``). It builds a second Report exactly as a case builds its
own (`build_previous`), which the rule receives as ``ctx.previous``; without ``previous`` the rule gets
``ctx.previous = None``. Like any case report it has the year of its base (``zeros``: 2024, ``2019``:
2020) unless ``year`` is given, so a “last year” report usually says ``year: 2023`` (or the case's own
report says ``year: 2021`` over a ``base: "2019"`` previous).

What ``missing`` does to cells, as the recognizer would: ``table.X`` marks the table not found and makes
its cells absent; ``applications.row.R`` / ``applications.column.C`` make that row's / column's cells
absent; ``active.K`` (2019: ``extra_2019.active.K``) makes the item's cells absent;
``review_litigation.G.F`` makes that cell "guessed" with no value. ``extra`` entries
``applications.row.subtotal_<group>`` and ``applications.column.legal_subtotal`` add the subtotal cells
(``applications.subtotal_<group>.<col>``, ``applications.<row>.legal_subtotal``) to
``Report.extra_cells``, printed 0. ``cells`` overrides are applied last; a path that is neither in the
schema nor an added subtotal cell is an error in the case file.

Every finding a case produces is also checked for the catalogue contract (right rule code, a severity no
stronger than the registered one, a known category, a Chinese message without unformatted "{…}").
"""
from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from nianbao import schema
from nianbao.config import Config
from nianbao.document import Source
from nianbao.model import ABSENT, BLANK, GUESSED, PRINTED, Finding, PrintedLabel, Report, SectionText, Value
from nianbao.rules import catalogue
from nianbao.rules.base import CATEGORIES, REGISTRY, SEVERITIES

CASES_DIR = Path(__file__).parent / "cases"

SEVERITY_RANK = {"error": 3, "warning": 2, "notice": 1}
CHINESE = re.compile(r"[\u4e00-\u9fff]")

REPORT_KEYS = {"base", "cells", "missing", "extra", "sections", "unit", "year", "report_date", "title", "format",
               "table_formats", "labels", "notes"}
CASE_KEYS = REPORT_KEYS | {"name", "doc", "config", "previous", "expect", "xfail"}
EXPECT_KEYS = {"severity", "category", "cells_include", "cells_exact", "message_contains", "location"}
VALUE_KEYS = {"value", "state", "raw", "unit", "how", "confidence"}

DEFAULT_UNIT = "河曲县人民政府办公室"
SECTION_TEXT = {
    "overview": "本年度，本机关认真贯彻《中华人民共和国政府信息公开条例》，扎实做好主动公开、依申请公开、"
                "政府信息管理、政府信息公开平台建设和监督保障等各项工作。",
    "active": "本年度主动公开政府信息情况见下表。",
    "applications": "本年度收到和处理政府信息公开申请情况见下表。",
    "review_litigation": "本年度政府信息公开行政复议、行政诉讼情况见下表。",
    "problems": "政府信息公开工作仍存在公开内容不够全面等问题，下一步将加强业务培训。",
    "other": "无其他需要报告的事项。",
}
SECTION_LINE = {"overview": 3, "active": 10, "applications": 30, "review_litigation": 70, "problems": 80, "other": 85}
TABLE_LINE = {"active": 12, "applications": 32, "review_litigation": 72}
TITLE_LINE, DATE_LINE = 1, 90
SUBTOTAL_GROUPS = [k for k, _, _ in schema.OUTCOME_GROUPS_2021]


# --------------------------------------------------------------------------------------------- cases
@dataclass(frozen=True)
class RuleCase:
    rule: str
    name: str
    data: dict[str, Any]
    file: str

    @property
    def id(self) -> str:
        return f"{self.rule}::{self.name}"

    @property
    def expect(self) -> list[dict[str, Any]]:
        return self.data["expect"]

    @property
    def xfail(self) -> str | None:
        return self.data.get("xfail")

    @property
    def passing(self) -> bool:
        return not self.expect


@dataclass
class CaseFile:
    path: Path
    rule: str | None
    cases: list[RuleCase] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@cache
def case_files() -> tuple[CaseFile, ...]:
    out = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        cf = CaseFile(path, data.get("rule"))
        if cf.rule != path.stem:
            cf.problems.append(f"{path.name}: `rule: {cf.rule}` does not match the file name")
        names = set()
        for raw in data.get("cases") or []:
            name = raw.get("name")
            if not name or name in names:
                cf.problems.append(f"{path.name}: case without a name or with a duplicate name: {name!r}")
            names.add(name)
            unknown = set(raw) - CASE_KEYS
            if unknown:
                cf.problems.append(f"{path.name}: {name}: unknown keys {sorted(unknown)}")
            prev = raw.get("previous")
            if prev is not None and (not isinstance(prev, dict) or set(prev) - REPORT_KEYS):
                cf.problems.append(f"{path.name}: {name}: `previous` must be a mapping of the report keys "
                                   f"{sorted(REPORT_KEYS)}")
            if "expect" not in raw or not isinstance(raw["expect"], list):
                cf.problems.append(f"{path.name}: {name}: `expect` must be a list ([] = no finding)")
                continue
            for e in raw["expect"]:
                if set(e) - EXPECT_KEYS or "severity" not in e or "category" not in e:
                    cf.problems.append(f"{path.name}: {name}: bad expectation {e}")
            cf.cases.append(RuleCase(str(cf.rule), str(name), raw, path.name))
        out.append(cf)
    return tuple(out)


def all_cases() -> list[RuleCase]:
    return [c for cf in case_files() for c in cf.cases]


def cases_by_rule() -> dict[str, list[RuleCase]]:
    out: dict[str, list[RuleCase]] = {}
    for c in all_cases():
        out.setdefault(c.rule, []).append(c)
    return out


# --------------------------------------------------------------------------------------------- reports
def _row_lines(fmt: str) -> dict[str, int]:
    rows = schema.APP_ROWS_2019 if fmt == schema.FORMAT_2019 else schema.APP_ROWS
    lines = {r.key: 34 + i for i, r in enumerate(rows)}
    for i, g in enumerate(SUBTOTAL_GROUPS):
        lines[f"subtotal_{g}"] = 60 + i
    return lines


def _item_lines(fmt: str) -> dict[str, int]:
    items = schema.ACTIVE_ITEMS_2019 if fmt == schema.FORMAT_2019 else schema.ACTIVE_ITEMS
    return {it.key: 13 + i for i, it in enumerate(items)}


def source_for(path: str, fmt: str) -> Source | None:
    parts = path.split(".")
    if parts[0] == "extra_2019":
        parts = parts[1:]
    if parts[0] == "active":
        line = _item_lines(fmt).get(parts[1])
    elif parts[0] == "applications":
        line = _row_lines(fmt).get(parts[1])
    elif parts[0] == "review_litigation":
        line = 74 + [g for g, _ in schema.RL_GROUPS].index(parts[1])
    else:
        line = None
    return Source(line=line) if line is not None else None


def _printed(v: int | float, path: str, fmt: str) -> Value:
    raw = str(v)
    return Value(v, PRINTED, raw, source_for(path, fmt))


def _table_of(path: str) -> str:
    parts = path.split(".")
    return parts[1] if parts[0] == "extra_2019" else parts[0]


def base_report(base: str) -> Report:
    if base == "zeros":
        fmt, year = schema.FORMAT_2021, 2024
    elif base == "2019":
        fmt, year = schema.FORMAT_2019, 2020
    else:
        raise ValueError(f"unknown base {base!r} (zeros | 2019)")
    r = Report(path=f"case-{base}.txt", format=fmt, unit=DEFAULT_UNIT, year=year,
               report_date=f"{year + 1}-01-20", date_source=Source(line=DATE_LINE))
    for n, s in enumerate(schema.SECTIONS):
        r.sections[s.key] = _section(s.key, f"{s.no}、{s.title}", SECTION_TEXT[s.key],
                                     Source(line=SECTION_LINE[s.key]), n)
    for t in schema.TABLE_SECTIONS:
        r.tables_found[t] = Source(line=TABLE_LINE[t])
    r.table_formats = {"active": fmt, "applications": fmt}
    if fmt == schema.FORMAT_2021:
        for p in schema.paths_2021():
            r.cells[p] = _printed(0, p, fmt)
    else:
        for p in schema.paths_2021():
            table, row, _ = p.split(".")
            if table == "applications" and row in schema.ROWS_2021_ONLY:
                continue  # the three （六） rows do not exist in 2019
            if table == "active":
                continue  # filled from the 2019 cells below
            r.cells[p] = _printed(0, p, fmt)
        for p in schema.paths_2019_extra():
            r.cells[p] = _printed(0, p, fmt)
        for src, dst in schema.ACTIVE_2019_TO_2021.items():
            v = r.cells["extra_2019." + src]
            r.cells[dst] = Value(v.value, v.state, v.raw, v.source, v.unit, "2019年格式对应单元格")
    return r


def _value(spec: Any, path: str, fmt: str, old: Value | None) -> Value:
    src = (old.source if old is not None and old.source is not None else None) or source_for(path, fmt)
    if spec is None:
        return Value(None, BLANK, "", src)
    if isinstance(spec, bool) or not isinstance(spec, (int, float, dict)):
        raise ValueError(f"{path}: a cell is a number, null or a mapping, not {spec!r}")
    if isinstance(spec, (int, float)):
        return Value(spec, PRINTED, str(spec), src)
    unknown = set(spec) - VALUE_KEYS
    if unknown:
        raise ValueError(f"{path}: unknown value keys {sorted(unknown)}")
    value = spec.get("value")
    state = spec.get("state", PRINTED if value is not None else BLANK)
    raw = spec.get("raw", "" if value is None else str(value))
    if "confidence" in spec and src is not None:  # read by OCR, with this score
        src = src._replace(confidence=spec["confidence"])
    return Value(value, state, raw, None if state == ABSENT else src, spec.get("unit"), spec.get("how"))


def _apply_missing(r: Report, entries: list[str]) -> None:
    fmt = r.format
    rows_2019 = fmt == schema.FORMAT_2019
    for m in entries:
        r.missing.append(m)
        parts = m.split(".")
        if parts[0] == "table":
            r.tables_found[parts[1]] = None
            for p in list(r.cells):
                if _table_of(p) == parts[1]:
                    r.cells[p] = Value()
        elif parts[:2] == ["applications", "row"]:
            for c in schema.APP_COLUMNS:
                r.cells[r.app_cell_path(parts[2], c.key)] = Value()
        elif parts[:2] == ["applications", "column"]:
            for row in r.app_rows():
                r.cells[r.app_cell_path(row.key, parts[2])] = Value()
        elif parts[0] == "active" or parts[:2] == ["extra_2019", "active"]:
            key = parts[-1]
            prefix = f"extra_2019.active.{key}." if rows_2019 else f"active.{key}."
            for p in list(r.cells):
                if p.startswith(prefix):
                    r.cells[p] = Value()
                    dst = schema.ACTIVE_2019_TO_2021.get(p.removeprefix("extra_2019."))
                    if rows_2019 and dst:
                        r.cells[dst] = Value()
        elif parts[0] == "review_litigation" and len(parts) == 3:
            r.cells[m] = Value(None, GUESSED, None, None, how="单元格缺失")


def _apply_extra(r: Report, entries: list[str]) -> None:
    for e in entries:
        r.extra.append(e)
        if e.startswith("applications.row.subtotal_"):
            row = e.rsplit(".", 1)[1]
            for c in schema.APP_COLUMNS:
                p = f"applications.{row}.{c.key}"
                r.extra_cells[p] = _printed(0, p, r.format)
        elif e == "applications.column.legal_subtotal":
            for row in r.app_rows():
                p = f"applications.{row.key}.legal_subtotal"
                r.extra_cells[p] = _printed(0, p, r.format)


def _section(key: str, heading: str | None, text: str, source: Source | None, order: int | None,
             misplaced: bool = False) -> SectionText:
    """A SectionText as the recognizer builds it: each line of prose keeps the line it is on."""
    start = source.line if source is not None and source.line is not None else 0
    paras = [(Source(line=start + 1 + i), line) for i, line in enumerate(text.split("\n")) if line.strip()]
    return SectionText(key, heading, text, source, order, misplaced=misplaced, paragraphs=paras)


def _sections(r: Report, spec: dict[str, Any]) -> None:
    for key, s in spec.items():
        if key not in schema.SECTION_BY_KEY:
            raise ValueError(f"unknown section key {key!r}")
        old = r.sections[key]
        if s is None:
            r.sections[key] = _section(key, None, "", None, None)
        elif isinstance(s, str):
            r.sections[key] = _section(key, old.heading, s, old.source, old.order)
        elif s.get("misplaced"):  # what the recognizer keeps of a heading found out of order
            r.sections[key] = _section(key, s.get("heading", old.heading), s.get("text", ""), old.source, None,
                                       misplaced=True)
        else:
            r.sections[key] = _section(key, s.get("heading", old.heading), s.get("text", old.text),
                                       old.source, old.order)


def _config(spec: dict[str, Any] | None) -> Config:
    if not spec:
        return Config()
    lines: list[str] = []
    for table, body in spec.items():
        lines.append(f"[{table}]")
        arrays = {k: v for k, v in body.items() if isinstance(v, list)}
        lines += [f'{k} = "{v}"' for k, v in body.items() if k not in arrays]
        for k, items in arrays.items():
            for item in items:
                lines.append(f"[[{table}.{k}]]")
                lines += [f'{ik} = "{iv}"' for ik, iv in item.items()]
    with tempfile.NamedTemporaryFile("w", suffix=".toml", encoding="utf-8", delete=False) as fh:
        fh.write("\n".join(lines) + "\n")
        name = fh.name
    try:
        return Config.load(name)
    finally:
        Path(name).unlink()


def build(case: RuleCase | dict[str, Any]) -> tuple[Report, Config]:
    """The Report and Config a case describes."""
    d = case.data if isinstance(case, RuleCase) else case
    r = base_report(d.get("base", "zeros"))
    if "format" in d:
        r.format = str(d["format"])
    if "table_formats" in d:
        r.table_formats = {k: str(v) for k, v in d["table_formats"].items()}
    if "unit" in d:
        r.unit = d["unit"]
    if "year" in d:
        r.year = d["year"]
    if "report_date" in d:
        r.report_date = d["report_date"]
        if d["report_date"] is None:
            r.date_source = None
    if "title" in d:
        r.title = d["title"]
    else:
        r.title = f"{r.unit or ''}{r.year}年政府信息公开工作年度报告" if r.year is not None else None
    r.title_source = Source(line=TITLE_LINE) if r.title else None
    _apply_missing(r, list(d.get("missing") or []))
    _apply_extra(r, list(d.get("extra") or []))
    overrides = dict(d.get("cells") or {})
    if r.is_2019:  # a 2019 cell with a 2021 equivalent fills it too, as the recognizer does
        for p in list(overrides):
            dst = schema.ACTIVE_2019_TO_2021.get(p.removeprefix("extra_2019."))
            if p.startswith("extra_2019.") and dst and dst not in overrides:
                overrides[dst] = overrides[p]
    known = set(schema.paths_2021()) | set(schema.paths_2019_extra())
    for p, spec in overrides.items():
        if p in known:
            r.cells[p] = _value(spec, p, r.format, r.cells.get(p))
        elif p in r.extra_cells:
            r.extra_cells[p] = _value(spec, p, r.format, r.extra_cells.get(p))
        else:  # a typo would otherwise make a case pass vacuously
            raise ValueError(f"unknown cell path {p!r} (not in the schema nor an added subtotal cell of `extra`)")
    _sections(r, dict(d.get("sections") or {}))
    for lbl in d.get("labels") or []:
        r.labels.append(PrintedLabel(lbl["path"], lbl["printed"], lbl["official"],
                                     Source(line=lbl.get("line", 40)), lbl.get("score", 80.0)))
    for n in d.get("notes") or []:
        r.notes.append(Finding(n["rule"], n["severity"], n["category"], n["message"], list(n.get("cells") or []),
                               n.get("location", "")))
    return r, _config(d.get("config"))


def build_previous(case: RuleCase | dict[str, Any]) -> Report | None:
    """Last year's Report of a case (its `previous` mapping, built like a case), or None."""
    d = case.data if isinstance(case, RuleCase) else case
    prev = d.get("previous")
    return None if prev is None else build(prev)[0]


# --------------------------------------------------------------------------------------------- checks
def contract_problems(f: Finding) -> list[str]:
    """What is wrong with a finding against the catalogue contract (empty when nothing)."""
    out = []
    reg = REGISTRY.get(f.rule)
    if reg is None:
        return [f"unregistered rule code {f.rule!r}"]
    if f.severity not in SEVERITIES:
        out.append(f"unknown severity {f.severity!r}")
    elif SEVERITY_RANK[f.severity] > SEVERITY_RANK[reg.severity]:
        out.append(f"severity {f.severity} is stronger than the registered {reg.severity}")
    if f.category not in CATEGORIES:
        out.append(f"unknown category {f.category!r}")
    if not CHINESE.search(f.message or ""):
        out.append(f"message without Chinese: {f.message!r}")
    if "{" in f.message or "}" in f.message:
        out.append(f"unformatted placeholder in message: {f.message!r}")
    if not isinstance(f.cells, list) or not all(isinstance(c, str) for c in f.cells):
        out.append(f"cells must be a list of paths: {f.cells!r}")
    if not isinstance(f.location, str):
        out.append(f"location must be a string: {f.location!r}")
    return out


def _matches(e: dict[str, Any], f: Finding) -> bool:
    if f.severity != e["severity"] or f.category != e["category"]:
        return False
    if not set(e.get("cells_include") or []) <= set(f.cells):
        return False
    if "cells_exact" in e and set(e["cells_exact"]) != set(f.cells):
        return False
    wanted = e.get("message_contains") or []
    if isinstance(wanted, str):
        wanted = [wanted]
    if not all(w in f.message for w in wanted):
        return False
    return "location" not in e or f.location == e["location"]


def match_findings(expected: list[dict[str, Any]], actual: list[Finding]) -> bool:
    """True when each expectation matches its own finding and no finding is left over."""
    if len(expected) != len(actual):
        return False

    def go(i: int, used: frozenset[int]) -> bool:
        if i == len(expected):
            return True
        return any(go(i + 1, used | {j}) for j, f in enumerate(actual)
                   if j not in used and _matches(expected[i], f))
    return go(0, frozenset())


def describe(findings: list[Finding]) -> str:
    if not findings:
        return "  (no finding)"
    return "\n".join(f"  - {f.severity}/{f.category} {f.message}\n    cells={f.cells} location={f.location!r}"
                     for f in findings)


# --------------------------------------------------------------------------------------------- pytest
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    known = getattr(metafunc.module, "KNOWN_BUGS", {})
    name = metafunc.function.__name__
    if "rule_case" in metafunc.fixturenames:
        params = [pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=c.xfail)] if c.xfail else [])
                  for c in all_cases()]
        metafunc.parametrize("rule_case", params)
    if "rule_code" in metafunc.fixturenames:
        params = []
        for r in catalogue():
            reason = known.get((name, r.code))
            params.append(pytest.param(r.code, id=r.code,
                                       marks=[pytest.mark.xfail(strict=True, reason=reason)] if reason else []))
        metafunc.parametrize("rule_code", params)
    if "case_file" in metafunc.fixturenames:
        metafunc.parametrize("case_file", case_files(), ids=[cf.path.name for cf in case_files()])
