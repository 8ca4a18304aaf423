"""Consistency rules (NT): numbers stated in the prose against the tables.

The prose is free text, so extraction is heuristic and every finding is a warning quoting the
sentence. Matching works clause by clause (split at ，；。): a clause about 行政复议 does not hide an
application count in the next clause, and a count is only taken when 申请 is what it counts. A
clause that cannot be pinned to one table cell is left alone rather than guessed at.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .. import schema
from ..numerals import chinese_int
from ..model import Finding, Report
from .base import Context, rule
from .equations import fmt

_N = r"(\d+|[零〇一二两三四五六七八九十百千]+)"
# A count's unit; “个” only when it does not start a time limit (20个工作日).
_UNIT = r"\s*(?:件|条|则|份|宗|起|次|人次|个(?!工作日|月|日|小时|自然日))"
_GAP = r"[^。；;，,\d]{0,8}?"

RECEIVED = re.compile(r"(?:收到|受理|接收|接到|新收|共办理|有)(?:[^。；;，,\d]{0,14}?)申请(?:数量|总数|共计|共)?" + _GAP + _N + _UNIT)
WITH_CARRY = re.compile(r"(?:含|包括|加上|连同)上一?年度?结转|共办理")
HANDLED = re.compile(r"(?:已?办结|答复|完成答复|办理完毕)" + _GAP + _N + _UNIT)
CARRIED_OVER = re.compile(r"上一?年度?结转" + _GAP + _N + _UNIT)
CARRIED_FWD = re.compile(r"(?:结转(?:至|到)?下一?年度?|转入下一?年度?|结转)" + _GAP + _N + _UNIT)
NONE_RECEIVED = re.compile(r"(?:未|没有|无|未曾)(?:收到|受理|接到|接收)(?:过)?(?:任何)?(?:要求)?(?:政府)?(?:信息)?(?:公开)?(?:的)?申请(?!人|答复|的答复|办理)")
NO_BOTH = re.compile(r"(?:未发生|没有发生|无|未出现|未有|没有|不存在)[^。；;，,]{0,30}?(?:行政复议|复议)[^。；;，,]{0,20}?(?:行政诉讼|诉讼)")
NO_REVIEW = re.compile(r"(?:未发生|没有发生|无|未出现|未有|没有|不存在)[^。；;，,]{0,30}?(?:行政复议|复议)")
NO_LITIGATION = re.compile(r"(?:未发生|没有发生|无|未出现|未有|没有|不存在)[^。；;，,]{0,30}?(?:行政诉讼|诉讼)")
REVIEW_N = re.compile(r"(?:被申请|被提起|收到|发生|提起|申请)行政复议(?:案件|申请)?" + _GAP + _N + _UNIT)
_PCT = re.compile(r"^[^。；;\d]{0,10}?(\d+(?:\.\d+)?)\s*[%％]")
OUTCOME = {
    "granted": re.compile(r"(?<!部分)予以公开" + _GAP + _N + _UNIT),
    "partially_granted": re.compile(r"部分公开" + _GAP + _N + _UNIT),
    "denied": re.compile(r"不予公开" + _GAP + _N + _UNIT),
    "unable": re.compile(r"无法提供" + _GAP + _N + _UNIT),
    "rejected": re.compile(r"不予处理" + _GAP + _N + _UNIT),
}
OUTCOME_NAMES = {"granted": "予以公开", "partially_granted": "部分公开", "denied": "不予公开", "unable": "无法提供",
                 "rejected": "不予处理"}
OUTCOME_ROWS = {
    "granted": ("（一）予以公开", ["granted"]),
    "partially_granted": ("（二）部分公开", ["partially_granted"]),
    "denied": ("（三）不予公开各项", [r.key for r in schema.APP_ROWS if r.group == "不予公开"]),
    "unable": ("（四）无法提供各项", [r.key for r in schema.APP_ROWS if r.group == "无法提供"]),
    "rejected": ("（五）不予处理各项", [r.key for r in schema.APP_ROWS if r.group == "不予处理"]),
}


@dataclass(frozen=True, slots=True)
class Clause:
    text: str
    sentence: str
    location: str


def _int(s: str) -> int | None:
    if s.isdigit():
        return int(s)
    return chinese_int(s)


def clauses(report: Report) -> list[Clause]:
    """Clauses of the sections that report on applications and reviews (一, 三, 四), each with the
    sentence it belongs to and the line it was printed on. Without any section heading, all prose.
    Computed once per report: five rules read them."""
    cached = report.derived.get("clauses")
    if cached is None:
        cached = report.derived["clauses"] = list(_clauses(report))
    return cached


def _clauses(report: Report, keys=("overview", "applications", "review_litigation")) -> Iterator[Clause]:
    paras = [p for k in keys if k in report.sections for p in report.sections[k].paragraphs]
    if not any(report.sections.get(k) and report.sections[k].heading for k in keys):
        paras = report.paragraphs
    for src, text in paras:
        where = src.english() if src else ""
        for sentence in re.split(r"[。；;\n]", text):
            if not sentence.strip():
                continue
            for clause in re.split(r"[，,]", sentence):
                if clause.strip():
                    yield Clause(clause.strip(), sentence.strip(), where)


def _quote(s: str) -> str:
    return s if len(s) <= 60 else s[:58] + "…"


def _total(report: Report, row: str):
    return report.app(row, "total")


def _sum(report: Report, rows: list[str]):
    vals = [report.app(r, "total") for r in rows]
    if all(v is None for v in vals):
        return None
    return sum(v or 0 for v in vals)


@rule("NT-01", "正文所述收到申请数与表三一致", severity="warning", category="consistency", basis="H",
      doc="""正文中“收到（受理）政府信息公开申请 N 件”应等于表三“一、本年新收政府信息公开申请数量”的总计；
句中写明“含上年结转”或“共办理”的，与一＋二比较。正文表述多样，此项为经验判断，只作警告。""")
def nt_01(report: Report, ctx: Context):
    new = _total(report, "new_received")
    if new is None:
        return
    for c in clauses(report):
        if "复议" in c.text or "诉讼" in c.text:
            continue
        m = RECEIVED.search(c.text)
        if not m or (n := _int(m.group(1))) is None:
            continue
        with_carry = bool(WITH_CARRY.search(c.text))
        expect = new + (_total(report, "carried_over") or 0) if with_carry else new
        if n != expect:
            what = "一、本年新收加二、上年结转" if with_carry else "“一、本年新收政府信息公开申请数量”"
            yield Finding("NT-01", "warning", "consistency",
                          f"正文“{_quote(c.sentence)}”称收到申请 {n} 件，表三{what}的总计为 {fmt(expect)}",
                          ["applications.new_received.total"] + (["applications.carried_over.total"] if with_carry else []),
                          c.location)
        return


@rule("NT-02", "正文所述办结、结转数与表三一致", severity="warning", category="consistency", basis="H",
      doc="""正文中“办结（答复）N 件”应等于表三三（七）总计；“结转下年度 N 件”等于四、结转下年度继续办理的总计；
“上年结转 N 件”等于二、上年结转的总计。""")
def nt_02(report: Report, ctx: Context):
    done: set[str] = set()
    for c in clauses(report):
        if "复议" in c.text or "诉讼" in c.text:
            continue
        text = c.text
        found = []
        m = CARRIED_OVER.search(text)
        if m:
            found.append(("carried_over", "上年结转", m))
            text = text[: m.start()] + "　" * (m.end() - m.start()) + text[m.end():]
        for rx, row, word in ((CARRIED_FWD, "carried_forward", "结转下年度"), (HANDLED, "handled_total", "办结")):
            m2 = rx.search(text)
            if m2:
                found.append((row, word, m2))
        for row, word, mm in found:
            if row in done:
                continue
            done.add(row)
            n, tot = _int(mm.group(1)), _total(report, row)
            if n is None or tot is None or n == tot:
                continue
            yield Finding("NT-02", "warning", "consistency",
                          f"正文“{_quote(c.sentence)}”称{word} {n} 件，表三“{schema.row_title(row)}”行的总计为 {fmt(tot)}",
                          [schema.app_path(row, "total")], c.location)


@rule("NT-03", "正文所述各办理结果件数、比例与表三一致", severity="warning", category="consistency", basis="H",
      doc="""正文中“予以公开 N 件”“部分公开 N 件”“不予公开 N 件”“无法提供 N 件”“不予处理 N 件”应等于表三相应行
（或该组各项之和）的总计；紧随其后的百分比（“占 X%”）应等于该数占三（七）总计的比例（误差 0.5 个百分点内）。""")
def nt_03(report: Report, ctx: Context):
    done: set[str] = set()
    handled = _total(report, "handled_total")
    for c in clauses(report):
        for key, rx in OUTCOME.items():
            if key in done:
                continue
            m = rx.search(c.text)
            if not m:
                continue
            done.add(key)
            label, rows = OUTCOME_ROWS[key]
            n, tot = _int(m.group(1)), _sum(report, rows)
            cells = [schema.app_path(r, "total") for r in rows]
            if n is not None and tot is not None and n != tot:
                yield Finding("NT-03", "warning", "consistency",
                              f"正文“{_quote(c.sentence)}”称{OUTCOME_NAMES[key]} {n} 件，表三“{label}”的总计为 {fmt(tot)}",
                              cells, c.location)
                continue
            pct = _PCT.match(c.sentence[c.sentence.find(m.group(0)) + len(m.group(0)):])
            if pct and tot is not None and handled:
                stated, actual = float(pct.group(1)), 100.0 * tot / handled
                if abs(stated - actual) > 0.5:
                    yield Finding("NT-03", "warning", "consistency",
                                  f"正文“{_quote(c.sentence)}”称{OUTCOME_NAMES[key]}占 {pct.group(1)}%，按表三计算为 "
                                  f"{fmt(tot)}÷{fmt(handled)}＝{actual:.1f}%",
                                  cells + ["applications.handled_total.total"], c.location)


@rule("NT-04", "正文所述行政复议、行政诉讼情况与表四一致", severity="warning", category="consistency", basis="H",
      doc="""正文称“未发生（没有）因政府信息公开引起的行政复议、行政诉讼”时，表四相应部分应全部为 0；
称“被申请行政复议 N 件”时，应等于表四行政复议的总计。""")
def nt_04(report: Report, ctx: Context):
    totals = {g: report.get(schema.rl_path(g, "total")) for g, _ in schema.RL_GROUPS}
    litigation = ("litigation_direct", "litigation_after_review")
    for c in clauses(report):
        if NO_BOTH.search(c.text):
            groups, what = list(totals), "行政复议、行政诉讼"
        elif NO_REVIEW.search(c.text):
            groups, what = ["review"], "行政复议"
        elif NO_LITIGATION.search(c.text) and "复议" not in c.text:
            groups, what = list(litigation), "行政诉讼"
        else:
            m = REVIEW_N.search(c.text)
            if m and (n := _int(m.group(1))) is not None and totals["review"] is not None and n != totals["review"]:
                yield Finding("NT-04", "warning", "consistency",
                              f"正文“{_quote(c.sentence)}”称行政复议 {n} 件，表四“行政复议”总计为 {fmt(totals['review'])}",
                              [schema.rl_path("review", "total")], c.location)
            continue
        nonzero = {g: totals[g] for g in groups if totals[g]}
        if nonzero:
            yield Finding("NT-04", "warning", "consistency",
                          f"正文“{_quote(c.sentence)}”称未发生{what}，但表四"
                          + "、".join(f"“{schema.RL_GROUP_LABEL[g]}”总计为 {fmt(v)}" for g, v in nonzero.items()),
                          [schema.rl_path(g, "total") for g in nonzero], c.location)


@rule("NT-05", "正文称“未收到申请”时表三本年新收为 0", severity="warning", category="consistency", basis="H",
      doc="""正文称“全年未收到（没有收到）政府信息公开申请”时，表三“一、本年新收政府信息公开申请数量”的总计应为 0。""")
def nt_05(report: Report, ctx: Context):
    new = _total(report, "new_received")
    if not new:
        return
    for c in clauses(report):
        if "复议" in c.text or "诉讼" in c.text:
            continue
        if NONE_RECEIVED.search(c.text):
            yield Finding("NT-05", "warning", "consistency",
                          f"正文“{_quote(c.sentence)}”称未收到申请，但表三“一、本年新收政府信息公开申请数量”总计为 {fmt(new)}",
                          ["applications.new_received.total"], c.location)
            return
