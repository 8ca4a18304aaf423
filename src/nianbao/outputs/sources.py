""""Show me where": what the page shows for the place a value or finding was printed.

A reviewer does not trust a number until they see it in the original. Every value carries a
`Source` (line, or page/table/row/col, and for PDFs the box on the page), so the view follows the
reader that produced it:

- text and Markdown (and HTML, whose lines are the page source's lines): the focus line with a few
  lines around it, decoded exactly as the reader decoded the file (a GBK file shows as GBK);
- PDF, scanned PDF and page images: the page, with the value's box when the reader knew it
  (`page_png` draws it);
- DOCX/XLSX/HTML table cells: no line and no page — only the Chinese location (表2 第7行第3列);
  a DOCX paragraph (its `line` is the paragraph number) shows the paragraphs around it.

Nothing here raises for a missing or damaged original: the view says so in Chinese (kind "none").
`page_png` raises ValueError with a Chinese message for a page that is not there.
"""
from __future__ import annotations

import html as _html
import io
import os
import re
from dataclasses import dataclass, field

from ..document import Source
from ..errors import ReadError

_TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".text")
_HTML_SUFFIXES = (".html", ".htm", ".shtml", ".xhtml")
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
_SHEET_KINDS = ("xlsx", "xls", "et", "ods")  # their Source.page is the worksheet number
_MAX_TEXT_BYTES = 50 * 1024 * 1024
_MAX_PAGE_PIXELS = 25_000_000  # a rendered page bigger than this is drawn at a smaller scale
_MAX_IMAGE_WIDTH = 1800        # page images (scans) wider than this are shrunk for the browser
_PAD = 4.0                     # pixels of padding around a marked box
_TAG = re.compile(r"<[^>]*>")
_LINE_SPLIT = re.compile(r"\r\n|\r|\n")  # as the text reader splits lines


@dataclass
class SourceView:
    """What the page shows for one value or finding."""
    kind: str                # "lines" | "page" | "cell" | "none"
    title: str               # Chinese, e.g. "第4页 表2 第7行第3列"
    lines: list[tuple[int, str, bool]] = field(default_factory=list)  # (number, text, is_focus) for "lines"
    page: int | None = None  # for "page": 1-based page number
    bbox: tuple | None = None  # for "page": (x0, top, x1, bottom) in PDF points (image pixels for an image)


# ------------------------------------------------------------------------------------------ titles

def location_title(source: Source | None, kind: str | None = None) -> str:
    """A Source in Chinese with spaces between its parts: “第4页 表2 第7行第3列”, “第52行”; a
    worksheet is a worksheet, not a page; a DOCX `line` is a paragraph number."""
    if source is None:
        return "没有记录位置"
    parts = []
    if source.page is not None:
        parts.append(f"第{source.page}个工作表" if kind in _SHEET_KINDS else f"第{source.page}页")
    if source.line is not None and source.page is None and kind in ("docx", "doc", "wps", "rtf", "odt"):
        parts.append(f"第{source.line}段")
    elif source.line is not None:
        parts.append(f"第{source.line}行")
    if source.table is not None:
        parts.append(f"表{source.table}")
    rc = ""
    if source.row is not None and source.line is None:
        rc += f"第{source.row}行"
    if source.col is not None:
        rc += f"第{source.col}列"
    if rc:
        parts.append(rc)
    return " ".join(parts) or "没有记录位置"


# ------------------------------------------------------------------------------------------ the view

def source_view(path: str, kind: str | None, source: Source | None, context: int = 3) -> SourceView:
    """The view of `source` in the file at `path`, read by the reader `kind` (Document.kind: text,
    html, docx, xlsx, pdf, ocr…; None: told from the file name). Never raises for a missing or
    unreadable file: kind "none" says why in Chinese."""
    name = os.path.basename(path or "") or "原始文件"
    if not path or not os.path.isfile(path):
        return SourceView("none", f"原始文件不可用：{name} 已不在服务器上，无法显示原文位置")
    kind = kind or _kind_of(path)
    title = location_title(source, kind)
    if source is None or source == Source():
        return SourceView("none", "这一项在文件中没有记录位置（文件中没有这一格，或由表格结构推定）")
    if source.page is not None and kind in ("pdf", "ocr"):
        return SourceView("page", title, page=source.page, bbox=tuple(source.bbox) if source.bbox else None)
    if source.line is not None and source.page is None:
        try:
            if kind in ("text", "html"):
                numbered = _file_lines(path, kind)
            elif kind == "docx" and path.lower().endswith(".docx"):
                numbered = _document_lines(path)
            else:
                numbered = None
        except (ReadError, OSError, ValueError) as exc:
            message = getattr(exc, "message", None) or str(exc)
            return SourceView("none", f"无法读取原始文件 {name}：{message}")
        if numbered is not None:
            return _around(numbered, source.line, context, title)
    return SourceView("cell", title)


def _kind_of(path: str) -> str:
    low = path.lower()
    if low.endswith(_TEXT_SUFFIXES):
        return "text"
    if low.endswith(_HTML_SUFFIXES):
        return "html"
    if low.endswith(".pdf"):
        return "pdf"
    if low.endswith(_IMAGE_SUFFIXES):
        return "ocr"
    return os.path.splitext(low)[1].lstrip(".") or "text"


def _around(numbered: dict[int, str], focus: int, context: int, title: str) -> SourceView:
    if focus not in numbered:
        return SourceView("none", f"原始文件中没有{title}（文件可能已被改动）")
    lo, hi = focus - context, focus + context
    lines = [(n, numbered[n], n == focus) for n in sorted(numbered) if lo <= n <= hi]
    return SourceView("lines", title, lines=lines)


def _file_lines(path: str, kind: str) -> dict[int, str]:
    """Line number → text, decoded the way the reader decoded the file. HTML lines are the page
    source's lines (what the HTML reader counts), shown without their tags."""
    with open(path, "rb") as fh:
        data = fh.read(_MAX_TEXT_BYTES + 1)
    if len(data) > _MAX_TEXT_BYTES:
        raise ValueError("文件过大，无法显示原文")
    if kind == "html":
        from ..readers.html import _decode
        text, _ = _decode(path, data)
    else:
        from ..readers.encoding import decode
        text, _ = decode(data)
    lines = _LINE_SPLIT.split(text)
    if kind == "html":
        lines = [_html.unescape(_TAG.sub("", ln)).replace("\xa0", " ").rstrip() for ln in lines]
    return {i: ln.rstrip() for i, ln in enumerate(lines, 1)}


def _document_lines(path: str) -> dict[int, str]:
    """A DOCX's paragraphs by number, as its reader numbered them."""
    from ..document import Paragraph
    from ..readers import read
    out: dict[int, str] = {}
    for block in read(path).blocks:
        if isinstance(block, Paragraph) and block.source.line is not None:
            n = block.source.line
            out[n] = f"{out[n]} {block.text}" if n in out else block.text
    return out


# ------------------------------------------------------------------------------------------ page images

def page_png(path: str, page: int, bbox: tuple | None = None, scale: float = 1.5) -> bytes:
    """Page `page` (1-based) of a PDF — or a frame of a page image (TIFF/PNG/JPG) — as PNG, with
    `bbox` (x0, top, x1, bottom: PDF points, image pixels for an image) marked by a red rectangle.
    A page that is not there is a ValueError with a Chinese message."""
    name = os.path.basename(path)
    if path.lower().endswith(_IMAGE_SUFFIXES):
        im, factor = _image_frame(path, page, name)
    else:
        im, factor = _pdf_page(path, page, scale, name)
    if bbox is not None:
        _mark(im, bbox, factor)
    out = io.BytesIO()
    im.save(out, "PNG", optimize=False, compress_level=6)
    return out.getvalue()


def _pdf_page(path: str, page: int, scale: float, name: str):
    """The rendered page as an RGB PIL image and its pixels per point."""
    import pypdfium2 as pdfium
    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        low = str(exc).lower()
        if "password" in low:
            raise ValueError(f"{name}：PDF 文件已加密，无法显示页面") from None
        raise ValueError(f"{name}：PDF 文件已损坏或不是有效的 PDF，无法显示页面") from None
    try:
        n = len(pdf)
        if not 1 <= page <= n:
            raise ValueError(f"{name} 共 {n} 页，没有第 {page} 页")
        p = pdf[page - 1]
        try:
            w, h = p.get_size()
            if w * h * scale * scale > _MAX_PAGE_PIXELS:
                scale = (_MAX_PAGE_PIXELS / max(w * h, 1.0)) ** 0.5
            bitmap = p.render(scale=scale)
            try:
                im = bitmap.to_pil().convert("RGB")
            finally:
                bitmap.close()
        finally:
            p.close()
    finally:
        pdf.close()
    return im, scale


def _image_frame(path: str, page: int, name: str):
    """Frame `page` of an image file, upright as the OCR reader saw it, shrunk to a browser's width."""
    import warnings

    from PIL import Image, ImageOps, UnidentifiedImageError
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            src = Image.open(path)
            try:
                src.seek(page - 1)
            except (EOFError, ValueError):
                raise ValueError(f"{name} 没有第 {page} 页") from None
            im = (ImageOps.exif_transpose(src) if page == 1 else src).convert("RGB")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValueError(f"{name}：图片尺寸过大，无法显示") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError(f"{name}：图片已损坏或格式无法识别（{type(exc).__name__}）") from None
    factor = 1.0
    if im.width > _MAX_IMAGE_WIDTH:
        factor = _MAX_IMAGE_WIDTH / im.width
        im = im.resize((_MAX_IMAGE_WIDTH, max(1, round(im.height * factor))))
    return im, factor


def _mark(im, bbox: tuple, factor: float) -> None:
    """A red rectangle around the box, a little padding outside it so the digits stay readable."""
    from PIL import ImageDraw
    x0, top, x1, bottom = (float(v) for v in bbox)
    pad = _PAD
    rect = [max(0.0, x0 * factor - pad), max(0.0, top * factor - pad),
            min(im.width - 1.0, x1 * factor + pad), min(im.height - 1.0, bottom * factor + pad)]
    if rect[2] <= rect[0] or rect[3] <= rect[1]:
        return  # the box lies off the page: show the page unmarked
    ImageDraw.Draw(im).rectangle(rect, outline=(220, 0, 0), width=max(2, round(2 * factor)))


__all__ = ["SourceView", "location_title", "page_png", "source_view"]
