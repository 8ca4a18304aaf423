"""The HTML reader: web pages read with the exactness of text reports.

Synthetic reports printed as HTML (nianbao.synth.html, official 国办 merged cells) must come back
with exactly the numbers they were printed from, and the same report printed as text and as HTML
must give the same Report. The seed reports turned into HTML tables must read like their .txt; the
small pages in tests/data/html/ pin the page shapes of real sites (GBK gov page, <p> in cells,
tables flattened into lines, an article inside a layout table). Bad input fails with a Chinese
message and a `.doc` that is a web page is read as one.
"""
from __future__ import annotations

import html
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

import nianbao
from nianbao import schema
from nianbao.document import Table
from nianbao.errors import ReadError
from nianbao.readers import read
from nianbao.readers.html import _grid, cell_text, read_html
from nianbao.synth import random_report, render_file
from nianbao.synth.data import check_consistent
from nianbao.synth.html import HTML_DAMAGE, STYLES, render_html

from .conftest import seed_files
from .helpers import gold_match as _match, same

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "html"
FORMATS = (schema.FORMAT_2021, schema.FORMAT_2019)


def roundtrip(tmp_path, seed: int, fmt: str, style: str, **kw):
    rng = random.Random(seed)
    rep = random_report(rng, fmt=fmt)
    assert not check_consistent(rep)
    data, expected = render_html(rep, rng, style=style, **kw)
    path = tmp_path / f"synth-{seed}.html"
    path.write_bytes(data)
    report = nianbao.load(path)
    where = f"seed={seed} fmt={fmt} style={style} {kw}"
    flat = report.flat()
    assert set(flat) == set(expected), where
    wrong = {p: (want, flat[p]) for p, want in expected.items() if not same(flat[p], want)}
    assert not wrong, f"{where}: (expected, got) {dict(list(wrong.items())[:8])}"
    assert report.format == rep.fmt, where
    assert report.year == rep.year, where
    assert report.unit and rep.unit_core in report.unit, f"{where}: unit {report.unit!r}"
    assert report.report_date == rep.report_date, where  # never the footer's or the publication date
    errors = [f"{f.rule} {f.message}" for f in nianbao.check(report)
              if f.severity == "error" and f.category == "arithmetic"]
    assert not errors, f"{where}: {errors}"
    return report


# ------------------------------------------------------------------------------------------ synthetic

@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_synthetic_page_reads_exactly(tmp_path, seed, fmt, style):
    roundtrip(tmp_path, seed, fmt, style)


@pytest.mark.parametrize("style", ("plain", "p-in-cells", "gbk"))
@pytest.mark.parametrize("seed", range(10, 16))
def test_synthetic_page_with_cell_damage_and_split_tables(tmp_path, seed, style):
    """Value-text damage (units, thousands, full-width, traditional, typos, blank nulls) and
    表二/表三 published as two <table>s each."""
    fmt = FORMATS[seed % 2]
    rng = random.Random(seed * 7)
    damage = [d for d in HTML_DAMAGE if rng.random() < 0.6]
    roundtrip(tmp_path, seed, fmt, style, damage=damage, split_tables=True)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("seed", [5, 6, 7])
def test_same_report_as_text_and_as_html(tmp_path, seed, fmt):
    rep = random_report(random.Random(seed), fmt=fmt)
    txt = tmp_path / "r.txt"
    render_file(rep, txt, random.Random(seed + 1), layout="tsv")
    data, _ = render_html(rep, random.Random(seed + 2), style="gov-page")
    page = tmp_path / "r.html"
    page.write_bytes(data)
    assert nianbao.load(page).to_dict() == nianbao.load(txt).to_dict()


# ------------------------------------------------------------------------------------------ seeds

def seed_as_html(path: Path) -> str:
    """The seed as a simple web page: each table row the text reader found (cells split on tabs,
    or one cell per line in Word's table-to-text) as a <tr>, every other line as a <p>."""
    doc = read(path)
    out = ['<html><head><meta charset="utf-8"><title>年报</title></head><body>']
    for b in doc.blocks:
        if isinstance(b, Table):
            out.append('<table border="1">')
            out += ["<tr>" + "".join(f"<td>{html.escape(c.text)}</td>" for c in r.cells) + "</tr>" for r in b.rows]
            out.append("</table>")
        else:
            out.append(f"<p>{html.escape(b.text)}</p>")
    out.append("</body></html>")
    return "\n".join(out)


def _gold_cells(block, prefix=""):
    for k, v in block.items():
        if isinstance(v, dict) and "any_of" not in v:
            yield from _gold_cells(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}", v


def _lookup(d, path):
    for part in path.split("."):
        if not isinstance(d, dict) or part not in d:
            return "<missing>"
        d = d[part]
    return d


@pytest.mark.parametrize("seed", seed_files(), ids=lambda p: p.stem[:3])
def test_seed_as_html_reads_like_text(tmp_path, seed):
    page = tmp_path / (seed.stem + ".html")
    page.write_text(seed_as_html(seed), encoding="utf-8")
    got, want = nianbao.load(page), nianbao.load(seed)
    assert got.to_dict() == want.to_dict()
    gold = json.loads(seed.with_suffix("").with_suffix(".gold.json").read_text(encoding="utf-8"))
    report = got.to_dict()
    wrong = [(p, g, _lookup(report, p)) for p, g in _gold_cells(gold)
             if p not in ("findings", "status") and not isinstance(g, list) and not _match(g, _lookup(report, p))
             and not isinstance(g, str)]
    assert not wrong, wrong[:8]


# ------------------------------------------------------------------------------------------ golden pages

GOLDEN = {
    # name: (format, year, unit, report_date, {path: value})
    "gov-page-gbk.html": ("2021", 2025, "湾顺市司法局", "2026-03-07",
                          {"applications.new_received.total": 2, "applications.handled_total.total": 4,
                           "active.licensing.decisions": 15907, "applications.carried_forward.total": 0}),
    "p-in-cells-2019.html": ("2019", 2020, "丘望市司法局", "2021-02-02",
                             {"applications.new_received.total": 2, "applications.handled_total.total": 1,
                              "active.licensing.decisions": 10682, "applications.carried_forward.total": 2}),
    "text-only-flattened.html": ("2021", 2021, "竹丰市禾峰乡人民政府", "2022-02-16",
                                 {"applications.new_received.total": 2, "applications.handled_total.total": 2,
                                  "active.licensing.decisions": 131, "applications.carried_forward.total": 1}),
    "article-only.html": ("2021", 2021, "青丰县人民政府", "2022-02-05",
                          {"applications.new_received.total": 0, "active.licensing.decisions": 46}),
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_page(name):
    fmt, year, unit, date, cells = GOLDEN[name]
    report = nianbao.load(DATA / name)
    assert (report.status, report.format, report.year, report.unit, report.report_date) == ("ok", fmt, year, unit, date)
    for path, value in cells.items():
        assert same(report.get(path), value), path
    assert not [f for f in nianbao.check(report) if f.severity == "error" and f.category == "arithmetic"]


def test_gbk_page_is_decoded_as_gb18030():
    doc = read(DATA / "gov-page-gbk.html")
    assert doc.kind == "html" and doc.encoding == "gb18030"
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "湾顺市司法局" in text
    # Page furniture is dropped: navigation, breadcrumb, footer (版权所有, its date), scripts.
    for junk in ("版权所有", "ICP备案", "当前位置", "政务服务", "console", "加载中", "分享到"):
        assert junk not in text, junk


def test_provenance_of_cells_and_lines():
    doc = read(DATA / "gov-page-gbk.html")
    tables = doc.tables
    assert [t.index for t in tables] == list(range(1, len(tables) + 1))
    for t in tables:
        widths = {len(r.cells) for r in t.rows}
        assert len(widths) == 1, "a true grid: every row has the same number of cells"
        for r in t.rows:
            for c, cell in enumerate(r.cells, 1):
                assert (cell.source.table, cell.source.row, cell.source.col) == (t.index, r.source.row, c)
    raw = (DATA / "gov-page-gbk.html").read_bytes().decode("gb18030").splitlines()
    title = next(p for p in doc.paragraphs if p.heading == 1)
    assert title.text in html.unescape(raw[title.source.line - 1])


# ------------------------------------------------------------------------------------------ the grid

def _cells(markup: str):
    from lxml import etree
    root = etree.fromstring(markup, etree.HTMLParser())
    return [[c for c in tr if c.tag in ("td", "th")] for tr in root.iter("tr")]


def test_merged_cells_are_repeated_over_their_span():
    grid = _grid(_cells("""<table>
      <tr><td rowspan="3" colspan="2">勾稽</td><td colspan="3">申请人情况</td></tr>
      <tr><td rowspan="2">自然人</td><td colspan="2">法人</td></tr>
      <tr><td>商业</td><td>&nbsp;</td></tr>
      <tr><td>一</td><td>x</td><td>1</td><td>2</td></tr></table>"""))
    assert [[t for t, _ in row] for row in grid] == [["勾稽", "勾稽", "申请人情况", "申请人情况", "申请人情况"],
                                                     ["勾稽", "勾稽", "自然人", "法人", "法人"],
                                                     ["勾稽", "勾稽", "自然人", "商业", ""],
                                                     ["一", "x", "1", "2", ""]]
    # Every position but a merged cell's first is marked spanned (a merged value is one value).
    assert [[int(sp) for _, sp in row] for row in grid] == [[0, 1, 0, 1, 1], [1, 1, 0, 0, 1], [1, 1, 1, 0, 0],
                                                            [0, 0, 0, 0, 0]]


def test_rowspan_reaching_past_the_row_end_and_bad_spans():
    grid = _grid(_cells("""<table><tr><td>a</td><td rowspan="2">b</td><td rowspan="9">c</td></tr>
      <tr><td colspan="abc">d</td></tr><tr><td colspan="99999">e</td></tr></table>"""))
    assert [[t for t, _ in row] for row in grid] == [["a", "b", "c"], ["d", "b", "c"], ["e", "", "c"]]


@pytest.mark.parametrize("markup, text", [
    ("<td><p>申请人</p><p>情况</p></td>", "申请人情况"),
    ("<td><span>本年新收</span><br/>\n   <span>申请数量</span></td>", "本年新收申请数量"),
    ("<td><p>1</p><p>234</p></td>", "1 234"),
    ("<td>1. 属于国家秘密</td>", "1. 属于国家秘密"),
    ("<td>&nbsp;</td>", ""),
    ("<td> <p class='MsoNormal'><span>&nbsp;</span><o:p></o:p></p> </td>", ""),
    ("<td>12<script>x=1</script></td>", "12"),
])
def test_cell_text(markup, text):
    cell = _cells(f"<table><tr>{markup}</tr></table>")[0][0]
    assert cell_text(cell) == text


def test_layout_table_is_read_as_blocks_and_text_lines_split():
    page = ("<table><tr><td><p>某镇人民政府2024年政府信息公开工作年度报告</p>"
            "<table><tr><td>a</td><td>1</td></tr></table>一行<br>二行\n三行</td></tr></table>").encode()
    doc = read_html("x.html", page)
    kinds = [(type(b).__name__, getattr(b, "text", None)) for b in doc.blocks]
    assert kinds == [("Paragraph", "某镇人民政府2024年政府信息公开工作年度报告"), ("Table", None),
                     ("Paragraph", "一行"), ("Paragraph", "二行"), ("Paragraph", "三行")]


@pytest.mark.parametrize("declared, encoding", [("gbk", "utf-8"), ("utf-8", "gb18030"), ("gb2312", "gb18030")])
def test_wrong_or_right_charset_declarations(declared, encoding):
    page = f'<html><head><meta charset="{declared}"></head><body><p>政府信息公开工作年度报告</p></body></html>'
    doc = read_html("x.html", page.encode(encoding))
    assert doc.paragraphs[0].text == "政府信息公开工作年度报告"


# ------------------------------------------------------------------------------------------ bad input

def test_bad_input_fails_with_chinese_message(tmp_path):
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    junk = tmp_path / "junk.html"
    junk.write_bytes(bytes(random.Random(1).randrange(256) for _ in range(4000)))
    news = tmp_path / "news.html"
    news.write_text("<html><body><div class='nav'>首页</div><h1>我市召开春季植树动员会</h1>"
                    "<p>3月12日，全市干部群众参加义务植树活动。</p></body></html>", encoding="utf-8")
    scripts = tmp_path / "scripts.html"
    scripts.write_text("<html><head><script>var a = 1;</script></head><body></body></html>", encoding="utf-8")
    plain = tmp_path / "plain.html"
    plain.write_text("这不是网页，只是一行文字。", encoding="utf-8")
    files = [empty, junk, news, scripts, plain]
    proc = subprocess.run([sys.executable, "-m", "nianbao", "check", "--format", "json", *map(str, files)],
                          check=False, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert "Traceback" not in proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert len(records) == len(files)
    for rec in records:
        assert rec["status"] == "failed", rec
        assert rec["error"] and any("\u4e00" <= ch <= "\u9fff" for ch in rec["error"]), rec
        assert "内部错误" not in rec["error"], rec


def test_read_html_refuses_without_crashing():
    with pytest.raises(ReadError, match="为空"):
        read_html("x.html", b"  \n")
    with pytest.raises(ReadError, match="HTML"):
        read_html("x.html", "只是文字".encode())
    with pytest.raises(ReadError):
        read_html("x.html", b"\x00\x01\x02<html>\xff\xfe\x00" * 100)


def test_doc_file_that_is_html_is_read_as_html(tmp_path):
    data, expected = render_html(random_report(random.Random(9)), random.Random(10), style="p-in-cells")
    doc_file = tmp_path / "x.doc"
    doc_file.write_bytes(data)
    assert read(doc_file).kind == "html"
    flat = nianbao.load(doc_file).flat()
    assert all(same(flat[p], v) for p, v in expected.items())
