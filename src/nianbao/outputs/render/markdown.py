"""Markdown: GitHub pipe tables, with merged cells flattened so nianbao's text reader reads them back.

A merged cell prints its text once, in its top-left position, and leaves the positions it covers
empty (what websites' Markdown exports of the 国办 tables look like, and what the reader's row model
expects); the first row of a table is the pipe header, as GitHub requires. Narrative sub-headings stay
Markdown headings (### and deeper: # is the title, ## the six sections), bold stays **bold**, and
the characters Markdown would read as markup are escaped, so the text reads back as it was printed.
"""
from __future__ import annotations

import re

from ...model import Report
from .layout import Block, Grid, blocks

_SPECIAL = re.compile(r"([\\*_|`])")
_LINE_START = re.compile(r"^([#>+-])")  # would start a heading, a quote or a list item


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text)


def _line(b: Block) -> str:
    """A paragraph: **bold** runs, markup characters escaped; a numbered line (“1. …”) is written
    as it is (the clerk numbered it), any other line start Markdown would take as markup escaped."""
    text = "".join(f"**{_escape(t)}**" if bold else _escape(t) for t, bold in b.pieces())
    if re.match(r"\d+[.)]\s", b.text):
        return text
    return _LINE_START.sub(r"\\\1", text, count=1)


def table(grid: Grid) -> list[str]:
    covered = grid.covered()
    lines = []
    for r, row in enumerate(grid.rows):
        cells = ["" if (r, c) in covered else _cell(t) for c, t in enumerate(row)]
        lines.append("| " + " | ".join(cells) + " |")
        if r == 0:
            lines.append("|" + "---|" * grid.ncols)
    return lines


def render_markdown(report: Report) -> str:
    out: list[str] = []
    sign: list[str] = []
    for b in blocks(report):
        if b.kind == "title":
            out += [f"# {b.text}", ""]
        elif b.kind == "heading":
            out += [f"## {b.text}", ""]
        elif b.kind == "subheading":
            out += [f"{'#' * max(3, b.level)} {_escape(b.text)}", ""]
        elif b.kind == "paragraph":
            out += [_line(b), ""]
        elif b.kind == "table":
            out += table(b.grid) + [""]
        else:
            sign.append(b.text)
    out += [""] + [f"{s}  " for s in sign]  # two trailing spaces: a Markdown line break
    return "\n".join(out).rstrip() + "\n"
