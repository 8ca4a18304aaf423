"""Label matching by similarity to the official labels.

Printed labels carry typos (本年度止件数), renamings, traditional characters, numbering drift and
labels cut by line wraps (“部分公开（区分处理的，只”). Instead of listing variants we compare folded
labels with the official ones: exact > prefix/suffix fragment > contained > edit-distance ratio.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.fuzz import ratio

from .. import schema
from .normalize import fold, fold_label


@dataclass(frozen=True, slots=True)
class Target:
    kind: str   # row | group | column | field | item | rlgroup | rlfield | section | header
    key: str
    label: str


@dataclass(frozen=True, slots=True)
class Match:
    target: Target
    score: float
    exact: bool


class Vocabulary:
    """A set of official labels that a printed label is matched against."""

    def __init__(self, name: str, targets: list[Target], threshold: float = 72.0):
        self.name = name
        self.targets = targets
        self.threshold = threshold
        self._folded = [(fold_label(t.label), t) for t in targets]

    def match(self, text: str) -> Match | None:
        return _match(self, fold_label(text))

    def __hash__(self) -> int:
        return id(self)


def similarity(a: str, b: str) -> float:
    if a == b:
        return 100.0
    if not a or not b:
        return 0.0
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= 4 and (long_.startswith(short) or long_.endswith(short)):
        return 88.0 + 10.0 * len(short) / len(long_)
    if len(short) >= 5 and short in long_:
        return 84.0 + 10.0 * len(short) / len(long_)
    score = ratio(a, b)
    if len(short) >= 6 and len(long_) > len(short) + 2:
        # The first part of a label cut by a line wrap, printed with a typo (确认或重复 / 确认或重新出具…).
        score = max(score, 0.9 * ratio(short, long_[: len(short)]))
    return score


@lru_cache(maxsize=8192)
def _match(vocab: Vocabulary, folded: str) -> Match | None:
    if not folded:
        return None
    best: Match | None = None
    for f, t in vocab._folded:
        s = similarity(folded, f)
        if best is None or s > best.score:
            best = Match(t, s, folded == f)
            if s == 100.0:
                break
    if best is None or best.score < vocab.threshold:
        return None
    return best


def _app_row_targets() -> list[Target]:
    out = [Target("row", r.key, r.label) for r in schema.APP_ROWS]
    # The official label of （二） carries its note; the bare words are what most tables print.
    out.append(Target("row", "partially_granted", "部分公开"))
    out.append(Target("row", "other_no_correction", "申请人无正当理由逾期不补正"))
    out.append(Target("row", "other_fee_unpaid", "申请人逾期未按收费通知要求缴纳费用"))
    out += [Target("group", key, label) for key, _, label in schema.OUTCOME_GROUPS_2021]
    return out


APP_ROWS = Vocabulary("applications.rows", _app_row_targets())
APP_COLUMNS = Vocabulary("applications.columns", [Target("column", c.key, c.label) for c in schema.APP_COLUMNS] + [
    Target("column", "legal_subtotal", "小计"),
    Target("header", "legal_group", "法人或其他组织"),
    Target("header", "applicant", "申请人情况"),
], threshold=80.0)

ACTIVE_ITEMS = Vocabulary("active.items", [Target("item", i.key, i.label) for i in schema.ACTIVE_ITEMS]
                          + [Target("item2019", i.key, i.label) for i in schema.ACTIVE_ITEMS_2019
                             if i.key not in ("regulations", "licensing", "punishment", "coercion", "fees")]
                          + [Target("header", "content", "信息内容")], threshold=80.0)
ACTIVE_FIELDS = Vocabulary("active.fields",
                           [Target("field", f.key, f.label) for f in schema.ACTIVE_ITEMS[0].fields]
                           + [Target("field", "decisions", "本年处理决定数量"),
                              Target("field", "amount_wan_yuan", "本年收费金额（单位：万元）"),
                              Target("field", "amount_wan_yuan", "本年收费金额")]
                           + [Target("field2019", f.key, f.label) for i in schema.ACTIVE_ITEMS_2019 for f in i.fields],
                           threshold=75.0)

RL_GROUPS = Vocabulary("review_litigation.groups", [Target("rlgroup", k, lbl.split("·")[-1]) for k, lbl in schema.RL_GROUPS]
                       + [Target("rlgroup", "review", "行政复议"), Target("header", "litigation", "行政诉讼")],
                       threshold=80.0)
RL_FIELDS = Vocabulary("review_litigation.fields", [Target("rlfield", k, lbl) for k, lbl in schema.RL_FIELDS]
                       + [Target("rlfield", "upheld", "维持"), Target("rlfield", "corrected", "纠正"),
                          Target("rlfield", "pending", "尚未审结"), Target("rlfield", "other", "其他结果")],
                       threshold=80.0)


_INNER_NUMBERING = re.compile(r"\s*(?:[（(][一二三四五六七八九十]{1,3}[)）]|(?<![\d.])\d{1,2}[.．、](?!\d)|[一二三四五六七八九十]{1,2}、)")


def last_segment(text: str) -> str:
    """The most specific label in a cell that holds several: “三、本年度办理结果 (一) 予以公开” →
    “(一) 予以公开”. Space-separated text (from PDFs) puts a row's group and item labels in one cell."""
    starts = [m.start() for m in _INNER_NUMBERING.finditer(text) if m.start() > 0]
    return text[starts[-1]:].strip() if starts else text


def is_fragment(printed: str, official: str) -> bool:
    """True when the printed label is the official one cut by a line wrap (or equal to it)."""
    p, o = fold_label(printed), fold_label(official)
    return bool(p) and (p == o or o.startswith(p) or o.endswith(p))


def differs(m: Match, printed: str) -> bool:
    """A printed label whose wording really differs from the official one (FMT-06 material)."""
    return not m.exact and m.score < 98 and not is_fragment(printed, m.target.label)


def is_note(text: str) -> bool:
    """The 勾稽关系 note printed in 表三's corner cell."""
    f = fold(text)
    return "勾稽" in f or "第一项加第二项之和" in f
