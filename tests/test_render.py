"""The renderer's acceptance test is the round trip: every rendered file, read back by nianbao's own
readers, gives exactly the cells that went in (and unit, year, date) and no arithmetic or structure
finding the data does not deserve. The PDF is also rasterised and checked for a table grid and for
text inside the page margins; the pictures are kept in /tmp/render-preview/ for a human look.
"""
from __future__ import annotations

import glob
import os
import random

import pytest

from nianbao import schema
from nianbao.batch import check_file
from nianbao.libreoffice import soffice
from nianbao.model import BLANK, PRINTED, Report, SectionText, Value
from nianbao.outputs.render import FORMATS, render
from nianbao.outputs.render.layout import application_grid, fmt_value
from nianbao.synth.data import SynthReport, random_report

SEEDS = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data", "seeds", "*.txt")))
PREVIEW = "/tmp/render-preview"
needs_soffice = pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed")


def to_report(s: SynthReport) -> Report:
    """A SynthReport as the Report a renderer gets: every 2021 cell PRINTED (None → blank)."""
    rep = Report(path="synth", format=schema.FORMAT_2021, unit=s.unit, year=s.year, report_date=s.report_date)
    for p in schema.paths_2021():
        v = s.cells.get(p)
        rep.cells[p] = Value(v, PRINTED if v is not None else BLANK)
    for sec in schema.SECTIONS:
        rep.sections[sec.key] = SectionText(sec.key, f"{sec.no}、{sec.title}", "\n".join(s.sections.get(sec.key, [])),
                                            None)
    return rep


def generated(n: int, offset: int = 0) -> list[Report]:
    """n reports covering the profiles: all-zero tables, small counts, large counts."""
    out = []
    for i in range(n):
        rng = random.Random(1000 + offset + i)
        out.append(to_report(random_report(rng, profile=("zero", "small", "large")[i % 3])))
    return out


MARKDOWN_NARRATIVE = {
    "overview": ("本年度，我局认真贯彻落实《中华人民共和国政府信息公开条例》，**全面推进**政务公开工作。\n\n"
                 "### （一）主动公开情况\n"
                 "- 通过门户网站主动公开政府信息 **126** 条；\n"
                 "* 更新政策解读 8 篇，a|b 与 x*y 照原样印出。\n\n"
                 "### （二）依申请公开情况\n"
                 "1. 规范受理、登记、答复流程；\n"
                 "2. 按时答复率 100%。\n"
                 "## （三）政府信息管理\n"
                 "+ 建立信息发布审查制度。"),
    "problems": "**存在问题**：公开内容不够全面。\n**改进措施**：加强培训，完善制度。",
    "other": "### 信息处理费收取情况\n本年度未收取信息处理费。",
}
MARKDOWN_PLAIN = {  # what a reader gives back: markup gone, one paragraph per line
    "overview": ["本年度，我局认真贯彻落实《中华人民共和国政府信息公开条例》，全面推进政务公开工作。", "（一）主动公开情况",
                 "通过门户网站主动公开政府信息 126 条；", "更新政策解读 8 篇，a|b 与 x*y 照原样印出。", "（二）依申请公开情况",
                 "1. 规范受理、登记、答复流程；", "2. 按时答复率 100%。", "（三）政府信息管理", "建立信息发布审查制度。"],
    "problems": ["存在问题：公开内容不够全面。", "改进措施：加强培训，完善制度。"],
    "other": ["信息处理费收取情况", "本年度未收取信息处理费。"],
}


def with_markdown(rep: Report) -> Report:
    """The clerk wrote sections 一、五、六 in Markdown (sub-headings, bold, list items)."""
    for key, text in MARKDOWN_NARRATIVE.items():
        sec = schema.SECTION_BY_KEY[key]
        rep.sections[key] = SectionText(key, f"{sec.no}、{sec.title}", text, None)
    return rep


def narrative_found(rep: Report, path: str) -> list[str]:
    """All six sections found in the file read back, the Markdown narrative printed without markup."""
    out = check_file(path).report
    bad = [f"section {s.key} not found" for s in schema.SECTIONS if out.sections[s.key].heading is None]
    for key, want in MARKDOWN_PLAIN.items():
        got = [" ".join(t.split()) for t in out.sections[key].text.splitlines() if t.strip()]
        if got != want:
            bad.append(f"{key}: {got!r} ≠ {want!r}")
    return bad


def round_trip(rep: Report, path: str, deserved: set | None = None) -> list[str]:
    """What differs between `rep` and `path` read back; empty when the round trip is exact."""
    res = check_file(path)
    assert res.report is not None, res.error
    out, bad = res.report, []
    a, b = rep.flat(), out.flat()
    bad += [f"{p}: {a[p]!r} → {b[p]!r}" for p in schema.paths_2021() if a[p] != b[p]]
    bad += [f"{k}: {getattr(rep, k)!r} → {getattr(out, k)!r}" for k in ("unit", "year", "report_date")
            if getattr(rep, k) != getattr(out, k)]
    arith = {(f.rule, tuple(f.cells)) for f in res.findings if f.category == "arithmetic"}
    if arith != (deserved or set()):
        bad.append(f"arithmetic findings {sorted(arith)} ≠ deserved {sorted(deserved or set())}")
    bad += [f"{f.rule} {f.message}" for f in res.findings if f.category == "structure"]
    # the rendered title is the official one: it must be found (a wrapped PDF title once was not)
    bad += [f"{f.rule} {f.message}" for f in res.findings if f.rule == "PUB-02"]
    return bad


@pytest.mark.parametrize("suffix", [".docx", ".html", ".md"])
def test_round_trip_generated(tmp_path, suffix):
    reports = generated(10)
    assert any(all(not v.value for p, v in r.cells.items() if p.startswith("applications")) for r in reports)
    assert any(max((v.value or 0) for v in r.cells.values()) >= 1000 for r in reports)
    for i, rep in enumerate(reports):
        if i % 2:
            with_markdown(rep)
        path = str(tmp_path / f"r{i}{suffix}")
        render(rep, path)
        assert round_trip(rep, path) == [], f"report {i} ({suffix})"
        if i % 2:
            assert narrative_found(rep, path) == [], f"report {i} ({suffix})"


def test_blank_and_decimal_cells_print_as_data(tmp_path):
    rep = generated(1, 50)[0]
    rep.cells["active.fees.amount_wan_yuan"] = Value(12.05, PRINTED)
    rep.cells["applications.granted.research"] = Value(None, BLANK)
    assert fmt_value(12.05) == "12.05" and fmt_value(3.0) == "3" and fmt_value(None) == ""
    for suffix in (".docx", ".html", ".md"):
        path = str(tmp_path / f"d{suffix}")
        render(rep, path)
        res = check_file(path)
        assert res.report.get("active.fees.amount_wan_yuan") == 12.05
        assert res.report.get("applications.granted.research") is None


def test_unknown_suffix(tmp_path):
    with pytest.raises(ValueError, match="不支持的输出格式"):
        render(generated(1)[0], str(tmp_path / "x.odt"))
    assert FORMATS == (".docx", ".html", ".md", ".pdf")


def test_application_grid_is_the_official_layout():
    g = application_grid(generated(1)[0])
    assert len(g.rows) == 3 + len(schema.APP_ROWS) and g.ncols == 10
    assert (0, 0, 2, 2) in g.merges and (1, 4, 1, 8) in g.merges  # 勾稽 note, 法人或其他组织
    first = 3 + [r.key for r in schema.APP_ROWS].index("granted")
    last = 3 + [r.key for r in schema.APP_ROWS].index("handled_total")
    assert (first, 0, last, 0) in g.merges  # 三、本年度办理结果 spans its rows
    assert g.rows[first + 2][1] == "（三）不予公开"


@pytest.mark.skipif(not SEEDS, reason="seeds not available")
@pytest.mark.parametrize("suffix", [".docx", ".html", ".md"])
def test_round_trip_seeds(tmp_path, suffix):
    """The seeds' data printed as it is: their own arithmetic errors come back, nothing else."""
    for seed in SEEDS:
        res = check_file(seed)
        deserved = {(f.rule, tuple(f.cells)) for f in res.findings if f.category == "arithmetic"}
        path = str(tmp_path / (os.path.basename(seed)[:3] + suffix))
        render(res.report, path)
        assert round_trip(res.report, path, deserved) == [], seed


@needs_soffice
def test_round_trip_pdf_and_page_picture(tmp_path):
    pdfium = pytest.importorskip("pypdfium2")
    os.makedirs(PREVIEW, exist_ok=True)
    reports = generated(3)[1:]  # a small and a large one
    with_markdown(reports[1])
    for i, rep in enumerate(reports):
        path = str(tmp_path / f"r{i}.pdf")
        render(rep, path)
        assert round_trip(rep, path) == [], f"pdf {i}"
        if i == 1:
            assert narrative_found(rep, path) == []
        doc = pdfium.PdfDocument(path)
        grids = 0
        for n in range(len(doc)):
            img = doc[n].render(scale=1.0).to_pil().convert("L")
            info = _page_lines(img)
            assert info["ink_outside_margins"] == 0, f"page {n + 1}: text outside the margins"
            if info["long_h"] >= 5 and info["long_v"] >= 2:
                grids += 1
                doc[n].render(scale=1.6).to_pil().save(os.path.join(PREVIEW, f"pdf{i}-page{n + 1}.png"))
        assert grids >= 2, "no page with a table grid"


@needs_soffice
@pytest.mark.skipif(not SEEDS, reason="seeds not available")
def test_round_trip_pdf_seed(tmp_path):
    res = check_file(SEEDS[3])
    deserved = {(f.rule, tuple(f.cells)) for f in res.findings if f.category == "arithmetic"}
    path = str(tmp_path / "seed.pdf")
    render(res.report, path)
    assert round_trip(res.report, path, deserved) == []


def _page_lines(img) -> dict[str, int]:
    """Long dark horizontal/vertical runs (table rules) and dark pixels outside the text area
    (A4 at 72 dpi: margins 2.8/2.6 cm left/right, 3.7/3.5 cm top/bottom; the footer is allowed below)."""
    w, h = img.size
    px = img.load()
    dark = [[px[x, y] < 110 for x in range(w)] for y in range(h)]

    def longest(cells) -> int:
        best = run = 0
        for d in cells:
            run = run + 1 if d else 0
            best = max(best, run)
        return best
    long_h = sum(1 for y in range(h) if longest(dark[y]) > w * 0.5)
    long_v = sum(1 for x in range(w) if longest(dark[y][x] for y in range(h)) > h * 0.08)
    cm = w / 21.0
    left, right = int(2.8 * cm) - 6, w - int(2.6 * cm) + 6
    top, bottom = int(3.7 * cm) - 6, h - int(1.0 * cm)  # the page number sits in the bottom margin
    outside = sum(1 for y in range(h) for x in range(w) if dark[y][x] and (x < left or x > right or y < top or y > bottom))
    return {"long_h": long_h, "long_v": long_v, "ink_outside_margins": outside}


def test_many_pdfs_in_one_libreoffice_run_read_back_exactly(tmp_path):
    """render_many converts a batch of PDFs in one LibreOffice run (the speed path); each is exact."""
    from nianbao.outputs.render import render_many
    reps = generated(3, offset=40)
    jobs = [(r, tmp_path / f"b{i}.pdf") for i, r in enumerate(reps)] + [(reps[0], tmp_path / "b.docx")]
    assert len(render_many(jobs)) == 4
    for rep, path in jobs:
        assert round_trip(rep, str(path)) == [], path


def test_markdown_subset_of_the_narrative():
    """Sub-headings, **bold**, bullets (marker dropped), numbered lines kept, rules and blanks gone."""
    from nianbao.outputs.render.layout import paragraphs, prose
    got = [(b.kind, b.text, b.runs, b.level) for b in prose(
        "### （一）主动公开情况\n\n- 本年**共发布**信息\n* a\\*b\n1. 第一项\n---\n#标题\n#12号文件\n\t甲\t乙")]
    assert got == [("subheading", "（一）主动公开情况", (), 3),
                   ("paragraph", "本年共发布信息", (("本年", False), ("共发布", True), ("信息", False)), 0),
                   ("paragraph", "a*b", (), 0), ("paragraph", "1. 第一项", (), 0),
                   ("subheading", "标题", (), 1), ("paragraph", "#12号文件", (), 0), ("paragraph", "甲 乙", (), 0)]
    assert paragraphs("## 一\n**二**") == ["一", "二"]


def test_narrative_markup_is_escaped_in_html_and_markdown():
    from nianbao.outputs.render import render_bytes
    rep = generated(1)[0]
    rep.sections["other"] = SectionText("other", "六、其他需要报告的事项",
                                        "### <b>小标题</b>\n**加粗** <script>x</script> & a|b\n- 列表项\n#12号文件", None)
    page = render_bytes(rep, ".html").decode()
    assert "<h3>&lt;b&gt;小标题&lt;/b&gt;</h3>" in page
    assert "<p><strong>加粗</strong> &lt;script&gt;x&lt;/script&gt; &amp; a|b</p>" in page and "<script>" not in page
    assert "<p>列表项</p>" in page
    md = render_bytes(rep, ".md").decode()
    assert "### <b>小标题</b>" in md and "**加粗** <script>x</script> & a\\|b" in md
    assert "\n列表项\n" in md and "\n\\#12号文件\n" in md
