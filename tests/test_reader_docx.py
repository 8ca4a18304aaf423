"""DOCX reader: synthetic Word documents → ``nianbao.load`` → exactly the numbers they were printed from.

The generator (``nianbao.synth.docx``) lays the text model's rows out as Word tables with real
merged cells (gridSpan / vMerge), so a disagreement is a reader bug. The reader's grid convention
(a merged cell's text repeated in every grid position it covers) is tested on the raw grid too.
Golden files in tests/data/docx/ are regenerated only with NIANBAO_REGEN_GOLDEN=1 (and a test
fails while that flag is on, so it is never left on in CI).
"""
from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from docx import Document as new_document

import nianbao
from nianbao import schema
from nianbao.readers import read
from nianbao.synth import random_report, render, render_file
from nianbao.synth.docx import (
    TEXT_DAMAGE,
    add_table,
    application_grid,
    read_grid,
    render_docx,
    review_grid,
)

from .helpers import assert_exact, assert_golden, rewrite_golden_files, same

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "docx"
REGEN = os.environ.get("NIANBAO_REGEN_GOLDEN") == "1"
FORMATS = (schema.FORMAT_2021, schema.FORMAT_2019)


def load_docx(tmp_path, seed: int, fmt: str, **options):
    rng = random.Random(seed)
    rep = random_report(rng, fmt=fmt)
    data, expected = render_docx(rep, rng, **options)
    path = tmp_path / f"synth-{seed}-{fmt}.docx"
    path.write_bytes(data)
    return rep, expected, nianbao.load(path)


# --------------------------------------------------------------------------- round trips

@pytest.mark.parametrize("split", [False, True], ids=["one-table", "split-at-page-break"])
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("seed", [0, 7, 23])
def test_roundtrip(tmp_path, seed, fmt, split):
    """Every cell of a Word report with merged cells comes back exactly, 表三 split over two tables or not."""
    rep, expected, report = load_docx(tmp_path, seed, fmt, split_table=split)
    assert_exact(rep, expected, report)


@pytest.mark.parametrize("seed", [3, 11])
def test_roundtrip_text_damage(tmp_path, seed):
    """Typos, traditional characters, full-width digits, thousands separators, units and blank
    nulls in Word cells are read as in text files."""
    rep, expected, report = load_docx(tmp_path, seed, FORMATS[seed % 2], damage=TEXT_DAMAGE,
                                      split_table=bool(seed % 2))
    assert any(v is None for v in expected.values())
    assert_exact(rep, expected, report)


@pytest.mark.parametrize("seed", [5, 12])
def test_unmerged_active_values(tmp_path, seed):
    """表二 values printed in unmerged cells (empty cells beside them) read the same."""
    rep, expected, report = load_docx(tmp_path, seed, FORMATS[seed % 2], merge_values=False)
    assert_exact(rep, expected, report)


@pytest.mark.parametrize("fmt", FORMATS)
def test_same_report_as_text_and_docx(tmp_path, fmt):
    """The same report printed as a tab-separated text file and as a Word document reads identically."""
    rep = random_report(random.Random(41), fmt=fmt)
    render_file(rep, tmp_path / "r.txt", random.Random(99), layout="tsv")
    data, _ = render_docx(rep, random.Random(99))
    (tmp_path / "r.docx").write_bytes(data)
    from_text = nianbao.load(tmp_path / "r.txt").to_dict()
    from_docx = nianbao.load(tmp_path / "r.docx").to_dict()
    assert from_docx == from_text


# --------------------------------------------------------------------------- the grid

def _grid_doc(tmp_path, grids) -> list:
    doc = new_document()
    doc.add_heading("一、总体情况", level=1)
    for grid, merges in grids:
        add_table(doc, grid, merges)
        doc.add_paragraph("表后文字")
    path = tmp_path / "grid.docx"
    doc.save(path)
    return read(path).blocks


def test_merged_cells_fill_the_true_grid(tmp_path):
    """gridSpan and vMerge come back as a full grid with the merged text in every position it covers,
    each cell with its table, row and grid column."""
    rd = render(random_report(random.Random(2)), random.Random(3), layout="tsv")
    app, app_merges, _ = application_grid(rd.tables["applications"])
    rl, rl_merges = review_grid(rd.tables["review_litigation"])
    blocks = _grid_doc(tmp_path, [(app, app_merges), (rl, rl_merges)])
    assert blocks[0].text == "一、总体情况" and blocks[0].heading == 1 and blocks[0].source.line == 1
    tables = [b for b in blocks if hasattr(b, "rows")]
    assert [t.index for t in tables] == [1, 2]
    assert [r.texts for r in tables[0].rows] == read_grid(app, app_merges)
    assert [r.texts for r in tables[1].rows] == read_grid(rl, rl_merges)
    assert tables[1].rows[0].texts[:6] == ["行政复议"] * 5 + ["行政诉讼"]
    assert [c.spanned for c in tables[1].rows[0].cells[:6]] == [False] + [True] * 4 + [False]
    assert [c.spanned for c in tables[1].rows[2].cells[:2]] == [True, True]  # under 结果维持, 结果纠正
    assert [c.spanned for c in tables[0].rows[2].cells[:4]] == [True, True, True, True]
    assert tables[1].rows[2].texts[0] == tables[1].rows[1].texts[0] == "结果维持"
    cell = tables[0].rows[4].cells[3]
    assert (cell.source.table, cell.source.row, cell.source.col) == (1, 5, 4)
    assert all(len(r.cells) == 10 for r in tables[0].rows)
    assert [b.text for b in blocks if not hasattr(b, "rows")][1:] == ["表后文字", "表后文字"]


def test_cell_paragraphs_join_without_spaces(tmp_path):
    doc = new_document()
    cell = doc.add_table(rows=1, cols=2).cell(0, 0)
    cell.text = "（三）不予"
    cell.add_paragraph("公开")
    cell.add_paragraph("")
    other = doc.add_table(rows=1, cols=1).cell(0, 0)
    other.text = "Item A"
    other.add_paragraph("B 12")
    doc.save(tmp_path / "j.docx")
    tables = read(tmp_path / "j.docx").tables
    assert tables[0].rows[0].texts == ["（三）不予公开", ""]
    assert tables[1].rows[0].texts == ["Item A B 12"]


def test_header_and_footer_are_not_read(tmp_path):
    """Page headers and footers (page numbers, a footer table of numbers) never reach the Document."""
    rep, expected, report = load_docx(tmp_path, 8, "2021", header_footer=True)
    assert_exact(rep, expected, report)
    doc = read(tmp_path / "synth-8-2021.docx")
    texts = [c.text for t in doc.tables for r in t.rows for c in r.cells] + [p.text for p in doc.paragraphs]
    assert not any("页" in t and "共" in t for t in texts)
    assert not any("编号" in t for t in texts)
    assert len(doc.tables) == 4 + 2  # 表二's four 第二十条 groups, 表三, 表四: not the footer's table


# --------------------------------------------------------------------------- golden files

GOLDEN = {
    # name: (seed, format, options) — each shows one thing a Word report does.
    "merged-header-2021": (101, "2021", {}),
    "split-table-2019": (102, "2019", {"split_table": True}),
    "signature-in-textbox-2021": (103, "2021", {"signature_in_textbox": True}),
    "nested-active-table-2019": (104, "2019", {"nested_active": True}),
}


def regenerate_golden() -> None:
    """Write tests/data/docx/<name>.docx and <name>.gold.json (the generator's truth, not the reader's
    output). Run with NIANBAO_REGEN_GOLDEN=1 pytest tests/test_reader_docx.py -k regenerate."""
    rewrite_golden_files(DATA, ".docx", GOLDEN, render_docx)


@pytest.mark.skipif(not REGEN, reason="set NIANBAO_REGEN_GOLDEN=1 to rewrite the golden files")
def test_regenerate_golden():
    regenerate_golden()


def test_regen_flag_is_off():
    """Golden files are rewritten only on purpose: the flag must never be left on."""
    assert not REGEN, "NIANBAO_REGEN_GOLDEN=1 is set: golden files were rewritten, unset it and review the diff"


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden(name):
    assert_golden(DATA, name, ".docx")


def test_golden_textbox_paragraphs():
    """The unit and date printed inside a text box are read once each (the VML fallback is skipped)."""
    gold = json.loads((DATA / "signature-in-textbox-2021.gold.json").read_text(encoding="utf-8"))
    doc = read(DATA / "signature-in-textbox-2021.docx")
    texts = [p.text for p in doc.paragraphs]
    assert texts[-2:] == [gold["unit"], nianbao_date(gold["report_date"])]
    assert texts[-3:].count(gold["unit"]) == 1
    assert texts.count(nianbao_date(gold["report_date"])) == 1


def test_golden_nested_table():
    """A table nested in a layout cell follows its outer table as its own table block."""
    doc = read(DATA / "nested-active-table-2019.docx")
    outer, inner = doc.tables[0], doc.tables[1]
    assert (outer.index, inner.index) == (1, 2)
    assert outer.rows[0].texts == [""]
    assert inner.rows[0].texts == ["第二十条第（一）项"] * 4
    assert inner.rows[2].cells[1].source[2:5] == (2, 3, 2)


def nianbao_date(iso: str) -> str:
    y, m, d = (int(x) for x in iso.split("-"))
    return f"{y}年{m}月{d}日"


# --------------------------------------------------------------------------- bad input (real CLI)

def _nianbao() -> list[str]:
    exe = REPO / ".venv" / "bin" / "nianbao"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "nianbao"]


def _valid_docx() -> bytes:
    rng = random.Random(5)
    return render_docx(random_report(rng), rng)[0]


def _bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            chunk = b"<w:p/>" * (1 << 18)
            for _ in range(70):  # 110 MB of XML
                fh.write(chunk)
    return buf.getvalue()


def _garbled() -> bytes:
    data = bytearray(_valid_docx())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename) + 200
    data[start:start + 400] = bytes(400)
    return bytes(data)


BAD = {
    "not-a-zip": (lambda: "这不是一个 Word 文档，只是改了扩展名的文字。\n".encode(), "zip"),
    "truncated-zip": (lambda: _valid_docx()[:3000], "损坏"),
    "garbled-zip": (_garbled, "损坏"),
    "zip-bomb": (_bomb, "压缩炸弹"),
    "ole-encrypted": (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4088), "加密"),
}


@pytest.mark.timeout(30)
def test_bad_docx_through_cli(tmp_path):
    """Each bad .docx gets one `failed` JSON line with a Chinese reason naming the problem; exit 2."""
    paths = []
    for name, (make, _) in BAD.items():
        p = tmp_path / f"{name}.docx"
        p.write_bytes(make())
        paths.append(p)
    assert len(BAD["zip-bomb"][0]()) < 1024 * 1024
    proc = subprocess.run(_nianbao() + ["check", "--format", "json", *map(str, paths)], cwd=REPO,
                          capture_output=True, text=True, encoding="utf-8", timeout=30, check=False)
    assert "Traceback" not in proc.stderr, proc.stderr
    records = {Path(r["file"]).stem: r for r in map(json.loads, filter(str.strip, proc.stdout.splitlines()))}
    assert set(records) == set(BAD)
    for name, (_, mentions) in BAD.items():
        rec = records[name]
        assert rec["status"] == "failed", rec
        assert mentions in rec["error"], rec
        assert "\n" not in rec["error"] and not rec["error"].startswith("内部错误"), rec
    assert proc.returncode == 2


# --------------------------------------------------------------------------- XML corner cases

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _raw_docx(body: str, styles: str = "") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{_W}">'
                                         f"<w:body>{body}<w:sectPr/></w:body></w:document>")
        if styles:
            zf.writestr("word/styles.xml", f'<w:styles xmlns:w="{_W}">{styles}</w:styles>')
    return buf.getvalue()


def test_xml_corner_cases(tmp_path):
    """Content controls, hyperlinks, tracked deletions, line breaks, Chinese style names, outline
    levels, gridBefore/gridAfter and a vertical merge under a horizontal one."""
    styles = ('<w:style w:type="paragraph" w:styleId="2"><w:name w:val="标题 2"/></w:style>'
              '<w:style w:type="paragraph" w:styleId="a5"><w:name w:val="正文文本"/></w:style>')
    body = (
        '<w:p><w:pPr><w:pStyle w:val="2"/></w:pPr><w:r><w:t>一、总体情况</w:t></w:r></w:p>'
        '<w:sdt><w:sdtContent><w:p><w:pPr><w:pStyle w:val="a5"/></w:pPr>'
        '<w:hyperlink><w:r><w:t>链接</w:t></w:r></w:hyperlink><w:del><w:r><w:delText>删掉</w:delText></w:r></w:del>'
        '<w:r><w:t>文字</w:t><w:br/><w:t>第二行</w:t></w:r></w:p></w:sdtContent></w:sdt>'
        '<w:p/>'
        '<w:p><w:pPr><w:outlineLvl w:val="0"/></w:pPr><w:r><w:t>标题</w:t></w:r></w:p>'
        '<w:tbl><w:tblGrid><w:gridCol/><w:gridCol/><w:gridCol/><w:gridCol/></w:tblGrid>'
        '<w:tr><w:tc><w:tcPr><w:gridSpan w:val="2"/><w:vMerge w:val="restart"/></w:tcPr><w:p><w:r><w:t>甲</w:t></w:r></w:p></w:tc>'
        '<w:tc><w:p><w:r><w:t>1</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>2</w:t></w:r></w:p></w:tc></w:tr>'
        '<w:tr><w:tc><w:tcPr><w:gridSpan w:val="2"/><w:vMerge/></w:tcPr><w:p/></w:tc>'
        '<w:tc><w:p><w:r><w:t>3</w:t></w:r></w:p></w:tc><w:trPr><w:gridAfter w:val="1"/></w:trPr></w:tr>'
        '<w:tr><w:trPr><w:gridBefore w:val="1"/></w:trPr><w:tc><w:p><w:r><w:t>乙</w:t></w:r></w:p></w:tc>'
        '<w:sdt><w:sdtContent><w:tc><w:tcPr><w:gridSpan w:val="2"/></w:tcPr><w:p><w:r><w:t>4</w:t></w:r></w:p></w:tc>'
        '</w:sdtContent></w:sdt></w:tr></w:tbl>')
    path = tmp_path / "corner.docx"
    path.write_bytes(_raw_docx(body, styles))
    doc = read(path)
    paras = [(p.text, p.heading, p.source.line) for p in doc.paragraphs]
    assert paras == [("一、总体情况", 2, 1), ("链接文字", 0, 2), ("第二行", 0, 2), ("标题", 1, 4)]
    (table,) = doc.tables
    assert [r.texts for r in table.rows] == [["甲", "甲", "1", "2"], ["甲", "甲", "3", ""], ["", "乙", "4", "4"]]
    assert table.rows[2].cells[3].source[2:5] == (1, 3, 4)


def test_empty_docx_is_a_read_error(tmp_path):
    path = tmp_path / "empty.docx"
    path.write_bytes(_raw_docx("<w:p/>"))
    with pytest.raises(nianbao.errors.ReadError, match="没有文字内容"):
        read(path)


# --------------------------------------------------------------------------- regressions


def test_blank_before_merged_value_2019(tmp_path):
    """2019 表二 row “行政事业性收费 | (blank) | 3 | 3” under “信息内容 | 上一年项目数量 | 本年增/减 | 本年增/减”
    (本年增/减 merged over the last two grid columns). Before merged copies were marked
    `Cell.spanned`, the values aligned as “3, 3” and 上一年项目数量 silently read 3 instead of null."""
    rng = random.Random(33)
    rep = random_report(rng, fmt="2019")
    data, _ = render_docx(rep, random.Random(0), damage=("blank_nulls",))
    (tmp_path / "r.docx").write_bytes(data)
    report = nianbao.load(tmp_path / "r.docx")
    row = next(r.texts for t in read(tmp_path / "r.docx").tables for r in t.rows if r.texts[0] == "行政事业性收费")
    assert row[1] == "" and row[2] == row[3] != "", row  # the situation this test is about
    assert same(report.flat()["extra_2019.active.fees.previous_count"], None)


def test_damaged_bytes_never_crash(tmp_path):
    """Random byte damage and truncation: the file is read or refused with a ReadError, never a crash
    (found: a damaged zip directory raised NotImplementedError “zip file version 12.5”)."""
    from nianbao.readers.docx import read_docx
    from nianbao.recognize import recognize
    data = _valid_docx()
    rng = random.Random(2)
    for _ in range(40):
        b = bytearray(data)
        for _ in range(rng.randint(1, 20)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        if rng.random() < 0.3:
            b = b[:rng.randrange(len(b))]
        try:
            recognize(read_docx("damaged.docx", bytes(b)))
        except nianbao.errors.ReadError as exc:
            assert exc.message.strip()
