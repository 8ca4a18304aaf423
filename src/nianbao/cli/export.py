"""`nianbao rollup` and `nianbao export`: regional summary tables and corpus exports.

Both are thin over ``nianbao.store.rollup`` and ``nianbao.outputs.export``; `export` takes the corpus
filter options shared with `stats` (cli/stats.py), so a selection reads the same in every command.
"""
from __future__ import annotations

import enum
import json
import sys
from typing import Optional

import typer
from rich.table import Table
from rich.text import Text

from ..errors import UsageError
from . import EXIT_FINDINGS, EXIT_OK, ZhCommand, _err, _fail, _out, app
from ..outputs.workbooks import rollup_xlsx
from .corpus import DB_HELP
from .stats import (
    LEVEL_HELP,
    build_filter,
    open_store,
    opt_all_versions,
    opt_db,
    opt_level,
    opt_region,
    opt_status,
    opt_unit,
    opt_with_errors,
    opt_year,
)


class RollupFormat(str, enum.Enum):
    human = "human"
    json = "json"
    xlsx = "xlsx"


class ExportFormat(str, enum.Enum):
    csv = "csv"
    xlsx = "xlsx"
    jsonl = "jsonl"


@app.command(cls=ZhCommand)
def rollup(
    region: str = typer.Argument(..., help="要汇总的区划，如 河曲县 或 山西省/忻州市", show_default=False, metavar="区划"),
    year: int = typer.Option(..., "--year", "-y", help="汇总的年份", show_default=False),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    level: Optional[str] = typer.Option(None, "--level", help="只汇总某一层级的单位：" + LEVEL_HELP.split("：", 1)[1]),
    format: RollupFormat = typer.Option(RollupFormat.human, "--format", "-f",
                                        help="human（中文表格）、json 或 xlsx（需 -o）"),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="写入文件（默认输出到屏幕；xlsx 必须指定）"),
) -> None:
    """区划汇总表：把某县（市）下属各单位当年报告的表二、表三、表四逐格相加，并用表三、表四和数字类规则检查汇总结果。

    不计入区划本级政府自身的报告；列出纳入汇总的单位、当年缺报的单位和本身有错误的单位。
    退出码：0 汇总表没有错误；1 汇总表有错误；2 用法错误（如区划不存在、当年没有报告）。"""
    from ..store.rollup import rollup as run_rollup
    if format is RollupFormat.xlsx and not output:
        _fail("xlsx 格式需要用 -o 指定输出文件，如 -o 汇总.xlsx")
    if output and format is RollupFormat.xlsx and not output.lower().endswith(".xlsx"):
        _fail(f"输出文件“{output}”应以 .xlsx 结尾")
    engine = open_store(db)
    try:
        with engine.connect() as conn:
            result = run_rollup(conn, region, year, level=level)
    except UsageError as exc:
        _fail(str(exc))
    code = EXIT_FINDINGS if any(f.severity == "error" for f in result.findings) else EXIT_OK
    try:
        if format is RollupFormat.json:
            text = json.dumps(result.to_dict(), ensure_ascii=False, indent=1) + "\n"
            if output:
                with open(output, "w", encoding="utf-8") as fh:
                    fh.write(text)
            else:
                sys.stdout.write(text)
        elif format is RollupFormat.xlsx:
            rollup_xlsx(result, output)
        elif output:
            from rich.console import Console
            with open(output, "w", encoding="utf-8") as fh:
                render_rollup(Console(file=fh, width=110, highlight=False, soft_wrap=False, no_color=True), result)
        else:
            render_rollup(_out(), result)
    except OSError as exc:
        _fail(_write_error(output, exc))
    if output:
        _err().print(f"已把“{result.unit}”（{len(result.included)} 个单位）写入 {output}。")
    raise typer.Exit(code)


def _write_error(path: str, exc: OSError) -> str:
    import errno
    why = {errno.ENOENT: "所在文件夹不存在", errno.EACCES: "没有写入权限", errno.EPERM: "没有写入权限",
           errno.EISDIR: "这是一个文件夹", errno.ENOSPC: "磁盘空间不足", errno.EROFS: "文件系统只读"}.get(
        exc.errno, exc.strerror or str(exc))
    return f"无法写入 {path}：{why}"


def render_rollup(console, result) -> None:
    """The roll-up like `nianbao check` shows a report, then who is in it and who is not."""
    from .. import regions, schema
    from ..outputs.human import render_one
    render_one(console, result.check_result(), tables=True)
    lv = lambda x: regions.LEVELS.get(x, x or "")
    t = Table(title=f"纳入汇总的单位（{len(result.included)} 个）", title_justify="left", header_style="bold")
    for col in ("单位", "层级", "格式", "错误", "空白单元格", "文件"):
        t.add_column(col)
    for u in result.included:
        t.add_row(u.name, lv(u.level), u.format or "", Text(str(u.errors), style="bold red" if u.errors else ""),
                  str(len(result.nulls.get(u.key, ()))), u.file or "")
    console.print(t)
    if result.with_errors:
        console.print(Text("本身有错误的单位（其数字照原样计入汇总）：", style="bold red"))
        for u in result.with_errors:
            console.print(f"  ✗ {u.name}：{u.errors} 个错误（{'、'.join(u.rules)}）  {u.file}")
    if result.nulls:
        console.print(Text("有空白或缺失单元格的单位（按 0 计入，合计可能偏小）：", style="yellow"))
        for key, paths in result.nulls.items():
            name = next((u.name for u in result.included if u.key == key), key)
            console.print(f"  ! {name}：{_cells_zh(paths, schema)}")
    if result.not_summable:
        console.print(Text("2019 年格式“（六）其他处理”无法拆入 2021 年格式（六）的三个分项，未计入这三行：", style="yellow"))
        for key, cells in result.not_summable.items():
            name = next((u.name for u in result.included if u.key == key), key)
            total = cells.get("extra_2019.applications.other_processing.total")
            console.print(f"  ! {name}：总计 {total if total is not None else '空白'} 件")
    if result.missing:
        console.print(Text(f"{result.year} 年缺报的单位（其他年份有报告）：", style="bold yellow"))
        for u in result.missing:
            console.print(f"  - {u.name}（{lv(u.level)}，有 {'、'.join(str(y) for y in u.years)} 年的报告）")
    else:
        console.print(Text(f"没有 {result.year} 年缺报的单位（以库中其他年份有报告的单位为准）。", style="green"))
    if result.never_reported:
        console.print(Text("单位对照表中列出、但库中没有任何报告的单位：", style="bold yellow"))
        for u in result.never_reported:
            console.print(f"  - {u.name}（{lv(u.level)}）")
    for note in result.notes:
        console.print(Text("说明：" + note, style="dim"))


def _cells_zh(paths: list[str], schema) -> str:
    """Null cells for a clerk: whole tables by name, else the first few labels."""
    tables = {"active": "表二", "applications": "表三", "review_litigation": "表四"}
    all_paths = schema.paths_2021()
    parts, rest = [], []
    for t, name in tables.items():
        of_t = [p for p in all_paths if p.startswith(t + ".")]
        mine = [p for p in paths if p.startswith(t + ".")]
        if mine and len(mine) == len(of_t):
            parts.append(f"{name}整表")
        else:
            rest += mine
    if rest:
        shown = "、".join(schema.label_of(p) for p in rest[:3])
        parts.append(shown + (f" 等 {len(rest)} 个单元格" if len(rest) > 3 else ""))
    return "；".join(parts)


@app.command("export", cls=ZhCommand)
def export_cmd(
    output: str = typer.Option(..., "--output", "-o", help="输出文件：.csv、.xlsx 或 .jsonl", show_default=False),
    format: Optional[ExportFormat] = typer.Option(None, "--format", "-f",
                                                  help="csv、xlsx 或 jsonl（默认按输出文件的后缀判断）"),
    db: Optional[str] = opt_db(),
    year: Optional[list[int]] = opt_year(),
    region: Optional[str] = opt_region(),
    level: Optional[str] = opt_level(),
    unit: Optional[str] = opt_unit(),
    status: Optional[str] = opt_status(),
    with_errors: bool = opt_with_errors(),
    all_versions: bool = opt_all_versions(),
) -> None:
    """导出库中的报告：每份报告一行（CSV、XLSX，中文表头，每个单元格一列）或一个 JSON 对象（JSONL，与 check --format json 相同并附单位信息）。

    边读边写，十万份报告也不会占用大量内存。退出码：0 已导出；2 用法错误（如没有符合条件的报告、无法写入文件）。"""
    from ..outputs.export import export, format_of
    try:
        fmt = format_of(output, format.value if format else None)
    except UsageError as exc:
        _fail(str(exc))
    flt = build_filter(year, region, level, unit, status, with_errors, all_versions)
    engine = open_store(db)
    try:
        with engine.connect() as conn:
            n = export(conn, flt, output, fmt)
    except UsageError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(_write_error(output, exc))
    _err().print(f"已把 {n} 份报告（{flt.describe()}）导出到 {output}（{fmt}）。")
    raise typer.Exit(EXIT_OK)
