"""PDF reader: reports printed to PDF by a real office suite read back exactly.

The generator makes a Word document in the 国办 layout (real merged cells) and LibreOffice exports
it to PDF, so the tables break across pages where they do not fit, rows are cut by the page end,
headers and page numbers repeat on every page: what units publish. A disagreement with the values
the generator printed is a reader bug. Golden PDFs in tests/data/pdf/ are read without LibreOffice;
they are rewritten only with NIANBAO_REGEN_GOLDEN=1.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pypdfium2 as pdfium
import pytest

import nianbao
from nianbao.document import Table
from nianbao.readers import read
from nianbao.synth import random_report
from nianbao.synth.pdf import render_pdf

from .helpers import assert_exact, assert_golden, rewrite_golden_files

DATA = Path(__file__).resolve().parent / "data" / "pdf"
REGEN = os.environ.get("NIANBAO_REGEN_GOLDEN") == "1"

LIVE = {
    # id: (seed, format, render options) — rendered by LibreOffice once per test session
    "2021": (0, "2021", {}),
    "2019": (1, "2019", {}),
    "2021-split": (2, "2021", {"split_table": True}),
    "2019-split-damage": (3, "2019", {"split_table": True, "damage": ("thousands", "fullwidth", "blank_nulls")}),
    "running-heads": (8, "2021", {"header_footer": True}),
}


@pytest.fixture(scope="session")
def live(tmp_path_factory):
    out = {}
    folder = tmp_path_factory.mktemp("pdf")
    for key, (seed, fmt, options) in LIVE.items():
        rng = random.Random(seed)
        rep = random_report(rng, fmt=fmt)
        data, expected = render_pdf(rep, rng, **options)
        path = folder / f"{key}.pdf"
        path.write_bytes(data)
        out[key] = (rep, expected, path)
    return out


@pytest.mark.parametrize("key", sorted(LIVE))
def test_roundtrip(live, key):
    """Every cell of a LibreOffice-exported PDF comes back exactly (merged cells, tables over pages)."""
    rep, expected, path = live[key]
    assert_exact(rep, expected, nianbao.load(path))


def test_table_broken_across_pages_is_one_table(live):
    """表三 runs over several pages; it comes back as one table with rows from each page, the row cut
    by a page end joined (no row without a number in the middle of the table)."""
    _, _, path = live["2021"]
    doc = read(path)
    app = max(doc.tables, key=lambda t: len(t.rows))
    pages = {r.source.page for r in app.rows}
    assert len(pages) >= 2, pages
    for row in app.rows[3:]:
        values = [c.text for c in row.cells[3:] if not c.spanned]
        assert any(v for v in values), row.texts


def test_running_heads_and_footers_dropped(live):
    """Page headers, page numbers and a footer table of numbers repeated on each page never reach the
    Document."""
    _, _, path = live["running-heads"]
    doc = read(path)
    texts = [c.text for t in doc.tables for r in t.rows for c in r.cells] + [p.text for p in doc.paragraphs]
    assert not any("编号" in t for t in texts)
    assert not any("页" in t and "共" in t for t in texts)
    assert len(doc.tables) == 4 + 2  # 表二's four 第二十条 groups, 表三, 表四: not the footer's table


def test_provenance_names_page_table_row_col(live):
    _, _, path = live["2021"]
    report = nianbao.load(path)
    v = report.value("applications.new_received.natural_person")
    assert v.source.page is not None and v.source.table is not None and v.source.row and v.source.col
    assert v.source.confidence is None  # a text layer is not OCR
    assert f"page {v.source.page}" in v.source.english()


def test_wrapped_prose_is_one_paragraph(live):
    """Lines wrapped by the page width come back as the paragraph they were typed as."""
    rep, _, path = live["2019"]
    doc = read(path)
    texts = [p.text for p in doc.paragraphs]
    for para in rep.sections.get("summary", [])[:2]:
        assert para in texts, (para, texts[:8])


def test_pdf_named_otherwise_is_read_by_content(live, tmp_path):
    path = live["2021"][2]
    other = tmp_path / "年报.doc"
    other.write_bytes(path.read_bytes())
    assert read(other).kind == "pdf"


# --------------------------------------------------------------------------- bad input

def _cli(path: Path) -> tuple[int, dict, str]:
    proc = subprocess.run([sys.executable, "-m", "nianbao", "check", "--format", "json", str(path)],
                          check=False, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    out = json.loads(proc.stdout)
    return proc.returncode, (out[0] if isinstance(out, list) else out), proc.stderr


def _blank_pdf(pages: int) -> bytes:
    pdf = pdfium.PdfDocument.new()
    for _ in range(pages):
        pdf.new_page(595, 842)
    import io
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("case,mentions", [
    ("encrypted", "加密"),
    ("damaged", "损坏"),
    ("truncated", "PDF"),
    ("blank", "没有可读取的文字"),
    ("500-pages", "500 页"),
])
def test_bad_pdf_fails_clearly(tmp_path, case, mentions):
    """Encrypted, damaged, truncated, empty and 500-page PDFs: a Chinese message naming the file,
    status failed, exit 2, quickly, no traceback."""
    path = tmp_path / f"{case}.pdf"
    if case == "encrypted":
        path.write_bytes((DATA / "encrypted.pdf").read_bytes())
    elif case == "damaged":
        path.write_bytes(b"%PDF-1.7\n" + bytes(random.Random(1).randrange(256) for _ in range(5000)))
    elif case == "truncated":
        path.write_bytes((DATA / "merged-cells-2021.pdf").read_bytes()[:3000])
    elif case == "blank":
        path.write_bytes(_blank_pdf(2))
    else:
        path.write_bytes(_blank_pdf(500))
    code, rec, _ = _cli(path)
    assert code == 2
    assert rec["status"] == "failed"
    assert mentions in rec["error"], rec["error"]


def test_bad_pdf_does_not_stop_a_batch(tmp_path):
    (tmp_path / "a-bad.pdf").write_bytes(b"%PDF-1.4\n%%EOF")
    (tmp_path / "b-good.pdf").write_bytes((DATA / "merged-cells-2021.pdf").read_bytes())
    proc = subprocess.run([sys.executable, "-m", "nianbao", "check", "--format", "json", str(tmp_path)],
                          check=False, capture_output=True, text=True, timeout=120)
    records = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert [r["status"] for r in records] == ["failed", "ok"]
    assert proc.returncode == 2


# --------------------------------------------------------------------------- golden files

GOLDEN = {
    "merged-cells-2021": (201, "2021", {}),
    "split-table-2019": (202, "2019", {"split_table": True}),
    "running-heads-2021": (203, "2021", {"header_footer": True, "signature_in_textbox": True}),
}


def regenerate_golden() -> None:
    """Write tests/data/pdf/<name>.pdf + <name>.gold.json (the generator's truth) and encrypted.pdf
    (a LibreOffice export with an open password). Run with NIANBAO_REGEN_GOLDEN=1."""
    import tempfile

    from nianbao.libreoffice import soffice
    rewrite_golden_files(DATA, ".pdf", GOLDEN, render_pdf)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "encrypted.txt"
        src.write_text("2024年政府信息公开工作年度报告\n一、总体情况\n", encoding="utf-8")
        export = ('pdf:writer_pdf_Export:{"EncryptFile":{"type":"boolean","value":"true"},'
                  '"DocumentOpenPassword":{"type":"string","value":"nianbao"}}')
        subprocess.run([soffice(), f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--convert-to",
                        export, "--outdir", tmp, str(src)], check=True, capture_output=True, timeout=120)
        (DATA / "encrypted.pdf").write_bytes((Path(tmp) / "encrypted.pdf").read_bytes())


@pytest.mark.skipif(not REGEN, reason="set NIANBAO_REGEN_GOLDEN=1 to rewrite the golden files")
def test_regenerate_golden():
    regenerate_golden()


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden(name):
    assert_golden(DATA, name, ".pdf")


def test_golden_tables_span_pages():
    """At least one golden PDF has 表三 split across pages (the case the stitching exists for)."""
    doc = read(DATA / "merged-cells-2021.pdf")
    assert any(len({r.source.page for r in t.rows}) > 1 for t in doc.tables if isinstance(t, Table))


def test_mixed_text_and_scanned_pages(tmp_path):
    """A PDF whose first pages have a text layer and whose last pages are scans (a unit that scanned
    the signed table pages): the text pages are read from the text layer, the scans through OCR, the
    tables cut between the two joined by the recognizer — every value exact, the OCR pages noted."""
    import io

    from nianbao.synth.scan import render_scan
    rep = random_report(random.Random(5))
    text_pdf, expected = render_pdf(rep, random.Random(6))
    scan_pdf, _ = render_scan(rep, random.Random(6))
    text_doc, scan_doc = pdfium.PdfDocument(text_pdf), pdfium.PdfDocument(scan_pdf)
    assert len(text_doc) == len(scan_doc) >= 4
    mixed = pdfium.PdfDocument.new()
    mixed.import_pages(text_doc, [0, 1])
    mixed.import_pages(scan_doc, list(range(2, len(scan_doc))))
    buf = io.BytesIO()
    mixed.save(buf)
    path = tmp_path / "mixed.pdf"
    path.write_bytes(buf.getvalue())
    report = nianbao.load(path)
    assert_exact(rep, expected, report)
    assert any("没有文字层" in n.message and n.rule == "IN-08" for n in report.notes)
    sources = [report.value(p).source for p in expected if report.value(p).source is not None]
    assert any(s.confidence is None for s in sources) and any(s.confidence is not None for s in sources)


def test_table_without_lines_reads_rows_of_cells(tmp_path):
    """A PDF printed from a tab-separated text (tables without ruling lines, cells at tab stops): each
    table row comes back as its label and its seven numbers, by the gaps between them."""
    from nianbao.libreoffice import convert
    from nianbao.synth import render_text
    rep = random_report(random.Random(0))
    text = render_text(rep, random.Random(1), layout="tsv")
    path = tmp_path / "unruled.pdf"
    path.write_bytes(convert(text.encode("utf-8"), ".txt", "pdf"))
    doc = read(path)
    rows = [r.texts for t in doc.tables for r in t.rows]
    cols = ("natural_person", "commercial", "research", "social_welfare", "legal_service", "other", "total")
    for key, label in (("new_received", "一、本年新收政府信息公开申请数量"), ("carried_over", "二、上年结转政府信息公开申请数量")):
        want = [label] + [str(rep.cells[f"applications.{key}.{c}"]) for c in cols]
        assert want in rows, (want, rows[:6])
