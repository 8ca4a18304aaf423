"""The XLSX reader: synthetic workbooks in the official layout (merged ranges, title, headings, prose)
→ ``nianbao.load`` → exactly the numbers they were written from.

The generator (``nianbao.synth.xlsx``) lays out the cell model of ``synth.text``, so the same report
printed as text and as a workbook must give the same Report. Formula cells without a saved result
read as blank (never 0) with a note; unreadable files fail with a Chinese message and exit 2.
"""
from __future__ import annotations

import io
import os
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.styles import Border

import nianbao
from nianbao import schema
from nianbao.errors import ReadError
from nianbao.readers import read
from nianbao.readers.xlsx import cell_text
from nianbao.synth import random_report, render_file
from nianbao.synth.data import app_path, check_consistent
from nianbao.synth.xlsx import render_xlsx

from .helpers import assert_exact, assert_golden, rewrite_golden_files, same

REPO = Path(__file__).resolve().parent.parent
FORMATS = (schema.FORMAT_2021, schema.FORMAT_2019)
SHEETS = ("one", "per-table")


def write_xlsx(tmp_path: Path, seed: int, fmt: str, sheets: str = "one"):
    rng = random.Random(seed)
    rep = random_report(rng, fmt=fmt)
    assert not check_consistent(rep)
    data, expected = render_xlsx(rep, rng, sheets=sheets)
    path = tmp_path / f"synth-{seed}-{fmt}-{sheets}.xlsx"
    path.write_bytes(data)
    return rep, expected, path


# ------------------------------------------------------------------------------------------ round trip

@pytest.mark.parametrize("sheets", SHEETS)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("seed", [0, 7, 23])
def test_roundtrip(tmp_path, seed, fmt, sheets):
    """Every cell of a generated workbook is read back exactly, with format, year, unit and date."""
    rep, expected, path = write_xlsx(tmp_path, seed, fmt, sheets)
    assert_exact(rep, expected, nianbao.load(path))


@pytest.mark.parametrize("fmt", FORMATS)
def test_roundtrip_without_borders(tmp_path, fmt):
    """Tables drawn without borders (many real files) are still found: rows with two or more cells
    are table rows, a 第二十条 title between them belongs to the table."""
    rep, expected, path = write_xlsx(tmp_path, 11, fmt, "one")
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.has_style:
                    c.border = Border()
    wb.save(path)
    assert_exact(rep, expected, nianbao.load(path))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("seed", [3, 42])
def test_text_and_xlsx_agree(tmp_path, seed, fmt):
    """The same report as a TSV text file and as a workbook gives the same Report."""
    rng = random.Random(seed)
    rep = random_report(rng, fmt=fmt)
    state = rng.getstate()
    txt = tmp_path / "r.txt"
    render_file(rep, txt, rng, layout="tsv")
    rng.setstate(state)
    data, _ = render_xlsx(rep, rng)
    xlsx = tmp_path / "r.xlsx"
    xlsx.write_bytes(data)
    assert nianbao.load(xlsx).to_dict() == nianbao.load(txt).to_dict()


# ------------------------------------------------------------------------------------------ the grid

def test_merged_ranges_are_a_true_grid(tmp_path):
    """A merged range repeats its value in every position it covers: 申请人情况 over seven columns,
    the note over the three label columns, 三、本年度办理结果 down the outcome rows."""
    _, _, path = write_xlsx(tmp_path, 5, "2021", "per-table")
    doc = read(path)
    t3 = next(t for t in doc.tables if any("申请人情况" in c.text for c in t.rows[0].cells))
    head = t3.rows[0].texts
    assert head.count("申请人情况") == 7 and len(head) == 10
    assert all("勾稽" in t for t in head[:3])
    assert all("勾稽" in r.texts[0] for r in t3.rows[:3])
    outcome_rows = [r for r in t3.rows if r.texts[0] == "三、本年度办理结果"]
    assert len(outcome_rows) > 20
    first = t3.rows[3]
    assert first.texts[0] == first.texts[1] == first.texts[2]  # 一、本年新收… over the label columns


def test_provenance(tmp_path):
    """Every value knows its sheet (page), table, Excel row and column."""
    _, _, path = write_xlsx(tmp_path, 5, "2021", "per-table")
    report = nianbao.load(path)
    v = report.cells[app_path("new_received", "total")]
    assert v.source.page == 3 and v.source.col == 10 and v.source.row is not None and v.source.table is not None
    wb = openpyxl.load_workbook(path)
    assert wb.worksheets[2].cell(row=v.source.row, column=10).value == v.value


def test_cell_text():
    assert cell_text(3.0) == "3"
    assert cell_text(3088.67) == "3088.67"
    assert cell_text(5.0, "0.00") == "5.00"
    assert cell_text(0) == "0"
    assert cell_text("  规章 ") == "规章"
    assert cell_text(None) == ""


# ------------------------------------------------------------------------------------------ formulas

def test_formula_without_cached_value_is_null_with_note(tmp_path):
    """A formula saved by a program (no cached result) reads as blank — null, not 0 — and the
    Document says which cell it was."""
    _, expected, path = write_xlsx(tmp_path, 9, "2021", "one")
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    row = next(c.row for c in ws["A"] if isinstance(c.value, str) and c.value.startswith("一、本年新收"))
    ws.cell(row=row, column=10).value = f"=SUM(D{row}:I{row})"
    wb.save(path)
    doc = read(path)
    assert any(f"{ws.title}!J{row}" in n and "公式" in n for n in doc.notes), doc.notes
    report = nianbao.load(path)
    assert report.cells[app_path("new_received", "total")].value is None
    # …and the user is told, as an input finding (IN-08), not only through a null.
    assert any(f.rule == "IN-08" and "公式" in f.message for f in nianbao.check(report))
    flat = report.flat()
    others = {p: w for p, w in expected.items() if p != app_path("new_received", "total")}
    assert all(same(flat[p], w) for p, w in others.items())


# ------------------------------------------------------------------------------------------ bad input

def run_check(path: Path) -> tuple[int, list[dict], str]:
    import json
    exe = REPO / ".venv" / "bin" / "nianbao"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "nianbao"]
    proc = subprocess.run(cmd + ["check", "--format", "json", str(path)], cwd=REPO, capture_output=True,
                          text=True, encoding="utf-8", timeout=60, check=False)
    return proc.returncode, [json.loads(x) for x in proc.stdout.splitlines() if x.strip()], proc.stderr


@pytest.mark.parametrize("content", [b"this is not a workbook at all\n", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600],
                         ids=["not-a-zip", "ole-encrypted"])
def test_bad_file_fails_in_chinese(tmp_path, content):
    p = tmp_path / "报表.xlsx"
    p.write_bytes(content)
    code, records, stderr = run_check(p)
    assert "Traceback" not in stderr, stderr
    assert code == 2
    assert len(records) == 1 and records[0]["status"] == "failed"
    err = records[0]["error"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err) and "\n" not in err, err


def test_corrupt_zip_is_a_read_error(tmp_path):
    """A truncated workbook and a zip without a workbook inside are ReadErrors, not crashes."""
    data, _ = render_xlsx(random_report(random.Random(1)), random.Random(1))
    truncated = tmp_path / "cut.xlsx"
    truncated.write_bytes(data[: len(data) // 2])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/readme.txt", "nothing here")
    hollow = tmp_path / "hollow.xlsx"
    hollow.write_bytes(buf.getvalue())
    for p in (truncated, hollow):
        with pytest.raises(ReadError) as exc:
            read(p)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in exc.value.message)


def test_workbook_without_a_report(tmp_path):
    """A valid workbook that is not a report: the recognizer's own “not a report” error."""
    wb = openpyxl.Workbook()
    wb.active["A1"] = "商品"
    wb.active["B1"] = "价格"
    p = tmp_path / "价目表.xlsx"
    wb.save(p)
    with pytest.raises(ReadError, match="年度报告"):
        nianbao.load(p)


def test_real_date_cell_and_huge_merge(tmp_path):
    """The date typed as an Excel date prints as 2025年2月16日; a merged range over whole columns
    (a formatting accident) is clipped to the printed extent instead of filling a million cells."""
    from datetime import datetime
    rep, expected, path = write_xlsx(tmp_path, 13, "2021", "per-table")
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[-1]
    y, m, d = (int(x) for x in rep.report_date.split("-"))
    row = next(c.row for c in ws["A"] if c.value == f"{y}年{m}月{d}日")
    ws.cell(row=row, column=1).value = datetime(y, m, d)
    ws.cell(row=row, column=1).number_format = "yyyy年m月d日"
    ws.cell(row=row + 2, column=20).value = "附"
    sheet_part = f"xl/worksheets/sheet{len(wb.worksheets)}.xml"
    wb.save(path)
    # Written into the XML directly: openpyxl itself would create the million cells.
    buf = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == sheet_part:
                data = data.replace(b"</mergeCells>", f'<mergeCell ref="T{row + 2}:GR1000000"/></mergeCells>'.encode())
                assert b"GR1000000" in data
            dst.writestr(item, data)
    path.write_bytes(buf.getvalue())
    report = nianbao.load(path)
    assert report.report_date == rep.report_date
    assert_exact(rep, expected, report)


# --------------------------------------------------------------------------- golden files

DATA = Path(__file__).resolve().parent / "data" / "xlsx"
REGEN = os.environ.get("NIANBAO_REGEN_GOLDEN") == "1"
GOLDEN = {
    # name: (seed, format, options) — workbooks as units fill them: one sheet or one sheet per table
    "merged-ranges-one-sheet-2021": (301, "2021", {"sheets": "one"}),
    "sheet-per-table-2019": (302, "2019", {"sheets": "per-table"}),
}


@pytest.mark.skipif(not REGEN, reason="set NIANBAO_REGEN_GOLDEN=1 to rewrite the golden files")
def test_regenerate_golden():
    rewrite_golden_files(DATA, ".xlsx", GOLDEN, render_xlsx)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden(name):
    """A golden workbook reads exactly as its gold file says, and its merged ranges are spans."""
    assert_golden(DATA, name, ".xlsx")
    doc = read(DATA / f"{name}.xlsx")
    assert any(c.spanned for t in doc.tables for r in t.rows for c in r.cells)
