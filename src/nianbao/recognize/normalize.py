"""Text folding for matching only — the raw text is always kept for provenance.

The caches are bounded (8192 entries): labels repeat across reports and stay cached, while the
prose of a corpus does not repeat, and unbounded caches would grow with every file of a batch.

Folding makes printed variants compare equal: full-width → half-width (NFKC), traditional →
simplified (OpenCC), whitespace and punctuation removed, leading numbering (“三、”“（一）”“1.”) cut.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_converters: dict[str, object] = {}


def _opencc(config: str, text: str) -> str:
    conv = _converters.get(config)
    if conv is None:
        import opencc  # loaded on first use: most reports need no conversion
        conv = _converters[config] = opencc.OpenCC(config)
    return conv.convert(text)


def _t2s(text: str) -> str:
    return _opencc("t2s", text)


def to_traditional(text: str) -> str:
    """Simplified → traditional (used by the report generator to print traditional labels)."""
    return _opencc("s2t", text)


_NON_WORD = re.compile(r"[\s\W_]+", re.UNICODE)
_NUMBERING = re.compile(
    r"^(?:第?[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）][、.．]?|\d+[、.．)）]|[①-⑩])\s*")
_HAS_CJK_TRAD = re.compile(r"[\u4e00-\u9fff]")


@lru_cache(maxsize=8192)
def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


@lru_cache(maxsize=8192)
def simplify(text: str) -> str:
    """NFKC + traditional→simplified; keeps punctuation and spacing."""
    t = nfkc(text)
    if _HAS_CJK_TRAD.search(t):
        t = _t2s(t)
    return t


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Comparable form: simplified, no spaces or punctuation."""
    return fold_once(text)


def fold_once(text: str) -> str:
    """`fold` without the cache, for one-off texts (a whole report's labels at once)."""
    t = unicodedata.normalize("NFKC", text)
    return _NON_WORD.sub("", _t2s(t) if _HAS_CJK_TRAD.search(t) else t)


@lru_cache(maxsize=8192)
def strip_numbering(text: str) -> str:
    """Cut leading numbering, repeatedly: “三、（一）予以公开” → “予以公开”."""
    t = simplify(text).strip()
    for _ in range(3):
        m = _NUMBERING.match(t)
        if not m:
            break
        t = t[m.end():].strip()
    return t


@lru_cache(maxsize=8192)
def fold_label(text: str) -> str:
    """Comparable form of a label: numbering cut, then folded."""
    return fold(strip_numbering(text))
