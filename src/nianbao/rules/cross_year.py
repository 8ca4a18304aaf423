"""Cross-year rules (XY): this year's report against last year's report of the same unit.

`ctx.previous` is the previous year's `Report` of the same unit (pairing the reports is the caller's
job). Without it every XY rule stays silent, and so it does when both years are known and the
previous report is not the one of the year before (`previous.year != report.year - 1`): a gap of
several years, the same year twice, or the reports passed the wrong way round say nothing about
“last year”. When a year is unknown the caller's pairing is trusted.

- XY-01 is an equation between two printed numbers, one in each report: the row “二、上年结转” of
  this year's 表三 counts, by the meaning of its label, exactly the applications that last year's
  row “四、结转下年度继续办理” carried forward (the same applications at the same moment, 31 December),
  column by column (basis I). It is still a warning, as the spec's consistency table has it: the
  two numbers come from two documents paired by the store (by unit name and year), and a pairing
  can be wrong — a renamed or merged unit, a mapping file that joins two bodies — which no
  arithmetic inside one report can be. Nulls follow spec/output.md: a null counts
  as 0; when the equation still holds nothing is said (IN-01 lists blank cells, of each report in its
  own run); when it fails because of a null it is not an error but one `input` warning for the
  report, listing every column that cannot be checked (one line, not one per column: a unit that
  leaves zeros blank would otherwise get up to seven). A column or table missing on either side is
  a structure finding of that report (FMT-03) and is skipped here.
- XY-02 and XY-03 are plausibility checks (basis H): a copied text or table is likely, not certain,
  so they warn at most.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from rapidfuzz.fuzz import ratio

from .. import schema
from ..model import ABSENT, Finding, Report
from .base import Context, loc, rule
from .equations import fmt

# ------------------------------------------------------------------------------------------ common


def _comparable(report: Report, ctx: Context) -> Report | None:
    """Last year's report when the XY rules apply, else None."""
    prev = ctx.previous
    if prev is None:
        return None
    if report.year is not None and prev.year is not None and prev.year != report.year - 1:
        return None
    return prev


def _year(r: Report, fallback: str) -> str:
    return f"{r.year}年报告" if r.year is not None else fallback


# ------------------------------------------------------------------------------------------ XY-01
_CO, _CF = "carried_over", "carried_forward"


def _absent(r: Report, path: str) -> bool:
    v = r.cells.get(path)
    return v is None or (v.value is None and v.state == ABSENT)


@rule("XY-01", "上年结转等于上年报告的结转下年度继续办理", severity="warning", category="consistency", basis="I",
      doc="""本年表三“二、上年结转政府信息公开申请数量”与同一单位上一年度报告表三“四、结转下年度继续办理”，
按两个栏目的含义是同一批申请（上一年 12 月 31 日尚未办结、转入本年继续办理的申请），
因此逐列（自然人、五类法人或其他组织、总计）应相等。
两个都印出的数字不相等时给出警告（两份报告由单位名称和年份配对，单位更名、合并或对照表有误时可能配错，
所以不判为错误）。需要同时提供上一年度的报告；两份报告不是相邻年度时不检查。
有一方空白（或印“/”“—”“无”）时按 0 计：等式仍成立则不提示（空白单元格已由 IN-01 列出）；
不成立时只给出一条“无法核对”的识别警告（input），列出这些列。
某一列或整张表缺失的，由 FMT-03 等结构规则提示，这里不再检查。""")
def xy_01(report: Report, ctx: Context) -> Iterator[Finding]:
    prev = _comparable(report, ctx)
    if prev is None or not report.has_table("applications") or not prev.has_table("applications"):
        return
    this_year, last_year = _year(report, "本报告"), _year(prev, "上年报告")
    co_label, cf_label = schema.row_title(_CO), schema.row_title(_CF)
    unverifiable: list[tuple[str, str]] = []  # (path, text)
    for c in schema.APP_COLUMNS:
        here, there = schema.app_path(_CO, c.key), schema.app_path(_CF, c.key)
        if _absent(report, here) or _absent(prev, there):
            continue  # a missing row or column: a structure finding of its own report
        a, b = report.get(here), prev.get(there)
        if (a or 0) == (b or 0):
            continue
        if a is None or b is None:
            unverifiable.append((here, f"{c.label}列本年为 {fmt(a)}、{last_year.removesuffix('报告')}为 {fmt(b)}"))
            continue
        yield Finding("XY-01", "warning", "consistency",
                      f"{this_year}表三“{co_label}”{c.label}列为 {fmt(a)}，而{last_year}表三“{cf_label}”"
                      f"{c.label}列为 {fmt(b)}，两者应相等", [here], loc(report, here))
    if unverifiable:
        paths = [p for p, _ in unverifiable]
        yield Finding("XY-01", "warning", "input",
                      f"{this_year}表三“{co_label}”与{last_year}表三“{cf_label}”有空白单元格，无法核对："
                      + "；".join(t for _, t in unverifiable), paths, loc(report, paths[0]))


# ------------------------------------------------------------------------------------------ XY-02
# Prose shorter than this (after normalisation) is too generic to compare: the one-sentence
# statements a unit rightly repeats every year (“依据《政府信息公开信息处理费管理办法》（国办函〔2020〕
# 109号），本年度未收取信息处理费。” is 33 characters normalised, its longer variants 45–55).
MIN_CHARS = 60
MIN_SIMILARITY = 85   # percent (rapidfuzz ratio) from which two texts count as copies

_DIGITS = re.compile(r"[0-9０-９]+(?:[.．,，][0-9０-９]+)*")
_CN_YEAR = re.compile(r"[〇零○一二三四五六七八九]{4}年")
_NOISE = re.compile(r"[\W_]+")  # whitespace, punctuation, markdown marks


def normalise(text: str) -> str:
    """The prose as compared: every number and written-out year masked as one “0” (“2023年”,
    “二〇二三年” and “12件” become “0年”, “0件”), whitespace and punctuation dropped."""
    t = _CN_YEAR.sub("0年", text)
    t = _DIGITS.sub("0", t)
    t = _NOISE.sub("", t)
    return re.sub(r"0+", "0", t)


def similarity(a: str, b: str) -> float | None:
    """Similarity in percent of two section texts, or None when either is too short to mean anything."""
    x, y = normalise(a), normalise(b)
    if min(len(x), len(y)) < MIN_CHARS:
        return None
    return ratio(x, y)


# The sections written as prose. 二–四 are the tables: their text is a lead-in sentence and, in
# text copied out of PDFs, the tables' header lines, which are the same every year by design.
NARRATIVE_SECTIONS = ("overview", "problems", "other")


@rule("XY-02", "正文与上年报告内容雷同", severity="warning", category="consistency", basis="H",
      doc=f"""将本年报告的叙述部分（一、总体情况，五、存在的主要问题及改进情况，六、其他需要报告的事项）逐一与
同一单位上一年度报告的相应部分比较（二至四部分以统计表为主，表头文字年年相同，不作比较）。常见的雷同做法是照抄上年文字、
只改数字和年份，因此比较时忽略数字和年份（如“2023年”“二〇二三年”）以及空格、标点。
相似度达到 {MIN_SIMILARITY}% 的部分视为基本雷同，全报告给出一条警告，列出这些部分及其相似度。
去掉数字和标点后不足 {MIN_CHARS} 个字的正文（如“无其他需要报告的事项。”）过于简短，不作比较。
年报格式的问责条款把“内容雷同”列为应予纠正的情形；此项为经验判断，只作警告。""")
def xy_02(report: Report, ctx: Context) -> Iterator[Finding]:
    prev = _comparable(report, ctx)
    if prev is None:
        return
    copied: list[tuple[schema.Section, float]] = []
    for s in (x for x in schema.SECTIONS if x.key in NARRATIVE_SECTIONS):
        mine, theirs = report.sections.get(s.key), prev.sections.get(s.key)
        if mine is None or theirs is None:
            continue
        score = similarity(mine.text, theirs.text)
        if score is not None and score >= MIN_SIMILARITY:
            copied.append((s, score))
    if not copied:
        return
    first = report.sections[copied[0][0].key].source
    parts = "；".join(f"{s.no}、{s.title}（相似度 {int(score)}%）" for s, score in copied)
    yield Finding("XY-02", "warning", "consistency",
                  f"以下部分的正文与{_year(prev, '上年报告')}几乎相同（已忽略数字和年份）：{parts}，"
                  f"可能属于照抄上年的“内容雷同”，请核对",
                  [f"section.{s.key}" for s, _ in copied], first.english() if first else "")


# ------------------------------------------------------------------------------------------ XY-03
TABLE_NAMES = {"active": "表二（主动公开政府信息情况）", "applications": "表三（收到和处理政府信息公开申请情况）",
               "review_litigation": "表四（政府信息公开行政复议、行政诉讼情况）"}
# 表二 cells that state a stock, not this year's activity: equal from year to year when nothing
# changed, so they neither make a table “non-zero” nor suspicious.
STOCK_FIELDS = {"in_force", "total_published", "previous_count"}
SMALL = 2  # a table whose numbers are all ≤ this may well repeat by chance: notice, not warning


def _table_format(r: Report, table: str) -> str:
    if table == "active":
        return schema.FORMAT_2019 if r.active_is_2019 else schema.FORMAT_2021
    if table == "applications":
        return schema.FORMAT_2019 if r.apps_is_2019 else schema.FORMAT_2021
    return schema.FORMAT_2021  # 表四 is the same in both formats


def _table_paths(table: str, fmt_: str) -> list[str]:
    paths = [p for p in schema.paths_2021() if p.split(".")[0] == table]
    if fmt_ == schema.FORMAT_2019:
        paths += [p for p in schema.paths_2019_extra() if p.split(".")[1] == table]
    return paths


@rule("XY-03", "两个年度的表格数字完全相同", severity="warning", category="consistency", basis="H",
      doc=f"""表二、表三、表四分别与同一单位上一年度报告的同一张表比较：所有单元格（含空白）都相同、且至少有一个
非零数字时，提示该表可能照抄了上年的数据。表二的“现行有效件数”“对外公开总数量”“上一年项目数量”是存量，
没有新变化时本来就逐年相同，不计作非零数字。两个年度的表格格式不同（2019 年格式与 2021 年格式）时不比较。
所有非零数字都不超过 {SMALL} 的（如每年收到、公开 1 件申请）可能是巧合，只作提示（notice），否则为警告。""")
def xy_03(report: Report, ctx: Context) -> Iterator[Finding]:
    prev = _comparable(report, ctx)
    if prev is None:
        return
    for table in schema.TABLE_SECTIONS:
        if not report.has_table(table) or not prev.has_table(table):
            continue
        fmt_ = _table_format(report, table)
        if _table_format(prev, table) != fmt_:
            continue
        paths = _table_paths(table, fmt_)
        if any(report.get(p) != prev.get(p) for p in paths):
            continue
        flows = [v for p in paths if p.rsplit(".", 1)[1] not in STOCK_FIELDS and (v := report.get(p))]
        if not flows:
            continue
        severity = "warning" if max(abs(v) for v in flows) > SMALL else "notice"
        src = report.tables_found.get(table)
        yield Finding("XY-03", severity, "consistency",
                      f"{TABLE_NAMES[table]}的全部数字与{_year(prev, '上年报告')}完全相同，可能照抄了上年数据，请核对",
                      [f"table.{table}"], src.english() if src else "")
