"""OCR reader: scanned reports (image-only PDF pages, PNG/JPG/TIFF) → ``nianbao.load`` → the printed numbers.

The generator (``nianbao.synth.scan``) rasterises the real text PDF LibreOffice prints from a
generated report, so the expected values are the generator's truth, and real OCR (rapidocr, no
mocks) runs on real rendered pages. OCR is slow (~1–2 s a page): the scanned reports are made and
read once per session. Golden files in tests/data/scan/ are regenerated only with
NIANBAO_REGEN_GOLDEN=1 (test_reader_docx.py checks that the flag is off).
"""
from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("rapidocr")

import nianbao
from nianbao.document import Document, Table
from nianbao.errors import ReadError
from nianbao.readers import read
from nianbao.readers.ocr import join_cut_rows, ocr_pdf_pages
from nianbao.recognize import recognize
from nianbao.synth import random_report

from .helpers import same

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "scan"
REGEN = os.environ.get("NIANBAO_REGEN_GOLDEN") == "1"

GOLDEN = {
    # name: (seed, format, renderer, options) — each shows one way reports are published as images.
    "scanned-2021.pdf": (7, "2021", "scan", {"dpi": 120}),
    "long-image-2019.png": (12, "2019", "png", {"dpi": 150, "bilevel": True}),
}


def _render(seed: int, fmt: str, kind: str, options: dict):
    from nianbao.synth.scan import render_png, render_scan
    rng = random.Random(seed)
    rep = random_report(rng, fmt=fmt)
    data, expected = (render_scan if kind == "scan" else render_png)(rep, rng, **options)
    return rep, data, expected


def regenerate_golden() -> None:
    """Write tests/data/scan/<name> and <name>.gold.json (the generator's truth, not the reader's)."""
    DATA.mkdir(parents=True, exist_ok=True)
    for name, (seed, fmt, kind, options) in GOLDEN.items():
        rep, data, expected = _render(seed, fmt, kind, options)
        (DATA / name).write_bytes(data)
        gold = {"format": rep.fmt, "year": rep.year, "unit": rep.unit, "report_date": rep.report_date,
                "cells": expected}
        (DATA / f"{name}.gold.json").write_text(json.dumps(gold, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                                encoding="utf-8")


@pytest.mark.skipif(not REGEN, reason="set NIANBAO_REGEN_GOLDEN=1 to rewrite the golden files")
def test_regenerate_golden():
    regenerate_golden()


def _load_pdf_scan(path: Path, data: bytes):
    """A scanned PDF read through the OCR entry point the PDF reader calls (works before and after
    the PDF reader routes image-only pages to it)."""
    import pypdfium2 as pdfium
    pdf = pdfium.PdfDocument(data)
    n = len(pdf)
    pdf.close()
    notes: list[str] = []
    doc = Document(path=str(path), blocks=ocr_pdf_pages(str(path), data, list(range(1, n + 1)), notes), kind="ocr",
                   notes=notes)
    return doc


@pytest.fixture(scope="session")
def golden_docs():
    """The two golden files read once: name → (gold, Document, Report)."""
    out = {}
    for name in GOLDEN:
        path = DATA / name
        gold = json.loads((DATA / f"{name}.gold.json").read_text(encoding="utf-8"))
        doc = _load_pdf_scan(path, path.read_bytes()) if name.endswith(".pdf") else read(path)
        out[name] = (gold, doc, recognize(doc))
    return out


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden(golden_docs, name):
    """Every value of the scanned report is read exactly as printed, with format, year, unit and date."""
    gold, _, report = golden_docs[name]
    assert report.format == gold["format"]
    assert report.year == gold["year"]
    assert report.unit == gold["unit"]
    assert report.report_date == gold["report_date"]
    flat = report.flat()
    wrong = {p: (want, flat.get(p)) for p, want in gold["cells"].items() if not same(flat.get(p), want)}
    assert not wrong, dict(list(wrong.items())[:8])


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_every_cell_has_a_confidence(golden_docs, name):
    """Each OCR'd cell and line says how sure the recogniser was (rule IN-09 lists them), and every
    value of the report points back to a page, table, row and column."""
    _, doc, report = golden_docs[name]
    assert doc.kind == "ocr"
    cells = [c for t in doc.tables for r in t.rows for c in r.cells]
    assert len(cells) > 150
    assert all(c.source.confidence is not None and 0 <= c.source.confidence <= 1 for c in cells)
    assert all(p.source.confidence is not None for p in doc.paragraphs)
    assert all(c.source.page and c.source.table and c.source.row and c.source.col for c in cells)
    values = [v for v in report.cells.values() if v.source is not None]
    assert values and all(v.source.confidence is not None for v in values)


def test_merged_cells_fill_the_grid(golden_docs):
    """Merged cells found from the ruling come back like the DOCX reader's: the text repeated over
    the grid positions it covers, `spanned` on the copies; a vertical one-character-per-line label
    is joined into one text."""
    _, doc, _ = golden_docs["scanned-2021.pdf"]
    apps = next(t for t in doc.tables if any("申请人情况" in c.text for c in t.rows[0].cells))
    head = apps.rows[0].cells
    first = next(k for k, c in enumerate(head) if c.text == "申请人情况")
    assert not head[first].spanned and all(c.spanned and c.text == "申请人情况" for c in head[first + 1:])
    assert all(len(r.cells) == len(head) for r in apps.rows)
    labels = [r.cells[0].text for r in apps.rows]
    assert "三、本年度办理结果" in labels  # printed one or two characters per line, down a merged cell


# --------------------------------------------------------------------------- the CLI

def _nianbao() -> list[str]:
    exe = REPO / ".venv" / "bin" / "nianbao"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "nianbao"]


def _blank_png() -> bytes:
    from PIL import Image
    buf = io.BytesIO()
    Image.new("L", (1240, 1754), 255).save(buf, "PNG")
    return buf.getvalue()


def _english_png() -> bytes:
    from PIL import Image, ImageDraw, ImageFont
    img = Image.new("L", (1240, 600), 255)
    d = ImageDraw.Draw(img)
    try:
        font = ImageFont.truetype("DejaVuSans.ttf", 28)
    except OSError:
        font = ImageFont.load_default(size=28)
    for k, line in enumerate(["Annual Report on Open Government Information", "The office received 12 requests",
                              "and answered all of them within the time limit."]):
        d.text((80, 80 + 60 * k), line, fill=0, font=font)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.timeout(120)
def test_cli_check(tmp_path):
    """Through the real CLI: the long image is checked and IN-09 names the OCR'd cells; a blank
    image fails with the Chinese reason; an English page and a corrupt image never crash."""
    paths = {
        "long": DATA / "long-image-2019.png",
        "blank": tmp_path / "blank.png",
        "english": tmp_path / "english.png",
        "corrupt": tmp_path / "corrupt.jpg",
    }
    paths["blank"].write_bytes(_blank_png())
    paths["english"].write_bytes(_english_png())
    paths["corrupt"].write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8)
    proc = subprocess.run(_nianbao() + ["check", "--format", "json", *map(str, paths.values())], cwd=REPO,
                          capture_output=True, text=True, encoding="utf-8", timeout=120, check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    records = {Path(r["file"]).stem: r for r in map(json.loads, filter(str.strip, proc.stdout.splitlines()))}
    long = records["long-image-2019"]
    assert long["status"] in ("ok", "partial"), long
    codes = {f["rule"] for f in long["findings"]}
    assert "IN-09" in codes, codes
    blank = records["blank"]
    assert blank["status"] == "failed" and "图片中未识别出文字" in blank["error"], blank
    corrupt = records["corrupt"]
    assert corrupt["status"] == "failed" and "图片" in corrupt["error"], corrupt
    english = records["english"]
    assert english["status"] in ("failed", "partial"), english
    assert not english.get("error", "").startswith("内部错误"), english


def test_blank_image_is_a_read_error(tmp_path):
    path = tmp_path / "blank.png"
    path.write_bytes(_blank_png())
    with pytest.raises(ReadError, match="图片中未识别出文字") as exc:
        read(path)
    assert "blank.png" in str(exc.value)


def test_english_page_reads_without_tables(tmp_path):
    """A page in the wrong language is text without tables, never a crash."""
    path = tmp_path / "en.png"
    path.write_bytes(_english_png())
    doc = read(path)
    assert doc.kind == "ocr" and not doc.tables
    assert any("12" in p.text for p in doc.paragraphs)


def test_huge_image_is_refused_quickly(tmp_path):
    """A 20000×20000 image is refused from its header, before decoding 400 MB of pixels."""
    from PIL import Image
    buf = io.BytesIO()
    Image.new("1", (20000, 20000), 1).save(buf, "PNG")
    path = tmp_path / "huge.png"
    path.write_bytes(buf.getvalue())
    with pytest.raises(ReadError, match="图片尺寸过大"):
        read(path)


def test_multipage_tiff_pages(tmp_path):
    """A multi-page TIFF is read page by page; a blank page is noted, not fatal."""
    from PIL import Image

    from nianbao.synth.scan import scan_pages
    rng = random.Random(5)
    pages, _ = scan_pages(random_report(rng), rng, dpi=120)
    last = pages[-1]
    blank = Image.new("L", last.size, 255)
    path = tmp_path / "r.tif"
    last.save(path, save_all=True, append_images=[blank], compression="tiff_deflate")
    doc = read(path)
    assert {p.source.page for p in doc.paragraphs} == {1}
    assert any("第 2 页未识别出文字" in n for n in doc.notes)


def test_join_cut_rows():
    """A row cut by a page break joins the label continued at the top of the next table."""
    from nianbao.document import Cell, Row, Source
    def row(texts, t):
        return Row([Cell(x, Source(table=t, col=k + 1, confidence=0.99)) for k, x in enumerate(texts)], Source(table=t))
    a = Table([row(["（五）不予处理", "5. 要", "0", "1"], 1)], 1)
    b = Table([row(["", "求行政机关确认", "", ""], 2), row(["（六）", "1. 申请人", "0", "0"], 2)], 2)
    out = join_cut_rows([a, b])
    assert [r.texts for r in out[0].rows] == [["（五）不予处理", "5. 要求行政机关确认", "0", "1"]]
    assert [r.texts for r in out[1].rows] == [["（六）", "1. 申请人", "0", "0"]]
    c = Table([row(["", "7. 属于", "0", "0"], 2)], 2)  # a next row with values is not a cut row
    assert len(join_cut_rows([a, c])) == 2 and join_cut_rows([a, c])[1].rows[0].texts[1] == "7. 属于"


def test_scanned_pdf_through_load():
    """`nianbao.load` on an image-only PDF: the PDF reader finds no text layer and sends the pages
    to OCR; every value comes back exactly, and the Document says it was read by OCR."""
    gold = json.loads((DATA / "scanned-2021.pdf.gold.json").read_text(encoding="utf-8"))
    report = nianbao.load(DATA / "scanned-2021.pdf")
    flat = report.flat()
    wrong = {p: (want, flat.get(p)) for p, want in gold["cells"].items() if not same(flat.get(p), want)}
    assert not wrong, dict(list(wrong.items())[:8])
    assert report.unit == gold["unit"] and report.report_date == gold["report_date"]
    assert read(DATA / "scanned-2021.pdf").kind == "ocr"


def test_rule_touched_by_stacked_header_is_kept(tmp_path):
    """Regression: in this report 表四's stacked header “结果纠正” touches the column rule, and the rule
    was lost — the header cells merged and every value after it shifted one column left (21|0 read
    as 210). The rule is found as the longest ink column of the touching component."""
    from nianbao.synth.scan import render_scan
    rng = random.Random(20_001)
    rep = random_report(rng, fmt="2019")
    data, expected = render_scan(rep, rng, dpi=150)
    path = tmp_path / "scan.pdf"
    path.write_bytes(data)
    flat = nianbao.load(path).flat()
    wrong = {p: (want, flat.get(p)) for p, want in expected.items() if not same(flat.get(p), want)}
    assert not wrong, wrong
