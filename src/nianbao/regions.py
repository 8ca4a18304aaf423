"""Which unit a report belongs to and where it sits in the administrative divisions, so that the
corpus store can group reports of the same unit across years and roll them up by region.

Everything here is derived from the printed name (title or signature) plus an optional user mapping
file, because reports carry no code of the division. The name parser is deliberately timid: names of
places contain the very characters that mark a division (巡镇镇, 镇江市, 市中区, 城区街道), so when two
readings are equally plausible we return "no region" rather than guess — a missing region is visible
and fixable with the mapping file, a wrong one silently files reports under another county.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from . import units
from .errors import UsageError

PROVINCE, CITY, COUNTY = "province", "city", "county"
TOWNSHIP, SUBDISTRICT, DEPARTMENT = "township", "subdistrict", "department"
# Finer than units.TOWNSHIP/GOVERNMENT/DEPARTMENT (units.TOWNSHIP covers 乡镇 and 街道 alike).
LEVELS = {PROVINCE: "省", CITY: "市", COUNTY: "县", TOWNSHIP: "乡镇", SUBDISTRICT: "街道", DEPARTMENT: "部门"}
DIVISION_LEVELS = (PROVINCE, CITY, COUNTY, TOWNSHIP, SUBDISTRICT)

_LEVEL_WORDS = {
    PROVINCE: "省 省级 自治区 直辖市 特别行政区 province provincial",
    CITY: "市 地级 地级市 市级 州 自治州 盟 地区 city prefecture",
    COUNTY: "县 县级 区 市辖区 县级市 旗 自治县 自治旗 区县 县区 county district",
    TOWNSHIP: "乡镇 乡 镇 苏木 民族乡 township town",
    SUBDISTRICT: "街道 街道办 街道办事处 subdistrict street",
    DEPARTMENT: "部门 政府部门 工作部门 department dept",
}
_LEVEL_ALIASES = {w: k for k, ws in _LEVEL_WORDS.items() for w in ws.split()} | {k: k for k in LEVELS}

# Division suffixes, longest first so that 自治区 is not read as 区 after a stem "内蒙古自治".
_SUFFIXES = (("特别行政区", PROVINCE), ("自治区", PROVINCE), ("自治州", CITY), ("自治县", COUNTY),
             ("自治旗", COUNTY), ("地区", CITY), ("街道", SUBDISTRICT), ("苏木", TOWNSHIP),
             ("省", PROVINCE), ("市", CITY), ("州", CITY), ("盟", CITY), ("县", COUNTY), ("区", COUNTY),
             ("旗", COUNTY), ("镇", TOWNSHIP), ("乡", TOWNSHIP))
_DIV_CHARS = set("省市州盟县区旗镇乡")
_RANK = {PROVINCE: 0, CITY: 1, COUNTY: 2, TOWNSHIP: 3, SUBDISTRICT: 3}
_MUNICIPALITIES = {"北京市", "天津市", "上海市", "重庆市"}
# Names ending in 区 that are not divisions: zones, parks, residential communities.
_NOT_DIVISION = re.compile(r"(社区|小区|校区|片区|园区|景区|开发区|高新区|工业区|保护区|试验区|实验区|示范区|"
                           r"合作区|功能区|管理区|保税区|自贸区|商务区|服务区|作业区|风景区|林场区)$")
_BAD_STEM = re.compile(r"政府|委员会|银行|公司|[局厅]|^(中共|中国|国家)")
_HAN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+$")
# Department names that legitimately begin with a division character (XX市|市场监督管理局).
_DEPT_STARTS = ("市场", "市政", "市容", "市民", "区域", "县域", "乡村", "乡镇", "镇村")
_DEPT_END = re.compile(r"(局|委员会|委|办公室|办公厅|厅|中心|院|所|站|署|办|部|处|队|会|馆|社|银行|公署)$")
_GOV_SUFFIX = re.compile(r"(人民政府|政府)$")
_BRACKETS = str.maketrans({"(": "（", ")": "）"})


def normalize_unit(name: str) -> str:
    """Canonical key of a unit. A government and its area are one unit (XX镇人民政府 = XX镇, XX街道办事处
    = XX街道), but its 办公室 or any department is a body of its own and keeps its full name. Traditional
    characters are left alone: converting them could merge names that are genuinely different."""
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", name or "")).translate(_BRACKETS)
    s = s.strip("《》“”\"'‘’「」:：,，。.")
    if m := re.search(r"街道(办事处|办)$", s):
        return s[:m.start() + 2] if m.start() >= 1 else s
    if s.endswith("行政公署") and re.search(r"..(地区|盟)行政公署$", s):
        return s[:-4]
    if (m := _GOV_SUFFIX.search(s)) and _division_level(s[:m.start()], whole=True):
        return s[:m.start()]
    # XX县政府办公室 / XX县政府办 are the same office as XX县人民政府办公室.
    if (m := re.search(r"(?<!人民)政府(办公室|办)$", s)) and _division_level(s[:m.start()], whole=True):
        return s[:m.start()] + "人民政府办公室"
    return s


def parse_level(text: str | None) -> str | None:
    """Level key from a mapping-file cell, English or Chinese; None when the cell is empty."""
    t = unicodedata.normalize("NFKC", text or "").strip().lower()
    if not t:
        return None
    if t in _LEVEL_ALIASES:
        return _LEVEL_ALIASES[t]
    raise ValueError(f"无法识别的层级“{text}”，应为 省、市、县、乡镇、街道、部门 之一"
                     f"（或 {'、'.join(LEVELS)}）")


def coarse_level(level: str | None) -> str | None:
    """The level as units.py (and the deadline rules) know it."""
    if level in (TOWNSHIP, SUBDISTRICT):
        return units.TOWNSHIP
    if level in (PROVINCE, CITY, COUNTY):
        return units.GOVERNMENT
    return units.DEPARTMENT if level == DEPARTMENT else None


def _segment(seg: str) -> tuple[str, int] | None:
    """(level, penalty) of one would-be division name, or None if it cannot be one. The penalty counts
    division characters inside the stem — each is a hint that the split is in the wrong place, a
    character in the middle (阳泉市城|区) more so than one at either end (巡镇|镇, 市中|区)."""
    if _NOT_DIVISION.search(seg):
        return None
    for suffix, level in _SUFFIXES:
        if seg.endswith(suffix) and len(seg) > len(suffix):
            stem = seg[:-len(suffix)]
            break
    else:
        return None
    if not _HAN.match(stem) or _BAD_STEM.search(stem) or len(stem) > 12 or (suffix == "州" and len(stem) < 2):
        return None
    penalty = (stem[0] in _DIV_CHARS) + 2 * sum(c in _DIV_CHARS for c in stem[1:-1])
    penalty += len(stem) >= 2 and stem[-1] in _DIV_CHARS and stem[-1] != "州"  # 郑州市, 通州区
    penalty += len(stem) == 1 and suffix != "县"  # 易县 is common, 城区 less so
    return level, penalty


@lru_cache(maxsize=4096)
def _paths(s: str, prev_rank: int = -1) -> tuple[tuple[int, tuple[str, ...], tuple[str, ...]], ...]:
    """Every reading of `s` as a path of divisions with strictly falling level: (penalty, names, levels)."""
    out = []
    for j in range(2, len(s) + 1):
        seg = _segment(s[:j])
        if seg is None:
            continue
        level, penalty = seg
        if s[:j] in _MUNICIPALITIES and prev_rank < 0:
            level = PROVINCE
        rank = _RANK[level]
        if level == CITY and s[j - 1] == "市" and rank <= prev_rank:
            level, rank = COUNTY, 2  # 县级市 under a 地级市 or 自治州
        if rank <= prev_rank:
            continue
        if j == len(s):
            out.append((penalty, (s,), (level,)))
        else:
            out += [(penalty + p, (s[:j],) + names, (level,) + lv) for p, names, lv in _paths(s[j:], rank)]
    return tuple(out)


def _best(cands: list[tuple[int, int, tuple[str, ...], tuple[str, ...]]]):
    """The least-penalised reading (ties broken by the longer prefix); None when the winner is not unique."""
    if not cands:
        return None
    top = min(cands, key=lambda c: (c[0], -c[1]))
    rivals = {(c[2], c[3]) for c in cands if c[0] == top[0] and c[1] == top[1]}
    return top if len(rivals) == 1 else None


def _parse_whole(s: str):
    return _best([(p, len(s), names, lv) for p, names, lv in _paths(s)])


def _division_level(s: str, whole: bool = False) -> str | None:
    best = _parse_whole(s)
    if best:
        return best[3][-1]
    seg = None if whole or len(s) < 2 else _segment(s)
    return (PROVINCE if s in _MUNICIPALITIES else seg[0]) if seg else None


def unit_level(name: str) -> str | None:
    """Level from the name alone. 'XX市' is a 市 (only the mapping file knows a 县级市), except the four
    municipalities, which are province-level."""
    key = normalize_unit(name)
    if len(key) < 2:
        return None
    if level := _division_level(key):
        return level
    return DEPARTMENT if _DEPT_END.search(key) else None


def region_from_name(name: str) -> tuple[str, ...]:
    """Division path printed at the start of the name. For a division the last element is the unit
    itself; for a department (or anything else) it is the region of the government it belongs to."""
    key = normalize_unit(name)
    key = key.removeprefix("中共")  # 中共XX县委办公室 sits in XX县 too
    if len(key) < 2:
        return ()
    if _paths(key):
        best = _parse_whole(key)
        return best[2] if best else ()
    cands = []
    for i in range(2, len(key) - 1):
        rest = key[i:]
        bad_start = rest[0] in _DIV_CHARS and not rest.startswith(_DEPT_STARTS)
        cands += [(p + bad_start, i, names, lv) for p, names, lv in _paths(key[:i])]
    best = _best(cands)
    return best[2] if best else ()


@dataclass(frozen=True, slots=True)
class MappingEntry:
    unit: str                   # normalised key (normalize_unit)
    region: tuple[str, ...]     # division path; ends with the unit itself for a division
    level: str | None
    parent: str | None


class Mapping:
    """User-supplied facts about units, looked up by printed name."""

    def __init__(self, entries: Iterable[MappingEntry] = (), source: str | None = None):
        self.source = source
        self._by_key: dict[str, MappingEntry] = {e.unit: e for e in entries}
        # Proper suffixes (≥ 2 characters) of every entry, so that a lookup costs the length of a
        # name, not the size of the mapping (a national mapping has tens of thousands of units).
        self._by_suffix: dict[str, list[MappingEntry]] = {}
        for e in self._by_key.values():
            for i in range(1, len(e.unit) - 1):
                self._by_suffix.setdefault(e.unit[i:], []).append(e)
        self._cache: dict[str, MappingEntry | None] = {}

    def __len__(self) -> int:
        return len(self._by_key)

    def __iter__(self) -> Iterator[MappingEntry]:
        return iter(self._by_key.values())

    def lookup(self, printed_name: str) -> MappingEntry | None:
        """Exact normalised match first. Otherwise a unique suffix match whose left-over part is a
        division path: entry 巡镇镇 matches 河曲县巡镇镇人民政府 (when the entry's region, if given,
        contains 河曲县), and a printed 巡镇镇 matches entry 河曲县巡镇镇. A department entry needs its
        region to confirm the prefix — every county has a 卫生健康委员会. Ambiguity gives None."""
        if printed_name in self._cache:
            return self._cache[printed_name]
        found = self._lookup(normalize_unit(printed_name))
        self._cache[printed_name] = found
        return found

    def _lookup(self, key: str) -> MappingEntry | None:
        if not key:
            return None
        if key in self._by_key:
            return self._by_key[key]
        found = []
        for i in range(1, len(key) - 1):  # entries that are a proper suffix of the printed name
            e = self._by_key.get(key[i:])
            if e is None:
                continue
            best = _parse_whole(key[:i])
            if best and (all(p in e.region for p in best[2]) if e.region else
                         (e.level or unit_level(e.unit)) in DIVISION_LEVELS):
                found.append(e)
        if _division_level(key) is not None:  # entries of which the printed name is a proper suffix
            found += [e for e in self._by_suffix.get(key, ()) if _parse_whole(e.unit[:-len(key)])]
        return found[0] if len(found) == 1 else None


_HEADERS = {
    "unit": ("unit", "单位", "单位名称", "机关名称"),
    "region": ("region", "区划", "区划路径", "地区", "行政区划"),
    "level": ("level", "层级", "级别"),
    "parent": ("parent", "上级", "上级单位"),
}
_HEADER_ALIAS = {a: k for k, al in _HEADERS.items() for a in al}
_REGION_SEP = re.compile(r"[/>\\→—–-]")


def _decode(data: bytes, where: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 — a superset of the GBK that Excel
    on Chinese Windows writes."""
    if data.startswith(b"PK\x03\x04"):
        raise UsageError(f"{where} 第 1 行：这是 Excel 工作簿或压缩文件，不是 CSV；请在 Excel 中“另存为 CSV”")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_error = exc.start
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        # Report where the file stops being what it mostly is: UTF-8 if Chinese text came before the bad byte.
        ascii_run = next((i for i, b in enumerate(data) if b >= 0x80), len(data))
        line = data.count(b"\n", 0, utf8_error if utf8_error > ascii_run else exc.start) + 1
        raise UsageError(f"{where} 第 {line} 行：无法识别文件编码（应为 UTF-8 或 GBK/GB18030）") from None


def load_mapping(path) -> Mapping:
    """Read a unit mapping CSV: header row (单位, 区划, 层级, 上级 or unit, region, level, parent; only
    单位 and one other column are required), one unit per row, '#' rows are comments. The region may
    omit a division's own name; it is appended so that every division's path ends with itself."""
    where = f"映射文件 {path}"
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise UsageError(f"无法读取映射文件 {path}：{exc.strerror or exc}") from None
    text = _decode(data, where)
    if "\x00" in text:
        raise UsageError(f"{where} 第 1 行：文件含有二进制内容，不是 CSV 文本文件")
    text = text.replace("\ufeff", "")
    if not text.strip():
        raise UsageError(f"{where} 第 1 行：文件是空的，应有表头行（单位,区划,层级,上级）")
    first = text.lstrip().split("\n", 1)[0]
    delim = "\t" if "\t" in first and "," not in first else ("，" if "，" in first and "," not in first else ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
    columns: dict[str, int] | None = None
    entries: dict[str, tuple[MappingEntry, int]] = {}
    try:
        for row in reader:
            line = reader.line_num
            cells = [unicodedata.normalize("NFKC", c).strip() for c in row]
            if not any(cells) or cells[0].startswith("#"):
                continue
            if columns is None:
                columns, width = _header(cells, where, line), len(cells)
                continue
            if any(cells[width:]):
                raise UsageError(f"{where} 第 {line} 行：列数多于表头（单元格里的逗号要用引号括起来）")
            entry = _entry({k: cells[i] if i < len(cells) else "" for k, i in columns.items()}, where, line)
            if entry.unit in entries and entries[entry.unit][0] != entry:
                raise UsageError(f"{where} 第 {line} 行：单位“{entry.unit}”与第 {entries[entry.unit][1]} 行重复且内容不同")
            entries.setdefault(entry.unit, (entry, line))
    except csv.Error as exc:
        raise UsageError(f"{where} 第 {reader.line_num} 行：CSV 格式错误（{exc}）") from None
    if columns is None:
        raise UsageError(f"{where} 第 1 行：文件是空的，应有表头行（单位,区划,层级,上级）")
    return Mapping((e for e, _ in entries.values()), source=str(path))


def _header(cells: list[str], where: str, line: int) -> dict[str, int]:
    columns: dict[str, int] = {}
    for i, c in enumerate(cells):
        key = _HEADER_ALIAS.get(c.lower())
        if key in columns:
            raise UsageError(f"{where} 第 {line} 行：表头中“{c}”列重复")
        if key:
            columns[key] = i
    if "unit" not in columns:
        raise UsageError(f"{where} 第 {line} 行：表头缺少“单位”列（可写作 单位、单位名称 或 unit）")
    if len(columns) < 2:
        raise UsageError(f"{where} 第 {line} 行：表头至少还需要“区划”“层级”“上级”中的一列")
    return columns


def _entry(row: dict[str, str], where: str, line: int) -> MappingEntry:
    unit = normalize_unit(row.get("unit", ""))
    if not unit:
        raise UsageError(f"{where} 第 {line} 行：缺少单位名称")
    try:
        level = parse_level(row.get("level"))
    except ValueError as exc:
        raise UsageError(f"{where} 第 {line} 行：{exc}") from None
    region = tuple(normalize_unit(p) for p in _REGION_SEP.split(row.get("region", "")) if p.strip())
    if region and region[-1] != unit and (level or unit_level(unit)) in DIVISION_LEVELS:
        # the division's own name, without the prefix the path already has: 玉乐县宁江镇 under
        # …/玉乐县 ends the path with 宁江镇, not 玉乐县宁江镇
        own = region_from_name(unit) or (unit,)
        region += tuple(p for p in own if p not in region) or (unit,)
    parent = normalize_unit(row.get("parent", "")) or None
    return MappingEntry(unit, region, level, parent)


@dataclass(frozen=True, slots=True)
class UnitInfo:
    key: str                    # grouping key: the mapping's unit when matched, else normalize_unit
    name: str                   # the name as printed, whitespace removed
    level: str | None
    region: tuple[str, ...]
    parent: str | None


def resolve_unit(printed_name: str, mapping: Mapping | None = None) -> UnitInfo:
    """Facts about a unit: the mapping file wins field by field, the name fills the gaps. The default
    parent is the government a department belongs to, or the division just above a division."""
    name = re.sub(r"\s+", "", printed_name or "")
    key = normalize_unit(name)
    entry = mapping.lookup(name) if mapping else None
    level, region = unit_level(key), region_from_name(key)
    if entry:
        named = region_from_name(entry.unit)
        region = entry.region or (region if len(region) >= len(named) else named)
        level = entry.level or level or unit_level(entry.unit)
        key = entry.unit
    parent = entry.parent if entry and entry.parent else None
    if parent is None and region and level == DEPARTMENT:
        parent = region[-1]
    elif parent is None and len(region) >= 2 and level in DIVISION_LEVELS:
        parent = region[-2]
    return UnitInfo(key, name, level, region, parent)
