"""The readable Chinese report of `nianbao check`: the tables as recognised, problem cells
highlighted, each finding with its rule code and location, and a summary for many files."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .. import schema
from ..batch import FAILED, CheckResult
from ..model import ABSENT, BLANK, GUESSED, NULL_MARK, Report

SEVERITY_NAME = {"error": "错误", "warning": "警告", "notice": "提示"}
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "notice": "cyan"}
SEVERITY_MARK = {"error": "✗", "warning": "!", "notice": "·"}
STATUS_NAME = {"ok": "已识别全部三张表", "partial": "部分识别", "failed": "无法读取"}
FORMAT_NAME = {"2021": "2021 年格式（国办公开办函〔2021〕30号）", "2019": "2019 年试行格式（国办公开办函〔2019〕60号）",
               "unknown": "格式未知"}
_RANK = {"error": 3, "warning": 2, "notice": 1}


def location_zh(location: str) -> str:
    """“line 52, col 3” → “第52行第3列”; section paths → their Chinese names."""
    if not location:
        return ""
    if location.startswith("section."):
        return schema.label_of(location)
    out = location
    for en, zh in (("page", "第{}页"), ("line", "第{}行"), ("table", "表{}"), ("row", "第{}行"), ("col", "第{}列")):
        out = re.sub(rf"\b{en} (\d+)", lambda m, zh=zh: zh.format(m.group(1)), out)
    return out.replace(", ", "")


def _cell_marks(result: CheckResult) -> dict[str, str]:
    """Severity per cell; a cell named by several error findings is the likely culprit."""
    marks: dict[str, str] = {}
    errors = Counter()
    for f in result.findings:
        for c in f.cells:
            if _RANK[f.severity] > _RANK.get(marks.get(c, ""), 0):
                marks[c] = f.severity
            if f.severity == "error":
                errors[c] += 1
    if errors:
        top = max(errors.values())
        if top > 1:
            for c, n in errors.items():
                if n == top:
                    marks[c] = "culprit"
    return marks


def _cell_text(report: Report, path: str, marks: dict[str, str]) -> Text:
    v = report.cells.get(path) or report.extra_cells.get(path)
    if v is None or v.state == ABSENT:
        t = Text("缺", style="dim")
    elif v.state == GUESSED:
        t = Text("？", style="dim")
    elif v.state in (BLANK, NULL_MARK):
        t = Text(v.raw or "空", style="dim")
    else:
        x = v.value
        t = Text(str(int(x)) if isinstance(x, float) and x.is_integer() and not path.endswith("amount_wan_yuan") else str(x))
    mark = marks.get(path)
    if mark == "culprit":
        t.stylize("bold white on red")
    elif mark:
        t.stylize(SEVERITY_STYLE[mark] + (" underline" if mark == "error" else ""))
    return t


# Short row names for the terminal (the official labels are in schema; messages use those).
SHORT_ROWS = {
    "new_received": "一、本年新收", "carried_over": "二、上年结转", "granted": "（一）予以公开",
    "partially_granted": "（二）部分公开", "denied_state_secret": "（三）1 国家秘密",
    "denied_prohibited_by_law": "（三）2 法律法规禁止", "denied_security_stability": "（三）3 三安全一稳定",
    "denied_third_party": "（三）4 第三方权益", "denied_internal_affairs": "（三）5 内部事务",
    "denied_process_info": "（三）6 过程性信息", "denied_enforcement_file": "（三）7 执法案卷",
    "denied_query_matter": "（三）8 查询事项", "unable_not_held": "（四）1 不掌握",
    "unable_needs_creation": "（四）2 需另行制作", "unable_unclear": "（四）3 补正后不明确",
    "rejected_petition": "（五）1 信访举报投诉", "rejected_duplicate": "（五）2 重复申请",
    "rejected_publication": "（五）3 公开出版物", "rejected_excessive": "（五）4 大量反复申请",
    "rejected_confirm_or_reissue": "（五）5 确认或重新出具", "other_no_correction": "（六）1 逾期不补正",
    "other_fee_unpaid": "（六）2 逾期未缴费", "other_other": "（六）3 其他", "other_processing": "（六）其他处理",
    "handled_total": "（七）总计", "carried_forward": "四、结转下年度",
}


def active_table(report: Report, marks: dict[str, str]) -> Table:
    t = Table(title="表二 主动公开政府信息情况", title_justify="left", header_style="bold")
    if report.active_is_2019:
        t.add_column("信息内容")
        t.add_column("字段")
        t.add_column("数值", justify="right")
        for item in schema.ACTIVE_ITEMS_2019:
            for f in item.fields:
                t.add_row(item.label, f.label, _cell_text(report, f"extra_2019.active.{item.key}.{f.key}", marks))
        return t
    t.add_column("信息内容")
    for label in ("本年制发件数", "本年废止件数", "现行有效件数", "本年处理决定数量／收费金额（万元）"):
        t.add_column(label, justify="right")
    for item in schema.ACTIVE_ITEMS:
        cells = [_cell_text(report, schema.active_path(item.key, f.key), marks) for f in item.fields]
        t.add_row(item.label, *(cells if len(cells) == 3 else ["", "", ""] + cells))
    return t


def applications_table(report: Report, marks: dict[str, str]) -> Table:
    t = Table(title="表三 收到和处理政府信息公开申请情况", title_justify="left", header_style="bold")
    t.add_column("", no_wrap=True)
    short = {"natural_person": "自然人", "commercial": "商业企业", "research": "科研机构", "social_welfare": "社会公益",
             "legal_service": "法律服务", "other": "其他", "total": "总计"}
    for c in schema.APP_COLUMNS:
        t.add_column(short[c.key], justify="right")
    for r in report.app_rows():
        t.add_row(SHORT_ROWS.get(r.key, r.key), *[_cell_text(report, report.app_cell_path(r.key, c.key), marks) for c in schema.APP_COLUMNS])
    return t


def review_table(report: Report, marks: dict[str, str]) -> Table:
    t = Table(title="表四 政府信息公开行政复议、行政诉讼情况", title_justify="left", header_style="bold")
    t.add_column("")
    for _, label in schema.RL_FIELDS:
        t.add_column(label, justify="right")
    for g, label in schema.RL_GROUPS:
        t.add_row(label, *[_cell_text(report, schema.rl_path(g, f), marks) for f, _ in schema.RL_FIELDS])
    return t


def finding_lines(result: CheckResult, min_severity: str = "notice") -> list[Text]:
    lines = []
    order = sorted(result.findings, key=lambda f: -_RANK[f.severity])
    for f in order:
        if _RANK[f.severity] < _RANK[min_severity]:
            continue
        line = Text()
        line.append(f" {SEVERITY_MARK[f.severity]} {SEVERITY_NAME[f.severity]} ", style=SEVERITY_STYLE[f.severity])
        line.append(f"{f.rule:<7}", style="bold")
        where = location_zh(f.location)
        if where:
            line.append(f"[{where}] ", style="dim")
        line.append(f.message)
        lines.append(line)
    return lines


def header(result: CheckResult) -> Text:
    t = Text()
    t.append(result.file, style="bold")
    r = result.report
    if r is not None:
        bits = [r.unit or "单位未识别", f"{r.year} 年度" if r.year else "年度未识别", FORMAT_NAME.get(r.format, r.format)]
        if r.report_date:
            bits.append(f"落款 {r.report_date}")
        t.append("\n  " + " · ".join(bits))
    return t


def culprits(result: CheckResult) -> list[str]:
    """Cells named by more than one error: where a clerk should look first."""
    return [c for c, m in _cell_marks(result).items() if m == "culprit"]


def render_one(console: Console, result: CheckResult, tables: bool = True, min_severity: str = "notice") -> None:
    console.print(header(result))
    if result.status == FAILED:
        console.print(Text(f"  ✗ 无法读取：{result.error}", style="bold red"))
        console.print()
        return
    counts = Counter(f.severity for f in result.findings)
    status = STATUS_NAME[result.status]
    console.print(Text(f"  状态：{status}　错误 {counts['error']}　警告 {counts['warning']}　提示 {counts['notice']}",
                       style="green" if not counts["error"] else "red"))
    if tables and result.report is not None:
        marks = _cell_marks(result)
        parts = []
        if result.report.has_table("active"):
            parts.append(active_table(result.report, marks))
        if result.report.has_table("applications"):
            parts.append(applications_table(result.report, marks))
        if result.report.has_table("review_litigation"):
            parts.append(review_table(result.report, marks))
        if parts:
            console.print(Panel(Group(*parts), title="识别出的统计表", subtitle="红底：最可能出错的单元格　红色：错误涉及　黄色：警告　缺：文件中没有　？：未印出（推定）",
                                border_style="dim", expand=False))
    suspects = culprits(result)
    if suspects and result.report is not None:
        where = []
        for c in suspects:
            src = result.report.where(c)
            where.append(schema.label_of(c) + (f"（{location_zh(src.english())}）" if src else ""))
        console.print(Text("  最可能出错的单元格：" + "；".join(where), style="bold red"))
    lines = finding_lines(result, min_severity)
    if lines:
        console.print(Text("  发现的问题：", style="bold"))
        for line in lines:
            console.print(line)
    elif not result.findings:
        console.print(Text("  未发现问题。", style="green"))
    console.print()


@dataclass(frozen=True, slots=True)
class SummaryRow:
    file: str
    unit: str
    year: int | None
    status: str
    errors: int
    warnings: int
    notices: int

    @classmethod
    def of(cls, r: CheckResult) -> "SummaryRow":
        rep = r.report
        return cls(r.file, (rep.unit if rep else "") or "", rep.year if rep else None, r.status,
                   r.count("error"), r.count("warning"), r.count("notice"))


def render_summary(console: Console, results: list[SummaryRow]) -> None:
    t = Table(title=f"汇总：共 {len(results)} 个文件", title_justify="left", header_style="bold")
    for col, just in (("文件", "left"), ("单位", "left"), ("年度", "right"), ("状态", "left"), ("错误", "right"),
                      ("警告", "right"), ("提示", "right")):
        t.add_column(col, justify=just)
    for r in results:
        status = Text(STATUS_NAME[r.status], style="red" if r.status == FAILED else ("yellow" if r.status == "partial" else ""))
        t.add_row(r.file, r.unit, str(r.year or ""), status, Text(str(r.errors), style="bold red" if r.errors else ""),
                  str(r.warnings), str(r.notices))
    console.print(t)
    n_err = sum(1 for r in results if r.errors)
    n_fail = sum(1 for r in results if r.status == FAILED)
    n_clean = sum(1 for r in results if r.status != FAILED and not r.errors)
    console.print(Text(f"{n_clean} 个文件未发现错误，{n_err} 个文件有错误，{n_fail} 个文件无法读取。",
                       style="bold red" if n_err or n_fail else "bold green"))
