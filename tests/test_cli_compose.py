"""`nianbao template` → fill → `nianbao render` as a clerk runs them (in-process CLI)."""
from __future__ import annotations

import openpyxl
from typer.testing import CliRunner

from nianbao.batch import check_file
from nianbao.cli import app

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
