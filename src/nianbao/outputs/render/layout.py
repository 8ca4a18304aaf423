"""What a rendered report prints, independent of the file format.

Every writer (DOCX, HTML, Markdown, PDF) prints the same title, section headings, paragraphs and
table grids, so the formats cannot drift apart and a round trip through any of them gives back the
same cells. Tables are described on their true grid — a list of rows of texts plus the merged
rectangles — exactly as the 国办 template (国办公开办函〔2021〕30号) draws them; each writer only decides
how a merge is expressed (gridSpan/vMerge, rowspan/colspan, or a flattened pipe table).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ... import schema
from ...model import Report

Merge = tuple[int, int, int, int]  # r0, c0, r1, c1 (inclusive)

# Font chains: the official face first, then what a machine without it has (spec: 标题 方正小标宋简体,
# 正文 仿宋_GB2312). The DOCX keeps the first name (a clerk's Word has it); the PDF resolves the
# chain against the installed fonts, because LibreOffice would otherwise fall back to a sans face.
TITLE_FONTS = ("方正小标宋简体", "方正小标宋_GBK", "宋体", "SimSun", "Noto Serif CJK SC")
BODY_FONTS = ("仿宋_GB2312", "仿宋", "FangSong", "Noto Serif CJK SC")
HEADING_FONTS = ("黑体", "SimHei", "Noto Sans CJK SC")  # 一级标题 in 公文 are 黑体
SUBHEADING_FONTS = ("楷体_GB2312", "楷体", "KaiTi", "AR PL UKai CN", "Noto Serif CJK SC")  # 二级标题: 楷体
LATIN_FONT = "Times New Roman"

APP_NOTE = f"（{schema.APP_NOTE}）"
OUTCOMES_LABEL = "三、本年度办理结果"


@dataclass(slots=True)
class Grid:
    """One table on its true grid. `kind` names the table for styling (column widths)."""
    kind: str
    rows: list[list[str]]
    merges: list[Merge] = field(default_factory=list)
    header_rows: int = 0  # rows repeated on each page and printed bold
    # (row, col) → the schema cell path a value position shows; labels have none. The web views use it
    # to highlight a finding's cells and to make the leaf cells of the online form editable.
    paths: dict[tuple[int, int], str] = field(default_factory=dict)

    @property
    def ncols(self) -> int:
        return max(len(r) for r in self.rows)

    def covered(self) -> dict[tuple[int, int], Merge]:
        """Every position a merge covers except its top-left corner, with the merge."""
        out: dict[tuple[int, int], Merge] = {}
        for m in self.merges:
            r0, c0, r1, c1 = m
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    if (r, c) != (r0, c0):
                        out[(r, c)] = m
        return out

    def anchors(self) -> dict[tuple[int, int], Merge]:
        return {(m[0], m[1]): m for m in self.merges}

    def visible(self) -> list[list[tuple[int, str, int, int]]]:
        """Per row, the cells a table with rowspan/colspan prints: (col, text, rowspan, colspan); the
        positions a merge covers are left out. Every HTML-like view of a grid starts from this."""
        covered, anchors = self.covered(), self.anchors()
        out = []
        for r, row in enumerate(self.rows):
            cells = []
            for c, text in enumerate(row):
                if (r, c) in covered:
                    continue
                m = anchors.get((r, c))
                cells.append((c, text, m[2] - m[0] + 1 if m else 1, m[3] - m[1] + 1 if m else 1))
            out.append(cells)
        return out


Run = tuple[str, bool]  # (text, bold)


@dataclass(slots=True)
class Block:
    """One item of the document body, in order. `text` is the plain printed text; `runs` splits it
    into (text, bold) pieces for the writers that print bold (empty: one plain run); `level` is a
    sub-heading's Markdown level (1–6)."""
    kind: str  # title | heading | subheading | paragraph | table | signature
    text: str = ""
    grid: Grid | None = None
    runs: tuple[Run, ...] = ()
    level: int = 0

    def pieces(self) -> tuple[Run, ...]:
        return self.runs or ((self.text, False),)


def fmt_value(v: float | None) -> str:
    """A cell value as printed: plain digits (no thousands separators), decimals without float noise,
    blank for a cell the data leaves empty — the renderer prints what the data says, nothing else."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(int(v))
    if isinstance(v, int):
        return str(v)
    if float(v).is_integer():
        return str(int(v))
    return f"{v:.6f}".rstrip("0").rstrip(".")


def date_text(iso: str | None) -> str:
    if not iso:
        return ""
    y, m, d = (int(x) for x in iso.split("-")[:3])
    return f"{y}年{m}月{d}日"


def title_text(report: Report) -> str:
    """XX（机关名称）YYYY年政府信息公开工作年度报告 (PUB-02)."""
    year = f"{report.year}年" if report.year else ""
    return f"{report.unit or ''}{year}政府信息公开工作年度报告"


# The Markdown subset a clerk's narrative may use (sections 一、五、六): ATX headings, **bold** /
# __bold__, bullet items (their marker dropped), numbered items (kept as written), backslash escapes.
# Every non-empty line is one paragraph: CJK prose is not soft-wrapped, so a line break is meant.
# “#标题” without the space is taken too (a slip in CJK text), “#12号文件” is not.
_MD_HEADING = re.compile(r"^(#{1,6})(?:\s+|(?=[^\x00-\x7f]))(.*?)(?:\s+#+)?\s*$")
_MD_BULLET = re.compile(r"^[-*+]\s+")
_MD_RULE = re.compile(r"^(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,})$")
_MD_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")


def inline_runs(text: str) -> tuple[Run, ...]:
    """`**加粗**` → bold runs, `\\*` → `*`; adjacent runs of the same weight merged."""
    runs: list[Run] = []

    def add(t: str, bold: bool) -> None:
        t = _MD_ESCAPED.sub(r"\1", t)
        if not t:
            return
        if runs and runs[-1][1] == bold:
            runs[-1] = (runs[-1][0] + t, bold)
        else:
            runs.append((t, bold))
    at = 0
    for m in _MD_BOLD.finditer(text):
        add(text[at:m.start()], False)
        add(m.group(2), True)
        at = m.end()
    add(text[at:], False)
    return tuple(runs)


def prose(text: str) -> list[Block]:
    """A section's narrative (plain text or the Markdown subset above) as sub-heading and
    paragraph blocks, one per non-empty line."""
    out: list[Block] = []
    for line in (text or "").splitlines():
        line = " ".join(line.replace("\u3000", " ").split())  # tabs/odd spaces would read as table cells
        if not line or _MD_RULE.match(line):
            continue
        kind, level = "paragraph", 0
        m = _MD_HEADING.match(line)
        if m:
            kind, level, line = "subheading", len(m.group(1)), m.group(2)
        else:
            line = _MD_BULLET.sub("", line, count=1)
        runs = inline_runs(line)
        plain = "".join(t for t, _ in runs).strip()
        if not plain:
            continue
        if kind == "subheading" or all(not b for _, b in runs):
            runs = ()  # a sub-heading is bold as a whole; plain prose needs no runs
        out.append(Block(kind, plain, runs=runs, level=level))
    return out


def paragraphs(text: str) -> list[str]:
    """A section's prose as plain paragraphs, Markdown markup removed (one per non-empty line)."""
    return [b.text for b in prose(text)]


def _val(report: Report, path: str) -> str:
    v = report.cells.get(path)
    return fmt_value(v.value if v is not None else None)


# ------------------------------------------------------------------------------------------ tables

def active_grid(report: Report) -> Grid:
    """表二 as one 4-column table of blocks: 第二十条第（X）项 over the 4 columns, the 信息内容
    header, the items; a single value (本年处理决定数量, 本年收费金额) spans the 3 value columns.
    A report whose 表二 is in the 2019 format gets the 2019 items (kept under ``extra_2019``)."""
    if report.active_is_2019:
        return _active_grid(report, schema.ACTIVE_ITEMS_2019,
                            lambda item, f: "extra_2019." + schema.active_path(item.key, f.key))
    return _active_grid(report, schema.ACTIVE_ITEMS, lambda item, f: schema.active_path(item.key, f.key))


def _active_grid(report: Report, items_of_format, path_of) -> Grid:
    rows: list[list[str]] = []
    merges: list[Merge] = []
    paths: dict[tuple[int, int], str] = {}
    groups: dict[str, list[schema.ActiveItem]] = {}
    for item in items_of_format:
        groups.setdefault(item.group, []).append(item)
    for group, items in groups.items():
        n = len(rows)
        rows.append([group] * 4)
        merges.append((n, 0, n, 3))
        fields = items[0].fields
        n = len(rows)
        rows.append(["信息内容"] + [f.label for f in fields] + [fields[-1].label] * (3 - len(fields)))
        if len(fields) < 3:
            merges.append((n, len(fields), n, 3))
        for item in items:
            n = len(rows)
            cell_paths = [path_of(item, f) for f in item.fields]
            vals = [_val(report, p) for p in cell_paths]
            paths.update({(n, 1 + i): p for i, p in enumerate(cell_paths)})
            rows.append([item.label] + vals + [vals[-1]] * (3 - len(vals)))
            if len(vals) < 3:
                merges.append((n, len(vals), n, 3))
    return Grid("active", rows, merges, paths=paths)


def row_label(row: schema.Row) -> str:
    """The label printed in the row's own cell: “一、本年新收…”, “（一）予以公开”, “1.属于国家秘密”."""
    no = row.no
    if no.startswith("三（"):
        inner = no[1:]
        if inner[-1].isdigit():
            return f"{inner[-1]}.{row.label}"
        return f"{inner}{row.label}"
    return f"{no}、{row.label}"


def application_grid(report: Report) -> Grid:
    """表三: a 3-column label region (三、本年度办理结果 | （三）不予公开 | 1.属于国家秘密) and 7 value
    columns under a two-row applicant header; the 勾稽 note fills the 3×3 corner. The rows are the
    report's own format's (``Report.app_rows``)."""
    labels = [c.label for c in schema.APP_COLUMNS]
    legal = [c for c in schema.APP_COLUMNS if c.group]
    group = legal[0].group
    rows = [[APP_NOTE] * 3 + ["申请人情况"] * 7,
            [APP_NOTE] * 3 + [labels[0]] + [group] * 5 + [labels[-1]],
            [APP_NOTE] * 3 + [labels[0]] + [c.label for c in legal] + [labels[-1]]]
    merges: list[Merge] = [(0, 0, 2, 2), (0, 3, 0, 9), (1, 3, 2, 3), (1, 4, 1, 8), (1, 9, 2, 9)]
    outer = OUTCOMES_LABEL
    out_start = None
    grp_label, grp_start = None, 0
    paths: dict[tuple[int, int], str] = {}
    for r in report.app_rows():  # 2019: one （六）其他处理 row instead of three
        n = len(rows)
        cell_paths = [report.app_cell_path(r.key, c.key) for c in schema.APP_COLUMNS]
        vals = [_val(report, p) for p in cell_paths]
        paths.update({(n, 3 + i): p for i, p in enumerate(cell_paths)})
        own = row_label(r)
        if grp_label is not None and r.group != grp_label:
            merges.append((grp_start, 1, n - 1, 1))
            grp_label = None
        if not r.no.startswith("三（"):
            if out_start is not None:
                merges.append((out_start, 0, n - 1, 0))
                out_start = None
            rows.append([own] * 3 + vals)
            merges.append((n, 0, n, 2))
            continue
        if out_start is None:
            out_start = n
        if r.group is None:
            rows.append([outer, own, own] + vals)
            merges.append((n, 1, n, 2))
            continue
        if r.group != grp_label:
            grp_label, grp_start = r.group, n
        no = r.no[1:-1]  # “（三）”
        rows.append([outer, f"{no}{r.group}", own] + vals)
    return Grid("applications", rows, merges, header_rows=3, paths=paths)


def review_grid(report: Report) -> Grid:
    """表四: 行政复议 over 5 columns, 行政诉讼 over 10 with its two sub-groups; one row of values."""
    fields = [label for _, label in schema.RL_FIELDS]
    groups = [label.split("·") for _, label in schema.RL_GROUPS]
    review, (lit, direct), (_, after) = groups[0][0], groups[1], groups[2]
    cell_paths = [schema.rl_path(g, f) for g, _ in schema.RL_GROUPS for f, _ in schema.RL_FIELDS]
    rows = [[review] * 5 + [lit] * 10,
            fields + [direct] * 5 + [after] * 5,
            fields + fields + fields,
            [_val(report, p) for p in cell_paths]]
    merges = [(0, 0, 0, 4), (0, 5, 0, 14), (1, 5, 1, 9), (1, 10, 1, 14)] + [(1, c, 2, c) for c in range(5)]
    return Grid("review_litigation", rows, merges, header_rows=3, paths={(3, c): p for c, p in enumerate(cell_paths)})


GRIDS = {"active": active_grid, "applications": application_grid, "review_litigation": review_grid}


def blocks(report: Report) -> list[Block]:
    """The whole document in reading order."""
    out = [Block("title", title_text(report))]
    for sec in schema.SECTIONS:
        out.append(Block("heading", f"{sec.no}、{sec.title}"))
        st = report.sections.get(sec.key)
        paras = prose(st.text if st is not None else "")
        # A reader keeps the printed heading as the section's first line: do not print it twice.
        if paras and st is not None and paras[0].text in {st.heading, f"{sec.no}、{sec.title}"}:
            paras = paras[1:]
        out.extend(paras)
        if sec.key in GRIDS:
            out.append(Block("table", grid=GRIDS[sec.key](report)))
    out.append(Block("signature", report.unit or ""))
    if report.report_date:
        out.append(Block("signature", date_text(report.report_date)))
    return out
