"""Readers: one module per format, one contract — ``read(path) -> Document``.

A reader is registered by file suffix and may claim files by content (a ``.doc`` that is really
HTML exists). Readers never import the recognizer or rules: they only turn bytes into a Document.
"""
from __future__ import annotations

import os
from collections.abc import Callable

from ..document import Document
from ..errors import ReadError

ReaderFn = Callable[[str, bytes], Document]

_BY_SUFFIX: dict[str, ReaderFn] = {}
_SNIFFERS: list[tuple[Callable[[bytes], bool], ReaderFn]] = []


def register(suffixes: tuple[str, ...], reader: ReaderFn, sniff: Callable[[bytes], bool] | None = None) -> None:
    """The extension seam: a new format is one module plus one call to this function."""
    for s in suffixes:
        _BY_SUFFIX[s.lower()] = reader
    if sniff is not None:
        _SNIFFERS.append((sniff, reader))


def supported_suffixes() -> tuple[str, ...]:
    return tuple(sorted(_BY_SUFFIX))


MAX_FILE_BYTES = 200 * 1024 * 1024


def read(path: str | os.PathLike) -> Document:
    """Read any supported report file into a Document; raises ReadError with a Chinese message."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ReadError("文件不存在", path)
    if os.path.isdir(path):
        raise ReadError("这是一个文件夹，不是文件", path)
    size = os.path.getsize(path)
    if size > MAX_FILE_BYTES:
        raise ReadError(f"文件过大（{size // (1024 * 1024)} MB），超过 {MAX_FILE_BYTES // (1024 * 1024)} MB 上限", path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise ReadError(f"无法打开文件（{exc.strerror or exc}）", path) from None
    if not data.strip():
        raise ReadError("文件为空", path)
    head = data[:4096]
    kind = _zip_kind(data) if head.startswith(b"PK\x03\x04") else None
    if kind is not None:  # a Word or Excel file whatever its suffix, told by what the zip holds
        return _BY_SUFFIX[kind](path, data)
    for sniff, reader in _SNIFFERS:
        if sniff(head):
            return reader(path, data)
    suffix = os.path.splitext(path)[1].lower()
    reader = _BY_SUFFIX.get(suffix)
    if reader is None:
        raise ReadError(f"不支持的文件类型“{suffix or '无扩展名'}”（目前支持：{'、'.join(supported_suffixes())}）", path)
    return reader(path, data)


def _lazy(module: str, function: str) -> ReaderFn:
    """A reader whose module (and its format library) is imported on first use only."""
    def reader(path: str, data: bytes) -> Document:
        import importlib
        return getattr(importlib.import_module(f"{__name__}.{module}"), function)(path, data)
    reader.__name__ = f"{module}.{function}"
    return reader


def _is_html(head: bytes) -> bool:
    """An HTML page whatever its suffix (websites save .doc and .txt files that are HTML)."""
    h = head.lstrip().removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    while h.startswith(b"<!--") and b"-->" in h:  # leading comments
        h = h[h.index(b"-->") + 3:].lstrip()
    if h.startswith((b"<!doctype html", b"<html", b"<table")):
        return True
    return h.startswith((b"<?xml", b"<meta", b"<head", b"<title", b"<body")) and (b"<html" in h or b"<body" in h
                                                                                 or b"<table" in h)


def _zip_kind(data: bytes) -> str | None:
    """".docx" or ".xlsx" when the zip holds a Word document or a workbook (its central directory is
    read, not its content); None otherwise, and for a damaged zip (the suffix's reader says why)."""
    import io
    import zipfile
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if any(n.startswith("word/") for n in names):
        return ".docx"
    if any(n.startswith("xl/") for n in names):
        return ".xlsx"
    if "content.xml" in names:  # OpenDocument (ODT/ODS), converted by LibreOffice
        return ".odt"
    return None


def _register_builtin() -> None:
    from .text import read_text
    register((".txt", ".md", ".markdown", ".text"), read_text)
    # A .doc or .txt that is really an HTML page (websites save them so) is read as HTML.
    register((".html", ".htm", ".shtml", ".xhtml"), _lazy("html", "read_html"), sniff=_is_html)
    register((".docx",), _lazy("docx", "read_docx"))
    register((".xlsx",), _lazy("xlsx", "read_xlsx"))
    # Legacy and other office formats go through LibreOffice, then the DOCX/XLSX readers.
    register((".doc", ".wps", ".rtf", ".odt", ".xls", ".et", ".ods"), _lazy("office", "read_office"),
             sniff=_is_office)
    register((".pdf",), _lazy("pdf", "read_pdf"), sniff=lambda head: head.lstrip()[:5] == b"%PDF-")
    register((".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"), _lazy("ocr", "read_image"), sniff=_is_image)


def _is_office(head: bytes) -> bool:
    """An OLE2 compound file (DOC, WPS, XLS, ET — also encrypted DOCX) or an RTF file, whatever its suffix."""
    return head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") or head.lstrip().startswith(b"{\\rtf")


def _is_image(head: bytes) -> bool:
    return head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*"))


_register_builtin()
