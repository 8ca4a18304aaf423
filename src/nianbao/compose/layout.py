"""Where every cell of a filling lives: leaf versus derived cells, and the workbook's grid.

The template writer and the filling reader both take positions from here, so a cell written at
表三!C7 is read back from 表三!C7, and an error message can name the very cell the clerk typed in.
Leaf cells are what a clerk knows (counts per applicant, per outcome, per item); derived cells are
the totals the format defines, which nianbao computes and never takes from the clerk.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from openpyxl.utils import get_column_letter

from .. import schema

TEMPLATE_FORMAT = schema.FORMAT_2021
TEMPLATE_VERSION = "nianbao-template-1"
FIRST_YEAR_2021 = 2021  # 国办公开办函〔2021〕30号 applies from the 2021 reports on

SHEET_INFO = "基本信息"
SHEET_ACTIVE = "表二 主动公开"
SHEET_APPS = "表三 依申请公开"
SHEET_RL = "表四 复议诉讼"
SHEET_TEXT = "正文"
SHEETS = (SHEET_INFO, SHEET_ACTIVE, SHEET_APPS, SHEET_RL, SHEET_TEXT)

# Sections the clerk writes; 二、三、四 are the tables plus generated sentences.
NARRATIVE_SECTIONS = ("overview", "problems", "other")

DERIVED_APP_ROWS = ("handled_total", "carried_forward")
OUTCOME_ROWS = tuple(r.key for r in schema.APP_ROWS
                     if r.no.startswith("三（") and r.key != "handled_total")
RL_PARTS = ("upheld", "corrected", "other", "pending")
FEES = "active.fees.amount_wan_yuan"


@cache
def leaf_paths() -> tuple[str, ...]:
    """Every cell a clerk fills, in document order (all required)."""
    out = [schema.active_path(i.key, f.key) for i in schema.ACTIVE_ITEMS for f in i.fields]
    out += [schema.app_path(r.key, c) for r in schema.APP_ROWS if r.key not in DERIVED_APP_ROWS
            for c in schema.APPLICANT_COLUMNS]
    out += [schema.rl_path(g, f) for g, _ in schema.RL_GROUPS for f in RL_PARTS]
    return tuple(out)


@cache
def derived_paths() -> tuple[str, ...]:
    leaves = set(leaf_paths())
    return tuple(p for p in schema.paths_2021() if p not in leaves)


def is_decimal(path: str) -> bool:
    return path == FEES


# ------------------------------------------------------------------------------ workbook grid
# 表二: two header rows per block, then one row per item.
ACTIVE_BLOCKS = (
    (("regulations", "normative_documents"), 3),   # (items, header row)
    (("licensing", "punishment", "coercion"), 7),
    (("fees",), 12),
)
# 表三: title, note, two header rows, then the 25 official rows from row 5.
APP_HEADER_ROW = 3
APP_FIRST_ROW = 5
APP_FIRST_COL = 3   # C = 自然人 … H = 其他, I = 总计
# 表四: one row per group, columns C..F the four results, G 总计.
RL_HEADER_ROW = 3
RL_FIRST_ROW = 4
# 基本信息
INFO_ROWS = {"unit": 4, "year": 5, "report_date": 6, "format": 7, "version": 8}
INFO_LABELS = {"unit": "单位名称", "year": "年度", "report_date": "成文日期",
               "format": "报告格式", "version": "模板版本"}
# 正文
TEXT_FIRST_ROW = 4


@dataclass(frozen=True, slots=True)
class Place:
    sheet: str
    row: int
    col: int
    label: str      # what the clerk reads next to it: “（一）予以公开·商业企业”
    label_col: int  # the column that holds the row's label (checked on reading)
    row_label: str  # the exact text written there

    @property
    def coord(self) -> str:
        return f"{get_column_letter(self.col)}{self.row}"

    def where(self) -> str:
        """The cell as a clerk names it: 表三 依申请公开!D7（（一）予以公开·商业企业）."""
        return f"{self.sheet}!{self.coord}（{self.label}）"


def app_row_label(key: str) -> str:
    r = schema.APP_ROW_BY_KEY[key]
    return schema.row_title(key) if r.no.startswith("三（") else f"{r.no}、{r.label}"


@cache
def places() -> dict[str, Place]:
    """Cell path -> its place in the template (leaf and derived cells alike)."""
    out: dict[str, Place] = {}
    for items, header in ACTIVE_BLOCKS:
        for i, key in enumerate(items):
            item = schema.ACTIVE_BY_KEY[key]
            row = header + 1 + i
            for j, f in enumerate(item.fields):
                out[schema.active_path(key, f.key)] = Place(
                    SHEET_ACTIVE, row, 3 + j, f"{item.label}·{f.label}", 2, item.label)
    for i, r in enumerate(schema.APP_ROWS):
        row = APP_FIRST_ROW + i
        label = app_row_label(r.key)
        for j, c in enumerate(schema.APP_COLUMNS):
            out[schema.app_path(r.key, c.key)] = Place(
                SHEET_APPS, row, APP_FIRST_COL + j, f"{label}·{c.label}", 2, r.label)
    for i, (g, glabel) in enumerate(schema.RL_GROUPS):
        for j, (f, flabel) in enumerate(schema.RL_FIELDS):
            out[schema.rl_path(g, f)] = Place(SHEET_RL, RL_FIRST_ROW + i, 3 + j, f"{glabel}·{flabel}", 2, glabel)
    return out


@cache
def section_places() -> dict[str, Place]:
    out = {}
    for i, key in enumerate(NARRATIVE_SECTIONS):
        s = schema.SECTION_BY_KEY[key]
        heading = f"{s.no}、{s.title}"
        out[key] = Place(SHEET_TEXT, TEXT_FIRST_ROW + i, 2, heading, 1, heading)
    return out


@cache
def info_places() -> dict[str, Place]:
    return {k: Place(SHEET_INFO, row, 2, INFO_LABELS[k], 1, INFO_LABELS[k]) for k, row in INFO_ROWS.items()}


def column_letter(col_key: str) -> str:
    keys = [c.key for c in schema.APP_COLUMNS]
    return get_column_letter(APP_FIRST_COL + keys.index(col_key))


def app_row_number(row_key: str) -> int:
    return APP_FIRST_ROW + [r.key for r in schema.APP_ROWS].index(row_key)


def formula(path: str) -> str:
    """The Excel formula a derived cell shows (nianbao computes the same thing itself)."""
    p = places()[path]
    table, a, b = path.split(".")
    if table == "review_litigation":
        return f"=SUM(C{p.row}:F{p.row})"
    if b == "total":
        last = get_column_letter(APP_FIRST_COL + len(schema.APPLICANT_COLUMNS) - 1)
        return f"=SUM({get_column_letter(APP_FIRST_COL)}{p.row}:{last}{p.row})"
    col = get_column_letter(p.col)
    if a == "handled_total":
        return f"=SUM({col}{app_row_number(OUTCOME_ROWS[0])}:{col}{app_row_number(OUTCOME_ROWS[-1])})"
    # carried_forward = 一 + 二 − （七）
    return (f"={col}{app_row_number('new_received')}+{col}{app_row_number('carried_over')}"
            f"-{col}{app_row_number('handled_total')}")


def path_label(path: str) -> str:
    """A Chinese name for a cell path when there is no workbook cell to point at (YAML, JSON)."""
    return schema.label_of(path)
