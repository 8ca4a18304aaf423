"""`nianbao template` and `nianbao render`: write a report from what a clerk fills in.

template → (the clerk fills the XLSX, YAML or JSON) → render: every derived cell computed, the rule
catalogue run, and the report written in the official layout as DOCX, PDF, HTML or Markdown.
"""
from __future__ import annotations

import enum
import os
from typing import Optional

import typer

from ..errors import ReadError, UsageError
from . import EXIT_FINDINGS, EXIT_OK, ZhCommand, _config, _err, _fail, _out, app


class TemplateFormat(str, enum.Enum):
    xlsx = "xlsx"
    yaml = "yaml"
    json = "json"


def _load_report(path: str, what: str):
    from ..api import load
    try:
        return load(path)
    except ReadError as exc:
        _fail(f"{what} {path} 无法读取：{exc.message}")


def _previous_from_store(db: str, unit: str, year: int):
    """Last year's current report of this unit in the store, or None."""
    from ..store.units import find_unit
    from ..store.writer import load_reports
    from ..store.tables import reports
    from sqlalchemy import select
    from .stats import open_store
    engine = open_store(db)
    with engine.connect() as conn:
        u = find_unit(conn, unit)
        if u is None:
            return None
        rid = conn.execute(select(reports.c.id).where(reports.c.unit_id == u.id, reports.c.year == year - 1,
                                                      reports.c.is_current)).scalar()
        return load_reports(conn, [rid])[rid] if rid else None


@app.command(cls=ZhCommand)
def template(
    year: int = typer.Option(..., "--year", "-y", help="报告年度，如 2025", show_default=False),
    unit: str = typer.Option(..., "--unit", "-u", help="单位名称，如 XX镇人民政府", show_default=False),
    output: str = typer.Option(..., "--output", "-o", help="输出的填报文件：.xlsx（默认）、.yaml 或 .json",
                               show_default=False),
    start: Optional[str] = typer.Option(None, "--from", help="以一份已有的报告（任何 nianbao 能读的格式）为起点，预先填好其中的数"),
    previous: Optional[str] = typer.Option(None, "--previous", help="上一年度的报告文件：按其“结转下年度继续办理”预填“上年结转”"),
    db: Optional[str] = typer.Option(None, "--db", help="从年报库中找上一年度的报告（按单位名称），预填“上年结转”"),
) -> None:
    """生成填报模板：只需填写各申请人类别的新收、上年结转和各项办理结果、表二和表四的数字以及正文，合计由 nianbao 计算。"""
    from ..compose import write_template, write_template_json, write_template_yaml
    suffix = os.path.splitext(output)[1].lower()
    writers = {".xlsx": write_template, ".yaml": write_template_yaml, ".yml": write_template_yaml,
               ".json": write_template_json}
    if suffix not in writers:
        _fail(f"不支持的模板格式“{output}”：请用 .xlsx、.yaml 或 .json 结尾")
    prev = _load_report(previous, "上一年度的报告") if previous else None
    if prev is None and db:
        prev = _previous_from_store(db, unit, year)
        if prev is None:
            _err().print(f"提示：年报库中没有“{unit}”{year - 1} 年的报告，“上年结转”需要手工填写。")
    if prev is not None and prev.year is not None and prev.year != year - 1:
        _fail(f"上一年度的报告是 {prev.year} 年的，不是 {year - 1} 年的")
    values = sections = None
    if start:
        base = _load_report(start, "起点报告")
        values = base.flat()
        sections = {k: s.text for k, s in base.sections.items() if k in ("overview", "problems", "other") and s.text}
    try:
        writers[suffix](output, year, unit, previous=prev, values=values, sections=sections)
    except UsageError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"无法写入 {output}：{exc.strerror or exc}")
    _out().print(f"已生成填报模板 {output}（{unit} {year} 年度）。填好后运行：nianbao render {output} -o 年报.pdf",
                 highlight=False, soft_wrap=True)


@app.command(cls=ZhCommand)
def render(
    source: str = typer.Argument(..., help="填好的模板（.xlsx、.yaml、.json），或 check --format json 输出的报告",
                                 show_default=False, metavar="填报文件"),
    output: str = typer.Option(..., "--output", "-o", help="输出：.docx、.pdf、.html 或 .md", show_default=False),
    force: bool = typer.Option(False, "--force", help="有“错误”级问题时仍然生成"),
    previous: Optional[str] = typer.Option(None, "--previous", help="上一年度的报告文件（用于跨年度检查）"),
    config: Optional[str] = typer.Option(None, "--config", "-c", help="配置文件（TOML），如本地发布期限"),
) -> None:
    """按官方格式生成年报：计算全部合计，按规则目录检查，有错误时不生成（除非 --force），警告照常列出。

    退出码：0 已生成；1 有错误、未生成；2 填报文件有问题或用法错误。"""
    from ..compose import check_composed, compute, read_filling
    from ..outputs.human import SEVERITY_MARK, SEVERITY_NAME, SEVERITY_STYLE
    from ..outputs.render import FORMATS
    from ..outputs.render import render as write
    if os.path.splitext(output)[1].lower() not in FORMATS:
        _fail(f"不支持的输出格式“{output}”：请用 " + "、".join(FORMATS) + " 结尾")
    cfg = _config(config)
    try:
        report = compute(read_filling(source))
    except UsageError as exc:
        _fail(str(exc))
    prev = _load_report(previous, "上一年度的报告") if previous else None
    findings = check_composed(report, cfg, prev)
    console = _out()
    for f in findings:
        console.print(f"[{SEVERITY_STYLE[f.severity]}]{SEVERITY_MARK[f.severity]} {SEVERITY_NAME[f.severity]} {f.rule}[/]"
                      f"  {f.message}", highlight=False, soft_wrap=True)
    errors = [f for f in findings if f.severity == "error"]
    if errors and not force:
        _err().print(f"[bold red]有 {len(errors)} 个错误，未生成 {output}。[/]请修改填报文件，或用 --force 仍然生成。")
        raise typer.Exit(EXIT_FINDINGS)
    try:
        write(report, output)
    except (UsageError, ValueError) as exc:
        _fail(str(exc))
    except ReadError as exc:
        _fail(f"生成 {output} 失败：{exc.message}")
    except OSError as exc:
        _fail(f"无法写入 {output}：{exc.strerror or exc}")
    console.print(f"已生成 {output}（{report.unit} {report.year} 年度" + (f"，{len(findings)} 条提示/警告" if findings else "")
                  + "）。", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_OK)
