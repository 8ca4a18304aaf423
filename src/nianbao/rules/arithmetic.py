"""Arithmetic rules: the equations the tables' own labels state (T3, T4) and the number types (NUM).

Every finding lists every cell of its equation, so a reviewer sees the whole sum.
"""
from __future__ import annotations

from functools import lru_cache

from .. import schema
from ..model import PRINTED, Finding, Report
from .base import Context, loc, rule
from .equations import evaluate, fmt

COLS = [c.key for c in schema.APP_COLUMNS]


def _col_label(c: str) -> str:
    return schema.APP_COLUMN_BY_KEY[c].label


def _present_columns(report: Report) -> list[str]:
    return [c for c in COLS if f"applications.column.{c}" not in report.missing]


def _path(is_2019: bool, row: str, col: str) -> str:
    return f"extra_2019.applications.{row}.{col}" if row == "other_processing" else f"applications.{row}.{col}"


@lru_cache(maxsize=4)
def _equations(is_2019: bool):
    """Cell paths of every 表三 equation, built once per format (rules run thousands of times)."""
    rows = schema.APP_ROWS_2019 if is_2019 else schema.APP_ROWS
    outcomes = [r.key for r in rows if r.no.startswith("三（") and r.key != "handled_total"]
    identity = {c: tuple(_path(is_2019, r, c) for r in ("new_received", "carried_over", "handled_total", "carried_forward"))
                for c in COLS}
    column_sums = {c: ([_path(is_2019, r, c) for r in outcomes], _path(is_2019, "handled_total", c)) for c in COLS}
    row_sums = [(r.key, [_path(is_2019, r.key, c) for c in schema.APPLICANT_COLUMNS], _path(is_2019, r.key, "total"))
                for r in rows]
    return identity, column_sums, row_sums


@rule("T3-01", "勾稽关系：第一项加第二项之和，等于第三项加第四项之和", severity="error", category="arithmetic", basis="F",
      doc="""表三每一列：一（本年新收）＋二（上年结转）＝三（七）总计＋四（结转下年度继续办理）。
这是年报格式在表三表头注明的勾稽关系（“本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和”）。
有单元格空白而等式不成立时，只给出“无法核对”的提示（input），不判为错误。""")
def t3_01(report: Report, ctx: Context):
    if not report.has_table("applications"):
        return
    identity = _equations(report.apps_is_2019)[0]
    for c in _present_columns(report):
        a, b, t, f = identity[c]
        fnd = evaluate(report, "T3-01", [a, b], [t, f],
                       lambda l, r, s, c=c, a=a, b=b, t=t, f=f: (
                           f"表三“{_col_label(c)}”列：一（本年新收 {s[a]}）加二（上年结转 {s[b]}）之和为 {fmt(l)}，"
                           f"三（七）总计 {s[t]} 加四（结转下年度 {s[f]}）之和为 {fmt(r)}，不相等"), t)
        if fnd:
            yield fnd


@rule("T3-02", "办理结果合计：（七）总计等于各办理结果之和", severity="error", category="arithmetic", basis="I",
      doc="""表三每一列：三（七）总计＝（一）予以公开＋（二）部分公开＋（三）不予公开 1–8 项＋（四）无法提供 1–3 项
＋（五）不予处理 1–5 项＋（六）其他处理 1–3 项（2019 年格式为（六）其他处理一行）。依据是“总计”一词的含义。""")
def t3_02(report: Report, ctx: Context):
    if not report.has_table("applications"):
        return
    column_sums = _equations(report.apps_is_2019)[1]
    for c in _present_columns(report):
        parts, tot = column_sums[c]
        fnd = evaluate(report, "T3-02", parts, [tot],
                       lambda l, r, s, c=c, tot=tot: f"表三“{_col_label(c)}”列：各办理结果之和为 {fmt(l)}，三（七）总计为 {s[tot]}",
                       tot)
        if fnd:
            yield fnd


@rule("T3-03", "行合计：总计列等于各类申请人之和", severity="error", category="arithmetic", basis="I",
      doc="""表三每一行：总计＝自然人＋商业企业＋科研机构＋社会公益组织＋法律服务机构＋其他。
缺列（如没有“其他”列）时，等式不成立只提示无法核对。""")
def t3_03(report: Report, ctx: Context):
    if not report.has_table("applications"):
        return
    for key, parts, tot in _equations(report.apps_is_2019)[2]:
        fnd = evaluate(report, "T3-03", parts, [tot],
                       lambda l, rr, s, key=key, tot=tot: f"表三“{schema.row_title(key)}”行：各申请人列之和为 {fmt(l)}，总计列为 {s[tot]}",
                       tot)
        if fnd:
            yield fnd


@rule("T3-04", "自行增加的小计行、小计列等于其分项之和", severity="error", category="arithmetic", basis="I",
      doc="""官方表三没有小计行（如“（三）不予公开”合计）和“法人或其他组织小计”列。单位自行添加时，小计应等于其分项之和；
添加本身另由 FMT-03 提示。""")
def t3_04(report: Report, ctx: Context):
    for key, _, label in schema.OUTCOME_GROUPS_2021:
        row = f"subtotal_{key}"
        if f"applications.row.{row}" not in report.extra:
            continue
        items = ([r.key for r in report.app_rows() if r.no.startswith("三（") and r.key != "handled_total"]
                 if key == "outcomes" else [r.key for r in schema.APP_ROWS if r.group == label])
        for c in _present_columns(report):
            sub = f"applications.{row}.{c}"
            parts = [report.app_cell_path(i, c) for i in items]
            fnd = evaluate(report, "T3-04", parts, [sub],
                           lambda l, r, s, c=c, sub=sub, label=label:
                           f"表三自行添加的“{label}”小计行·{_col_label(c)}列为 {s[sub]}，而其分项之和为 {fmt(l)}", sub)
            if fnd:
                yield fnd
    if "applications.column.legal_subtotal" in report.extra:
        legal = [c.key for c in schema.APP_COLUMNS if c.group]
        for r in report.app_rows():
            sub = f"applications.{r.key}.legal_subtotal"
            parts = [report.app_cell_path(r.key, c) for c in legal]
            fnd = evaluate(report, "T3-04", parts, [sub],
                           lambda l, rr, s, r=r, sub=sub: f"表三“{schema.row_title(r.key)}”行：自行添加的“法人或其他组织小计”为 {s[sub]}，"
                                                          f"而五类法人或其他组织之和为 {fmt(l)}", sub)
            if fnd:
                yield fnd


def _t4(group: str):
    def check(report: Report, ctx: Context):
        if not report.has_table("review_litigation"):
            return
        parts = [schema.rl_path(group, f) for f in ("upheld", "corrected", "other", "pending")]
        tot = schema.rl_path(group, "total")
        fnd = evaluate(report, CODES[group], parts, [tot],
                       lambda l, r, s: (f"表四“{schema.RL_GROUP_LABEL[group]}”：结果维持 {s[parts[0]]}＋结果纠正 {s[parts[1]]}＋"
                                        f"其他结果 {s[parts[2]]}＋尚未审结 {s[parts[3]]}＝{fmt(l)}，总计为 {s[tot]}"), tot)
        if fnd:
            yield fnd
    return check


CODES = {"review": "T4-01", "litigation_direct": "T4-02", "litigation_after_review": "T4-03"}
for _g, _code in CODES.items():
    rule(_code, f"表四“{schema.RL_GROUP_LABEL[_g]}”总计等于四种结果之和", severity="error", category="arithmetic", basis="I",
         doc=f"""表四“{schema.RL_GROUP_LABEL[_g]}”：总计＝结果维持＋结果纠正＋其他结果＋尚未审结。""")(_t4(_g))


_NOT_COUNTS = {"active.fees.amount_wan_yuan", "extra_2019.active.procurement.amount"} | {
    f"extra_2019.active.{i.key}.change" for i in schema.ACTIVE_ITEMS_2019}


def _count_paths(report: Report):
    """Printed count cells that are not non-negative integers, each printed number once (a 2019
    cell copied to its 2021 key is the same printed number)."""
    seen = set()
    for cells in (report.cells, report.extra_cells):
        for p, v in cells.items():
            x = v.value
            if x is None or (type(x) is int and x >= 0) or p in _NOT_COUNTS:
                continue
            if v.source is not None:
                if (v.source, v.raw) in seen:
                    continue
                seen.add((v.source, v.raw))
            yield p, v


@rule("NUM-01", "件数是非负整数", severity="error", category="arithmetic", basis="I",
      doc="""除收费金额外，表中每个数都是件数，应为不小于 0 的整数（2019 年格式的“本年增/减”可以为负数）。""")
def num_01(report: Report, ctx: Context):
    for p, v in _count_paths(report):
        x = v.value
        if x < 0 or (isinstance(x, float) and not x.is_integer()):
            yield Finding("NUM-01", "error", "arithmetic", f"{schema.label_of(p)}印为“{v.raw}”，件数应为不小于 0 的整数",
                          [p], loc(report, p))


@rule("NUM-02", "收费金额以万元为单位、不为负数", severity="warning", category="arithmetic", basis="F",
      doc="""表二“行政事业性收费”本年收费金额的单位是万元，可以有小数。单元格里写了“元”的，按元换算成万元并提示；
为负数的提示核对。""")
def num_02(report: Report, ctx: Context):
    p = "active.fees.amount_wan_yuan"
    v = report.cells.get(p)
    if v is None or v.state != PRINTED:
        return
    if v.unit == "元":
        yield Finding("NUM-02", "warning", "input",
                      f"表二“行政事业性收费”本年收费金额印为“{v.raw}”，单位应为万元，已换算为 {fmt(v.value)} 万元，请核对",
                      [p], loc(report, p))
    if v.value is not None and v.value < 0:
        yield Finding("NUM-02", "warning", "arithmetic", f"表二“行政事业性收费”本年收费金额为负数（{v.raw}）", [p], loc(report, p))
