"""From a validated filling to a complete Report: every derived cell computed, never typed.

The totals are computed exactly as the format defines them (row 总计, （七）总计, 四 = 一 + 二 − （七）,
表四 总计), so the arithmetic rules are silent by construction; they still run in `check_composed`
as a guard against a bug here. What can still be wrong in composed data is what the clerk wrote
and dated: prose against tables, the deadline, required content, last year's carry-over.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import schema
from ..config import Config
from ..document import Source
from ..model import PRINTED, Finding, Report, SectionText, Value
from . import layout as L

if TYPE_CHECKING:
    from .fill import Filling

COMPUTED = "由 nianbao 按年报格式计算"
# Rule families that describe how a document was printed or read; a composed report is generated
# from the schema itself and nothing in it is read or guessed, so they have nothing to say.
SKIPPED_FAMILIES = ("FMT", "IN")


def derive(cells: dict[str, int | float]) -> dict[str, int]:
    """Every derived cell of the 2021 format from the leaf cells."""
    out: dict[str, int] = {}
    cols = schema.APPLICANT_COLUMNS
    for c in cols:
        out[schema.app_path("handled_total", c)] = sum(cells[schema.app_path(r, c)] for r in L.OUTCOME_ROWS)
        out[schema.app_path("carried_forward", c)] = (cells[schema.app_path("new_received", c)]
                                                     + cells[schema.app_path("carried_over", c)]
                                                     - out[schema.app_path("handled_total", c)])
    for r in schema.APP_ROWS:
        out[schema.app_path(r.key, "total")] = sum(
            out.get(schema.app_path(r.key, c), cells.get(schema.app_path(r.key, c), 0)) for c in cols)
    for g, _ in schema.RL_GROUPS:
        out[schema.rl_path(g, "total")] = sum(cells[schema.rl_path(g, f)] for f in L.RL_PARTS)
    return out


def negative_carry_problems(cells: dict[str, int | float]) -> list[str]:
    """One Chinese sentence per applicant column that handled more than it received and carried."""
    out = []
    d = derive(cells)
    for c in schema.APPLICANT_COLUMNS:
        k = d[schema.app_path("carried_forward", c)]
        if k < 0:
            new, co = cells[schema.app_path("new_received", c)], cells[schema.app_path("carried_over", c)]
            handled = d[schema.app_path("handled_total", c)]
            out.append(f"表三“{schema.APP_COLUMN_BY_KEY[c].label}”列：办理结果合计（七）{handled} 件，多于一、本年新收 {new} 件"
                       f"与二、上年结转 {co} 件之和 {new + co} 件，四、结转下年度继续办理将为 {k}：请核对该列各办理结果或新收、结转数")
    return out


def compute(filling: Filling, *, sentences: bool = True) -> Report:
    """The Report the filling states. With `sentences`, sections 二、三、四 carry the generated
    sentences that state the tables' numbers (the renderer puts the tables after them)."""
    from .fill import FillingError

    missing = [p for p in L.leaf_paths() if p not in filling.cells]
    if missing:
        raise FillingError(filling.path, [f"{filling.where.get(p, p)}：没有填写" for p in missing])
    problems = negative_carry_problems(filling.cells)
    if problems:
        raise FillingError(filling.path, problems)
    rep = Report(path=filling.path, format=schema.FORMAT_2021, unit=filling.unit, year=filling.year,
                 report_date=filling.report_date)
    rep.title = f"{filling.unit}{filling.year}年政府信息公开工作年度报告"
    rep.status = "ok"
    for p in L.leaf_paths():
        v = filling.cells[p]
        rep.cells[p] = Value(v, PRINTED, _raw(v), filling.sources.get(p), "万元" if L.is_decimal(p) else None,
                             f"填报：{filling.where[p]}" if p in filling.where else None)
    for p, v in derive(filling.cells).items():
        src = None
        if filling.kind == "xlsx":  # the greyed cell that shows the same formula
            pl = L.places()[p]
            src = Source(page=L.SHEETS.index(pl.sheet) + 1, row=pl.row, col=pl.col)
        rep.cells[p] = Value(v, PRINTED, _raw(v), src, None, COMPUTED)
    for i, table in enumerate(schema.TABLE_SECTIONS):
        rep.tables_found[table] = Source(table=i + 1)
    _sections(rep, filling, sentences)
    return rep


def _raw(v: float) -> str:
    return str(v)


def _sections(rep: Report, filling: Filling, sentences: bool) -> None:
    from .narrative import narrative_sentences
    generated = narrative_sentences(rep) if sentences else {}
    for order, s in enumerate(schema.SECTIONS):
        text = filling.sections.get(s.key, "") if s.key in L.NARRATIVE_SECTIONS else generated.get(s.key, "")
        src = filling.sources.get(f"section.{s.key}") or Source()
        paras = [(src, para.strip()) for para in text.split("\n") if para.strip()]
        rep.sections[s.key] = SectionText(s.key, f"{s.no}、{s.title}", "\n".join(p for _, p in paras), src,
                                          order, False, paras)
        rep.paragraphs.extend(paras)


def check_composed(report: Report, config: Config | None = None, previous: Report | None = None) -> list[Finding]:
    """The rule catalogue minus the families about printing and reading (FMT, IN). T3/T4/NUM run
    and must be silent; NT, PUB and (with last year's report) XY judge what the clerk wrote."""
    from ..rules import catalogue
    from ..rules.base import Context
    ctx = Context(config or Config(), previous)
    out: list[Finding] = []
    for r in catalogue():
        if r.family not in SKIPPED_FAMILIES:
            out.extend(r.check(report, ctx))
    return out
