"""Printing a SynthReport as an Excel workbook in the official layout, with its merged ranges.

Some units fill the three tables in Excel. The cell model is the one of `synth.text` (rows of label
cells and value cells built by ``render(..., layout="tsv")``), so a workbook states exactly what a
correct reader must return (`expected`). The merged ranges are those of the official forms: 表三's
勾稽 note over its three header rows × the label columns, 申请人情况 over the seven value columns,
法人或其他组织 over five, 三、本年度办理结果 and the group labels merged down their rows, the
rows 一/二/（七）/四 merged across the label columns; 表四's 行政复议 over five and 行政诉讼 over ten
columns; 表二's 第二十条 titles across the sub-table and one-field items merged across the value
columns. Table cells get thin borders, as in the forms; prose rows have none.

``sheets="one"`` puts the whole report on one sheet; ``"per-table"`` gives each table its own sheet
(with its section heading and prose), the first and last sections on sheets of their own.
"""
from __future__ import annotations

import io
import random
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Side

from .. import schema
from .data import SynthReport
from .text import NOTE, OUTCOMES_LABEL, TRow, _date, render

SHEET_MODES = ("one", "per-table")
_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="center")

APP_LABEL_COLS = 3   # outer label, group label, item label
APP_VALUE_COLS = 7
RL_COLS = 15
ACTIVE_COLS = 4
WIDTH = RL_COLS      # prose rows are merged across the widest table


class _Sheet:
    """A worksheet being filled row by row."""

    def __init__(self, ws):
        self.ws = ws
        self.row = 1

    def put(self, r: int, c: int, value: Any, border: bool = True) -> None:
        cell = self.ws.cell(row=r, column=c, value=value)
        if border:
            cell.border = _BORDER

    def merge(self, r0: int, c0: int, r1: int, c1: int, value: Any, border: bool = True) -> None:
        """Write `value` in the top-left cell of the range and merge it (borders on every cell)."""
        self.put(r0, c0, value, border)
        if border:
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    self.ws.cell(row=r, column=c).border = _BORDER
        if (r0, c0) != (r1, c1):
            self.ws.merge_cells(start_row=r0, start_column=c0, end_row=r1, end_column=c1)

    def prose(self, text: str, merged: bool = True) -> None:
        if merged:
            self.merge(self.row, 1, self.row, WIDTH, text, border=False)
        else:
            self.put(self.row, 1, text, border=False)
        self.ws.cell(row=self.row, column=1).alignment = _WRAP
        self.row += 1

    def blank(self) -> None:
        self.row += 1


def _value(v) -> Any:
    """A value cell as Excel stores it: the number itself (General format), else its text."""
    if v.blank or v.value is None:
        return v.text or None
    return v.value


def _active(sh: _Sheet, rows: list[TRow]) -> None:
    """表二: a 第二十条 title across the sub-table, a 信息内容 header, item rows; a one-field item's
    value (and header) merged across the value columns, as the official form prints them."""
    for r in rows:
        y = sh.row
        if r.kind == "title":
            sh.merge(y, 1, y, ACTIVE_COLS, r.labels[0])
        elif r.kind == "header":
            labels = r.labels
            for c, text in enumerate(labels, start=1):
                if len(labels) == 2 and c == 2:
                    sh.merge(y, 2, y, ACTIVE_COLS, text)
                else:
                    sh.put(y, c, text)
            for c in range(len(labels) + 1, ACTIVE_COLS + 1):
                if len(labels) != 2:
                    sh.put(y, c, None)
        else:
            sh.put(y, 1, r.labels[0])
            if len(r.values) == 1:
                sh.merge(y, 2, y, ACTIVE_COLS, _value(r.values[0]))
            else:
                for c, v in enumerate(r.values, start=2):
                    sh.put(y, c, _value(v))
                for c in range(len(r.values) + 2, ACTIVE_COLS + 1):
                    sh.put(y, c, None)
        sh.row += 1


def _applications(sh: _Sheet, rows: list[TRow]) -> None:
    """表三 with the official merges (label columns A–C, values D–J)."""
    y0 = sh.row
    lc, v0 = APP_LABEL_COLS, APP_LABEL_COLS + 1
    legal = [c.label for c in schema.APP_COLUMNS if c.group]
    sh.merge(y0, 1, y0 + 2, lc, NOTE)
    sh.merge(y0, v0, y0, v0 + APP_VALUE_COLS - 1, "申请人情况")
    sh.merge(y0 + 1, v0, y0 + 2, v0, "自然人")
    sh.merge(y0 + 1, v0 + 1, y0 + 1, v0 + len(legal), "法人或其他组织")
    for i, text in enumerate(legal):
        sh.put(y0 + 2, v0 + 1 + i, text)
    sh.merge(y0 + 1, v0 + APP_VALUE_COLS - 1, y0 + 2, v0 + APP_VALUE_COLS - 1, "总计")
    y = y0 + 3
    data = [r for r in rows if r.kind == "data"]
    outcome_start = outcome_end = None
    group_start: int | None = None
    group_label: str | None = None

    def close_group(end: int) -> None:
        if group_start is not None:
            sh.merge(group_start, 2, end, 2, group_label)

    for r in data:
        own = r.labels[r.label_slot]
        if r.key in ("new_received", "carried_over", "handled_total", "carried_forward"):
            close_group(y - 1)
            group_start = None
            sh.merge(y, 1, y, lc, own)
        else:
            if outcome_start is None:
                outcome_start = y
            outcome_end = y
            if len(r.labels) == 3:  # an item row of a group: （三）不予公开 / 1. 属于国家秘密
                if r.labels[1]:
                    close_group(y - 1)
                    group_start, group_label = y, r.labels[1]
                sh.put(y, lc, own)
            else:
                close_group(y - 1)
                group_start = None
                sh.merge(y, 2, y, lc, own)
        for i, v in enumerate(r.values):
            sh.put(y, v0 + i, _value(v))
        y += 1
    close_group(y - 1)
    if outcome_start is not None:
        sh.merge(outcome_start, 1, outcome_end, 1, OUTCOMES_LABEL)
    sh.row = y


def _review(sh: _Sheet, rows: list[TRow]) -> None:
    """表四: 行政复议 over five columns, 行政诉讼 over ten, the five 复议 field labels merged down."""
    y = sh.row
    fields = [lbl for _, lbl in schema.RL_FIELDS]
    sh.merge(y, 1, y, 5, "行政复议")
    sh.merge(y, 6, y, 15, "行政诉讼")
    for i, text in enumerate(fields):
        sh.merge(y + 1, 1 + i, y + 2, 1 + i, text)
    sh.merge(y + 1, 6, y + 1, 10, "未经复议直接起诉")
    sh.merge(y + 1, 11, y + 1, 15, "复议后起诉")
    for i, text in enumerate(fields * 2):
        sh.put(y + 2, 6 + i, text)
    data = next(r for r in rows if r.kind == "data")
    for i, v in enumerate(data.values):
        sh.put(y + 3, 1 + i, _value(v))
    sh.row = y + 4


_TABLES = {"active": _active, "applications": _applications, "review_litigation": _review}


def render_xlsx(report: SynthReport, rng: random.Random, *, sheets: str = "one") -> tuple[bytes, dict[str, Any]]:
    """The report as .xlsx bytes, and what reading it must give (as `Rendered.expected`)."""
    if sheets not in SHEET_MODES:
        raise ValueError(f"sheets must be one of {SHEET_MODES}")
    rd = render(report, rng, layout="tsv")
    wb = Workbook()
    first = wb.active
    first.title = "年度报告" if sheets == "one" else "总体情况"
    sh = _Sheet(first)
    y = report.year
    title = rng.choice([[f"{report.unit}{y}年政府信息公开工作年度报告"],
                        [report.unit, f"{y}年政府信息公开工作年度报告"]])
    for line in title:
        sh.prose(line)
    sh.blank()
    names = {"active": "表二", "applications": "表三", "review_litigation": "表四", "problems": "存在问题"}
    for sec in schema.SECTIONS:
        if sheets == "per-table" and sec.key in names:
            sh = _Sheet(wb.create_sheet(names[sec.key]))
        sh.prose(f"{sec.no}、{sec.title}", merged=False)
        for p in report.sections.get(sec.key, []):
            sh.prose(p)
        if sec.key in rd.tables:
            _TABLES[sec.key](sh, rd.tables[sec.key])
        sh.blank()
    sh.prose(report.unit, merged=False)
    sh.prose(_date(report.report_date), merged=False)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), rd.expected
