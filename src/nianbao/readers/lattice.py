"""The lattice: table cells from ruling lines, shared by the PDF reader (lines drawn in the file) and
the OCR reader (lines found in the image).

Consecutive ruling lines cut a table into grid slots; two neighbouring slots belong to the same cell
when no line separates them. That one rule gives merged cells of any shape (三、本年度办理结果 down
its rows, 法人或其他组织 over five columns) without knowing the table. How a line is known to be
there differs by source, so the caller passes the two tests.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

Rect = tuple[int, int, int, int]  # r0, c0, r1, c1: slot rows and columns, inclusive


def cells(ys: Sequence[float], xs: Sequence[float], ruled_v: Callable[[float, float, float], bool],
          ruled_h: Callable[[float, float, float], bool]) -> list[Rect]:
    """The cells of a grid with row lines `ys` and column lines `xs`, as slot rectangles in reading
    order. ``ruled_v(x, y0, y1)`` says whether a vertical line at x separates y0..y1;
    ``ruled_h(y, x0, x1)`` the same for a horizontal line."""
    nr, nc = len(ys) - 1, len(xs) - 1
    parent = list(range(nr * nc))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for r in range(nr):
        for c in range(nc):
            if c + 1 < nc and not ruled_v(xs[c + 1], ys[r], ys[r + 1]):
                parent[find(r * nc + c + 1)] = find(r * nc + c)
            if r + 1 < nr and not ruled_h(ys[r + 1], xs[c], xs[c + 1]):
                parent[find((r + 1) * nc + c)] = find(r * nc + c)
    boxes: dict[int, list[int]] = {}
    for r in range(nr):
        for c in range(nc):
            b = boxes.setdefault(find(r * nc + c), [r, c, r, c])
            b[0], b[1], b[2], b[3] = min(b[0], r), min(b[1], c), max(b[2], r), max(b[3], c)
    return sorted((b[0], b[1], b[2], b[3]) for b in boxes.values())
