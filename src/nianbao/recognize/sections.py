"""Finding the six sections: headings matched to the official titles, in order.

Sub-headings reuse the same numbering (“### 三、政务公开程序规范化举措” inside 一、总体情况) and
some reports repeat a heading, so a heading is not taken by its number alone: among all candidate
lines we choose the in-order assignment to the six titles with the highest total similarity.
"""
from __future__ import annotations

import re
from functools import lru_cache

from .. import schema
from ..document import Paragraph
from ..model import SectionText
from .labels import similarity
from .normalize import fold, fold_label, simplify

SYNONYMS = {
    "overview": ["总体情况", "概述", "基本情况"],
    "active": ["主动公开政府信息情况", "主动公开政府信息的情况"],
    "applications": ["收到和处理政府信息公开申请情况", "依申请公开政府信息情况"],
    "review_litigation": ["政府信息公开行政复议行政诉讼情况", "因政府信息公开工作被申请行政复议和提起行政诉讼情况",
                          "政府信息公开行政复议行政诉讼和行政申诉情况"],
    "problems": ["存在的主要问题及改进情况", "政府信息公开工作存在的主要问题及改进情况", "存在问题及改进情况",
                 "存在的主要问题和改进情况"],
    "other": ["其他需要报告的事项", "其他需要报告事项"],
}
_SYN_FOLDED = {k: [fold(s) for s in v] for k, v in SYNONYMS.items()}
_LEADING_NO = re.compile(r"^\s*(?:第([一二三四五六])部分|([一二三四五六])[、.．]|[（(]([一二三四五六])[)）]|([1-6])[、.．])")
_CN = "一二三四五六"
MIN_SCORE = 62.0


@lru_cache(maxsize=4096)
def _number(text: str) -> int | None:
    m = _LEADING_NO.match(simplify(text))
    if not m:
        return None
    g = next(x for x in m.groups() if x)
    return int(g) if g.isdigit() else _CN.index(g) + 1


@lru_cache(maxsize=8192)
def _score(text: str, key: str, no: int) -> float:
    f = fold_label(text)
    best = max(similarity(f, s) for s in _SYN_FOLDED[key])
    n = _number(text)
    if n == no:
        best += 6
    elif n is not None:
        best -= 10
    return best


_TITLE_WORDS = ("情况", "事项", "问题", "总体", "概述")


def _looks_like_heading(p: Paragraph) -> bool:
    """Short, not a sentence, and numbered, a markdown heading or worded like a section title."""
    t = p.text.strip()
    if not t or len(t) > 40 or t.endswith(("。", "；", ";")):
        return False
    return p.heading > 0 or _number(t) is not None or any(w in t for w in _TITLE_WORDS)


def find_sections(paragraphs: list[tuple[int, Paragraph]], item_count: int) -> dict[str, tuple[int, Paragraph]]:
    """Map section key -> (item index, heading paragraph) for the headings found."""
    cands = [(i, p) for i, p in paragraphs if _looks_like_heading(p)]
    keys = [s.key for s in schema.SECTIONS]
    scores = [[_score(p.text, k, n + 1) for n, k in enumerate(keys)] for _, p in cands]
    # dp over candidates: best[c][s] = (total, prev) with candidate c assigned to section s
    best: list[list[tuple[float, tuple[int, int] | None] | None]] = [[None] * 6 for _ in cands]
    for c in range(len(cands)):
        for s in range(6):
            if scores[c][s] < MIN_SCORE:
                continue
            top: tuple[float, tuple[int, int] | None] = (scores[c][s], None)
            for pc in range(c):
                for ps in range(s):
                    b = best[pc][ps]
                    if b is not None and b[0] + scores[c][s] > top[0]:
                        top = (b[0] + scores[c][s], (pc, ps))
            best[c][s] = top
    end = None
    for c in range(len(cands)):
        for s in range(6):
            b = best[c][s]
            if b is not None and (end is None or b[0] > best[end[0]][end[1]][0]):
                end = (c, s)
    found: dict[str, tuple[int, Paragraph]] = {}
    while end is not None:
        c, s = end
        found[keys[s]] = cands[c]
        end = best[c][s][1]
    return found


def find_misplaced(paragraphs: list[tuple[int, Paragraph]], found: dict) -> dict[str, tuple[int, Paragraph]]:
    """Sections left out of the in-order assignment whose heading is printed elsewhere, plainly."""
    used = {idx for idx, _ in found.values()}
    out = {}
    for n, s in enumerate(schema.SECTIONS):
        if s.key in found:
            continue
        for i, p in paragraphs:
            if i not in used and len(p.text.strip()) <= 40 and _score(p.text, s.key, n + 1) >= 95:
                out[s.key] = (i, p)
                break
    return out


def section_texts(items, found: dict[str, tuple[int, object]]) -> dict[str, SectionText]:
    """The prose of each found section (paragraphs between its heading and the next one)."""
    order = sorted((idx, key) for key, (idx, _) in found.items())
    out: dict[str, SectionText] = {}
    for n, (idx, key) in enumerate(order):
        stop = order[n + 1][0] if n + 1 < len(order) else len(items)
        paras = [(it.para.source, it.para.text) for it in items[idx + 1:stop] if it.para is not None]
        heading = found[key][1]
        out[key] = SectionText(key, heading.text, "\n".join(t for _, t in paras), heading.source, n, paragraphs=paras)
    for s in schema.SECTIONS:
        out.setdefault(s.key, SectionText(s.key, None, "", None, None))
    return out
