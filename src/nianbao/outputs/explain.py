"""`nianbao explain FILE`: how each value was found — source line/cell → schema cell — and what
the recognizer decided or had to guess at each step."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .. import schema
from ..model import ABSENT, BLANK, GUESSED, NULL_MARK, PRINTED, Report
from .human import FORMAT_NAME, location_zh

STATE_NAME = {PRINTED: "印出的数字", BLANK: "空白（按未填写）", NULL_MARK: "“/”“—”等（按未填写）",
              ABSENT: "文件中没有", GUESSED: "未印出（推定）"}
TABLE_NAME = {"active": "表二", "applications": "表三", "review_litigation": "表四"}


def cell_records(report: Report) -> list[dict]:
    paths = list(schema.paths_2021()) + (list(schema.paths_2019_extra()) if report.is_2019 else [])
    paths += list(report.extra_cells)
    out = []
    for p in paths:
        v = report.value(p)
        out.append({"cell": p, "label": _label(p), "value": v.value, "state": v.state, "printed": v.raw,
                    "location": v.source.english() if v.source else "", "how": v.how, "unit": v.unit})
    return out


def _label(p: str) -> str:
    try:
        return schema.label_of(p)
    except (KeyError, StopIteration):
        parts = p.split(".")
        return f"表三自行添加的“{parts[1]}”·{parts[2]}"


def explain_dict(report: Report) -> dict:
    return {
        "file": report.path, "format": report.format, "format_reason": report.format_how,
        "unit": report.unit, "unit_location": report.unit_source.english() if report.unit_source else "",
        "year": report.year, "report_date": report.report_date,
        "title": report.title, "title_location": report.title_source.english() if report.title_source else "",
        "date_location": report.date_source.english() if report.date_source else "",
        "sections": {k: {"heading": s.heading, "location": s.source.english() if s.source else "",
                         "misplaced": s.misplaced, "text": s.text}
                     for k, s in report.sections.items()},
        "tables": {k: (v.english() if v else None) for k, v in report.tables_found.items()},
        "missing": report.missing, "extra": report.extra,
        "labels": [{"cell": l.path, "printed": l.printed, "official": l.official, "location": l.source.english(),
                    "similarity": round(l.score, 1)} for l in report.labels],
        "guesses": [n.to_dict() for n in report.notes],
        "cells": cell_records(report),
    }


def render(console: Console, report: Report, all_cells: bool = False) -> None:
    console.print(Text(f"{report.path} 的识别过程", style="bold"))
    console.print(Text("1. 标题与单位", style="bold"))
    console.print(f"   标题：{report.title or '未找到'}" + (f"（{location_zh(report.title_source.english())}）" if report.title_source else ""))
    if report.unit_source:
        console.print(f"   单位“{report.unit}”取自{location_zh(report.unit_source.english())}")
    console.print(f"   单位：{report.unit or '未识别'}　年度：{report.year or '未识别'}　落款日期：{report.report_date or '未找到'}"
                  + (f"（{location_zh(report.date_source.english())}）" if report.date_source else ""))
    console.print(Text("2. 六个部分的标题", style="bold"))
    for s in schema.SECTIONS:
        sec = report.sections.get(s.key)
        if sec is not None and sec.heading:
            console.print(f"   {s.no}、{s.title} ← “{sec.heading}”（{location_zh(sec.source.english())}）")
        else:
            console.print(Text(f"   {s.no}、{s.title} ← 未找到", style="yellow"))
    console.print(Text("3. 格式", style="bold"))
    console.print(f"   {FORMAT_NAME.get(report.format, report.format)}：{report.format_how}")
    console.print(Text("4. 统计表位置", style="bold"))
    for k in schema.TABLE_SECTIONS:
        src = report.tables_found.get(k)
        console.print(f"   {TABLE_NAME[k]}：" + (f"自{location_zh(src.english())}起" if src else "未找到"))
    if report.missing:
        console.print(Text("   缺少：" + "、".join(schema.label_of(m) for m in report.missing), style="yellow"))
    if report.labels:
        console.print(Text("5. 按相似度匹配的栏目名称", style="bold"))
        for l in report.labels:
            console.print(f"   “{l.printed}” → “{l.official}”（相似度 {l.score:.0f}，{location_zh(l.source.english())}）")
    t = Table(title="6. 单元格来源（原文 → 单元格）", title_justify="left", header_style="bold")
    for col in ("单元格", "值", "原文", "位置", "说明"):
        t.add_column(col)
    for rec in cell_records(report):
        if not all_cells and rec["state"] == PRINTED and not rec["how"] and rec["value"] == 0:
            continue
        val = "" if rec["value"] is None else str(rec["value"])
        how = rec["how"] or ("" if rec["state"] == PRINTED else STATE_NAME[rec["state"]])
        t.add_row(rec["label"], val, rec["printed"] or "", location_zh(rec["location"]), how)
    console.print(t)
    if not all_cells:
        console.print(Text("   （印出为 0 且无需说明的单元格未列出；加 --all 显示全部）", style="dim"))
    console.print(Text("7. 识别时的推定", style="bold"))
    if not report.notes:
        console.print("   无")
    for n in report.notes:
        console.print(f"   {n.rule} {location_zh(n.location)} {n.message}")
