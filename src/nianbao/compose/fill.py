"""Reading what a clerk filled: the XLSX template, its YAML/JSON twin, or a `report` object.

Everything is validated before anything is returned: one `FillingError` (a `UsageError`) lists
every problem found, each naming the sheet and cell (or key and line) in Chinese, so the clerk can
fix them all in one pass, and a half-read filling never reaches the renderer. Every leaf cell is
required: a blank is ambiguous (nothing happened, or not yet counted?) and a published table must
state a number, so the template starts at 0 and an emptied cell is an error. Only the narrative
and the report date may be left empty.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import unicodedata
from dataclasses import dataclass, field

from .. import schema
from ..document import Source
from ..errors import UsageError
from . import layout as L

MAX_PROBLEMS = 50
MISSING = object()


class FillingError(UsageError):
    """A filling that cannot be composed; `problems` holds one Chinese sentence per problem."""

    def __init__(self, path: str, problems: list[str]):
        self.path, self.problems = path, problems
        shown = problems[:MAX_PROBLEMS]
        more = f"\n……另有 {len(problems) - len(shown)} 处问题未列出" if len(problems) > len(shown) else ""
        super().__init__(f"填报文件 {os.path.basename(path)} 有 {len(problems)} 处问题，未生成报告：\n"
                         + "\n".join(f"{i}. {p}" for i, p in enumerate(shown, 1)) + more)


@dataclass(slots=True)
class Filling:
    """What the clerk stated: every leaf cell (validated), the narrative, and where each was typed."""
    path: str
    kind: str                      # xlsx | yaml | json | report-json
    unit: str
    year: int
    report_date: str | None
    cells: dict[str, int | float]  # every path of layout.leaf_paths()
    sections: dict[str, str] = field(default_factory=dict)    # overview / problems / other
    sources: dict[str, Source] = field(default_factory=dict)  # path or section.<key> -> where
    where: dict[str, str] = field(default_factory=dict)       # path -> Chinese name of that place


def read_filling(path: str) -> Filling:
    ext = os.path.splitext(path)[1].lower()
    if not os.path.exists(path):
        raise UsageError(f"找不到填报文件 {path}")
    if ext in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if ext in (".yaml", ".yml"):
        return _read_yaml(path)
    if ext in (".json", ".jsonl"):
        return _read_json(path)
    raise UsageError(f"不支持的填报文件类型“{ext or path}”：请使用 nianbao 生成的 .xlsx 模板，或 .yaml/.json 填报文件")


# ------------------------------------------------------------------------------ values

def parse_number(raw, decimal: bool = False):
    """(value, problem): the value a cell states, or a Chinese description of what is wrong."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return MISSING, "没有填写（没有的请填 0）"
    shown = raw if isinstance(raw, str) else _show(raw)
    if isinstance(raw, (bool, dt.date, dt.datetime, dt.time)):
        return None, f"应为{'不小于 0 的数' if decimal else '非负整数'}，填写的是“{shown}”"
    if isinstance(raw, str):
        s = unicodedata.normalize("NFKC", raw).strip().replace(",", "")
        if not re.fullmatch(r"[+-]?\d+(\.\d+)?", s):
            return None, f"应为{'不小于 0 的数（单位：万元）' if decimal else '非负整数'}，填写的是“{raw}”"
        raw = float(s) if "." in s else int(s)
    if not isinstance(raw, (int, float)):
        return None, f"应为非负整数，填写的是“{shown}”"
    if raw < 0:
        return None, f"{'金额' if decimal else '件数'}不能为负数，填写的是“{shown}”"
    if isinstance(raw, float):
        if raw.is_integer():
            raw = int(raw)
        elif not decimal:
            return None, f"件数应为整数，填写的是“{shown}”"
    return raw, None


def _show(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def parse_year(raw):
    if isinstance(raw, str):
        raw = raw.strip().removesuffix("年度").removesuffix("年")
        raw = int(raw) if raw.isdigit() else raw
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if not isinstance(raw, int) or isinstance(raw, bool):
        return None, f"应为年份（如 {dt.date.today().year - 1}），填写的是“{raw if raw is not None else ''}”"
    if raw < L.FIRST_YEAR_2021:
        return None, (f"{raw} 年度适用 2019 年试行格式（国办公开办函〔2019〕60号），"
                      "本模板是 2021 年格式（国办公开办函〔2021〕30号），只用于 2021 年度及以后")
    if raw > 2100:
        return None, f"年份“{raw}”不对"
    return raw, None


def parse_date(raw):
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    if isinstance(raw, dt.datetime):
        return raw.date().isoformat(), None
    if isinstance(raw, dt.date):
        return raw.isoformat(), None
    m = re.fullmatch(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*", str(raw))
    if m:
        try:
            return dt.date(*map(int, m.groups())).isoformat(), None
        except ValueError:
            pass
    return None, f"应为日期（如 2025-01-20），填写的是“{raw}”"


def _text(raw) -> str:
    if raw is None:
        return ""
    return (raw if isinstance(raw, str) else _show(raw)).strip()


def _finish(path, kind, problems, unit, year, date, cells, sections, sources, where, given_derived=None) -> Filling:
    """Cross-cell checks (negative carry-over, totals a report object printed) and the one error."""
    if not problems:
        from .compute import derive, negative_carry_problems
        problems += negative_carry_problems(cells)
        if given_derived:
            computed = derive(cells)
            for p, v in given_derived.items():
                if v is not None and computed[p] != v:
                    problems.append(f"{where.get(p, p)}：填写的是 {_show(v)}，按分项计算应为 {_show(computed[p])}"
                                    "（各合计由 nianbao 计算，请核对分项）")
    if problems:
        raise FillingError(path, problems)
    return Filling(path, kind, unit, year, date, cells, sections, sources, where)


# ------------------------------------------------------------------------------ XLSX

def _read_xlsx(path: str) -> Filling:
    from openpyxl import load_workbook
    try:
        wb = load_workbook(path, data_only=True)
    except Exception as exc:  # noqa: BLE001  (openpyxl raises many kinds for a non-workbook)
        raise UsageError(f"填报文件 {os.path.basename(path)} 无法作为 Excel 工作簿打开（{type(exc).__name__}）") from None
    problems: list[str] = []
    missing = [s for s in L.SHEETS if s not in wb.sheetnames]
    for s in missing:
        problems.append(f"缺少工作表“{s}”（工作表被删除或改名了？请使用 nianbao template 生成的模板）")
    if missing:
        extra = [s for s in wb.sheetnames if s not in L.SHEETS]
        if extra:
            problems.append("工作簿中有模板之外的工作表：" + "、".join(f"“{s}”" for s in extra))
    sheet_no = {s: i for i, s in enumerate(wb.sheetnames, 1)}
    formulas = None

    def raw(place: L.Place):
        nonlocal formulas
        v = wb[place.sheet].cell(place.row, place.col).value
        if v is None:  # a formula without a saved result reads as None under data_only
            if formulas is None:
                formulas = load_workbook(path, data_only=False)
            f = formulas[place.sheet].cell(place.row, place.col).value
            if isinstance(f, str) and f.startswith("="):
                return "公式" + f
        return v

    def where(place: L.Place) -> str:
        return place.where()

    # 基本信息
    info = L.info_places()
    unit = year = date = None
    if L.SHEET_INFO not in missing:
        fmt = _text(raw(info["format"]))
        ver = _text(raw(info["version"]))
        if fmt != L.TEMPLATE_FORMAT:
            problems.append(f"{where(info['format'])}：模板格式为“{fmt}”，nianbao 只接受 2021 年格式"
                            "（国办公开办函〔2021〕30号）的模板，请用 nianbao template 重新生成")
        elif ver != L.TEMPLATE_VERSION:
            problems.append(f"{where(info['version'])}：不是本版 nianbao 生成的填报模板（模板版本“{ver}”），请重新生成模板")
        unit = _text(raw(info["unit"]))
        if not unit:
            problems.append(f"{where(info['unit'])}：没有填写单位名称")
        year, err = parse_year(raw(info["year"]))
        if err:
            problems.append(f"{where(info['year'])}：{err}")
        date, err = parse_date(raw(info["report_date"]))
        if err:
            problems.append(f"{where(info['report_date'])}：{err}")

    # The grid must be where the template put it: a moved row would put numbers in wrong cells.
    bad_rows: set[tuple[str, int]] = set()
    for p in list(L.places().values()) + list(L.section_places().values()):
        if p.sheet in missing or (p.sheet, p.row) in bad_rows:
            continue
        got = _text(wb[p.sheet].cell(p.row, p.label_col).value)
        if got != p.row_label:
            bad_rows.add((p.sheet, p.row))
            coord = f"{p.sheet}!{chr(64 + p.label_col)}{p.row}"
            problems.append(f"{coord}：应为“{p.row_label}”，实际为“{got}”（模板的行被插入、删除或移动过，请使用原模板）")

    cells: dict[str, int | float] = {}
    sources: dict[str, Source] = {}
    places = L.places()
    wheres = {p: places[p].where() for p in schema.paths_2021()}
    for p in L.leaf_paths():
        pl = places[p]
        if pl.sheet in missing or (pl.sheet, pl.row) in bad_rows:
            continue
        r = raw(pl)
        if isinstance(r, str) and r.startswith("公式="):
            problems.append(f"{where(pl)}：填写的是{r}，但文件没有保存计算结果，请直接填写数字")
            continue
        v, err = parse_number(r, L.is_decimal(p))
        if err:
            problems.append(f"{where(pl)}：{err}")
        else:
            cells[p] = v
            sources[p] = Source(page=sheet_no[pl.sheet], row=pl.row, col=pl.col)
    sections: dict[str, str] = {}
    for key, pl in L.section_places().items():
        if pl.sheet not in missing and (pl.sheet, pl.row) not in bad_rows:
            sections[key] = _text(raw(pl))
            sources[f"section.{key}"] = Source(page=sheet_no[pl.sheet], row=pl.row, col=pl.col)
    return _finish(path, "xlsx", problems, unit, year, date, cells, sections, sources, wheres)


# ------------------------------------------------------------------------------ YAML / JSON

def _read_yaml(path: str) -> Filling:
    try:
        import yaml  # a dev dependency of the project; needed at runtime only for YAML fillings
    except ImportError:  # pragma: no cover
        raise UsageError("读取 YAML 填报文件需要安装 PyYAML（pip install pyyaml），或改用 .xlsx/.json") from None
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"第 {mark.line + 1} 行" if mark else ""
        raise UsageError(f"填报文件 {os.path.basename(path)} 不是有效的 YAML{at}：{getattr(exc, 'problem', exc)}") from None
    return _from_data(path, "yaml", data, _yaml_lines(node))


def _yaml_lines(node, prefix: str = "") -> dict[str, int]:
    import yaml
    out: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = f"{prefix}.{k.value}" if prefix else str(k.value)
            out[key] = k.start_mark.line + 1
            out.update(_yaml_lines(v, key))
    return out


def _read_json(path: str) -> Filling:
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    lines = [ln for ln in text.splitlines() if ln.strip()]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if len(lines) > 1 and all(ln.lstrip().startswith("{") for ln in lines):
            raise UsageError(f"填报文件 {os.path.basename(path)} 有 {len(lines)} 行 JSON：每次只能用一个报告，"
                             "请只保留一行") from None
        raise UsageError(f"填报文件 {os.path.basename(path)} 不是有效的 JSON（第 {exc.lineno} 行：{exc.msg}）") from None
    kind = "json"
    if isinstance(data, dict) and "report" in data:
        kind = "report-json"
        if data["report"] is None:
            raise UsageError(f"填报文件 {os.path.basename(path)} 中的检查结果没有 report（"
                             f"{data.get('file', '')} 读取失败：{data.get('error') or '原因不明'}）")
        data = data["report"]
    elif isinstance(data, dict) and "template" not in data:
        kind = "report-json"
    return _from_data(path, kind, data, {})


_TABLE_NAMES = {"active": "表二", "applications": "表三", "review_litigation": "表四"}


def _from_data(path: str, kind: str, data, lines: dict[str, int]) -> Filling:
    """Nested data keyed like spec/output.md's `report` (leaf cells required, totals optional)."""
    if not isinstance(data, dict):
        raise FillingError(path, ["文件内容应为一个对象（format、unit、year、active、applications、review_litigation…）"])
    problems: list[str] = []

    def where(key: str) -> str:
        name = schema.label_of(key) if key.count(".") == 2 else {
            "unit": "单位名称", "year": "年度", "report_date": "成文日期", "format": "报告格式"}.get(key, key)
        at = f"，第 {lines[key]} 行" if key in lines else ""
        return f"{key}（{name}{at}）"

    fmt = data.get("format", L.TEMPLATE_FORMAT)
    if str(fmt) != L.TEMPLATE_FORMAT or "extra_2019" in data:
        shown = "2019 年试行格式" if str(fmt) == schema.FORMAT_2019 or "extra_2019" in data else f"“{fmt}”格式"
        problems.append(f"{where('format')}：报告是{shown}，nianbao 只能按 2021 年格式（国办公开办函〔2021〕30号）生成报告")
        raise FillingError(path, problems)
    unit = _text(data.get("unit"))
    if not unit:
        problems.append(f"{where('unit')}：没有填写单位名称")
    year, err = parse_year(data.get("year"))
    if err:
        problems.append(f"{where('year')}：{err}")
    date, err = parse_date(data.get("report_date"))
    if err:
        problems.append(f"{where('report_date')}：{err}")

    expected: dict[str, dict[str, set[str]]] = {}
    for p in schema.paths_2021():
        t, a, b = p.split(".")
        expected.setdefault(t, {}).setdefault(a, set()).add(b)
    cells: dict[str, int | float] = {}
    sources: dict[str, Source] = {}
    given_derived: dict[str, int | float] = {}
    leaves = set(L.leaf_paths())
    for table, rows in expected.items():
        got = data.get(table)
        if not isinstance(got, dict):
            problems.append(f"{where(table)}：缺少{_TABLE_NAMES[table]}的数据" if got is None
                            else f"{where(table)}：应为对象")
            continue
        for a in got:
            if a not in rows:
                problems.append(f"{where(f'{table}.{a}')}：{_TABLE_NAMES[table]}没有这一项（键名拼写错误？）")
        for a, fields in rows.items():
            row = got.get(a)
            if not isinstance(row, dict):
                if any(f"{table}.{a}.{b}" in leaves for b in fields):
                    problems.append(f"{where(f'{table}.{a}')}：缺少这一行" if row is None else f"{where(f'{table}.{a}')}：应为对象")
                continue
            for b in row:
                if b not in fields:
                    problems.append(f"{where(f'{table}.{a}.{b}')}：没有这一栏（键名拼写错误？）")
            for b in fields:
                p = f"{table}.{a}.{b}"
                if p not in leaves:
                    if row.get(b) is not None:
                        v, err = parse_number(row[b], L.is_decimal(p))
                        if err:
                            problems.append(f"{where(p)}：{err}")
                        else:
                            given_derived[p] = v
                    continue
                v, err = parse_number(row.get(b), L.is_decimal(p))
                if err:
                    problems.append(f"{where(p)}：{err}")
                else:
                    cells[p] = v
                    sources[p] = Source(line=lines.get(p))
    sections: dict[str, str] = {}
    given = data.get("sections") or {}
    if not isinstance(given, dict):
        problems.append(f"{where('sections')}：应为对象（overview、problems、other）")
        given = {}
    for key in given:
        if key not in L.NARRATIVE_SECTIONS:
            problems.append(f"{where('sections.' + str(key))}：正文只填 overview（一）、problems（五）、other（六）三部分")
    for key in L.NARRATIVE_SECTIONS:
        sections[key] = _text(given.get(key))
        sources[f"section.{key}"] = Source(line=lines.get(f"sections.{key}"))
    wheres = {p: where(p) for p in schema.paths_2021()}
    return _finish(path, kind, problems, unit, year, date, cells, sections, sources, wheres, given_derived)
