"""Compliance rules (PUB): deadline, title, required content of sections 一 and 六."""
from __future__ import annotations

import re
from datetime import date

from ..model import Finding, Report
from ..units import LEVEL_NAMES, TOWNSHIP, unit_level
from .base import Context, rule


@rule("PUB-01", "按时发布：报告日期不晚于截止日期", severity="warning", category="compliance", basis="L",
      doc="""《条例》第四十九条：县级以上人民政府部门应于每年 1 月 31 日前公布上一年度年报，县级以上地方人民政府
（本级政府）于 3 月 31 日前公布。乡镇、街道的期限由地方规定，默认按 1 月 31 日作提示（notice），
在配置文件中设定本地期限后按警告处理。单位级别按单位名称判断。""")
def pub_01(report: Report, ctx: Context):
    if not report.report_date or report.year is None:
        return
    level = unit_level(report.unit)
    dl = ctx.config.deadline_for(report.unit, level)
    if dl is None:
        return
    try:
        due = date(report.year + 1, dl.month, dl.day)
    except ValueError:
        return
    printed = date.fromisoformat(report.report_date)
    if printed <= due:
        return
    severity = "warning" if (dl.configured or level != TOWNSHIP) else "notice"
    where = report.date_source.english() if report.date_source else ""
    yield Finding("PUB-01", severity, "compliance",
                  f"报告落款日期 {printed.year}年{printed.month}月{printed.day}日 晚于{LEVEL_NAMES.get(level, '')}年报的发布期限"
                  f" {due.year}年{dl.text()}（依据：{dl.basis}）", [], where)


_TITLE = re.compile(r"^(?P<unit>.*?)(?P<year>(?:19|20)\d{2})年(?:度)?政府信息公开工作年度报告$")


@rule("PUB-02", "标题符合“XX（机关名称）YYYY年政府信息公开工作年度报告”", severity="warning", category="compliance", basis="F",
      doc="""年报格式要求标题写作“XX（行政机关名称）YYYY年政府信息公开工作年度报告”。找不到标题时警告；标题写成“年报”
“工作报告”、缺少年份或机关名称时提示。机关名称单独占一行、标题另起一行的，视为符合。""")
def pub_02(report: Report, ctx: Context):
    if not report.title:
        yield Finding("PUB-02", "warning", "compliance", "没有找到报告标题（应为“XX（机关名称）YYYY年政府信息公开工作年度报告”）", [], "")
        return
    t = re.sub(r"\s+", "", report.title)
    where = report.title_source.english() if report.title_source else ""
    m = _TITLE.match(t)
    if not m:
        yield Finding("PUB-02", "notice", "compliance",
                      f"标题“{report.title}”与规定格式“XX（机关名称）YYYY年政府信息公开工作年度报告”不一致", [], where)
    elif not m.group("unit") and not report.unit:
        yield Finding("PUB-02", "notice", "compliance", f"标题“{report.title}”中没有机关名称", [], where)


TOPICS = {
    "主动公开": ("主动公开",),
    "依申请公开": ("依申请", "申请公开"),
    "政府信息管理": ("信息管理", "保密审查", "信息发布审查", "规范性文件管理", "政府信息管理"),
    "政府信息公开平台建设": ("平台", "网站", "公开栏", "公众号", "政务新媒体"),
    "监督保障": ("监督", "保障", "考核", "培训", "评议", "责任追究"),
}


@rule("PUB-03", "总体情况涵盖五方面内容", severity="notice", category="compliance", basis="F",
      doc="""年报格式要求“一、总体情况”写明主动公开、依申请公开、政府信息管理、政府信息公开平台建设、监督保障
五方面情况（各级人民政府还应写工作考核、社会评议和责任追究结果，《条例》第五十条）。按关键词查找，缺少的列出供核对。""")
def pub_03(report: Report, ctx: Context):
    sec = report.sections.get("overview")
    if sec is None or sec.heading is None:
        return
    text = sec.text
    missing = [name for name, words in TOPICS.items() if not any(w in text for w in words)]
    if missing:
        yield Finding("PUB-03", "notice", "compliance", f"“一、总体情况”中没有找到以下方面的内容：{'、'.join(missing)}",
                      ["section.overview"], sec.source.english() if sec.source else "")


@rule("PUB-04", "逾期未缴费不再处理的申请与信息处理费说明", severity="warning", category="compliance", basis="F",
      doc="""表三（六）2“申请人逾期未按收费通知要求缴纳费用”大于 0，说明本年度发出过收费通知，
“六、其他需要报告的事项”应说明信息处理费的收取情况（国办函〔2020〕109号）。""")
def pub_04(report: Report, ctx: Context):
    n = report.app("other_fee_unpaid", "total")
    if n is None:
        n = sum(v for c in ("natural_person", "commercial", "research", "social_welfare", "legal_service", "other")
                if (v := report.app("other_fee_unpaid", c)) is not None)
    if not n:
        return
    sec = report.sections.get("other")
    text = sec.text if sec else ""
    if "信息处理费" in text or "处理费" in text or "收费" in text:
        return
    yield Finding("PUB-04", "warning", "compliance",
                  f"表三（六）2“逾期未按收费通知要求缴纳费用”为 {n} 件，但“六、其他需要报告的事项”没有说明信息处理费的收取情况",
                  ["applications.other_fee_unpaid.total", "section.other"], "")
