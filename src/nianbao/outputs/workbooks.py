"""Corpus tables as files: the statistics (CSV, XLSX) and the roll-up workbook (XLSX).

The CLI (and later the web app) only choose the format; the layout of each file lives here, beside
the other writers of outputs/.
"""
from __future__ import annotations

import csv
import io

BY_ZH = {"year": "年度", "level": "层级", "region": "区划", "unit": "单位"}


def stats_title(result) -> str:
    what = "、".join(BY_ZH[b] for b in result.by)
    if result.rank:
        from ..store.stats import METRICS
        return f"{result.filter.describe()}：按{METRICS[result.rank]}排名的{what}（前 {len(result.groups)} 名）"
    depth = f"（第 {result.depth} 级）" if result.depth else ""
    return f"{result.filter.describe()}：按{what}{depth}统计"


def stats_rows(result):
    """(group, is_total) in table order: the groups, then the total."""
    out = [(g, False) for g in result.groups]
    if result.total is not None:
        out.append((result.total, True))
    return out


def stats_table(result) -> tuple[list[str], list[list]]:
    """Chinese headers and rows (numbers stay numbers) shared by CSV and XLSX."""
    from ..store.stats import COUNT_LABELS, FIGURE_LABELS, RATE_LABELS
    head = (["排名"] if result.rank else []) + ["、".join(BY_ZH[b] for b in result.by), "键"]
    head += list(COUNT_LABELS.values()) + list(FIGURE_LABELS.values()) + list(RATE_LABELS.values()) + ["缺数说明"]
    rows = []
    for g, total in stats_rows(result):
        key = "" if total else "/".join("" if k is None else str(k) for k in g.key)
        row = ([g.rank] if result.rank else []) + [g.name, key]
        row += [g.counts[k] for k in COUNT_LABELS]
        row += [int(v) if float(v).is_integer() else v for v in g.sums.values()]
        row += [None if g.rate(k) is None else round(g.rate(k), 6) for k in RATE_LABELS]
        row.append("；".join(f"{FIGURE_LABELS[k]}缺 {n} 份" for k, n in g.nulls.items()))
        rows.append(row)
    return head, rows


def stats_csv(result) -> str:
    head, rows = stats_table(result)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(head)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue()


def stats_xlsx(result, path: str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from ..store.stats import RATE_LABELS
    head, rows = stats_table(result)
    wb = Workbook()
    ws = wb.active
    ws.title = "统计"
    ws.append([stats_title(result)])
    ws["A1"].font = Font(bold=True)
    ws.append(head)
    for c in ws[2]:
        c.font = Font(bold=True)
    rate_cols = {i for i, h in enumerate(head) if h in RATE_LABELS.values()}
    for r in rows:
        ws.append(r)
        for i in rate_cols:
            ws.cell(ws.max_row, i + 1).number_format = "0.0%"
    if result.total is not None and rows:
        for c in ws[ws.max_row]:
            c.font = Font(bold=True)
    ws.freeze_panes = "C3" if not result.rank else "D3"
    ws.column_dimensions["A" if not result.rank else "B"].width = 24
    wb.save(path)


def rollup_xlsx(result, path: str) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from .. import regions, schema
    bold = Font(bold=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总表"
    rep = result.report

    def v(p):
        return rep.cells[p].value

    def head(ws, *cells):
        ws.append(list(cells))
        for c in ws[ws.max_row]:
            c.font = bold

    ws.append([f"{result.unit} {result.year} 年政府信息公开工作年度报告数据汇总（{len(result.included)} 个单位）"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([])
    head(ws, "表二 主动公开政府信息情况", "本年制发件数", "本年废止件数", "现行有效件数", "处理决定数量／收费金额（万元）")
    for item in schema.ACTIVE_ITEMS:
        vals = [v(schema.active_path(item.key, f.key)) for f in item.fields]
        ws.append([item.label] + (vals if len(vals) == 3 else [None, None, None] + vals))
    ws.append([])
    head(ws, "表三 收到和处理政府信息公开申请情况", *[c.label for c in schema.APP_COLUMNS])
    for r in schema.APP_ROWS:
        ws.append([f"{r.no} {r.label}".strip()] + [v(schema.app_path(r.key, c.key)) for c in schema.APP_COLUMNS])
    ws.append([])
    head(ws, "表四 政府信息公开行政复议、行政诉讼情况", *[label for _, label in schema.RL_FIELDS])
    for g, label in schema.RL_GROUPS:
        ws.append([label] + [v(schema.rl_path(g, f)) for f, _ in schema.RL_FIELDS])
    ws.column_dimensions["A"].width = 48
    for note in result.notes:
        ws.append([])
        ws.append(["说明：" + note])

    ws = wb.create_sheet("发现的问题")
    head(ws, "规则", "级别", "类别", "说明", "涉及单元格")
    for f in result.findings:
        ws.append([f.rule, f.severity, f.category, f.message, "；".join(schema.label_of(c) for c in f.cells)])
    ws = wb.create_sheet("纳入汇总的单位")
    head(ws, "单位", "单位（规范名）", "层级", "区划", "格式", "错误数", "错误规则", "空白单元格", "文件")
    for u in result.included:
        nulls = result.nulls.get(u.key, [])
        ws.append([u.name, u.key, regions.LEVELS.get(u.level, u.level), u.region, u.format, u.errors,
                   "、".join(u.rules), "；".join(schema.label_of(p) for p in nulls), u.file])
    ws = wb.create_sheet("缺报单位")
    head(ws, "单位", "层级", "区划", "有报告的年份", "情况")
    for u in result.missing:
        ws.append([u.name, regions.LEVELS.get(u.level, u.level), u.region, "、".join(map(str, u.years)),
                   f"{result.year} 年缺报"])
    for u in result.never_reported:
        ws.append([u.name, regions.LEVELS.get(u.level, u.level), u.region, "", "对照表中有、库中没有任何报告"])
    wb.save(path)
