"""The corpus commands: ingest files into a store, list and fix units, statistics, roll-ups, charts
and exports. Each is thin over ``nianbao.ingest`` and ``nianbao.store``."""
from __future__ import annotations

import enum
import json
import os
import sys
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ..batch import expand_paths
from ..errors import UsageError
from . import EXIT_OK, EXIT_UNREADABLE, ZhCommand, _config, _err, _fail, _out, app

DB_HELP = "数据库：SQLite 文件路径（默认 nianbao.db，或环境变量 NIANBAO_DB）或 postgresql://用户@主机/库名"
ACTION_ZH = {"new": "新入库", "version": "新版本", "unchanged": "未变化，跳过", "failed": "无法读取"}


class IngestFormat(str, enum.Enum):
    human = "human"
    json = "json"


def _engine(db: Optional[str]):
    from ..store.db import open_engine
    try:
        return open_engine(db)
    except UsageError as exc:
        _fail(str(exc))


def _list_file(path: str) -> list[str]:
    """A list file: one path per line (blank lines and # comments skipped), relative to the list."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            lines = fh.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"无法读取文件清单 {path}：{getattr(exc, 'strerror', None) or exc}")
    base = os.path.dirname(os.path.abspath(path))
    return [os.path.join(base, s) for s in (line.strip() for line in lines) if s and not s.startswith("#")]


@app.command(cls=ZhCommand)
def ingest(
    paths: list[str] = typer.Argument(None, help="报告文件或文件夹（文件夹递归查找）", show_default=False, metavar="路径"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    list_file: Optional[str] = typer.Option(None, "--list", "-l", help="文件清单：每行一个路径"),
    workers: Optional[int] = typer.Option(None, "--workers", "-j", help="并行进程数（默认 CPU 核数）"),
    cluster: Optional[str] = typer.Option(None, "--cluster", help="在 Dask 集群上读取，如 tcp://主机:8786"),
    mapping: Optional[str] = typer.Option(None, "--map", help="单位对照表（CSV：单位、区划路径、层级、上级）"),
    config: Optional[str] = typer.Option(None, "--config", "-c", help="配置文件（TOML），如各地年报截止日期"),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="重新读取上次无法读取的文件"),
    format: IngestFormat = typer.Option(IngestFormat.human, "--format", "-f", help="human 或 json（每个文件一行 JSON）"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="逐个列出每个文件的结果（默认只列出新版本和无法读取的）"),
    progress: Optional[bool] = typer.Option(None, "--progress/--no-progress", help="显示进度条（默认：在终端中时显示）"),
) -> None:
    """把年报读入数据库：逐个识别、检查并保存（同一文件按内容去重，重复导入不会产生重复数据）。

    同一单位同一年份的文件内容变化时保存为新版本，旧版本保留。中途中断后重新运行即可接着完成。
    退出码：0 全部读入；2 有文件无法读取或用法错误。"""
    from ..ingest import ingest as run_ingest
    all_paths = list(paths or [])
    if list_file:
        all_paths += _list_file(list_file)
    if not all_paths:
        _fail("请给出要导入的报告文件、文件夹或 --list 文件清单")
    files = list(expand_paths(all_paths))
    if not files:
        _fail("没有找到可导入的报告文件：" + "、".join(all_paths))
    cfg = _config(config)
    engine = _engine(db)
    if mapping:
        _apply_mapping(engine, mapping)
    console, err = _out(), _err()
    show = progress if progress is not None else sys.stderr.isatty()
    bar = Progress(TextColumn("[bold]导入中"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[name]}"),
                   TimeRemainingColumn(), console=err, transient=True, disable=not show)
    task = bar.add_task("ingest", total=len(files), name="")

    def on_outcome(o) -> None:
        bar.update(task, advance=1, name=os.path.basename(o.path)[:30])
        if format is IngestFormat.json:
            sys.stdout.write(json.dumps(_outcome_dict(o), ensure_ascii=False) + "\n")
        elif verbose or o.action in ("failed", "version"):
            bar.console.print(_outcome_line(o), highlight=False, soft_wrap=True)

    try:
        with bar:
            summary = run_ingest(files, engine, workers=workers, cluster=cluster, config=cfg,
                                 retry_failed=retry_failed, on_outcome=on_outcome)
    except UsageError as exc:
        _fail(str(exc))
    counts = summary.counts
    if format is IngestFormat.human:
        from ..store.db import display_name
        rate = (counts["new"] + counts["version"] + counts["failed"]) / summary.seconds if summary.seconds else 0
        console.print(f"已导入 {display_name(str(engine.url))}：共 {len(summary.outcomes)} 个文件，"
                      f"新入库 {counts['new']}，新版本 {counts['version']}，未变化跳过 {counts['unchanged']}，"
                      f"无法读取 {counts['failed']}；用时 {summary.seconds:.1f} 秒"
                      + (f"（{rate:.0f} 份/秒，{summary.executor}）" if summary.executor else ""), highlight=False,
                      soft_wrap=True)
        n_err = sum(1 for o in summary.outcomes if o.errors)
        if n_err:
            console.print(f"其中 {n_err} 份新入库的报告有错误，可用 nianbao findings 查看。", soft_wrap=True)
    raise typer.Exit(EXIT_UNREADABLE if counts["failed"] else EXIT_OK)


def _outcome_dict(o) -> dict:
    return {"file": o.path, "action": o.action, "status": o.status, "error": o.error, "unit": o.unit,
            "year": o.year, "version": o.version, "errors": o.errors, "warnings": o.warnings}


def _outcome_line(o) -> str:
    mark = {"new": "[green]＋[/]", "version": "[yellow]↻[/]", "unchanged": "[dim]＝[/]", "failed": "[red]✗[/]"}[o.action]
    what = ACTION_ZH[o.action]
    if o.action == "version":
        what += f"（第 {o.version} 版，旧版本保留）"
    if o.error:
        what += f"：{o.error}"
    who = f"  {o.unit or '未识别单位'} {o.year or '年份未知'}年" if o.action in ("new", "version") else ""
    problems = f"  错误 {o.errors}，警告 {o.warnings}" if o.action in ("new", "version") else ""
    return f"{mark} {o.path}  {what}{who}{problems}"


def _apply_mapping(engine, path: str) -> int:
    from .. import regions
    from ..store.units import store_mapping
    try:
        mapping = regions.load_mapping(path)
    except UsageError as exc:
        _fail(str(exc))
    with engine.begin() as conn:
        changed = store_mapping(conn, mapping)
    _err().print(f"已载入单位对照表 {path}：{len(mapping)} 个单位，更新了库中 {changed} 个单位的层级/区划。",
                 soft_wrap=True, highlight=False)
    return changed


# --------------------------------------------------------------------------- units
from . import ZhGroup  # noqa: E402

units_app = typer.Typer(cls=ZhGroup, no_args_is_help=True, help="列出和修正库中的单位（层级、区划、上级，合并同一单位的不同写法）。")
app.add_typer(units_app, name="units")


class UnitsFormat(str, enum.Enum):
    human = "human"
    json = "json"
    csv = "csv"


@units_app.command("list", cls=ZhCommand)
def units_list(
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    region: Optional[str] = typer.Option(None, "--region", "-r", help="只列出该区划下的单位，如 河曲县 或 山西省/忻州市"),
    level: Optional[str] = typer.Option(None, "--level", help="只列出该层级：省、市、县、乡镇、街道、部门"),
    unplaced: bool = typer.Option(False, "--unplaced", help="只列出未能确定区划的单位（需要对照表补充）"),
    format: UnitsFormat = typer.Option(UnitsFormat.human, "--format", "-f", help="human、json 或 csv"),
) -> None:
    """列出库中的单位：规范名、层级、区划、上级、报告数和年份。"""
    from .. import regions
    from ..store.units import list_units
    lv = _level(level)
    engine = _engine(db)
    with engine.connect() as conn:
        rows = list_units(conn, region=region, level=lv, unplaced=unplaced)
    keys = ("key", "name", "level", "region", "parent", "origin", "reports", "years", "printed")
    if format is UnitsFormat.json:
        sys.stdout.write(json.dumps([{k: r[k] for k in keys} for r in rows], ensure_ascii=False, indent=1) + "\n")
        return
    if format is UnitsFormat.csv:
        import csv
        w = csv.writer(sys.stdout)
        w.writerow(["单位（规范名）", "名称", "层级", "区划", "上级", "来源", "报告数", "年份", "印出的名称"])
        for r in rows:
            w.writerow([r["key"], r["name"], regions.LEVELS.get(r["level"] or "", ""), r["region"] or "",
                        r["parent"] or "", ORIGIN_ZH[r["origin"]], r["reports"], "、".join(map(str, r["years"])),
                        "、".join(r["printed"])])
        return
    from rich.table import Table
    if not rows:
        _out().print("没有符合条件的单位。")
        return
    t = Table(title=f"单位（{len(rows)} 个）", title_justify="left")
    for h in ("单位", "层级", "区划", "上级", "来源", "报告", "年份"):
        t.add_column(h, overflow="fold")
    for r in rows:
        t.add_row(r["key"], regions.LEVELS.get(r["level"] or "", "[red]未知[/]"), r["region"] or "[red]未知[/]",
                  r["parent"] or "", ORIGIN_ZH[r["origin"]], str(r["reports"]), "、".join(map(str, r["years"])))
    _out().print(t)


ORIGIN_ZH = {"name": "由名称推断", "mapping": "对照表", "manual": "手工修正"}


def _level(level: Optional[str]) -> Optional[str]:
    from .. import regions
    if not level:
        return None
    try:
        lv = regions.parse_level(level)
    except ValueError as exc:
        _fail(str(exc))
    if lv is None:
        _fail(f"无法识别的层级“{level}”，可用：" + "、".join(regions.LEVELS.values()))
    return lv


@units_app.command("map", cls=ZhCommand)
def units_map(
    file: str = typer.Argument(..., help="单位对照表 CSV（列：单位、区划路径、层级、上级）", metavar="对照表"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """载入单位对照表：保存到库中，并更新已入库单位的层级、区划和上级（以后导入的报告也按它归类）。"""
    _apply_mapping(_engine(db), file)


@units_app.command("set", cls=ZhCommand)
def units_set(
    unit: str = typer.Argument(..., help="单位名称（规范名或报告中印出的名称）", metavar="单位"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    level: Optional[str] = typer.Option(None, "--level", help="层级：省、市、县、乡镇、街道、部门"),
    region: Optional[str] = typer.Option(None, "--region", "-r", help="区划路径，用 / 分隔，如 山西省/忻州市/河曲县/巡镇镇"),
    parent: Optional[str] = typer.Option(None, "--parent", help="上级单位"),
) -> None:
    """手工修正一个单位的层级、区划或上级。"""
    from ..store.units import find_unit, set_unit
    lv = _level(level)
    if lv is None and region is None and parent is None:
        _fail("请至少给出 --level、--region 或 --parent 之一")
    engine = _engine(db)
    with engine.begin() as conn:
        row = find_unit(conn, unit)
        if row is None:
            _fail(f"库中没有单位“{unit}”（可用 nianbao units list 查看）")
        set_unit(conn, row.id, level=lv, region=region.strip("/").replace("／", "/") if region else None, parent=parent)
    _out().print(f"已修正单位“{row.key}”。")


@units_app.command("merge", cls=ZhCommand)
def units_merge(
    source: str = typer.Argument(..., help="要并入的单位（例如另一种写法）", metavar="原单位"),
    target: str = typer.Argument(..., help="并入到的单位", metavar="目标单位"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    config: Optional[str] = typer.Option(None, "--config", "-c", help="配置文件（TOML）"),
) -> None:
    """把一个单位的全部报告并入另一个单位（同一单位的两种写法），重新编排版本并重新做跨年度检查。"""
    from ..store.units import find_unit, merge_units
    cfg = _config(config)
    engine = _engine(db)
    with engine.begin() as conn:
        a, b = find_unit(conn, source), find_unit(conn, target)
        for name, row in ((source, a), (target, b)):
            if row is None:
                _fail(f"库中没有单位“{name}”（可用 nianbao units list 查看）")
        if a.id == b.id:
            _fail(f"“{source}”和“{target}”已是同一个单位")
        moved = merge_units(conn, a.id, b.id, cfg)
    _out().print(f"已把“{a.key}”的 {moved} 份报告并入“{b.key}”，并重新做了跨年度检查。")


# --------------------------------------------------------------------------- findings
from .stats import build_filter, open_store, opt_db, opt_level, opt_region, opt_unit, opt_year  # noqa: E402
@app.command(cls=ZhCommand)
def findings(
    db: Optional[str] = opt_db(),
    year: Optional[list[int]] = opt_year(),
    region: Optional[str] = opt_region(),
    level: Optional[str] = opt_level(),
    unit: Optional[str] = opt_unit(),
    rule: Optional[list[str]] = typer.Option(None, "--rule", "-r", help="规则代码或类别，如 T3-01、XY（跨年度检查，可重复）"),
    severity: Optional[str] = typer.Option(None, "--severity", "-s", help="最低级别：error、warning 或 notice"),
    format: UnitsFormat = typer.Option(UnitsFormat.human, "--format", "-f", help="human、json 或 csv"),
) -> None:
    """列出库中报告的问题（每个单位当前版本的报告），包括需要两个年度才能发现的跨年度问题（XY）。"""
    from ..outputs.human import SEVERITY_MARK, SEVERITY_NAME, SEVERITY_STYLE, location_zh
    from ..store.query import stored_findings_of
    f = build_filter(year=year, region=region, level=level, unit=unit)
    engine = open_store(db)
    try:
        with engine.connect() as conn:
            rows = stored_findings_of(conn, f, [r.strip().upper() for r in rule or []], severity)
    except UsageError as exc:
        _fail(str(exc))
    if format is UnitsFormat.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return
    if format is UnitsFormat.csv:
        import csv
        w = csv.writer(sys.stdout)
        w.writerow(["单位", "区划", "年度", "文件", "规则", "级别", "类别", "问题", "单元格", "位置"])
        for r in rows:
            w.writerow([r["unit"], r["region"], r["year"], r["path"], r["rule"], SEVERITY_NAME[r["severity"]],
                        r["category"], r["message"], " ".join(r["cells"]), r["location"]])
        return
    console = _out()
    if not rows:
        console.print(f"{f.describe()}：没有符合条件的问题。")
        return
    last = None
    for r in rows:
        if (r["unit"], r["year"]) != last:
            last = (r["unit"], r["year"])
            console.print(f"\n[bold]{r['unit'] or '未识别单位'} · {r['year'] or '年份未知'} 年[/]  [dim]{r['path']}[/]",
                          highlight=False)
        where = f"[{location_zh(r['location'])}] " if r["location"] else ""
        console.print(f" [{SEVERITY_STYLE[r['severity']]}]{SEVERITY_MARK[r['severity']]} {SEVERITY_NAME[r['severity']]}"
                      f" {r['rule']}[/]  {where}{r['message']}", highlight=False, soft_wrap=True)
    console.print(f"\n共 {len(rows)} 条（{f.describe()}）。", highlight=False)
