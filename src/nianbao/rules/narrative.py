"""Consistency rules (NT): numbers stated in the prose against the tables.

The prose is free text, so extraction is heuristic: only sentences that name 申请 (applications) with
a count are used, and every finding is a warning quoting the sentence. A sentence that cannot be
pinned to one table cell is left alone rather than guessed at.
"""
from __future__ import annotations

import re

from .. import schema
from ..model import Finding, Report
from .base import Context, rule
from .equations import fmt

_N = r"(\d+|[零〇一二两三四五六七八九十百千]+)"
_UNIT = r"\s*(?:件|条|则|个|份|宗|起|次|人次)"

RECEIVED = re.compile(r"(?:共|累计|全年|本年度?|今年)?(?:收到|受理|接收|接到|新收|办理|有)[^。；;，,]{0,16}?申请[^。；;，,\d]{0,8}?" + _N + _UNIT)
HANDLED = re.compile(r"(?:已?办结|答复|完成答复|办理完毕)[^。；;，,\d]{0,8}?" + _N + _UNIT)
CARRIED_FWD = re.compile(r"(?<!上年)(?:结转(?:至|到)?下一?年度?|转入下一?年度?|结转)[^。；;，,\d]{0,8}?" + _N + _UNIT)
CARRIED_OVER = re.compile(r"上(?:一)?年(?:度)?结转[^。；;，,\d]{0,8}?" + _N + _UNIT)
NONE_RECEIVED = re.compile(r"(?:未|没有|无|未曾)(?:收到|受理|接到|接收)[^。；;，,]{0,16}?申请")
NO_REVIEW = re.compile(r"(?:未发生|没有发生|无|未出现|未有|没有)[^。；;]{0,30}?(?:行政复议|复议)[^。；;]{0,20}?(?:行政诉讼|诉讼)")
REVIEW_N = re.compile(r"(?:被申请|提起|发生)?行政复议[^。；;，,\d]{0,6}?" + _N + _UNIT)
OUTCOME = {
    "granted": re.compile(r"(?<!部分)予以公开[^。；;，,\d]{0,6}?" + _N + _UNIT),
    "partially_granted": re.compile(r"部分公开[^。；;，,\d]{0,6}?" + _N + _UNIT),
    "denied": re.compile(r"不予公开[^。；;，,\d]{0,6}?" + _N + _UNIT),
    "unable": re.compile(r"无法提供[^。；;，,\d]{0,6}?" + _N + _UNIT),
    "rejected": re.compile(r"不予处理[^。；;，,\d]{0,6}?" + _N + _UNIT),
}
_CN = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _int(s: str) -> int | None:
    if s.isdigit():
        return int(s)
    from ..recognize.values import chinese_int
    return chinese_int(s)


def prose(report: Report) -> list[str]:
    """Sentences of the sections that report on applications and reviews (一, 三, 四)."""
    parts = [report.sections[k].text for k in ("overview", "applications", "review_litigation") if k in report.sections]
    text = "\n".join(p for p in parts if p)
    return [s for s in re.split(r"[。；;\n]", text) if s.strip()]


def _sentence(s: str) -> str:
    s = s.strip()
    return s if len(s) <= 60 else s[:58] + "…"


def _total(report: Report, row: str) -> int | float | None:
    return report.app(row, "total")


def _sum(report: Report, rows: list[str]) -> int | float | None:
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
    for s in prose(report):
        if "复议" in s or "诉讼" in s:
            continue
        m = RECEIVED.search(s)
        if not m:
            continue
        n = _int(m.group(1))
        if n is None:
            continue
        with_carry = "结转" in s[: m.end()] or "共办理" in s
        expect = new + (_total(report, "carried_over") or 0) if with_carry else new
        if n != expect:
            what = "一＋二（含上年结转）" if with_carry else "一、本年新收"
            yield Finding("NT-01", "warning", "consistency",
                          f"正文“{_sentence(s)}”称收到申请 {n} 件，表三{what}总计为 {fmt(expect)}",
                          ["applications.new_received.total"] + (["applications.carried_over.total"] if with_carry else []),
                          "section.overview")
        return


@rule("NT-02", "正文所述办结、结转数与表三一致", severity="warning", category="consistency", basis="H",
      doc="""正文中“办结（答复）N 件”应等于表三三（七）总计；“结转下年度 N 件”等于四、结转下年度继续办理的总计；
“上年结转 N 件”等于二、上年结转的总计。""")
def nt_02(report: Report, ctx: Context):
    checks = [(HANDLED, "handled_total", "办结"), (CARRIED_OVER, "carried_over", "上年结转"), (CARRIED_FWD, "carried_forward", "结转下年度")]
    done = set()
    for s in prose(report):
        if "复议" in s or "诉讼" in s:
            continue
        for rx, row, word in checks:
            if row in done:
                continue
            m = rx.search(s)
            if not m:
                continue
            if row == "carried_forward" and CARRIED_OVER.search(s):
                continue
            n = _int(m.group(1))
            tot = _total(report, row)
            done.add(row)
            if n is None or tot is None or n == tot:
                continue
            yield Finding("NT-02", "warning", "consistency",
                          f"正文“{_sentence(s)}”称{word} {n} 件，表三“{schema.row_title(row)}”总计为 {fmt(tot)}",
                          [schema.app_path(row, "total")], "section.overview")


@rule("NT-03", "正文所述各办理结果件数与表三一致", severity="warning", category="consistency", basis="H",
      doc="""正文中“予以公开 N 件”“部分公开 N 件”“不予公开 N 件”“无法提供 N 件”“不予处理 N 件”应等于表三相应行
（或该组各项之和）的总计。""")
def nt_03(report: Report, ctx: Context):
    groups = {
        "granted": ["granted"], "partially_granted": ["partially_granted"],
        "denied": [r.key for r in schema.APP_ROWS if r.group == "不予公开"],
        "unable": [r.key for r in schema.APP_ROWS if r.group == "无法提供"],
        "rejected": [r.key for r in schema.APP_ROWS if r.group == "不予处理"],
    }
    names = {"granted": "予以公开", "partially_granted": "部分公开", "denied": "不予公开", "unable": "无法提供", "rejected": "不予处理"}
    done = set()
    for s in prose(report):
        for key, rx in OUTCOME.items():
            if key in done:
                continue
            m = rx.search(s)
            if not m:
                continue
            n = _int(m.group(1))
            tot = _sum(report, groups[key])
            done.add(key)
            if n is None or tot is None or n == tot:
                continue
            yield Finding("NT-03", "warning", "consistency",
                          f"正文“{_sentence(s)}”称{names[key]} {n} 件，表三相应行总计为 {fmt(tot)}",
                          [schema.app_path(r, "total") for r in groups[key]], "section.applications")


@rule("NT-04", "正文所述行政复议、行政诉讼情况与表四一致", severity="warning", category="consistency", basis="H",
      doc="""正文称“未发生（没有）因政府信息公开引起的行政复议、行政诉讼”时，表四应全部为 0；
称“被申请行政复议 N 件”时，应等于表四行政复议的总计。""")
def nt_04(report: Report, ctx: Context):
    totals = {g: report.get(schema.rl_path(g, "total")) for g, _ in schema.RL_GROUPS}
    for s in prose(report):
        if NO_REVIEW.search(s):
            nonzero = {g: v for g, v in totals.items() if v}
            if nonzero:
                yield Finding("NT-04", "warning", "consistency",
                              f"正文“{_sentence(s)}”称未发生行政复议、行政诉讼，但表四"
                              + "、".join(f"{schema.RL_GROUP_LABEL[g]}总计为 {fmt(v)}" for g, v in nonzero.items()),
                              [schema.rl_path(g, "total") for g in nonzero], "section.review_litigation")
            return
        m = REVIEW_N.search(s)
        if m and "申请" in s[max(0, m.start() - 6): m.end()] + "被申请":
            n = _int(m.group(1))
            tot = totals["review"]
            if n is not None and tot is not None and n != tot:
                yield Finding("NT-04", "warning", "consistency",
                              f"正文“{_sentence(s)}”称行政复议 {n} 件，表四行政复议总计为 {fmt(tot)}",
                              [schema.rl_path("review", "total")], "section.review_litigation")
            return


@rule("NT-05", "正文称“未收到申请”时表三本年新收为 0", severity="warning", category="consistency", basis="H",
      doc="""正文称“全年未收到（没有收到）政府信息公开申请”时，表三“一、本年新收政府信息公开申请数量”的总计应为 0。""")
def nt_05(report: Report, ctx: Context):
    new = _total(report, "new_received")
    if not new:
        return
    for s in prose(report):
        if "复议" in s or "诉讼" in s:
            continue
        if NONE_RECEIVED.search(s):
            yield Finding("NT-05", "warning", "consistency",
                          f"正文“{_sentence(s)}”称未收到申请，但表三“一、本年新收政府信息公开申请数量”总计为 {fmt(new)}",
                          ["applications.new_received.total"], "section.overview")
            return
