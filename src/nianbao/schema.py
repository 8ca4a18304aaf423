"""The official report formats as data: sections, tables, rows, columns, labels and stable keys.

The 2021 format is loaded from ``spec/schema-2021.json`` (a verbatim copy of the project's binding
spec, checked by a test). The 2019 试行 format (国办公开办函〔2019〕60号) shares 表三's columns and 表四
whole; its 表二 and the single （六）其他处理 row of 表三 are defined here. Everything downstream —
recognizer, rules, outputs — takes labels and keys from this module, never from string literals.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

FORMAT_2021 = "2021"
FORMAT_2019 = "2019"
FORMAT_UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Field:
    key: str
    label: str
    decimal: bool = False
    signed: bool = False  # 2019 本年增/减 may be negative


@dataclass(frozen=True, slots=True)
class ActiveItem:
    key: str
    label: str
    group: str
    fields: tuple[Field, ...]


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    group: str | None = None


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    no: str
    label: str
    group: str | None = None


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    no: str
    title: str


@cache
def _raw() -> dict:
    text = resources.files("nianbao.spec").joinpath("schema-2021.json").read_text(encoding="utf-8")
    return json.loads(text)


def _load():
    raw = _raw()
    sections = tuple(Section(s["key"], s["no"], s["title"]) for s in raw["sections"])
    active = tuple(
        ActiveItem(i["key"], i["label"], i["group"],
                   tuple(Field(f["key"], f["label"], f.get("type") == "decimal") for f in i["fields"]))
        for i in raw["active"]["items"])
    columns = tuple(Column(c["key"], c["label"], c.get("group")) for c in raw["applications"]["columns"])
    rows = tuple(Row(r["key"], r["no"], r["label"], r.get("group")) for r in raw["applications"]["rows"])
    groups = tuple((g["key"], g["label"]) for g in raw["review_litigation"]["groups"])
    fields = tuple((f["key"], f["label"]) for f in raw["review_litigation"]["fields"])
    return sections, active, columns, rows, groups, fields, raw["applications"]["note"], raw["source"]


(SECTIONS, ACTIVE_ITEMS, APP_COLUMNS, APP_ROWS, RL_GROUPS, RL_FIELDS, APP_NOTE, SOURCE_2021) = _load()

SECTION_BY_KEY = {s.key: s for s in SECTIONS}
APP_ROW_BY_KEY = {r.key: r for r in APP_ROWS}
APP_COLUMN_BY_KEY = {c.key: c for c in APP_COLUMNS}
ACTIVE_BY_KEY = {i.key: i for i in ACTIVE_ITEMS}
RL_GROUP_LABEL = dict(RL_GROUPS)
RL_FIELD_LABEL = dict(RL_FIELDS)

APPLICANT_COLUMNS = tuple(c.key for c in APP_COLUMNS if c.key != "total")
TABLE_SECTIONS = ("active", "applications", "review_litigation")

# Row groups of 表三 (2021), in order, by the key prefix shared by their items.
OUTCOME_GROUPS_2021 = (
    ("outcomes", "三、", "本年度办理结果"),
    ("denied", "（三）", "不予公开"),
    ("unable", "（四）", "无法提供"),
    ("rejected", "（五）", "不予处理"),
    ("other", "（六）", "其他处理"),
)

# ---------------------------------------------------------------------------------------------
# 2019 format (国办公开办函〔2019〕60号)
SOURCE_2019 = "《中华人民共和国政府信息公开工作年度报告格式（试行）》（国办公开办函〔2019〕60号）"

# 表三 2019: the three （六） sub-items of 2021 are one row, （六）其他处理.
OTHER_PROCESSING_2019 = Row("other_processing", "三（六）", "其他处理")
APP_ROWS_2019 = tuple(
    [r for r in APP_ROWS if r.group != "其他处理" and r.key not in ("handled_total", "carried_forward")]
    + [OTHER_PROCESSING_2019, APP_ROW_BY_KEY["handled_total"], APP_ROW_BY_KEY["carried_forward"]])
ROWS_2021_ONLY = tuple(r.key for r in APP_ROWS if r.group == "其他处理")

_MADE = (Field("new_made", "本年新制作数量"), Field("new_published", "本年新公开数量"),
         Field("total_published", "对外公开总数量"))
_ITEMS = (Field("previous_count", "上一年项目数量"), Field("change", "本年增/减", signed=True),
          Field("decisions", "处理决定数量"))
ACTIVE_ITEMS_2019 = (
    ActiveItem("regulations", "规章", "第二十条第（一）项", _MADE),
    ActiveItem("normative_documents", "规范性文件", "第二十条第（一）项", _MADE),
    ActiveItem("licensing", "行政许可", "第二十条第（五）项", _ITEMS),
    ActiveItem("other_services", "其他对外管理服务事项", "第二十条第（五）项", _ITEMS),
    ActiveItem("punishment", "行政处罚", "第二十条第（六）项", _ITEMS),
    ActiveItem("coercion", "行政强制", "第二十条第（六）项", _ITEMS),
    ActiveItem("fees", "行政事业性收费", "第二十条第（八）项", _ITEMS[:2]),
    ActiveItem("procurement", "政府集中采购", "第二十条第（九）项",
               (Field("items", "采购项目数量"), Field("amount", "采购总金额", decimal=True))),
)
ACTIVE_2019_BY_KEY = {i.key: i for i in ACTIVE_ITEMS_2019}

# 2019 cells that fill a 2021 key ("a 2019-format report still fills every key that has a 2021
# equivalent", spec/output.md). Everything else of the 2019 表二 lives under extra_2019 only.
ACTIVE_2019_TO_2021 = {
    "active.regulations.new_made": "active.regulations.issued",
    "active.normative_documents.new_made": "active.normative_documents.issued",
    "active.licensing.decisions": "active.licensing.decisions",
    "active.punishment.decisions": "active.punishment.decisions",
    "active.coercion.decisions": "active.coercion.decisions",
}

# Labels whose presence tells one format from the other (spec/format-and-rules.md).
TELLTALE_2019 = ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "本年增/减",
                 "第二十条第（九）项", "政府集中采购", "其他对外管理服务事项")
TELLTALE_2021 = ("本年制发件数", "本年废止件数", "现行有效件数", "本年收费金额")


# ---------------------------------------------------------------------------------------------
# Cell paths (spec/output.md): applications.<row>.<column>, active.<item>.<field>,
# review_litigation.<group>.<field>; 2019-only cells under extra_2019.<table>.<...>.

def app_path(row: str, col: str) -> str:
    return f"applications.{row}.{col}"


def rl_path(group: str, field: str) -> str:
    return f"review_litigation.{group}.{field}"


def active_path(item: str, field: str) -> str:
    return f"active.{item}.{field}"


def active_item_paths(item: str, is_2019: bool = False) -> list[str]:
    """The cell paths of one 表二 item (a finding about a whole row of 表二 names its cells)."""
    if is_2019:
        return [f"extra_2019.active.{item}.{f.key}" for f in ACTIVE_2019_BY_KEY[item].fields]
    return [active_path(item, f.key) for f in ACTIVE_BY_KEY[item].fields]


@cache
def paths_2021() -> tuple[str, ...]:
    """Every cell path of the 2021 schema, in document order."""
    out = [active_path(i.key, f.key) for i in ACTIVE_ITEMS for f in i.fields]
    out += [app_path(r.key, c.key) for r in APP_ROWS for c in APP_COLUMNS]
    out += [rl_path(g, f) for g, _ in RL_GROUPS for f, _ in RL_FIELDS]
    return tuple(out)


@cache
def paths_2019_extra() -> tuple[str, ...]:
    out = [f"extra_2019.{active_path(i.key, f.key)}" for i in ACTIVE_ITEMS_2019 for f in i.fields]
    out += [f"extra_2019.{app_path('other_processing', c.key)}" for c in APP_COLUMNS]
    return tuple(out)


def label_of(path: str) -> str:
    """A Chinese label for a cell path, for messages: 表三“（一）予以公开”行·自然人列."""
    parts = path.split(".")
    if parts[0] == "extra_2019":
        parts = parts[1:]
        if parts[0] == "active":
            item = ACTIVE_2019_BY_KEY[parts[1]]
            field = next(f for f in item.fields if f.key == parts[2])
            return f"表二“{item.label}”·{field.label}"
        if parts[0] == "applications":
            col = APP_COLUMN_BY_KEY[parts[2]]
            return f"表三“（六）其他处理”行·{col.label}列"
    table = parts[0]
    if table == "applications":
        if parts[1].startswith("subtotal_") or (len(parts) > 2 and parts[2] == "legal_subtotal"):
            return _added_label(parts)
        if parts[1] == "row":
            return f"表三“{row_title(parts[2])}”行"
        if parts[1] == "column":
            return f"表三“{APP_COLUMN_BY_KEY[parts[2]].label}”列"
        return f"表三“{row_title(parts[1])}”行·{APP_COLUMN_BY_KEY[parts[2]].label}列"
    if table == "active":
        item = ACTIVE_BY_KEY.get(parts[1])
        if item is None:
            return f"表二“{parts[1]}”"
        field = next((f for f in item.fields if f.key == parts[2]), None)
        return f"表二“{item.label}”·{field.label if field else parts[2]}"
    if table == "review_litigation":
        return f"表四“{RL_GROUP_LABEL[parts[1]]}”·{RL_FIELD_LABEL[parts[2]]}"
    if table == "section":
        return f"第{SECTION_BY_KEY[parts[1]].no}部分“{SECTION_BY_KEY[parts[1]].title}”"
    if table == "table":
        return {"active": "表二（主动公开）", "applications": "表三（依申请公开）",
                "review_litigation": "表四（行政复议、行政诉讼）"}[parts[1]]
    return path


def _added_label(parts: list[str]) -> str:
    """Rows and columns a unit added to 表三 (subtotals): named in Chinese like the official ones."""
    def row(key: str) -> str:
        if key.startswith("subtotal_"):
            group = key[len("subtotal_"):]
            return next((f"{no}{label}”小计" for k, no, label in OUTCOME_GROUPS_2021 if k == group), key)
        return row_title(key) + "”"
    if parts[1] == "row":
        return f"表三自行添加的“{row(parts[2])}行"
    if parts[1] == "column":
        return "表三自行添加的“法人或其他组织小计”列"
    col = "法人或其他组织小计" if parts[2] == "legal_subtotal" else APP_COLUMN_BY_KEY[parts[2]].label
    return f"表三“{row(parts[1])}行·{col}列"


def row_title(row_key: str) -> str:
    """The row as a clerk reads it: number plus short label, e.g. “（三）1.属于国家秘密”."""
    r = APP_ROW_BY_KEY.get(row_key) or (OTHER_PROCESSING_2019 if row_key == "other_processing" else None)
    if r is None:
        return row_key
    no = r.no
    if no.startswith("三（"):
        inner = no[1:]
        if inner[-1].isdigit():
            return f"{inner[:-1]}{inner[-1]}.{r.label}"
        label = r.label.split("（")[0] if r.key == "partially_granted" else r.label
        return f"{inner}{label}"
    return f"{no}、{r.label}"
