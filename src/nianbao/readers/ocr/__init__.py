"""Scanned reports: page images (PNG/JPG/TIFF/BMP, and PDF pages without a text layer) through OCR.

Why the shape: government tables are ruled, and the ruling is far more reliable than any text
detector at saying which number belongs to which cell. So a page is read in two parts:

- ruled tables: the ruling lines are found with morphology on the binarised page (after deskewing
  on those lines), the cell grid is built from them (a missing boundary between two grid positions
  merges them, so merged cells come out like the DOCX reader's: the text repeated over every grid
  position with `spanned=True` on the copies), and the text lines inside each cell are cut out by
  ink projection and given to the recogniser alone — no text detection inside tables. This is both
  faster (detection is most of rapidocr's time on a full page) and more exact (a detector merges a
  number with its neighbour or cuts a vertical label into pieces);
- everything else on the page (title, prose, signature) goes through rapidocr's detector and
  recogniser; its boxes are grouped into visual lines, and wrapped lines into paragraphs. Lines of
  widely spaced boxes that follow each other are an unruled table: rows by line, columns by the
  gaps between boxes (best effort).

Every Cell and Paragraph carries `Source.confidence` (the recogniser's score, 0..1): rule IN-09
tells the user which numbers came from OCR. A blank cell (no ink) has confidence 1.0; a cell with
ink that nothing was read from keeps "" with the low score, so it is flagged rather than hidden.

The image is normalised by the height of its characters, not by a DPI it may not state: a 600 DPI
scan is shrunk, a tiny screenshot enlarged, so the same thresholds hold for every input.

The package, by step: image.py (load or render a page, normalise, deskew), grid.py (ruling lines,
cells, cell strips), engine.py (the rapidocr engine, recognition and detection), page.py (one page
into Blocks, rows cut by page breaks); this module holds the two readers.
"""
from __future__ import annotations

from ...document import Block, Document, Table
from ...errors import ReadError
from .engine import (
    DET_CHAR_PX,
    MIN_SCORE,
    OCR_EXTRA,
    REC_BUDGET,
    REC_SHAPE,
    _engine,
    _libs,
    engine_params,
)
from .grid import MAX_STRIP_RATIO, join_lines
from .image import (
    MAX_PAGES,
    MAX_PIXELS,
    PDF_DPI,
    TARGET_CHAR_PX,
    _load_frames,
    render_pdf_page,
)
from .page import join_cut_rows, ocr_page

__all__ = [
    "DET_CHAR_PX",
    "MAX_PAGES",
    "MAX_PIXELS",
    "MAX_STRIP_RATIO",
    "MIN_SCORE",
    "OCR_EXTRA",
    "PDF_DPI",
    "REC_BUDGET",
    "REC_SHAPE",
    "TARGET_CHAR_PX",
    "engine_params",
    "join_cut_rows",
    "join_lines",
    "ocr_page",
    "ocr_pdf_pages",
    "read_image",
    "render_pdf_page",
]


# ------------------------------------------------------------------------------------------ readers

def read_image(path: str, data: bytes) -> Document:
    """An image file (a multi-page TIFF is one page per frame) read through OCR."""
    _libs(path)
    frames = _load_frames(path, data)
    _engine(path)
    doc = Document(path=path, kind="ocr")
    table_no = 1
    empty = []
    for page, grey in enumerate(frames, 1):
        blocks = ocr_page(grey, page, table_no, path)
        frames[page - 1] = None  # free each page once read
        table_no += len([b for b in blocks if isinstance(b, Table)])
        if not blocks:
            empty.append(page)
        doc.blocks.extend(blocks)
    doc.blocks = join_cut_rows(doc.blocks)
    if not doc.blocks:
        raise ReadError("图片中未识别出文字（可能是空白页、图像过于模糊或分辨率过低），请检查扫描件", path)
    if empty and len(frames) > 1:
        doc.notes.append(f"第 {'、'.join(map(str, empty))} 页未识别出文字（空白页或图像不清晰）")
    return doc


def ocr_pdf_pages(path: str, data: bytes, pages: list[int], notes: list[str] | None = None) -> list[Block]:
    """The blocks of the given 1-based pages of a PDF, rendered with pdfium and read through OCR.
    Tables are numbered 1, 2… over these pages (the PDF reader renumbers them in document order);
    a page where nothing was recognised adds a Chinese line to `notes` when given."""
    _, np = _libs(path)
    try:
        import pypdfium2 as pdfium
    except ImportError:
        raise ReadError(OCR_EXTRA, path) from None
    _engine(path)
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise ReadError(f"PDF 文件已损坏，无法渲染页面（{exc}）", path) from None
    blocks: list[Block] = []
    empty = []
    try:
        table_no = 1
        for p in pages:
            if not 1 <= p <= len(pdf):
                continue
            try:
                grey = render_pdf_page(pdf, p - 1, np)
                w, h = pdf.get_page_size(p - 1)
            except pdfium.PdfiumError:
                empty.append(p)
                continue
            # bboxes in PDF points, as the text-layer reader gives them
            got = ocr_page(grey, p, table_no, path, (w / grey.shape[1], h / grey.shape[0]))
            del grey
            table_no += len([b for b in got if isinstance(b, Table)])
            if not got:
                empty.append(p)
            blocks.extend(got)
    finally:
        pdf.close()
    blocks = join_cut_rows(blocks)
    if empty and notes is not None:
        notes.append(f"第 {'、'.join(map(str, empty))} 页是图片但未识别出文字（空白页或图像不清晰）")
    return blocks
