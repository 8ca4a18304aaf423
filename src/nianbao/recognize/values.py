"""Reading one printed cell: a number, an explicit “not given” mark, a blank, or text.

What is printed is what is reported: “1,234” is 1234, “３” is 3, “5件” is 5 (unit noted), “/”
“—” “无” and blank are null (not 0), “251000元” in a 万元 cell is noted so a rule can warn.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..numerals import chinese_int
from .normalize import nfkc

NUMBER = "number"
NULL = "null"      # an explicit mark: / — - 无
BLANK = "blank"    # nothing printed
TEXT = "text"      # a label or other words

_NULL_MARKS = {"/", "\\", "—", "——", "-", "--", "–", "－", "－－", "无", "空", "n/a", "na", "×", "x", "*"}
_UNIT = re.compile(r"(万元|元|件|个|条|项|次|份|人|家|宗|起|%)$")
_NUM = re.compile(r"^[+-]?(?:\d+(?:\.\d+)?|\.\d+)$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


@dataclass(frozen=True, slots=True)
class Parsed:
    kind: str
    value: int | float | None = None
    unit: str | None = None
    note: str | None = None  # what reading it involved (thousands separators, a unit, full-width digits)


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
