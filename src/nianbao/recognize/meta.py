"""Unit, year, title and report date from the lines around the tables.

The unit is taken as printed: the title line before the year (“大块镇 2024 年…”), or a name line
above a title that starts with the year, or the signature at the end — the fullest of these that
agree. The report date is the last date printed in the closing lines (the signature block).
"""
from __future__ import annotations

import re
from datetime import date

from ..document import Source
from .normalize import simplify
from ..numerals import chinese_int

_TITLE_WORDS = re.compile(r"政府信息公开.{0,6}(年度报告|年报|工作报告|报告)")
_YEAR = re.compile(r"((?:19|20)\d{2}|[二〇○零一三四五六七八九]{4})\s*年")
_ORG = re.compile(r"(人民政府|政府|办事处|街道|镇|乡|局|委员会|委|办公室|办公厅|厅|院|所|中心|管委会|管理委员会|公司|站|队|处|署|会|社区|村)$")
_DATE = re.compile(r"((?:19|20)\d{2}|[二〇○零一三四五六七八九]{4})\s*[年./-]\s*([0-9０-９一二三四五六七八九十]{1,3})\s*[月./-]\s*([0-9０-９一二三四五六七八九十]{1,3})\s*日?")
_NOISE = re.compile(r"\[bookmark:[^\]]*\]|[#*_`]")


def _num(text: str) -> int | None:
    text = simplify(text).replace("○", "〇")
    if text.isdigit():
        return int(text)
    return chinese_int(text)


def parse_year(text: str) -> int | None:
    m = _YEAR.search(simplify(text))
    if not m:
        return None
    y = _num(m.group(1))
    return y if y and 1990 <= y <= 2100 else None


def parse_date(text: str) -> str | None:
    found = None
    for m in _DATE.finditer(simplify(text).replace("○", "〇")):
        y, mo, d = (_num(g) for g in m.groups())
        try:
            found = date(y, mo, d).isoformat() if y and mo and d else found
        except ValueError:
            continue
    return found


def clean(text: str) -> str:
    return _NOISE.sub("", text).strip()


def find_title(paras: list[tuple[Source, str]]) -> tuple[int, str] | None:
    """The title line; failing that, a title wrapped over two or three short lines (a long centred
    title in a PDF or a scan comes out as separate lines: “…政府信息公” / “开工作年度报告”)."""
    def is_title(text: str) -> bool:
        return bool(_TITLE_WORDS.search(simplify(text).replace(" ", ""))) and len(text) <= 80
    head = paras[:12]
    for n, (_, text) in enumerate(head):
        if is_title(text):
            return n, text
    for n, (_, text) in enumerate(head):
        joined = text
        for _, more in head[n + 1:n + 3]:
            if len(joined) > 40 or _SENTENCE_END.search(joined):
                break
            joined += more
            if is_title(joined):
                return n, joined
    return None


_SENTENCE_END = re.compile(r"[。；;：:，,]\s*$")


def org_name(text: str) -> str | None:
    t = clean(text).replace(" ", "").replace("\u3000", "")
    if 2 <= len(t) <= 40 and _ORG.search(simplify(t)) and not re.search(r"[，。；：:]", t):
        return t
    return None


def unit_from_title(title: str) -> str | None:
    t = clean(title).replace(" ", "").replace("\u3000", "")
    m = _YEAR.search(simplify(t))
    head = t[: m.start()] if m else _TITLE_WORDS.split(simplify(t))[0]
    head = head.strip("《》“”\"' ")
    return head or None


def pick_unit(candidates: list[str]) -> str | None:
    """The fullest name among candidates that agree (one contains another); else the first."""
    cands = [c for c in candidates if c]
    if not cands:
        return None
    first = cands[0]
    best = first
    for c in cands[1:]:
        core = re.sub(r"(人民政府|政府)$", "", best)
        if core and core in c and len(c) > len(best):
            best = c
    return best
