"""Decode the bytes of a text report without ever crashing on an encoding.

Order matters: BOMs first, then UTF-16 without BOM (recognised by its NUL-byte pattern), then strict
UTF-8, then strict GB18030 (a superset of GBK/GB2312, what Chinese Windows writes), then
charset-normalizer's best guess. Binary junk is refused with a Chinese message instead of decoded.
"""
from __future__ import annotations

import codecs

from ..errors import ReadError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:65536]
    if len(sample) < 4:
        return None
    sample = sample[: len(sample) // 2 * 2]
    even_nul = sample[0::2].count(0) / (len(sample) / 2)
    odd_nul = sample[1::2].count(0) / (len(sample) / 2)
    # Digits, tabs and newlines put NULs in one byte lane only; Chinese characters in neither.
    for name, lane, other in (("utf-16-le", odd_nul, even_nul), ("utf-16-be", even_nul, odd_nul)):
        if lane > 0.02 and other < lane / 2:
            try:
                text = sample.decode(name)
            except UnicodeDecodeError:
                continue
            if _mostly_cjk_or_ascii(text):
                return name
    # Chinese prose has almost no NULs (a newline or a digit somewhere has one); decoded in the right
    # byte order it is nearly all common CJK, ASCII and CJK punctuation, which a wrong decoding of
    # any other encoding is not.
    return _utf16_plausible(sample) if b"\x00" in sample else None


def _utf16_plausible(sample: bytes) -> str | None:
    sample = sample[: len(sample) // 2 * 2]
    for name in ("utf-16-le", "utf-16-be"):
        try:
            text = sample.decode(name)
        except UnicodeDecodeError:
            continue
        if _plausible_chinese(text):
            return name
    return None


def _plausible_chinese(text: str) -> bool:
    if len(text) < 20:
        return False
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    ok = sum(1 for ch in text if ch.isascii() or "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f"
             or "\uff00" <= ch <= "\uffef" or ch in "“”‘’…—·")
    return cjk / len(text) > 0.3 and ok / len(text) > 0.98


def _looks_binary(text: str) -> bool:
    if not text:
        return False
    sample = text[:20000]
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\t\n\r\f\v") or ch == "\ufffd")
    return bad / len(sample) > 0.02


def decode(data: bytes) -> tuple[str, str]:
    """Return (text, encoding name). Raises ReadError for binary or undecodable content."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError as exc:
                raise ReadError(f"文件以 {name} 标记开头，但内容无法按该编码解码（{exc.reason}）") from None
    guess16 = _utf16_without_bom(data)
    if guess16:
        try:
            return data.decode(guess16), guess16
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:8000]:
        raise ReadError("不是文本文件：内容含二进制数据（可能是损坏的文件或其他格式的文件）")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # GB18030 decodes almost any byte string, Big5 included, into rare characters: keep the
    # decoding that reads like Chinese text.
    decoded = []
    for rank, name in enumerate(("gb18030", "big5")):
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        if not _looks_binary(text):
            decoded.append((_oddness(text), rank, name, text))
            if decoded[-1][0] == 0:
                break
    if decoded:
        odd, _, name, text = min(decoded)
        if odd < 0.05:
            return text, name
    guess16 = _utf16_plausible(data[:65536])  # UTF-16 without BOM and without a single NUL early on
    if guess16:
        try:
            return data.decode(guess16), guess16
        except UnicodeDecodeError:
            pass
    try:
        from charset_normalizer import from_bytes
        best = from_bytes(data[:200000]).best()
    except Exception:  # pragma: no cover - charset-normalizer never raises on bytes, but be safe
        best = None
    if best is not None and best.encoding:
        text = data.decode(best.encoding, errors="replace")
        if not _looks_binary(text) and _mostly_cjk_or_ascii(text):
            return text, best.encoding
    raise ReadError("无法识别文件编码：既不是 UTF-8、GB18030/GBK，也不是 UTF-16，可能是二进制文件或已损坏")


def _oddness(text: str) -> float:
    """Share of characters a wrong CJK decoding produces: private use, kana, box drawing, rare CJK."""
    sample = text[:20000]
    cjk = odd = 0
    for ch in sample:
        o = ord(ch)
        if 0x4E00 <= o <= 0x9FFF:
            cjk += 1
        elif 0xE000 <= o <= 0xF8FF or 0x3040 <= o <= 0x30FF or 0x2500 <= o <= 0x257F or 0x3400 <= o <= 0x4DBF \
                or 0xFF61 <= o <= 0xFF9F or o == 0xFFFD:
            odd += 1
    return odd / max(1, cjk + odd)


def _mostly_cjk_or_ascii(text: str) -> bool:
    sample = text[:20000]
    if not sample:
        return True
    ok = sum(1 for ch in sample if ch.isascii() or "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f"
             or "\uff00" <= ch <= "\uffef")
    return ok / len(sample) > 0.9
