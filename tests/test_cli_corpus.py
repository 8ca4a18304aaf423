"""The corpus commands as a user runs them (in-process CLI), on SQLite and on PostgreSQL."""
from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

from nianbao.cli import app

from .store_fixtures import EXAMPLES

CORPUS = EXAMPLES / "年报库-玉乐县"


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200", "NO_COLOR": "1"})


def test_ingest_prints_per_file_status_and_a_chinese_summary(db_url, tmp_path):
    bad = tmp_path / "坏.docx"
    bad.write_bytes(b"PK\x03\x04 broken zip")
    r = run("ingest", CORPUS, bad, "--db", db_url, "--map", CORPUS / "units.csv", "--no-progress")
    assert r.exit_code == 2, r.output  # one file could not be read: exit 2, the others are stored
    assert "已载入单位对照表" in r.output
    assert "新入库 15" in r.output and "无法读取 1" in r.output and "坏.docx" in r.output
    again = run("ingest", CORPUS, "--db", db_url, "--format", "json", "--no-progress")
    lines = [json.loads(x) for x in again.stdout.splitlines() if x.startswith("{")]
    assert again.exit_code == 0 and len(lines) == 15 and {x["action"] for x in lines} == {"unchanged"}


def test_units_findings_and_a_merge(db_url):
    run("ingest", CORPUS, "--db", db_url, "--no-progress")  # no mapping: 林德乡 has two spellings
    listed = json.loads(run("units", "list", "--db", db_url, "--format", "json").stdout)
    keys = {u["key"] for u in listed}
    assert {"林德乡", "玉乐县林德乡"} <= keys
    r = run("units", "merge", "林德乡", "玉乐县林德乡", "--db", db_url)
    assert r.exit_code == 0 and "并入" in r.output
    xy = run("findings", "--db", db_url, "--rule", "XY", "--unit", "林德乡")
    assert "XY-02" in xy.stdout and "2024" in xy.stdout   # the pair exists only after the merge
    r = run("units", "set", "玉乐县林德乡", "--level", "乡镇", "--region", "江原省/桃河市/玉乐县/林德乡", "--db", db_url)
    assert r.exit_code == 0
    csv_out = run("units", "list", "--db", db_url, "--region", "玉乐县", "--format", "csv").stdout
    assert "玉乐县林德乡,玉乐县林德乡人民政府,乡镇,江原省/桃河市/玉乐县/林德乡,玉乐县,手工修正,2" in csv_out


def test_corpus_commands_refuse_bad_input_in_chinese(db_url, tmp_path):
    assert "请给出要导入的报告文件" in run("ingest", "--db", db_url).output
    assert "没有找到可导入的报告文件" in run("ingest", tmp_path, "--db", db_url).output
    r = run("units", "set", "不存在的单位", "--level", "乡镇", "--db", db_url)
    assert r.exit_code == 2 and "库中没有单位" in r.output
    r = run("units", "map", tmp_path / "无.csv", "--db", db_url)
    assert r.exit_code == 2 and "无法读取映射文件" in r.output
    r = run("findings", "--db", db_url, "--severity", "致命")
    assert r.exit_code == 2 and "无法识别的级别" in r.output


def test_a_list_file_names_the_reports(tmp_path):
    listing = tmp_path / "清单.txt"
    shutil.copy(CORPUS / "2023" / "阳永镇人民政府.txt", tmp_path / "a.txt")
    listing.write_text("# 清单\na.txt\n\n", encoding="utf-8")
    r = run("ingest", "--list", listing, "--db", tmp_path / "x.db", "--no-progress")
    assert r.exit_code == 0 and "新入库 1" in r.output
