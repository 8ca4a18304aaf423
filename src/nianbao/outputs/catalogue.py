"""The rule catalogue as a terminal table, Markdown (docs/rules.md is generated from this) or JSON."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..rules import catalogue
from ..rules.base import BASES

SEV = {"error": "错误", "warning": "警告", "notice": "提示"}
CAT = {"arithmetic": "算术", "structure": "结构", "consistency": "一致性", "compliance": "合规", "input": "识别"}


def as_dicts() -> list[dict]:
    return [{"code": r.code, "title": r.title, "severity": r.severity, "category": r.category, "basis": r.basis,
             "doc": r.doc} for r in catalogue()]


def render_terminal(console: Console, verbose: bool = False) -> None:
    t = Table(title="nianbao 检查规则目录", title_justify="left", header_style="bold", show_lines=verbose)
    for col in ("代码", "规则", "最高级别", "类别", "依据"):
        t.add_column(col)
    if verbose:
        t.add_column("说明")
    for r in catalogue():
        row = [r.code, r.title, SEV[r.severity], CAT[r.category], BASES[r.basis]]
        if verbose:
            row.append(r.doc)
        t.add_row(*row)
    console.print(t)
    console.print("依据：F 年报格式明文规定；L《条例》规定；I 由“总计”等栏目含义推出；H 经验判断（只给警告或提示，不判错误）。")


def render_markdown() -> str:
    lines = ["# nianbao 检查规则目录 / Rule catalogue", "",
             "由 `nianbao rules --format markdown` 生成，请勿手工修改。Generated from the rule registry; do not edit.", "",
             "依据：F 年报格式明文规定；L《条例》规定；I 由“总计”等栏目含义推出；H 经验判断（只给警告或提示，不判错误）。", "",
             "| 代码 | 规则 | 最高级别 | 类别 | 依据 |", "|---|---|---|---|---|"]
    for r in catalogue():
        lines.append(f"| {r.code} | {r.title} | {SEV[r.severity]} | {CAT[r.category]} | {r.basis} |")
    lines.append("")
    for r in catalogue():
        lines += [f"## {r.code} {r.title}", "",
                  f"- 最高级别：{SEV[r.severity]}（`{r.severity}`）　类别：{CAT[r.category]}（`{r.category}`）　依据：{BASES[r.basis]}（{r.basis}）",
                  "", r.doc, ""]
    return "\n".join(lines)
