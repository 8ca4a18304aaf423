"""`nianbao template` → fill → `nianbao render` as a clerk runs them (in-process CLI)."""
from __future__ import annotations

import openpyxl
import pytest
from typer.testing import CliRunner

from nianbao.batch import check_file
from nianbao.cli import app
from nianbao.libreoffice import soffice

from .store_fixtures import EXAMPLES


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200", "NO_COLOR": "1"})


def _fill(path, granted: int) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["表三 依申请公开"]
    for row in ws.iter_rows(min_row=1):
        label = row[1].value
        if label == "本年新收政府信息公开申请数量":
            row[2].value = granted + 1
        elif label == "予以公开":
            row[2].value = granted
    wb.save(path)


def test_template_fill_render_and_read_back(tmp_path):
    last_year = EXAMPLES / "年报库-玉乐县" / "2024" / "玉乐县宁江镇人民政府.txt"
    xlsx = tmp_path / "填报.xlsx"
    r = run("template", "--year", 2025, "--unit", "玉乐县宁江镇人民政府", "--previous", last_year, "-o", xlsx)
    assert r.exit_code == 0, r.output
    _fill(xlsx, 7)
    for suffix in (".docx", ".md", ".html"):
        out = tmp_path / f"年报{suffix}"
        r = run("render", xlsx, "-o", out)
        assert r.exit_code == 0 and "已生成" in r.output, r.output
        rep = check_file(str(out)).report
        carried = check_file(str(last_year)).report.get("applications.carried_forward.total")
        assert rep.get("applications.granted.natural_person") == 7
        assert rep.get("applications.carried_over.total") == carried
        # 四 = 一 + 二 − （七）, computed by nianbao
        assert rep.get("applications.carried_forward.total") == 8 + carried - rep.get("applications.handled_total.total")


def test_a_bad_filling_renders_nothing_and_names_the_cell(tmp_path):
    xlsx = tmp_path / "填报.xlsx"
    assert run("template", "--year", 2025, "--unit", "某镇人民政府", "-o", xlsx).exit_code == 0
    wb = openpyxl.load_workbook(xlsx)
    ws = wb["表三 依申请公开"]
    for row in ws.iter_rows(min_row=1):
        if row[1].value == "予以公开":
            row[3].value = "两件"
    wb.save(xlsx)
    out = tmp_path / "年报.docx"
    r = run("render", xlsx, "-o", out)
    assert r.exit_code == 2 and "表三 依申请公开!D" in r.output and "两件" in r.output
    assert not out.exists()


def test_template_and_render_refuse_bad_options(tmp_path):
    assert "不支持的模板格式" in run("template", "--year", 2025, "--unit", "某镇", "-o", tmp_path / "x.txt").output
    r = run("render", tmp_path / "无.xlsx", "-o", tmp_path / "x.pdf")
    assert r.exit_code == 2
    assert "不支持的输出格式" in run("render", tmp_path / "无.xlsx", "-o", tmp_path / "x.odt").output


def _templates(tmp_path, *names_units):
    out = []
    for name, unit in names_units:
        path = tmp_path / name
        assert run("template", "--year", 2025, "--unit", unit, "-o", path).exit_code == 0
        out.append(path)
    return out


@pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed")
def test_many_fillings_to_a_folder_of_pdfs(tmp_path):
    """Several inputs: -o is a folder (created), one LibreOffice run for the PDFs, one line per file;
    a bad filling is named with its problems and the others still render (exit 2)."""
    a, b, c = _templates(tmp_path, ("甲.xlsx", "甲镇人民政府"), ("乙.yaml", "乙镇人民政府"), ("甲.json", "丙镇人民政府"))
    _fill(a, 3)
    bad = tmp_path / "坏.json"
    bad.write_text('{"format": "2021", "unit": "", "year": 2025}', encoding="utf-8")
    out = tmp_path / "输出" / "年报"
    r = run("render", a, b, bad, c, "-o", out, "--to", "pdf")
    assert r.exit_code == 2, r.output
    assert sorted(p.name for p in out.iterdir()) == ["乙.pdf", "甲-json.pdf", "甲.pdf"]
    assert "✗ 坏.json" in r.output and "没有填写单位名称" in r.output
    assert r.output.count("✓ ") == 3 and "已生成 3 个" in r.output
    assert check_file(str(out / "甲.pdf")).report.get("applications.granted.natural_person") == 3
    assert check_file(str(out / "甲-json.pdf")).report.unit == "丙镇人民政府"


@pytest.fixture
def an_error_rule():
    """A rule registered through the catalogue's extension seam that finds an error in units named
    “有错镇…” (composed data has no error by construction, so the test needs one)."""
    from nianbao.model import Finding
    from nianbao.rules.base import REGISTRY, rule

    @rule("ZZ-01", "测试用规则", severity="error", category="compliance", basis="L", doc="只用于测试。")
    def _check(report, ctx):
        if (report.unit or "").startswith("有错镇"):
            yield Finding("ZZ-01", "error", "compliance", "测试用的错误", [], None)
    yield
    del REGISTRY["ZZ-01"]


def test_error_findings_skip_only_that_file_unless_forced(tmp_path, an_error_rule):
    good, wrong = _templates(tmp_path, ("好.yaml", "某镇人民政府"), ("错.yaml", "有错镇人民政府"))
    out = tmp_path / "md"
    r = run("render", good, wrong, "-o", out, "--to", "md")
    assert r.exit_code == 1, r.output
    assert [p.name for p in out.iterdir()] == ["好.md"]
    assert "✗ 错.yaml：有 1 个错误" in r.output and "--force" in r.output and "✓ 好.yaml" in r.output
    r = run("render", good, wrong, "-o", out, "--to", "md", "--force")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == ["好.md", "错.md"]
    # a single input keeps its file output and the same rule
    r = run("render", wrong, "-o", tmp_path / "one.html")
    assert r.exit_code == 1 and not (tmp_path / "one.html").exists()


def test_many_fillings_need_a_folder(tmp_path):
    a, b = _templates(tmp_path, ("a.yaml", "甲镇"), ("b.yaml", "乙镇"))
    (tmp_path / "f.pdf").write_bytes(b"x")
    r = run("render", a, b, "-o", tmp_path / "f.pdf")
    assert r.exit_code == 2 and "应为目录" in r.output
    r = run("render", a, "-o", tmp_path / "x.pdf", "--to", "md")
    assert r.exit_code == 2 and "不一致" in r.output
    r = run("render", a, b, "-o", tmp_path / "d", "--to", "odt")
    assert r.exit_code == 2
