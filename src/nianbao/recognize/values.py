"""Reading one printed cell: a number, an explicit “not given” mark, a blank, or text.

What is printed is what is reported: “1,234” is 1234, “３” is 3, “5件” is 5 (unit noted), “/”
“—” “无” and blank are null (not 0), “251000元” in a 万元 cell is noted so a rule can warn.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .normalize import nfkc

NUMBER = "number"
NULL = "null"      # an explicit mark: / — - 无
BLANK = "blank"    # nothing printed
TEXT = "text"      # a label or other words

_NULL_MARKS = {"/", "\\", "—", "——", "-", "--", "–", "－", "－－", "无", "空", "n/a", "na", "×", "x", "*"}
_UNIT = re.compile(r"(万元|元|件|个|条|项|次|份|人|家|宗|起|%)$")
_NUM = re.compile(r"^[+-]?(?:\d+(?:\.\d+)?|\.\d+)$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9, "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8, "玖": 9}
_CN_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}


@dataclass(frozen=True, slots=True)
class Parsed:
    kind: str
    value: int | float | None = None
    unit: str | None = None
    note: str | None = None  # what reading it involved (thousands separators, a unit, full-width digits)


def chinese_int(text: str) -> int | None:
    """“三”→3, “十二”→12, “一百零五”→105, “二〇二四”→2024 (digit-by-digit); None if not a numeral."""
    if not text or any(ch not in _CN_DIGITS and ch not in _CN_UNITS and ch not in "万" for ch in text):
        return None
    if all(ch in _CN_DIGITS for ch in text) and len(text) > 1:
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            section += (digit if digit is not None else 1) * _CN_UNITS[ch]
            digit = None
        elif ch == "万":
            total += (section + (digit or 0)) * 10000
            section, digit = 0, None
    return total + section + (digit or 0)


@lru_cache(maxsize=8192)
def parse_cell(raw: str) -> Parsed:
    text = raw.strip().replace("\u3000", "").replace("\xa0", "")
    if not text:
        return Parsed(BLANK)
    t = nfkc(text).strip()
    if t.lower() in _NULL_MARKS or set(t) <= {"-", "—", "–", "/"}:
        return Parsed(NULL, note=None)
    notes = []
    if t != text:
        notes.append("全角数字")
    unit = None
    m = _UNIT.search(t)
    if m and len(t) > len(m.group(1)):
        unit = m.group(1)
        t = t[: m.start()].strip()
    t = t.replace("，", ",").replace(" ", "")
    if _THOUSANDS.match(t):
        t = t.replace(",", "")
        notes.append("千位分隔符")
    if _NUM.match(t):
        value: int | float = float(t) if "." in t else int(t)
        return Parsed(NUMBER, value, unit, "、".join(notes) or None)
    cn = chinese_int(t)
    if cn is not None:
        return Parsed(NUMBER, cn, unit, "中文数字")
    return Parsed(TEXT)
