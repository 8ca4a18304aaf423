"""Flat outputs for many reports: findings as CSV (`check --format csv`) and the data table of
`extract` (one row per report, one column per cell) as JSON, CSV or XLSX."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

from .. import schema
from ..batch import CheckResult

META_COLUMNS = [("file", "文件"), ("status", "状态"), ("error", "错误原因"), ("format", "格式"), ("unit", "单位"),
                ("year", "年度"), ("report_date", "报告日期"), ("errors", "错误数"), ("warnings", "警告数"),
                ("notices", "提示数")]
FINDING_COLUMNS = ["file", "status", "unit", "year", "rule", "severity", "category", "message", "cells", "location"]


def findings_csv_rows(results: Iterable[CheckResult]):
    for r in results:
        unit = r.report.unit if r.report else None
        year = r.report.year if r.report else None
        if not r.findings:
            yield [r.file, r.status, unit, year, "", "", "", r.error or "", "", ""]
        for f in r.findings:
            yield [r.file, r.status, unit, year, f.rule, f.severity, f.category, f.message, ";".join(f.cells), f.location]


def cell_columns(results: list[CheckResult]) -> list[str]:
    cols = list(schema.paths_2021())
    if any(r.report is not None and r.report.is_2019 for r in results):
        cols += list(schema.paths_2019_extra())
    return cols


def extract_row(r: CheckResult, cols: list[str]) -> dict:
    rep = r.report
    row = {"file": r.file, "status": r.status, "error": r.error,
           "format": rep.format if rep else None, "unit": rep.unit if rep else None,
           "year": rep.year if rep else None, "report_date": rep.report_date if rep else None,
           "errors": r.count("error"), "warnings": r.count("warning"), "notices": r.count("notice")}
    flat = rep.flat() if rep else {}
    for c in cols:
        row[c] = flat.get(c)
    return row


def write_extract(results: list[CheckResult], out_path: str) -> None:
    cols = cell_columns(results)
    rows = [extract_row(r, cols) for r in results]
    keys = [k for k, _ in META_COLUMNS] + cols
    lower = out_path.lower()
    if lower.endswith(".json"):
        with open(out_path, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, ensure_ascii=False, indent=1)
    elif lower.endswith(".jsonl"):
        with open(out_path, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif lower.endswith(".csv"):
        # utf-8-sig so that Excel on Chinese Windows opens it with the right encoding.
        with open(out_path, "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(keys)
            for row in rows:
                w.writerow(["" if row[k] is None else row[k] for k in keys])
    elif lower.endswith(".xlsx"):
        _write_xlsx(rows, keys, out_path)
    else:
        raise ValueError(out_path)


def _write_xlsx(rows: list[dict], keys: list[str], out_path: str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    meta = dict(META_COLUMNS)
    wb = Workbook(write_only=False)
    ws = wb.active
    ws.title = "年报数据"
    ws.append([meta.get(k) or schema.label_of(k) for k in keys])
    for row in rows:
        ws.append([row[k] for k in keys])
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[1]:
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[1].height = 60
    ws.freeze_panes = "F2"
    for i, k in enumerate(keys, start=1):
        ws.column_dimensions[get_column_letter(i)].width = 28 if k in ("file", "unit", "error") else 12
    ws2 = wb.create_sheet("字段说明")
    ws2.append(["列名（中文）", "字段键（schema key）"])
    for c in ws2[1]:
        c.font = bold
    for k in keys:
        ws2.append([meta.get(k) or schema.label_of(k), k])
    ws2.column_dimensions["A"].width = 60
    ws2.column_dimensions["B"].width = 50
    wb.save(out_path)


def findings_csv(results: Iterable[CheckResult], header: bool = True) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    if header:
        w.writerow(FINDING_COLUMNS)
    for row in findings_csv_rows(results):
        w.writerow(["" if x is None else x for x in row])
    return buf.getvalue()
