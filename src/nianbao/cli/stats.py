"""`nianbao stats` and `nianbao chart`: corpus statistics and charts.

This module also holds the corpus filter options every store command shares (``--year --region
--level --unit --status --with-errors --all-versions``), so that they read and behave the same
everywhere. Another command reuses them like this::

    from .stats import build_filter, opt_year, opt_region, opt_level, opt_unit, opt_status, \
        opt_with_errors, opt_all_versions, open_store

    def cmd(year: Optional[list[int]] = opt_year(), region: Optional[str] = opt_region(), ...):
        flt = build_filter(year, region, level, unit, status, with_errors, all_versions)

(factories rather than shared ``OptionInfo`` objects: typer keeps per-parameter state in them.)
"""
from __future__ import annotations

import enum
import json
import os
import sys
from typing import Optional

import typer
from rich.table import Table

from ..errors import UsageError
from . import EXIT_OK, ZhCommand, _err, _fail, _out, app
from ..outputs.workbooks import BY_ZH, stats_csv, stats_rows, stats_title, stats_xlsx
from .corpus import DB_HELP

# --------------------------------------------------------------------------- shared filter options
YEAR_HELP = "年份（可重复：--year 2023 --year 2024）"
REGION_HELP = "区划：区划路径中的任一级名称（河曲县），或用“/”写出的路径前缀（山西省/忻州市）"
LEVEL_HELP = "层级：省、市、县、乡镇、街道、部门（或 province、city、county、township、subdistrict、department）"
UNIT_HELP = "单位名称中包含的文字"
STATUS_HELP = "识别状态：ok（完整识别）或 partial（部分识别）"
WITH_ERRORS_HELP = "只选有错误的报告"
ALL_VERSIONS_HELP = "包括被新版本取代的旧版本（默认只选每个单位每年的当前版本）"


def opt_db():
    return typer.Option(None, "--db", help=DB_HELP)


def opt_year():
    return typer.Option(None, "--year", "-y", help=YEAR_HELP)


def opt_region():
    return typer.Option(None, "--region", help=REGION_HELP)


def opt_level():
    return typer.Option(None, "--level", help=LEVEL_HELP)


def opt_unit():
    return typer.Option(None, "--unit", help=UNIT_HELP)


def opt_status():
    return typer.Option(None, "--status", help=STATUS_HELP)


def opt_with_errors():
    return typer.Option(False, "--with-errors", help=WITH_ERRORS_HELP)


def opt_all_versions():
    return typer.Option(False, "--all-versions", help=ALL_VERSIONS_HELP)


def build_filter(year=None, region=None, level=None, unit=None, status=None, with_errors=False,
                 all_versions=False):
    """The store Filter of the shared options; a bad value is a Chinese usage error (exit 2)."""
    from ..store.query import Filter
    try:
        return Filter.of(years=year, region=region, level=level, unit=unit, status=status,
                         with_errors=with_errors, all_versions=all_versions)
    except UsageError as exc:
        _fail(str(exc))


def open_store(db: Optional[str]):
    """Open an existing store for reading. A SQLite file that does not exist is an error rather than
    a new empty store: a mistyped --db must not answer "no reports" and leave a stray file behind."""
    from ..store.db import open_engine, resolve_url
    from sqlalchemy.engine import make_url
    try:
        url = resolve_url(db)
        if url.startswith("sqlite"):
            path = make_url(url).database
            if path and not os.path.exists(path):
                _fail(f"数据库 {path} 不存在：请先用 nianbao ingest 导入报告，或用 --db 指定数据库")
        return open_engine(db)
    except UsageError as exc:
        _fail(str(exc))


# --------------------------------------------------------------------------- nianbao stats
class By(str, enum.Enum):
    year = "year"
    level = "level"
    region = "region"
    unit = "unit"


class Metric(str, enum.Enum):
    applications = "applications"
    open_rate = "open_rate"
    errors = "errors"
    correction_rate = "correction_rate"


class StatsFormat(str, enum.Enum):
    human = "human"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"



_BY_HELP = "分组：year（年度，默认）、level（层级）、region（区划）、unit（单位）"
_DEPTH_HELP = ("按区划分组时取区划路径的第几级（1 = 省，2 = 市，3 = 县，4 = 乡镇/街道）；"
               "默认取 --region 的下一级，未给 --region 时为 1")

STATS_HELP = """语料统计：按年度、层级、区划或单位汇总所选报告的申请、办理结果、复议诉讼和报告质量。

口径（同一分组内所选报告的合计）：
  公开率 = （予以公开 + 部分公开）÷ 办理结果总计；各办理结果占比的分母同为办理结果总计。
  其他处理 = （六）1–3 三行之和，2019 格式报告为其单一的“（六）其他处理”行。
  复议/诉讼纠正率 = 结果纠正 ÷（总计 − 尚未审结）；诉讼 = 未经复议直接起诉 + 复议后起诉。
  报告未填的数按 0 相加，并注明缺该数的报告份数（表格中以 * 标出，CSV/XLSX 为“缺数说明”列，JSON 为 nulls）。
  没有分母（办理总数为 0、没有已审结案件）时比率为空（—）。

排名：--rank 指标 --top N 列出前 N 名（默认按单位，可配合 --by），指标为
  applications（本年新收申请数）、open_rate（公开率）、errors（错误条数）、correction_rate（复议纠正率）；
  并列者名次相同，按名称排序；比率无法计算的排在最后。只给 --top 时按 applications 排名。

输出格式（--format）：
  human  中文表格（默认）；csv 中文表头（比率为小数，如 0.4512），输出到屏幕或 -o 文件；
  xlsx   中文表头（比率按百分比显示），必须用 -o 指定文件；
  json   对象列表，英文键：by、group（中文名称）、key（年份/层级键/区划路径/单位键）、total（是否为合计行）、
         rank（排名时）、reports、units、reports_with_errors、errors、warnings、late_reports、partial_reports、
         new_received、carried_over、handled_total、carried_forward、granted、partially_granted、denied、
         denied_state_secret…denied_query_matter（8 项理由）、unable、rejected、other_processing、
         review_total、review_corrected、review_pending、litigation_total、litigation_corrected、
         litigation_pending、open_rate、granted_share、partially_granted_share、denied_share、unable_share、
         rejected_share、other_processing_share、review_correction_rate、litigation_correction_rate、
         nulls（缺该数的报告份数，键同上）。

没有符合条件的报告时给出提示，输出空表（json 为 []），退出码 0。
退出码：0 成功；2 用法错误或数据库无法打开。"""


@app.command(cls=ZhCommand, help=STATS_HELP)
def stats(
    db: Optional[str] = opt_db(),
    year: Optional[list[int]] = opt_year(),
    region: Optional[str] = opt_region(),
    level: Optional[str] = opt_level(),
    unit: Optional[str] = opt_unit(),
    status: Optional[str] = opt_status(),
    with_errors: bool = opt_with_errors(),
    all_versions: bool = opt_all_versions(),
    by: Optional[By] = typer.Option(None, "--by", "-b", help=_BY_HELP, show_default=False),
    depth: Optional[int] = typer.Option(None, "--depth", help=_DEPTH_HELP, show_default=False),
    rank: Optional[Metric] = typer.Option(None, "--rank", help="排名指标：applications、open_rate、errors、correction_rate"),
    top: Optional[int] = typer.Option(None, "--top", help="排名时列出的个数（默认 10）", show_default=False),
    format: StatsFormat = typer.Option(StatsFormat.human, "--format", "-f", help="human、json、csv 或 xlsx（需 -o）"),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="写入文件（xlsx 必须指定；其他格式默认输出到屏幕）"),
) -> None:
    from ..store.stats import corpus_stats
    if format is StatsFormat.xlsx and not output:
        _fail("xlsx 格式需要用 -o 指定输出文件，如 -o 统计.xlsx")
    if output and format is StatsFormat.xlsx and not output.lower().endswith(".xlsx"):
        _fail(f"xlsx 格式的输出文件应以 .xlsx 结尾：{output}")
    if top is not None and top < 1:
        _fail("--top 应为正整数")
    if depth is not None and (by or By.year) is not By.region:
        _fail("--depth 只用于按区划分组（--by region）")
    flt = build_filter(year, region, level, unit, status, with_errors, all_versions)
    metric = rank.value if rank else ("applications" if top else None)
    group_by = by.value if by else ("unit" if metric else "year")
    engine = open_store(db)
    try:
        result = corpus_stats(engine, flt, by=group_by, depth=depth, rank=metric, top=top)
    except UsageError as exc:
        _fail(str(exc))
    if result.empty:
        _err().print(f"没有符合条件的报告（{flt.describe()}）。")
    try:
        if format is StatsFormat.json:
            rows = [g.to_dict(result.by) for g in result.groups]
            if result.total is not None:
                rows.append(result.total.to_dict(result.by, total=True))
            _write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", output)
        elif format is StatsFormat.csv:
            _write_text(stats_csv(result), output, encoding="utf-8-sig" if output else "utf-8")
        elif format is StatsFormat.xlsx:
            stats_xlsx(result, output)
        else:
            if output:
                from rich.console import Console
                with open(output, "w", encoding="utf-8") as fh:
                    render_stats(Console(file=fh, width=200, highlight=False, soft_wrap=False), result)
            elif not result.empty:
                render_stats(_out(), result)
    except OSError as exc:
        _fail(f"无法写入 {output}：{exc.strerror or exc}")
    if output:
        _err().print(f"已写入 {output}")
    raise typer.Exit(EXIT_OK)


def _write_text(text: str, output: Optional[str], encoding: str = "utf-8") -> None:
    if output:
        with open(output, "w", encoding=encoding, newline="") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)


def _n(v) -> str:
    return "—" if v is None else (f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}")


def _pct(v) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


_REASON_SHORT = ("国家秘密", "法规禁止", "三安一稳", "第三方", "内部事务", "过程信息", "执法案卷", "查询事项")


def render_stats(console, result) -> None:
    """Compact Chinese tables (each fits a terminal): applications; outcomes with their shares;
    不予公开 reasons; review and litigation; report quality."""
    from ..store.stats import _DENIED, FIGURE_LABELS
    rows = stats_rows(result)
    name_head = "、".join(BY_ZH[b] for b in result.by)
    name_width = min(max([len(name_head)] + [len(g.name) for g, _ in rows]) * 2, 28)
    starred: dict[str, int] = {}

    def cell(g, key, share=None):
        text = _n(g.sums[key])
        if g.nulls.get(key):
            text += "*"
            starred[key] = max(starred.get(key, 0), g.nulls[key])
        if share is not None:
            text += f"（{_pct(g.rate(share))}）"
        return text

    def table(title, heads, make_row, wrap=False):
        t = Table(title=title, title_style="bold", header_style="bold", title_justify="left")
        if result.rank:
            t.add_column("排名", justify="right", no_wrap=True)
        t.add_column(name_head, min_width=None if wrap else name_width, max_width=28)
        for h in heads:
            t.add_column(h, justify="right", no_wrap=not wrap)
        for g, total in rows:
            name = f"[bold]{g.name}[/]" if total else g.name
            t.add_row(*([str(g.rank)] if result.rank else []), name, *make_row(g))
        console.print(t)

    title = stats_title(result)
    table(f"{title}\n一、申请与办理",
          ["报告数", "单位数", "本年新收", "上年结转", "办理总数", "公开率", "结转下年"],
          lambda g: [_n(g.counts["reports"]), _n(g.counts["units"]), cell(g, "new_received"),
                     cell(g, "carried_over"), cell(g, "handled_total"), _pct(g.rate("open_rate")),
                     cell(g, "carried_forward")])
    table("二、办理结果（括号内为占办理总数的比例）",
          ["予以公开", "部分公开", "不予公开", "无法提供", "不予处理", "其他处理"],
          lambda g: [cell(g, k, f"{k}_share") for k in ("granted", "partially_granted", "denied", "unable",
                                                        "rejected", "other_processing")])
    table("三、不予公开的理由", list(_REASON_SHORT), lambda g: [cell(g, k) for k in _DENIED], wrap=True)
    for i, (g_key, g_name) in enumerate((("review", "行政复议"), ("litigation", "行政诉讼（直接起诉 + 复议后起诉）"))):
        table(f"{'四五'[i]}、{g_name}", ["总数", "结果纠正", "尚未审结", "纠正率"],
              lambda g, k=g_key: [cell(g, f"{k}_total"), cell(g, f"{k}_corrected"), cell(g, f"{k}_pending"),
                                  _pct(g.rate(f"{k}_correction_rate"))])
    table("六、报告质量", ["有错误的报告", "错误条数", "警告条数", "逾期报告", "部分识别的报告"],
          lambda g: [_n(g.counts[k]) for k in ("reports_with_errors", "errors", "warnings", "late_reports",
                                              "partial_reports")])
    console.print("公开率 =（予以公开 + 部分公开）÷ 办理总数；纠正率 = 结果纠正 ÷（总数 − 尚未审结）；"
                  "诉讼 = 直接起诉 + 复议后起诉。", style="dim")
    if starred:
        console.print("* 有报告未填该数（按 0 计入）：" + "、".join(
            f"{FIGURE_LABELS[k]}（最多 {n} 份）" for k, n in starred.items()) + "。", style="dim")


# --------------------------------------------------------------------------- nianbao chart
class ChartKind(str, enum.Enum):
    trend = "trend"
    outcomes = "outcomes"
    errors = "errors"


CHART_HELP = """画语料图表（PNG 或 SVG，按 -o 文件的后缀）。

  trend     各年度本年新收申请数：不给 --by（或 --by year）时画一条“合计”线，
            给 --by level/region/unit 时每组一条线（申请数最多的 --top 组，默认 8）。
  outcomes  办理结果构成（100% 堆叠柱）：默认每年一根柱，给 --by 时每组一根柱。
  errors    各单位的错误、警告条数（最多的 --top 个单位，默认 30）。

没有符合条件的报告时仍写出图表（标明“没有数据”）并提示，退出码 0；缺少 -o 或格式不对时退出码 2。"""


@app.command(cls=ZhCommand, help=CHART_HELP)
def chart(
    kind: ChartKind = typer.Argument(..., help="图表：trend、outcomes 或 errors", show_default=False, metavar="图表"),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="输出文件：.png 或 .svg", show_default=False),
    db: Optional[str] = opt_db(),
    year: Optional[list[int]] = opt_year(),
    region: Optional[str] = opt_region(),
    level: Optional[str] = opt_level(),
    unit: Optional[str] = opt_unit(),
    status: Optional[str] = opt_status(),
    with_errors: bool = opt_with_errors(),
    all_versions: bool = opt_all_versions(),
    by: Optional[By] = typer.Option(None, "--by", "-b", help="分组：year、level、region 或 unit", show_default=False),
    depth: Optional[int] = typer.Option(None, "--depth", help=_DEPTH_HELP, show_default=False),
    top: Optional[int] = typer.Option(None, "--top", help="最多画出的组数/单位数", show_default=False),
) -> None:
    from ..outputs import charts
    from ..store.chart_data import chart_data
    if not output:
        _fail("请用 -o 指定图表文件，如 -o 趋势.png（支持 .png 和 .svg）")
    if not output.lower().endswith(charts.SUFFIXES):
        _fail(f"不支持的图表格式：{output}（输出文件名须以 .png 或 .svg 结尾）")
    if top is not None and top < 1:
        _fail("--top 应为正整数")
    if depth is not None and (by or By.year) is not By.region:
        _fail("--depth 只用于按区划分组（--by region）")
    if kind is ChartKind.errors and by not in (None, By.unit):
        _fail("errors 图按单位画，不能用 --by " + by.value)
    flt = build_filter(year, region, level, unit, status, with_errors, all_versions)
    engine = open_store(db)
    group = by.value if by and by is not By.year else None
    desc = flt.describe()
    try:
        with engine.connect() as conn:
            found = chart_data(conn, kind.value, flt, group, depth, top)
        found.draw(output)
        empty = found.empty
    except UsageError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"无法写入 {output}：{exc.strerror or exc}")
    if empty:
        _err().print(f"没有符合条件的报告（{desc}），图表中标明“没有数据”。")
    _err().print(f"已写入 {output}")
    raise typer.Exit(EXIT_OK)


