"""The `nianbao` command line: thin over the library (check = rules(recognize(read(path))))."""
from __future__ import annotations

import enum
import json
import os
import sys
from typing import Optional

import typer
import typer.core
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from .. import __version__
from ..batch import FAILED, check_file, expand_paths
from ..config import Config
from ..errors import ReadError, UsageError

EXIT_OK = 0          # no error-severity finding in any file
EXIT_FINDINGS = 1    # at least one error-severity finding
EXIT_UNREADABLE = 2  # a file could not be read, or a usage error

class _ZhHelp:
    """Click's own --help text, in Chinese like the rest of the CLI."""

    def get_help_option(self, ctx):
        opt = super().get_help_option(ctx)
        if opt is not None:
            opt.help = "显示帮助并退出。"
        return opt


class ZhCommand(_ZhHelp, typer.core.TyperCommand):
    pass


class ZhGroup(_ZhHelp, typer.core.TyperGroup):
    pass


app = typer.Typer(
    cls=ZhGroup, add_completion=False, no_args_is_help=True,
    help="nianbao：政府信息公开工作年度报告的读取、检查与分析工具。",
    context_settings={"help_option_names": ["-h", "--help"]},
)


class CheckFormat(str, enum.Enum):
    human = "human"
    json = "json"
    csv = "csv"


class ExplainFormat(str, enum.Enum):
    human = "human"
    json = "json"


class RulesFormat(str, enum.Enum):
    human = "human"
    markdown = "markdown"
    json = "json"


def _out() -> Console:
    # Piped output gets a width that fits 表三 instead of rich's 80-column default.
    return Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 110)


def _err() -> Console:
    return Console(stderr=True, highlight=False)


def _fail(message: str) -> None:
    _err().print(f"[bold red]错误：[/]{message}")
    raise typer.Exit(EXIT_UNREADABLE)


def _config(path: Optional[str]) -> Config:
    try:
        return Config.load(path)
    except UsageError as exc:
        _fail(str(exc))


def _files(paths: list[str]) -> list[str]:
    files = list(expand_paths(paths))
    if not files:
        _fail("没有找到可检查的报告文件（支持 .txt、.md 等，见 nianbao check --help）：" + "、".join(paths))
    return files


def _run(files: list[str], config: Config, progress: Optional[bool]):
    """Yield CheckResults in input order, with a progress bar on stderr for many files."""
    show = progress if progress is not None else (len(files) > 1 and sys.stderr.isatty())
    if not show:
        for f in files:
            yield check_file(f, config)
        return
    with Progress(TextColumn("[bold]检查中"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[name]}"),
                  TimeRemainingColumn(), console=_err(), transient=True) as bar:
        task = bar.add_task("check", total=len(files), name="")
        for f in files:
            bar.update(task, name=os.path.basename(f)[:30])
            yield check_file(f, config)
            bar.advance(task)


def _exit_code(n_failed: int, n_with_errors: int) -> int:
    if n_failed:
        return EXIT_UNREADABLE
    return EXIT_FINDINGS if n_with_errors else EXIT_OK


@app.command(cls=ZhCommand)
def check(
    paths: list[str] = typer.Argument(..., help="报告文件或文件夹（文件夹会递归查找）", show_default=False, metavar="路径"),
    format: CheckFormat = typer.Option(CheckFormat.human, "--format", "-f", help="输出格式：human（中文报告）、json（JSON Lines）、csv"),
    config: Optional[str] = typer.Option(None, "--config", "-c", help="配置文件（TOML），如各地年报截止日期"),
    tables: Optional[bool] = typer.Option(None, "--tables/--no-tables", help="显示识别出的统计表（单个文件时默认显示）"),
    notices: bool = typer.Option(True, "--notices/--no-notices", help="显示“提示”级别的问题"),
    progress: Optional[bool] = typer.Option(None, "--progress/--no-progress", help="显示进度条（默认：多个文件且在终端中时显示）"),
) -> None:
    """检查年报：识别三张统计表，按规则目录逐项核对，输出中文结果。

    退出码：0 没有错误；1 至少一份报告有错误；2 有文件无法读取或用法错误。"""
    cfg = _config(config)
    files = _files(paths)
    n_failed = n_errors = 0
    if format is CheckFormat.json:
        out = sys.stdout
        for r in _run(files, cfg, progress):
            out.write(json.dumps(r.to_dict(), ensure_ascii=False) + "\n")
            out.flush()
            n_failed += r.status == FAILED
            n_errors += r.count("error") > 0
        raise typer.Exit(_exit_code(n_failed, n_errors))
    if format is CheckFormat.csv:
        from ..outputs.tabular import findings_csv
        first = True
        for r in _run(files, cfg, progress):
            sys.stdout.write(findings_csv([r], header=first))
            first = False
            n_failed += r.status == FAILED
            n_errors += r.count("error") > 0
        raise typer.Exit(_exit_code(n_failed, n_errors))
    from ..outputs.human import SummaryRow, render_one, render_summary
    console = _out()
    single = len(files) == 1
    show_tables = tables if tables is not None else single
    summary: list[SummaryRow] = []
    for r in _run(files, cfg, progress):
        render_one(console, r, tables=show_tables, min_severity="notice" if notices else "warning")
        n_failed += r.status == FAILED
        n_errors += r.count("error") > 0
        if not single:
            summary.append(SummaryRow.of(r))  # only what the table needs: thousands of files stay light
    if not single:
        render_summary(console, summary)
    raise typer.Exit(_exit_code(n_failed, n_errors))


@app.command(cls=ZhCommand)
def extract(
    paths: list[str] = typer.Argument(..., help="报告文件或文件夹", show_default=False, metavar="路径"),
    output: str = typer.Option(..., "--output", "-o", help="输出文件：.json、.jsonl、.csv 或 .xlsx"),
    config: Optional[str] = typer.Option(None, "--config", "-c", help="配置文件（TOML）"),
    progress: Optional[bool] = typer.Option(None, "--progress/--no-progress", help="显示进度条"),
) -> None:
    """把多份年报的数据汇成一张表：每份报告一行，每个单元格一列（列名为 schema 键，XLSX 为中文表头）。"""
    if not output.lower().endswith((".json", ".jsonl", ".csv", ".xlsx")):
        _fail(f"不支持的输出格式“{output}”：请用 .json、.jsonl、.csv 或 .xlsx 结尾")
    from ..outputs.tabular import write_extract
    cfg = _config(config)
    results = list(_run(_files(paths), cfg, progress))
    try:
        write_extract(results, output)
    except OSError as exc:
        _fail(f"无法写入 {output}：{exc.strerror or exc}")
    failed = [r for r in results if r.status == FAILED]
    console = _err()
    console.print(f"已把 {len(results)} 份报告的数据写入 {output}" + (f"，其中 {len(failed)} 份无法读取：" if failed else "。"))
    for r in failed:
        console.print(f"  [red]✗[/] {r.file}：{r.error}")
    raise typer.Exit(EXIT_UNREADABLE if failed else EXIT_OK)


@app.command(cls=ZhCommand)
def explain(
    file: str = typer.Argument(..., help="一份报告文件", show_default=False, metavar="文件"),
    format: ExplainFormat = typer.Option(ExplainFormat.human, "--format", "-f", help="输出格式：human 或 json"),
    all_cells: bool = typer.Option(False, "--all", help="列出全部单元格（默认省略印出为 0 且无需说明的）"),
) -> None:
    """说明每个数是怎么找到的：原文的行/单元格 → 报表单元格，以及识别时做了哪些推定。"""
    from ..outputs import explain as ex
    from ..readers import read
    from ..recognize import recognize
    try:
        report = recognize(read(file))
    except ReadError as exc:
        _fail(str(exc) if exc.path else f"{file}：{exc.message}")
    if format is ExplainFormat.json:
        sys.stdout.write(json.dumps(ex.explain_dict(report), ensure_ascii=False, indent=1) + "\n")
        return
    ex.render(_out(), report, all_cells=all_cells)


@app.command(cls=ZhCommand)
def rules(
    format: RulesFormat = typer.Option(RulesFormat.human, "--format", "-f", help="human、markdown 或 json"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="显示每条规则的详细说明"),
) -> None:
    """列出检查规则目录：代码、规则、级别、类别和依据。"""
    from ..outputs import catalogue
    if format is RulesFormat.markdown:
        sys.stdout.write(catalogue.render_markdown() + "\n")
    elif format is RulesFormat.json:
        sys.stdout.write(json.dumps(catalogue.as_dicts(), ensure_ascii=False, indent=1) + "\n")
    else:
        catalogue.render_terminal(_out(), verbose=verbose)


@app.command(cls=ZhCommand)
def version() -> None:
    """显示版本号。"""
    typer.echo(f"nianbao {__version__}")


from . import compose, corpus, export, serve, stats  # noqa: E402,F401  (register the corpus, writing and web commands)


# Click's usage errors, in Chinese. Unknown messages pass through unchanged.
_USAGE_ZH = (
    (r"Missing argument '(.+?)'\.?", r"缺少参数“\1”"),
    (r"No such option: (\S+)", r"没有这个选项：\1"),
    (r"No such command '(.+?)'\.?(?: Did you mean '(.+?)'\?)?", r"没有“\1”这个命令"),
    (r"Invalid value for '([^']+)'(?: / '[^']+')?: .*?'([^']+)' is not one of (.+?)\.?$", r"选项 \1 的值“\2”无效，可选：\3"),
    (r"Missing option '([^']+)'(?: / '[^']+')?\.?", r"缺少选项 \1"),
    (r"Option '(.+?)' requires an argument\.", r"选项 \1 需要一个值"),
    (r"Got unexpected extra arguments? \((.+?)\)", r"多余的参数：\1"),
)


def _usage_zh(message: str) -> str:
    import re
    for pattern, zh in _USAGE_ZH:
        m = re.search(pattern, message, flags=re.S)
        if m:
            return m.expand(zh)
    return message


def _click_errors():
    """Click's UsageError (vendored inside typer since 0.2x, the click package before) and Abort."""
    try:
        from typer._click.exceptions import UsageError
    except ImportError:  # pragma: no cover - older typer
        from click.exceptions import UsageError
    return UsageError, typer.Abort


def main() -> None:
    usage_error, abort = _click_errors()
    try:
        rc = app(standalone_mode=False)
    except usage_error as exc:
        if not exc.format_message().strip():  # bare `nianbao`: the help was shown, that says it all
            raise SystemExit(EXIT_UNREADABLE) from None
        cmd = exc.ctx.command_path if getattr(exc, "ctx", None) else "nianbao"
        _err().print(f"[bold red]用法错误：[/]{_usage_zh(exc.format_message())}\n（查看帮助：{cmd} --help）")
        raise SystemExit(EXIT_UNREADABLE) from None
    except (abort, KeyboardInterrupt):
        _err().print("已中断。")
        raise SystemExit(130) from None
    raise SystemExit(rc if isinstance(rc, int) else 0)


if __name__ == "__main__":
    main()
