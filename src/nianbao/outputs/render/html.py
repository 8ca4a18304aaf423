"""HTML: one standalone UTF-8 page, CSS embedded, print-ready (A4 @page), real rowspan/colspan.

No scripts, no external resources: the page is what a unit publishes on its portal and what prints
on A4 as the official document. Fonts are CSS font stacks from the same chains as the DOCX.
"""
from __future__ import annotations

import html

from ...model import Report
from .layout import (
    BODY_FONTS,
    HEADING_FONTS,
    LATIN_FONT,
    OUTCOMES_LABEL,
    SUBHEADING_FONTS,
    TITLE_FONTS,
    Block,
    Grid,
    blocks,
    title_text,
)

_esc = html.escape


def _stack(chain: tuple[str, ...], generic: str) -> str:
    return ", ".join([f'"{LATIN_FONT}"'] + [f'"{f}"' for f in chain] + [generic])


CSS = f"""
@page {{ size: A4; margin: 3.7cm 2.6cm 3.5cm 2.8cm;
        @bottom-center {{ content: "— " counter(page) " —"; font-family: {_stack(BODY_FONTS, "serif")}; }} }}
html {{ background: #f3f3f3; }}
body {{ font-family: {_stack(BODY_FONTS, "serif")}; font-size: 16pt; line-height: 1.75; color: #000;
       max-width: 15.6cm; margin: 1.5em auto; padding: 2.5em 3em; background: #fff; }}
h1 {{ font-family: {_stack(TITLE_FONTS, "serif")}; font-size: 22pt; font-weight: bold; text-align: center;
     line-height: 1.5; margin: 0.5em 0 1em; }}
h2 {{ font-family: {_stack(HEADING_FONTS, "sans-serif")}; font-size: 16pt; font-weight: normal; margin: 0.6em 0 0.2em;
     text-indent: 2em; }}
h3, h4, h5, h6 {{ font-family: {_stack(SUBHEADING_FONTS, "serif")}; font-size: 16pt; font-weight: bold; margin: 0;
     text-indent: 2em; }}
p {{ text-indent: 2em; margin: 0; text-align: justify; }}
p.sign {{ text-align: right; text-indent: 0; }}
p.sign:first-of-type {{ margin-top: 2em; }}
table {{ border-collapse: collapse; width: 100%; margin: 0.6em 0 1em; font-size: 10.5pt; line-height: 1.35;
        table-layout: fixed; page-break-inside: auto; }}
th, td {{ border: 1px solid #000; padding: 2px 3px; text-align: center; vertical-align: middle;
         word-break: break-all; }}
th {{ font-weight: bold; }}
td.label {{ text-align: left; }}
tr {{ page-break-inside: avoid; }}
thead {{ display: table-header-group; }}
@media print {{ html {{ background: none; }} body {{ margin: 0; padding: 0; max-width: none; }} }}
"""

# Column widths per table (percent), so long labels wrap instead of squeezing the numbers.
WIDTHS = {
    "active": (34, 22, 22, 22),
    "applications": (8, 10, 31) + (7,) * 6 + (9,),
    "review_litigation": (100 / 15,) * 15,
}


def table(grid: Grid) -> str:
    covered = grid.covered()
    anchors = grid.anchors()
    cols = "".join(f'<col style="width:{w:.2f}%">' for w in WIDTHS.get(grid.kind, ()))
    out = [f'<table class="{grid.kind}">', f"<colgroup>{cols}</colgroup>" if cols else ""]
    head = grid.header_rows
    for r, row in enumerate(grid.rows):
        if r == 0 and head:
            out.append("<thead>")
        if r == head:
            out.append("<tbody>")
        cells = []
        for c, text in enumerate(row):
            if (r, c) in covered:
                continue
            attrs = ""
            m = anchors.get((r, c))
            if m:
                if m[2] > m[0]:
                    attrs += f' rowspan="{m[2] - m[0] + 1}"'
                if m[3] > m[1]:
                    attrs += f' colspan="{m[3] - m[1] + 1}"'
            tag = "th" if r < head else "td"
            label = grid.kind == "applications" and r >= head and c < 3 and text != OUTCOMES_LABEL
            cls = ' class="label"' if label else ""
            cells.append(f"<{tag}{attrs}{cls}>{_esc(text)}</{tag}>")
        out.append("  <tr>" + "".join(cells) + "</tr>")
        if r == head - 1:
            out.append("</thead>")
    out.append("</tbody>\n</table>")
    return "\n".join(x for x in out if x)


def _inline(b: Block) -> str:
    return "".join(f"<strong>{_esc(t)}</strong>" if bold else _esc(t) for t, bold in b.pieces())


def render_html(report: Report) -> str:
    body = []
    for b in blocks(report):
        if b.kind == "title":
            body.append(f"<h1>{_esc(b.text)}</h1>")
        elif b.kind == "heading":
            body.append(f"<h2>{_esc(b.text)}</h2>")
        elif b.kind == "subheading":
            tag = f"h{max(3, b.level)}"  # h1 is the title, h2 the six sections
            body.append(f"<{tag}>{_esc(b.text)}</{tag}>")
        elif b.kind == "paragraph":
            body.append(f"<p>{_inline(b)}</p>")
        elif b.kind == "table":
            body.append(table(b.grid))
        else:
            body.append(f'<p class="sign">{_esc(b.text)}</p>')
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{_esc(title_text(report))}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")
