""""Show me where" (nianbao.outputs.sources) on real files: the lines around a text value, decoded as the
reader decoded them; the PDF page with the value's box — the box holds the printed digits, on a
text PDF (checked against pdfium's own text in that rectangle) and on a scanned PDF read by OCR
(checked by the ink in the rendered page there); DOCX cells and paragraphs; missing and damaged
files answered in Chinese."""
from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from nianbao.batch import check_file
from nianbao.document import Source
from nianbao.outputs.sources import location_title, page_png, source_view

from .conftest import ROOT, SEEDS

DATA = ROOT / "tests" / "data"
TEXT_PDF = DATA / "pdf" / "merged-cells-2021.pdf"
SCANNED_PDF = DATA / "scan" / "scanned-2021.pdf"
DOCX = DATA / "docx" / "merged-header-2021.docx"


def _seed() -> Path:
    seeds = sorted(SEEDS.glob("*.txt"))
    if not seeds:
        pytest.skip("no seed reports in shared/data/seeds")
    return seeds[0]


def _printed(report):
    """(path, value) of every printed number of a report."""
    return [(p, v) for p, v in report.cells.items() if v.state == "printed" and v.source is not None]


def _render(path: Path, page: int, scale: float):
    """The page rendered independently of page_png (grey PIL image)."""
    import pypdfium2 as pdfium
    pdf = pdfium.PdfDocument(str(path))
    try:
        return pdf[page - 1].render(scale=scale, grayscale=True).to_pil().convert("L")
    finally:
        pdf.close()


def _ink(im, box, scale: float, inset: float = 1.5) -> int:
    """Dark pixels of `im` inside `box` (points), `inset` points in from the box's edges (its ruling)."""
    x0, top, x1, bottom = box
    crop = im.crop((round((x0 + inset) * scale), round((top + inset) * scale),
                    round((x1 - inset) * scale), round((bottom - inset) * scale)))
    return sum(crop.point(lambda v: 255 if v < 128 else 0).histogram()[255:])


# ------------------------------------------------------------------------------------------ text

def test_text_value_shows_its_line_with_context():
    seed = _seed()
    result = check_file(str(seed))
    path, value = next((p, v) for p, v in _printed(result.report) if v.source.line and v.source.col)
    view = source_view(str(seed), result.kind, value.source)
    assert view.kind == "lines", view
    assert view.title.startswith(f"第{value.source.line}行"), view.title
    numbers = [n for n, _, _ in view.lines]
    assert numbers == list(range(value.source.line - 3, value.source.line + 4))
    focus = [text for _, text, is_focus in view.lines if is_focus]
    raw_lines = seed.read_text(encoding="utf-8").splitlines()
    assert focus == [raw_lines[value.source.line - 1].rstrip()]
    assert focus[0].split("\t")[value.source.col - 1].strip() == value.raw, (path, focus)


def test_gbk_text_file_is_shown_decoded(tmp_path):
    """A GBK file (what Chinese Windows writes) shows the same Chinese text as its UTF-8 original."""
    seed = _seed()
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes(seed.read_text(encoding="utf-8").encode("gbk"))
    result = check_file(str(gbk))
    heading = next(s for s in result.report.sections.values() if s.source is not None and s.source.line)
    view = source_view(str(gbk), result.kind, heading.source, context=1)
    assert view.kind == "lines" and len(view.lines) == 3
    focus = next(text for _, text, is_focus in view.lines if is_focus)
    assert focus.strip() == heading.heading.strip() or heading.heading.strip() in focus, (focus, heading.heading)
    assert focus == seed.read_text(encoding="utf-8").splitlines()[heading.source.line - 1].rstrip()


def test_html_lines_are_shown_without_tags():
    path = DATA / "html" / "gov-page-gbk.html"
    result = check_file(str(path))
    section = next(s for s in result.report.sections.values() if s.source is not None and s.source.line)
    view = source_view(str(path), result.kind, section.source)
    assert view.kind == "lines"
    focus = next(text for _, text, is_focus in view.lines if is_focus)
    assert section.heading.strip() in focus and "<" not in focus, focus


def test_a_line_past_the_end_of_the_file_is_said():
    view = source_view(str(_seed()), "text", Source(line=100000))
    assert view.kind == "none" and "第100000行" in view.title


# ------------------------------------------------------------------------------------------ PDF

def test_text_pdf_boxes_hold_the_printed_digits():
    """Every printed value of a text PDF has a box on its page, and pdfium finds exactly the printed
    text in that rectangle (the reader's boxes are pdfplumber's coordinates: top-down points)."""
    import pypdfium2 as pdfium
    result = check_file(str(TEXT_PDF))
    values = _printed(result.report)
    assert len(values) > 100
    pdf = pdfium.PdfDocument(str(TEXT_PDF))
    try:
        for path, v in values:
            view = source_view(str(TEXT_PDF), result.kind, v.source)
            assert view.kind == "page" and view.page == v.source.page and view.bbox == v.source.bbox, (path, view)
            x0, top, x1, bottom = view.bbox
            page = pdf[view.page - 1]
            h = page.get_height()
            text = page.get_textpage().get_text_bounded(left=x0, bottom=h - bottom, right=x1, top=h - top)
            assert "".join(text.split()) == v.raw, (path, v.raw, text, view.bbox)
    finally:
        pdf.close()


def test_text_pdf_page_png_marks_the_cell():
    from PIL import Image
    result = check_file(str(TEXT_PDF))
    value = result.report.cells["applications.granted.total"]
    view = source_view(str(TEXT_PDF), result.kind, value.source)
    assert view.title == "第{} 表{} 第{}行第{}列".format(f"{value.source.page}页", value.source.table,
                                                    value.source.row, value.source.col)
    im = Image.open(io.BytesIO(page_png(str(TEXT_PDF), view.page, view.bbox))).convert("RGB")
    w, h = _render(TEXT_PDF, view.page, 1.5).size
    assert im.size == (w, h)
    # the digits are inside the box, and the box is drawn in red just outside it
    assert _ink(_render(TEXT_PDF, view.page, 1.5), view.bbox, 1.5) > 5
    x0, top, x1, bottom = view.bbox
    red = [im.getpixel((round(x * 1.5), round((top + bottom) / 2 * 1.5))) for x in (x0 - 2.5, x1 + 2.5)]
    assert all(r > 180 and g < 80 and b < 80 for r, g, b in red), red
    plain = Image.open(io.BytesIO(page_png(str(TEXT_PDF), view.page))).convert("RGB")
    assert plain.getpixel((round((x0 - 2.5) * 1.5), round((top + bottom) / 2 * 1.5)))[1] > 200  # not marked


def test_pdf_prose_line_has_its_box():
    import pypdfium2 as pdfium
    result = check_file(str(TEXT_PDF))
    section = next(s for s in result.report.sections.values() if s.source is not None and s.source.bbox)
    view = source_view(str(TEXT_PDF), result.kind, section.source)
    assert view.kind == "page" and "行" in view.title
    x0, top, x1, bottom = view.bbox
    pdf = pdfium.PdfDocument(str(TEXT_PDF))
    try:
        page = pdf[view.page - 1]
        h = page.get_height()
        text = page.get_textpage().get_text_bounded(left=x0, bottom=h - bottom, right=x1, top=h - top)
    finally:
        pdf.close()
    assert section.heading.strip()[:6] in "".join(text.split()), (text, section.heading)


def test_page_out_of_range_and_damaged_pdfs_are_chinese_value_errors(tmp_path):
    with pytest.raises(ValueError, match="共 \\d+ 页，没有第 99 页"):
        page_png(str(TEXT_PDF), 99)
    with pytest.raises(ValueError, match="没有第 0 页"):
        page_png(str(TEXT_PDF), 0)
    with pytest.raises(ValueError, match="已加密"):
        page_png(str(DATA / "pdf" / "encrypted.pdf"), 1)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(TEXT_PDF.read_bytes()[:2000])
    with pytest.raises(ValueError, match="已损坏"):
        page_png(str(broken), 1)


def test_scanned_pdf_boxes_hold_the_printed_digits():
    """OCR of a scanned PDF (the one OCR test here, ~15 s): the pixel boxes come back as points of
    the page, so the box of every printed value holds ink in the rendered page, and cells of one
    row share their top and bottom."""
    pytest.importorskip("rapidocr")
    result = check_file(str(SCANNED_PDF))
    assert result.kind == "ocr"
    values = [(p, v) for p, v in _printed(result.report) if v.raw and v.raw.strip()]
    assert len(values) > 50
    pages = {}
    rows: dict[tuple, set] = {}
    for path, v in values:
        view = source_view(str(SCANNED_PDF), result.kind, v.source)
        assert view.kind == "page" and view.bbox is not None, (path, view)
        im = pages.get(view.page) or pages.setdefault(view.page, _render(SCANNED_PDF, view.page, 2.0))
        x0, top, x1, bottom = view.bbox
        assert 0 <= x0 < x1 <= im.width / 2 and 0 <= top < bottom <= im.height / 2, (path, view.bbox)
        assert _ink(im, view.bbox, 2.0) > 5, (path, v.raw, view.bbox)
        rows.setdefault((v.source.page, v.source.table, v.source.row), set()).add((top, bottom))
    assert all(len(spans) == 1 for spans in rows.values()), rows
    png = page_png(str(SCANNED_PDF), values[0][1].source.page, values[0][1].source.bbox)
    assert png.startswith(b"\x89PNG")


def test_page_image_files_are_drawn_in_pixels(tmp_path):
    from PIL import Image
    scan = DATA / "scan" / "long-image-2019.png"
    width = Image.open(scan).width
    im = Image.open(io.BytesIO(page_png(str(scan), 1, (10, 10, 200, 60)))).convert("RGB")
    factor = min(1.0, 1800 / width)
    assert im.width == min(width, 1800)
    r, g, b = im.getpixel((round(100 * factor), max(0, round(10 * factor) - 4)))
    assert r > 180 and g < 80, (r, g, b)
    with pytest.raises(ValueError, match="没有第 2 页"):
        page_png(str(scan), 2)


# ------------------------------------------------------------------------------------------ DOCX

def test_docx_cells_have_only_their_location_and_paragraphs_their_neighbours():
    result = check_file(str(DOCX))
    value = result.report.cells["applications.granted.total"]
    view = source_view(str(DOCX), result.kind, value.source)
    assert view.kind == "cell" and view.page is None and not view.lines
    assert view.title == f"表{value.source.table} 第{value.source.row}行第{value.source.col}列"
    section = next(s for s in result.report.sections.values() if s.source is not None and s.source.line)
    view = source_view(str(DOCX), result.kind, section.source, context=2)
    assert view.kind == "lines" and view.title == f"第{section.source.line}段"
    focus = next(text for _, text, is_focus in view.lines if is_focus)
    assert section.heading.strip() in focus


# ------------------------------------------------------------------------------------------ no original

def test_missing_or_unreadable_original_is_kind_none(tmp_path):
    view = source_view(str(tmp_path / "gone.pdf"), "pdf", Source(page=1, table=1, row=1, col=1))
    assert view.kind == "none" and "原始文件" in view.title and "gone.pdf" in view.title
    junk = tmp_path / "junk.txt"
    junk.write_bytes(bytes(range(256)) * 64)
    view = source_view(str(junk), "text", Source(line=3))
    assert view.kind == "none" and "无法读取原始文件 junk.txt" in view.title, view.title
    view = source_view(str(shutil.copy(_seed(), tmp_path / "a.txt")), None, None)
    assert view.kind == "none" and "没有记录位置" in view.title


def test_location_titles():
    assert location_title(Source(page=4, table=2, row=7, col=3)) == "第4页 表2 第7行第3列"
    assert location_title(Source(line=52)) == "第52行"
    assert location_title(Source(line=51, col=8)) == "第51行 第8列"
    assert location_title(Source(page=2, table=1, row=3, col=4), "xlsx") == "第2个工作表 表1 第3行第4列"
    assert location_title(Source(line=3), "docx") == "第3段"


def test_ocr_boxes_undo_the_deskew_and_the_scaling():
    """A box found on the prepared page (scaled ×2, rotated 2° by the deskew) maps back to the same
    place on the page as given, in its units (here 0.5 pt per pixel)."""
    cv2 = pytest.importorskip("cv2")
    from nianbao.readers.ocr.page import _box_mapper
    m = cv2.getRotationMatrix2D((1000, 1400), 2.0, 1.0)
    original = (300.0, 500.0, 420.0, 540.0)  # pixels of the prepared page before rotating
    corners = [(m[0][0] * x + m[0][1] * y + m[0][2], m[1][0] * x + m[1][1] * y + m[1][2])
               for x in (original[0], original[2]) for y in (original[1], original[3])]
    rotated = (min(c[0] for c in corners), min(c[1] for c in corners),
               max(c[0] for c in corners), max(c[1] for c in corners))
    x0, top, x1, bottom = _box_mapper(cv2, m, 0.25, 0.25)(rotated)  # 2 prepared px per page px, 0.5 pt each
    # the rotated box's bounding box, rotated back, contains the original box, a few points larger
    assert x0 <= 75.0 <= 105.0 <= x1 and top <= 125.0 <= 135.0 <= bottom
    assert (x1 - x0) - 30.0 < 3.0 and (bottom - top) - 10.0 < 3.0
    assert _box_mapper(cv2, None, 0.25, 0.5)((100, 100, 200, 300)) == (25.0, 50.0, 50.0, 150.0)
