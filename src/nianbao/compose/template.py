"""The filling template a clerk edits: XLSX with Chinese labels, or YAML/JSON with the same keys.

Only leaf cells are editable, and they start at 0: a clerk overwrites what is not zero, and a cell
left empty (deleted) is reported as missing rather than guessed. Derived cells are shown greyed and
locked with the formula the format defines, so the clerk sees the totals while typing, but nianbao
recomputes them and never reads them back. With last year's report, 二、上年结转 is pre-filled from
its 四、结转下年度继续办理 per column, the one number that must carry over.
"""
from __future__ import annotations

import json
from collections.abc import Mapping

from .. import schema
from ..errors import UsageError
from ..model import Report
from . import layout as L


def initial_values(year: int, previous: Report | None = None) -> dict[str, int | float | None]:
    """The leaf values a fresh template starts with (0, or last year's carry-over)."""
    check_year(year)
    values: dict[str, int | float | None] = dict.fromkeys(L.leaf_paths(), 0)
    if previous is not None:
        if previous.year is not None and previous.year != year - 1:
            raise UsageError(f"上年报告是 {previous.year} 年度的，而模板是 {year} 年度：上年结转应取自 {year - 1} 年度报告")
        for c in schema.APPLICANT_COLUMNS:
            # A null in last year's report stays empty: the clerk has to state it.
            values[schema.app_path("carried_over", c)] = previous.get(schema.app_path("carried_forward", c))
    return values


def check_year(year: int) -> None:
    if not isinstance(year, int) or isinstance(year, bool):
        raise UsageError(f"年度应为整数，不是“{year}”")
    if year < L.FIRST_YEAR_2021:
        raise UsageError(f"{year} 年度报告适用 2019 年试行格式（国办公开办函〔2019〕60号），填报模板只支持 2021 年格式"
                         "（国办公开办函〔2021〕30号，2021 年度及以后）")


# ------------------------------------------------------------------------------ XLSX

def write_template(path: str, year: int, unit: str, *, previous: Report | None = None,
                   report_date: str | None = None, values: Mapping[str, int | float | None] | None = None,
                   sections: Mapping[str, str] | None = None) -> None:
    """Write the XLSX filling template. `values`/`sections` pre-fill leaf cells and narrative
    (tests, or an existing report as a starting point); they override the carry-over."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

    init = initial_values(year, previous)
    if values:
        init.update({p: v for p, v in values.items() if p in init})
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    leaf_fill = PatternFill("solid", fgColor="FFF8DC")
    derived_fill = PatternFill("solid", fgColor="D9D9D9")
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    bold = Font(bold=True)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    wrap = Alignment(vertical="center", wrap_text=True)

    wb = Workbook()
    wb.remove(wb.active)
    sheets = {name: wb.create_sheet(name) for name in L.SHEETS}

    def head(ws, row, col, text, *, merge_to=None):
        c = ws.cell(row, col, text)
        c.font, c.fill, c.alignment, c.border = bold, head_fill, center, border
        if merge_to:
            ws.merge_cells(start_row=row, start_column=col, end_row=merge_to[0], end_column=merge_to[1])

    def label(ws, row, col, text):
        c = ws.cell(row, col, text)
        c.alignment, c.border = wrap, border

    def leaf(ws, row, col, value):
        c = ws.cell(row, col, value)
        c.fill, c.border, c.protection = leaf_fill, border, Protection(locked=False)
        c.alignment = Alignment(horizontal="right")

    def derived(ws, cell_path):
        p = L.places()[cell_path]
        c = ws.cell(p.row, p.col, L.formula(cell_path))
        c.fill, c.border, c.font = derived_fill, border, Font(color="555555", italic=True)

    def number(ws, cell_path):
        """A number cell of 表三/表四: editable when the clerk fills it, a formula when it is derived."""
        if cell_path in init:
            p = L.places()[cell_path]
            leaf(ws, p.row, p.col, init[cell_path])
        else:
            derived(ws, cell_path)

    def title(ws, text, width):
        ws.cell(1, 1, text).font = Font(bold=True, size=14)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)

    # 基本信息
    ws = sheets[L.SHEET_INFO]
    title(ws, f"{unit}{year}年政府信息公开工作年度报告 填报模板", 3)
    ws.cell(2, 1, "黄色单元格由填报人填写；灰色单元格由 nianbao 自动计算，不必填写。").font = Font(color="555555")
    for col, text in enumerate(("项目", "填写内容", "说明"), 1):
        head(ws, 3, col, text)
    notes = {"unit": "与报告标题、落款一致", "year": "报告所属年度（整数）", "report_date": "落款日期，格式 YYYY-MM-DD，可暂不填",
             "format": "国办公开办函〔2021〕30号（请勿修改）", "version": "请勿修改"}
    info_vals = {"unit": unit, "year": year, "report_date": report_date, "format": L.TEMPLATE_FORMAT,
                 "version": L.TEMPLATE_VERSION}
    for key, p in L.info_places().items():
        label(ws, p.row, 1, p.row_label)
        if key in ("format", "version"):
            c = ws.cell(p.row, 2, info_vals[key])
            c.fill, c.border = derived_fill, border
        else:
            leaf(ws, p.row, 2, info_vals[key])
            ws.cell(p.row, 2).alignment = Alignment(horizontal="left")
            ws.cell(p.row, 2).number_format = "@"
        label(ws, p.row, 3, notes[key])
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width, ws.column_dimensions["C"].width = 14, 40, 40

    # 表二
    ws = sheets[L.SHEET_ACTIVE]
    title(ws, "二、主动公开政府信息情况", 5)
    for items, hrow in L.ACTIVE_BLOCKS:
        first = schema.ACTIVE_BY_KEY[items[0]]
        head(ws, hrow, 1, "条目")
        head(ws, hrow, 2, "信息内容")
        for j, f in enumerate(first.fields):
            head(ws, hrow, 3 + j, f.label)
        for i, key in enumerate(items):
            item = schema.ACTIVE_BY_KEY[key]
            label(ws, hrow + 1 + i, 1, item.group)
            label(ws, hrow + 1 + i, 2, item.label)
            for f in item.fields:
                cell_path = schema.active_path(key, f.key)
                p = L.places()[cell_path]
                leaf(ws, p.row, p.col, init[cell_path])
                if f.decimal:
                    ws.cell(p.row, p.col).number_format = "0.00####"
    for col, w in zip("ABCDE", (20, 18, 22, 16, 16)):
        ws.column_dimensions[col].width = w

    # 表三
    ws = sheets[L.SHEET_APPS]
    ncols = len(schema.APP_COLUMNS)
    title(ws, "三、收到和处理政府信息公开申请情况", 2 + ncols)
    ws.cell(2, 1, f"（{schema.APP_NOTE}。总计列、（七）总计行、四、结转下年度继续办理由 nianbao 自动计算）").font = Font(color="555555")
    h = L.APP_HEADER_ROW
    head(ws, h, 1, "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", merge_to=(h + 1, 2))
    head(ws, h, L.APP_FIRST_COL, "申请人情况", merge_to=(h, L.APP_FIRST_COL + ncols - 1))
    # The 国办 header has a third level; two suffice here: 自然人 | 法人或其他组织(5) | 总计.
    for j, c in enumerate(schema.APP_COLUMNS):
        head(ws, h + 1, L.APP_FIRST_COL + j, c.label if c.group is None else f"{c.group}·{c.label}")
    for r in schema.APP_ROWS:
        row = L.app_row_number(r.key)
        label(ws, row, 1, r.no)
        label(ws, row, 2, r.label)
        for c in schema.APP_COLUMNS:
            number(ws, schema.app_path(r.key, c.key))
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 10, 44
    for j in range(ncols):
        ws.column_dimensions[L.column_letter(schema.APP_COLUMNS[j].key)].width = 12
    ws.freeze_panes = ws.cell(L.APP_FIRST_ROW, L.APP_FIRST_COL)

    # 表四
    ws = sheets[L.SHEET_RL]
    title(ws, "四、政府信息公开行政复议、行政诉讼情况", 7)
    head(ws, L.RL_HEADER_ROW, 1, "类别")
    head(ws, L.RL_HEADER_ROW, 2, "")
    for j, (_, flabel) in enumerate(schema.RL_FIELDS):
        head(ws, L.RL_HEADER_ROW, 3 + j, flabel)
    for i, (g, glabel) in enumerate(schema.RL_GROUPS):
        row = L.RL_FIRST_ROW + i
        label(ws, row, 1, "行政复议" if g == "review" else "行政诉讼")
        label(ws, row, 2, glabel)
        for f, _ in schema.RL_FIELDS:
            number(ws, schema.rl_path(g, f))
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 12, 28

    # 正文
    ws = sheets[L.SHEET_TEXT]
    title(ws, "正文（二、三、四部分的统计表和其中的数字说明由 nianbao 生成）", 2)
    ws.cell(2, 1, "在右侧单元格填写各部分正文，可分段（Alt+Enter 换行），可使用 Markdown。").font = Font(color="555555")
    head(ws, 3, 1, "部分")
    head(ws, 3, 2, "正文")
    for key, p in L.section_places().items():
        label(ws, p.row, 1, p.row_label)
        leaf(ws, p.row, 2, (sections or {}).get(key) or None)
        ws.cell(p.row, 2).alignment = Alignment(vertical="top", wrap_text=True)
        ws.row_dimensions[p.row].height = 180
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 26, 100

    for ws in sheets.values():
        ws.protection.sheet = True  # no password: a guard against slips, not a lock
        ws.protection.formatCells = ws.protection.formatColumns = ws.protection.formatRows = False
    wb.save(path)


# ------------------------------------------------------------------------------ YAML / JSON

def template_data(year: int, unit: str, *, previous: Report | None = None, report_date: str | None = None,
                  values: Mapping[str, int | float | None] | None = None,
                  sections: Mapping[str, str] | None = None) -> dict:
    """The YAML/JSON filling as nested data: the `report` keys of spec/output.md, leaf cells only,
    plus `sections` for the narrative."""
    init = initial_values(year, previous)
    if values:
        init.update({p: v for p, v in values.items() if p in init})
    out: dict = {"format": L.TEMPLATE_FORMAT, "template": L.TEMPLATE_VERSION, "unit": unit, "year": year,
                 "report_date": report_date}
    for p in L.leaf_paths():
        table, a, b = p.split(".")
        out.setdefault(table, {}).setdefault(a, {})[b] = init[p]
    out["sections"] = {k: (sections or {}).get(k, "") for k in L.NARRATIVE_SECTIONS}
    return out


def write_template_json(path: str, year: int, unit: str, **kw) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(template_data(year, unit, **kw), fh, ensure_ascii=False, indent=2)
        fh.write("\n")


def write_template_yaml(path: str, year: int, unit: str, **kw) -> None:
    """YAML with a Chinese comment on every key. Written by hand (no PyYAML needed to write) so the
    comments sit where a clerk looks."""
    data = template_data(year, unit, **kw)
    q = lambda v: json.dumps(v, ensure_ascii=False)
    lines = [f"# {unit}{year}年政府信息公开工作年度报告 填报文件（{schema.SOURCE_2021}）",
             "# 每个数字都必须填写（没有的填 0）；各“总计”、（七）总计、四、结转下年度继续办理由 nianbao 自动计算，不在此填写。",
             f"format: {q(data['format'])}  # 报告格式，请勿修改",
             f"template: {q(data['template'])}  # 模板版本，请勿修改",
             f"unit: {q(unit)}  # 单位名称",
             f"year: {year}  # 年度",
             f"report_date: {q(data['report_date'])}  # 成文日期 YYYY-MM-DD，可暂为 null",
             "", "active:  # 二、主动公开政府信息情况"]
    for item in schema.ACTIVE_ITEMS:
        lines.append(f"  {item.key}:  # {item.label}（{item.group}）")
        for f in item.fields:
            lines.append(f"    {f.key}: {q(data['active'][item.key][f.key])}  # {f.label}")
    lines += ["", "applications:  # 三、收到和处理政府信息公开申请情况（每行只填六类申请人，总计自动计算）"]
    for r in schema.APP_ROWS:
        if r.key in L.DERIVED_APP_ROWS:
            continue
        lines.append(f"  {r.key}:  # {L.app_row_label(r.key)}")
        for c in schema.APPLICANT_COLUMNS:
            lines.append(f"    {c}: {q(data['applications'][r.key][c])}  # {schema.APP_COLUMN_BY_KEY[c].label}")
    lines += ["", "review_litigation:  # 四、政府信息公开行政复议、行政诉讼情况（总计自动计算）"]
    for g, glabel in schema.RL_GROUPS:
        lines.append(f"  {g}:  # {glabel}")
        for f in L.RL_PARTS:
            lines.append(f"    {f}: {q(data['review_litigation'][g][f])}  # {schema.RL_FIELD_LABEL[f]}")
    lines += ["", "sections:  # 正文（可用 Markdown）；二、三、四部分的数字说明由 nianbao 生成"]
    for key in L.NARRATIVE_SECTIONS:
        s = schema.SECTION_BY_KEY[key]
        text = data["sections"][key]
        lines.append(f"  # {s.no}、{s.title}")
        if text:
            lines.append(f"  {key}: |")
            lines += [f"    {ln}" if ln else "" for ln in text.splitlines()]
        else:
            lines.append(f'  {key}: ""')
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
