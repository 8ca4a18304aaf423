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
from . import EXIT_FINDINGS, EXIT_OK, EXIT_UNREADABLE, ZhCommand, _config, _err, _fail, _out, app


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
    from ..store.writer import previous_report
    from .stats import open_store
    with open_store(db).connect() as conn:
        return previous_report(conn, unit, year)


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


class RenderFormat(str, enum.Enum):
    docx = "docx"
    pdf = "pdf"
    html = "html"
    md = "md"


@app.command(cls=ZhCommand)
def render(
    sources: list[str] = typer.Argument(..., help="填好的模板（.xlsx、.yaml、.json），或 check --format json 输出的报告；"
                                        "可以一次给多个", show_default=False, metavar="填报文件"),
    output: str = typer.Option(..., "--output", "-o", help="一个填报文件：输出文件（.docx、.pdf、.html 或 .md）；"
                               "多个填报文件：输出目录（不存在时创建）", show_default=False),
    to: Optional[RenderFormat] = typer.Option(None, "--to", help="输出到目录时的格式：docx、pdf、html 或 md（默认 pdf）"),
    force: bool = typer.Option(False, "--force", help="有“错误”级问题时仍然生成"),
    previous: Optional[str] = typer.Option(None, "--previous", help="上一年度的报告文件（用于跨年度检查）"),
    config: Optional[str] = typer.Option(None, "--config", "-c", help="配置文件（TOML），如本地发布期限"),
) -> None:
    """按官方格式生成年报：计算全部合计，按规则目录检查，有错误时不生成（除非 --force），警告照常列出。

    一次可处理多个填报文件（-o 为输出目录，文件名取填报文件名，PDF 一次转换完成）；每个文件单独处理，
    一个文件有问题不影响其他文件。

    退出码：0 全部已生成；1 有文件因错误未生成；2 有填报文件有问题或用法错误。"""
    from ..outputs.render import FORMATS
    if len(sources) > 1 or os.path.isdir(output):
        raise typer.Exit(_render_to_folder(sources, output, (to or RenderFormat.pdf).value, force, previous, config))
    source = sources[0]
    suffix = os.path.splitext(output)[1].lower()
    if suffix not in FORMATS:
        _fail(f"不支持的输出格式“{output}”：请用 " + "、".join(FORMATS) + " 结尾")
    if to is not None and suffix != "." + to.value:
        _fail(f"输出文件 {output} 的后缀与 --to {to.value} 不一致")
    cfg = _config(config)
    try:
        report = _compose(source)
    except UsageError as exc:
        _fail(str(exc))
    prev = _load_report(previous, "上一年度的报告") if previous else None
    findings = _print_findings(report, cfg, prev)
    errors = [f for f in findings if f.severity == "error"]
    if errors and not force:
        _err().print(f"[bold red]有 {len(errors)} 个错误，未生成 {output}。[/]请修改填报文件，或用 --force 仍然生成。")
        raise typer.Exit(EXIT_FINDINGS)
    from ..outputs.render import render as write
    try:
        write(report, output)
    except (UsageError, ValueError) as exc:
        _fail(str(exc))
    except ReadError as exc:
        _fail(f"生成 {output} 失败：{exc.message}")
    except OSError as exc:
        _fail(f"无法写入 {output}：{exc.strerror or exc}")
    _out().print(_done_line(output, report, findings), highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_OK)


def _compose(source: str):
    from ..compose import compute, read_filling
    return compute(read_filling(source))


def _print_findings(report, cfg, prev, indent: str = "") -> list:
    from ..compose import check_composed
    from ..outputs.human import SEVERITY_MARK, SEVERITY_NAME, SEVERITY_STYLE
    findings = check_composed(report, cfg, prev)
    console = _out()
    for f in findings:
        console.print(f"{indent}[{SEVERITY_STYLE[f.severity]}]{SEVERITY_MARK[f.severity]} {SEVERITY_NAME[f.severity]} {f.rule}[/]"
                      f"  {f.message}", highlight=False, soft_wrap=True)
    return findings


def _done_line(output: str, report, findings) -> str:
    return (f"已生成 {output}（{report.unit} {report.year} 年度" + (f"，{len(findings)} 条提示/警告" if findings else "")
            + "）。")


def _outputs(sources: list[str], folder: str, suffix: str) -> list[str]:
    """One output path per input: the input's stem + suffix; a stem met again (A.xlsx and A.yaml)
    gets its input type appended (A-yaml.pdf), so no report overwrites another."""
    taken: set[str] = set()
    out = []
    for src in sources:
        stem, ext = os.path.splitext(os.path.basename(src))
        name = stem + suffix
        if name.lower() in taken:
            name = f"{stem}-{ext.lstrip('.') or 'x'}{suffix}"
            n = 2
            while name.lower() in taken:
                name, n = f"{stem}-{n}{suffix}", n + 1
        taken.add(name.lower())
        out.append(os.path.join(folder, name))
    return out


def _render_to_folder(sources: list[str], folder: str, fmt: str, force: bool, previous: str | None,
                      config: str | None) -> int:
    """Several fillings into one folder: each composed and checked on its own, then all written in
    one go (the PDFs in one LibreOffice run). Returns the exit code."""
    from ..outputs.render import render_each
    if os.path.exists(folder) and not os.path.isdir(folder):
        _fail(f"有多个填报文件时 -o 应为目录，{folder} 是一个文件")
    cfg = _config(config)
    prev = _load_report(previous, "上一年度的报告") if previous else None
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        _fail(f"无法创建输出目录 {folder}：{exc.strerror or exc}")
    console, err = _out(), _err()
    bad = skipped = 0
    jobs = []
    for source, output in zip(sources, _outputs(sources, folder, "." + fmt)):
        name = os.path.basename(source)
        try:
            report = _compose(source)
        except UsageError as exc:
            bad += 1
            err.print(f"[bold red]✗ {name}：[/]" + str(exc).replace("\n", "\n    "), highlight=False, soft_wrap=True)
            continue
        findings = _print_findings(report, cfg, prev, indent=f"  {name}  ")
        errors = [f for f in findings if f.severity == "error"]
        if errors and not force:
            skipped += 1
            err.print(f"[bold red]✗ {name}：有 {len(errors)} 个错误，未生成 {output}[/]（请修改填报文件，或用 --force 仍然生成）",
                      highlight=False, soft_wrap=True)
            continue
        jobs.append((source, output, report, findings))
    results = render_each([(report, output) for _, output, report, _ in jobs]) if jobs else []
    for (source, output, report, findings), result in zip(jobs, results):
        name = os.path.basename(source)
        if isinstance(result, Exception):
            bad += 1
            why = result.message if isinstance(result, ReadError) else getattr(result, "strerror", None) or str(result)
            err.print(f"[bold red]✗ {name}：生成 {output} 失败：{why}[/]", highlight=False, soft_wrap=True)
        else:
            console.print(f"✓ {name}：" + _done_line(output, report, findings), highlight=False, soft_wrap=True)
    made = len(jobs) - sum(isinstance(r, Exception) for r in results)
    console.print(f"共 {len(sources)} 个填报文件：已生成 {made} 个，因错误未生成 {skipped} 个，无法处理 {bad} 个。"
                  if bad or skipped else f"共 {len(sources)} 个填报文件，全部已生成到 {folder}。", highlight=False, soft_wrap=True)
    return EXIT_UNREADABLE if bad else EXIT_FINDINGS if skipped else EXIT_OK
