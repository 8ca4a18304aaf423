"""Reading one printed cell: what is printed is what is reported."""
from __future__ import annotations

import pytest

from nianbao.numerals import chinese_int
from nianbao.recognize.values import BLANK, NULL, NUMBER, TEXT, parse_cell


@pytest.mark.parametrize("raw,value", [
    ("0", 0), ("12", 12), ("１２", 12), ("1,234", 1234), ("１，２３４", 1234), ("3件", 3), ("0.5", 0.5),
    ("251000元", 251000), ("-1", -1), (" 7 ", 7), ("零", 0), ("十二", 12),
])
def test_numbers(raw, value):
    p = parse_cell(raw)
    assert p.kind == NUMBER and p.value == value and type(p.value) is type(value)


@pytest.mark.parametrize("raw", ["/", "／", "—", "——", "-", "－", "无", "\\"])
def test_null_marks_are_not_zero(raw):
    assert parse_cell(raw).kind == NULL and parse_cell(raw).value is None


def test_blank_and_text():
    assert parse_cell("").kind == BLANK and parse_cell("\u3000").kind == BLANK
    assert parse_cell("予以公开").kind == TEXT and parse_cell("1.属于国家秘密").kind == TEXT


def test_units_recorded():
    assert parse_cell("251000元").unit == "元" and parse_cell("3件").unit == "件"


def test_chinese_numerals():
    assert chinese_int("一百零五") == 105 and chinese_int("二〇二四") == 2024 and chinese_int("两千") == 2000
    assert chinese_int("予以") is None
