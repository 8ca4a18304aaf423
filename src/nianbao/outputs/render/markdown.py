"""Markdown: GitHub pipe tables, with merged cells flattened so nianbao's text reader reads them back.

A merged cell prints its text once, in its top-left position, and leaves the positions it covers
empty (what websites' Markdown exports of the 国办 tables look like, and what the reader's row model
expects); the first row of a table is the pipe header, as GitHub requires.
"""
from __future__ import annotations

from ...model import Report
from .layout import Grid, blocks


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


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
        elif b.kind == "paragraph":
            out += [b.text, ""]
        elif b.kind == "table":
            out += table(b.grid) + [""]
        else:
            sign.append(b.text)
    out += [""] + [f"{s}  " for s in sign]  # two trailing spaces: a Markdown line break
    return "\n".join(out).rstrip() + "\n"
