"""The text reader: encodings detected, every row layout of the seeds found, damage kept."""
from __future__ import annotations

import pytest

import nianbao
from nianbao.errors import ReadError
from nianbao.readers import read
from nianbao.readers.encoding import decode
from nianbao.readers.text import parse_lines

from .conftest import SEEDS

SAMPLE = "甲镇2024年政府信息公开工作年度报告\n一、总体情况\n予以公开\t1\t0\n"


@pytest.mark.parametrize("enc", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16", "utf-16-le", "utf-16-be", "big5"])
def test_decode_encodings(enc):
    text = SAMPLE if enc != "big5" else "甲鎮2024年政府信息公開工作年度報告\n"
    got, used = decode(text.encode(enc))
    assert got.lstrip("\ufeff") == text


def test_binary_is_refused():
    with pytest.raises(ReadError) as e:
        decode(bytes(range(256)) * 20)
    assert "二进制" in e.value.message or "编码" in e.value.message


def test_layouts_of_the_seeds():
    layouts = {p.stem[:3]: {t.layout for t in read(p).tables} for p in sorted(SEEDS.glob("*.txt"))}
    assert layouts["002"] == {"cell-per-line"}
    assert layouts["000"] == {"tsv"}


def test_cell_per_line_rows():
    lines = ["\t一、本年新收政府信息公开申请数量", "\t1", "\t0", "", "\t二、上年结转政府信息公开申请数量", "\t0", "\t0",
             "", "\t（一）予以公开", "\t3"]
    doc = parse_lines("x.txt", lines)
    rows = doc.tables[0].rows
    assert [r.texts for r in rows] == [["一、本年新收政府信息公开申请数量", "1", "0"], ["二、上年结转政府信息公开申请数量", "0", "0"],
                                       ["（一）予以公开", "3"]]
    assert rows[1].cells[1].source.line == 6


def test_pipe_table_and_heading():
    lines = ["## 三、收到和处理政府信息公开申请情况", "| 项目 | 自然人 | 总计 |", "|---|---|---|", "| （一）予以公开 | 2 | 2 |"]
    doc = parse_lines("x.md", lines, markdown=True)
    assert doc.blocks[0].heading == 2 and doc.blocks[0].text == "三、收到和处理政府信息公开申请情况"
    assert [r.texts for r in doc.tables[0].rows] == [["项目", "自然人", "总计"], ["（一）予以公开", "2", "2"]]


def test_spaced_numbers_become_rows():
    doc = parse_lines("x.txt", ["（一）予以公开 3 0 0 0 0 0 3", "全年共收到申请 3 件。", "0 0 0 0 0"])
    assert doc.tables[0].rows[0].texts == ["（一）予以公开", "3", "0", "0", "0", "0", "0", "3"]
    assert doc.blocks[1].text == "全年共收到申请 3 件。"
    assert doc.tables[1].rows[0].texts == ["0"] * 5


def test_empty_file(tmp_path):
    p = tmp_path / "a.txt"
    p.write_bytes(b"  \n")
    with pytest.raises(ReadError) as e:
        nianbao.load(p)
    assert "为空" in str(e.value)


def test_gbk_seed_reads_like_utf8(tmp_path):
    src = sorted(SEEDS.glob("*.txt"))[3]
    p = tmp_path / "gbk.txt"
    p.write_bytes(src.read_text(encoding="utf-8").encode("gb18030"))
    assert nianbao.load(p).to_dict() == nianbao.load(src).to_dict()


def test_markdown_emphasis_is_not_text():
    lines = ["**一、总体情况**", "| **（七）总计** | __3__ | 3 |", "|---|---|---|", "正文\\*号"]
    doc = parse_lines("x.md", lines, markdown=True)
    assert doc.blocks[0].text == "一、总体情况"
    assert doc.tables[0].rows[0].texts == ["（七）总计", "3", "3"]
    assert doc.blocks[-1].text == "正文*号"
