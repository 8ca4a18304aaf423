"""Printing a SynthReport as an HTML page, with the merged cells of the official 国办 tables.

The row model, the printed value texts and the expected values come from `text.render` (tsv
layout): this module only prints those rows as HTML tables with the rowspan/colspan of the
official template (国办公开办函〔2021〕30号), so an HTML reading can be compared cell for cell with
the text reading of the same report.

Styles: "plain" (just the article), "gov-page" (the article inside a site page: scripts, styles, a
navigation bar, a breadcrumb, publication metadata and a footer whose date is not the report's),
"p-in-cells" (Word-exported cells: text in <p>/<span>, long labels broken with <br>, &nbsp; in blank
cells), "gbk" (a gov page encoded as GB18030 and declared as gb2312/gbk), "text-only" (the tables
flattened into “标签 1 0 0” lines inside <p>, as some sites publish them).
"""
from __future__ import annotations

import html
import random
from collections.abc import Iterable
from typing import Any

from .. import schema
from .data import SynthReport
from .text import TRow, VCell, _date, render, to_traditional

STYLES = ("plain", "gov-page", "p-in-cells", "gbk", "text-only")
# Damage that changes only the printed text of cells (the HTML printer keeps the official layout).
HTML_DAMAGE = ("traditional", "fullwidth", "thousands", "blank_nulls", "units", "typos")

_esc = html.escape


class _Cells:
    """How one style prints a cell's text."""

    def __init__(self, style: str, rng: random.Random):
        self.style = style
        self.rng = rng

    def td(self, text: str, rowspan: int = 1, colspan: int = 1, tag: str = "td") -> str:
        attrs = ""
        if rowspan > 1:
            attrs += f' rowspan="{rowspan}"'
        if colspan > 1:
            attrs += f' colspan="{colspan}"'
        return f"<{tag}{attrs}>{self.inner(text)}</{tag}>"

    def inner(self, text: str) -> str:
        if self.style != "p-in-cells":
            return _esc(text) if text else ("&nbsp;" if self.rng.random() < 0.3 else "")
        rng = self.rng
        if not text:
            return rng.choice(('<p class="MsoNormal">&nbsp;</p>', "&nbsp;", "<p><span>&nbsp;</span></p>", ""))
        if len(text) > 8 and rng.random() < 0.5:
            # A label Word wrapped in its cell: two lines (never inside a number).
            cut = rng.randint(3, len(text) - 3)
            while cut < len(text) - 1 and (text[cut - 1].isascii() or text[cut].isascii()):
                cut += 1
            a, b = text[:cut], text[cut:]
            if rng.random() < 0.5:
                return f'<p class="MsoNormal"><span>{_esc(a)}</span></p>\n      <p class="MsoNormal"><span>{_esc(b)}</span></p>'
            return f"<span>{_esc(a)}</span><br/>\n      <span>{_esc(b)}</span>"
        return f'<p align="center" class="MsoNormal"><span style="font-size:10.5pt">{_esc(text)}</span><o:p></o:p></p>'


def _table(rows: list[list[str]], rng: random.Random) -> str:
    attrs = rng.choice(('border="1" cellspacing="0" cellpadding="0"', 'class="MsoNormalTable" border="1"',
                        'width="100%" border="1" style="border-collapse:collapse"'))
    body = "\n".join("  <tr>" + "".join(r) + "</tr>" for r in rows)
    return f"<table {attrs}>\n<tbody>\n{body}\n</tbody>\n</table>"


def _values(c: _Cells, vals: list[VCell]) -> list[str]:
    return [c.td(v.text or "") for v in vals]


def active_html(rows: list[TRow], c: _Cells) -> list[list[str]]:
    """表二: 4 columns; a title row colspan=4; with fewer than 3 fields the last one spans the rest."""
    out = []
    for r in rows:
        cells = [*r.labels] if r.kind != "data" else [r.labels[0]]
        html_cells = [c.td(x) for x in cells[:-1]]
        if r.kind == "data":
            html_cells = [c.td(cells[0])] + [c.td(v.text or "") for v in r.values[:-1]]
            html_cells.append(c.td(r.values[-1].text or "", colspan=1 + r.trail))
        else:
            html_cells.append(c.td(cells[-1], colspan=1 + r.trail, tag="td"))
        out.append(html_cells)
    return out


def applications_html(rows: list[TRow], c: _Cells) -> list[list[str]]:
    """表三: a label region of 3 columns (the 勾稽 note over it and the 3 header rows), 7 value columns."""
    h0, h1, h2 = rows[0].labels, rows[1].labels, rows[2].labels
    out = [
        [c.td(h0[0], rowspan=3, colspan=3), c.td(h0[2], colspan=7)],
        [c.td(h1[2], rowspan=2), c.td(h1[3], colspan=5), c.td(h0[-1], rowspan=2)],
        [c.td(x) for x in h2[3:8]],
    ]
    data = [r for r in rows if r.kind == "data"]
    keys = [r.key for r in data]
    first, last = keys.index("granted"), keys.index("handled_total")
    group_size: dict[str, int] = {}
    for r in data:
        if r.group:
            group_size[r.group] = group_size.get(r.group, 0) + 1
    seen: set[str] = set()
    for i, r in enumerate(data):
        own = r.labels[r.label_slot]
        cells: list[str] = []
        if i < first or i > last:
            cells.append(c.td(own, colspan=3))
        else:
            if i == first:
                cells.append(c.td(r.labels[0], rowspan=last - first + 1))
            if r.group is None:
                cells.append(c.td(own, colspan=2))
            else:
                if r.group not in seen:
                    seen.add(r.group)
                    cells.append(c.td(r.labels[1], rowspan=group_size[r.group]))
                cells.append(c.td(own))
        out.append(cells + _values(c, r.values))
    return out


def review_html(rows: list[TRow], c: _Cells) -> list[list[str]]:
    """表四: 行政复议 colspan=5, 行政诉讼 colspan=10 over its two sub-groups, one row of 15 values."""
    h0, h1, h2 = rows[0].labels, rows[1].labels, rows[2].labels
    return [
        [c.td(h0[0], colspan=5), c.td(h0[5], colspan=10)],
        [c.td(x, rowspan=2) for x in h1[:5]] + [c.td(h1[5], colspan=5), c.td(h1[10], colspan=5)],
        [c.td(x) for x in h2[5:15]],
        _values(c, rows[3].values),
    ]


_PRINTERS = {"active": active_html, "applications": applications_html, "review_litigation": review_html}


def _title(rng: random.Random, rep: SynthReport) -> list[str]:
    y = rep.year
    variants = [[f"{rep.unit}{y}年政府信息公开工作年度报告"], [rep.unit, f"{y}年政府信息公开工作年度报告"]]
    if rep.kind == "township":
        variants.append([f"{rep.short_name}{y}年政府信息公开工作年度报告"])
    return rng.choice(variants)


def _heading(text: str, rng: random.Random, style: str) -> str:
    if style == "plain":
        return f"<h2>{_esc(text)}</h2>"
    return rng.choice((f"<h2>{_esc(text)}</h2>", f"<p><strong>{_esc(text)}</strong></p>",
                       f'<p style="text-indent:2em"><b><span>{_esc(text)}</span></b></p>'))


def _split(rows: list[list[str]], key: str, rng: random.Random) -> list[list[list[str]]]:
    """A table published as several <table>s at a place no merged cell crosses: 表三 after its
    header rows or before 四、结转下年度; 表二 before one of its 第二十条 title rows."""
    if key == "applications":
        at = rng.choice((3, len(rows) - 1))
    elif key == "active":
        titles = [i for i, r in enumerate(rows) if i and len(r) == 1]
        at = rng.choice(titles) if titles else 0
    else:
        return [rows]
    return [rows[:at], rows[at:]] if 0 < at < len(rows) else [rows]


def _article(rep: SynthReport, rendered, rng: random.Random, style: str, split_tables: bool = False) -> str:
    c = _Cells(style, rng)
    out = [f'<h1 class="article-title">{_esc(t)}</h1>' if i == 0 else f"<h1>{_esc(t)}</h1>"
           for i, t in enumerate(_title(rng, rep))]
    if len(out) == 2:  # the unit above the year's title, as a separate line
        out[0] = f'<p style="text-align:center"><strong>{_esc(_title_line(out[0]))}</strong></p>'
    flat = rendered.text.split("\n") if style == "text-only" else None
    for sec in schema.SECTIONS:
        head = f"{sec.no}、{sec.title}"
        out.append(_heading(head, rng, style))
        for p in rep.sections.get(sec.key, []):
            out.append(f'<p style="text-indent:2em">{_esc(p)}</p>')
        if sec.key in rendered.tables:
            if flat is not None:
                out.append(_flat_table(flat, sec, rep.sections.get(sec.key, []), rng))
            else:
                rows = _PRINTERS[sec.key](rendered.tables[sec.key], c)
                parts = _split(rows, sec.key, rng) if split_tables else [rows]
                out.append("\n<p>&nbsp;</p>\n".join(_table(part, rng) for part in parts))
    out.append(f'<p style="text-align:right">{_esc(rep.unit)}</p>')
    out.append(f'<p style="text-align:right">{_esc(_date(rep.report_date))}</p>')
    return "\n".join(out)


def _title_line(h: str) -> str:
    return html.unescape(h.split(">", 1)[1].rsplit("<", 1)[0])


def _flat_table(lines: list[str], sec: schema.Section, prose: list[str], rng: random.Random) -> str:
    """The lines of the spaced text rendering between this section's heading and the next one."""
    heads = {f"{s.no}、{s.title}" for s in schema.SECTIONS}
    heads |= {to_traditional(h) for h in heads}
    own = f"{sec.no}、{sec.title}"
    start = next(i for i, ln in enumerate(lines) if ln in (own, to_traditional(own))) + 1
    stop = next((i for i in range(start, len(lines)) if lines[i] in heads), len(lines))
    body = [ln for ln in lines[start:stop] if ln.strip() and ln not in prose]
    return "\n".join(f"<p>{_esc(ln)}</p>" if rng.random() < 0.5 else f"{_esc(ln)}<br/>" for ln in body)


_NAV = ["首页", "政务公开", "政务服务", "互动交流", "走进本地", "专题专栏"]


def _page(article: str, rep: SynthReport, rng: random.Random, charset: str) -> str:
    site = rep.unit if rep.kind == "government" else "市人民政府"
    pub = rep.report_date
    nav = "".join(f'<li><a href="/{i}/">{n}</a></li>' for i, n in enumerate(_NAV))
    footer_year = rep.year + 1
    footer_tag = rng.choice(("footer", "div"))
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<meta name="ArticleTitle" content="{_esc(rep.unit)}{rep.year}年政府信息公开工作年度报告">
<meta name="PubDate" content="{pub} 09:30">
<title>{_esc(rep.unit)}{rep.year}年政府信息公开工作年度报告_{_esc(site)}门户网站</title>
<link rel="stylesheet" href="/css/style.css">
<style type="text/css">
body {{ font-family: "Microsoft YaHei"; }} .footer p {{ color: #666; }}
</style>
<script type="text/javascript">
var _hmt = _hmt || []; /* 统计代码 2024年1月1日 */
document.write("<div>加载中</div>");
</script>
</head>
<body>
<!-- 头部开始 2023年5月6日 -->
<div class="header"><div class="logo"><img src="/img/logo.png" alt="{_esc(site)}"></div>
<div class="top-links">无障碍 | 长者模式 | 繁体版</div></div>
<div class="nav"><ul>{nav}</ul></div>
<div class="breadcrumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; 政府信息公开年报</div>
<div class="main-content">
<div class="article-info">发布时间：{pub}　来源：{_esc(rep.unit)}　浏览次数：<span id="hits">1024</span></div>
<div class="article-body" id="zoom">
{article}
</div>
<div class="share">分享到：微信 微博　【打印本页】【关闭窗口】</div>
</div>
<{footer_tag} class="footer">
<p>版权所有：{_esc(site)}　主办：{_esc(site)}办公室</p>
<p>网站标识码：3300000000　ICP备案号：浙ICP备12345678号-1</p>
<p>{footer_year}年3月15日</p>
</{footer_tag}>
<script>window.onload = function () {{ console.log("2025年1月1日"); }};</script>
</body>
</html>
"""


def render_html(report: SynthReport, rng: random.Random, *, style: str = "plain", damage: Iterable[str] = (),
                split_tables: bool = False, **options) -> tuple[bytes, dict[str, Any]]:
    """The report as the bytes of an HTML page and the values a correct reader must return.

    `damage` may hold the kinds of `HTML_DAMAGE` (text of cells only); `options` go to
    `text.render` (e.g. `blank_at_row_end`)."""
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES}")
    damage = tuple(damage)
    bad = set(damage) - set(HTML_DAMAGE)
    if bad:
        raise ValueError(f"damage {sorted(bad)} changes the table layout: not supported in HTML")
    rendered = render(report, rng, layout="spaced" if style == "text-only" else "tsv", damage=damage, **options)
    article = _article(report, rendered, rng, style, split_tables)
    if style in ("gov-page", "gbk"):
        charset = rng.choice(("gb2312", "GBK")) if style == "gbk" else "utf-8"
        page = _page(article, report, rng, charset)
    else:
        page = ("<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>年度报告</title></head>\n<body>\n"
                f"{article}\n</body>\n</html>\n")
    if style == "gbk":
        return page.replace("\n", "\r\n").encode("gb18030"), rendered.expected
    return page.encode("utf-8"), rendered.expected


def render_html_file(report: SynthReport, path, rng: random.Random, **kw) -> dict[str, Any]:
    data, expected = render_html(report, rng, **kw)
    with open(path, "wb") as fh:
        fh.write(data)
    return expected
