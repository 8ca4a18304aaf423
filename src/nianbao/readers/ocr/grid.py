"""Ruled tables: the ruling lines found by morphology, the cell grid built from them (merged cells
where a boundary is missing), and each cell's text lines cut out by ink projection as strips for
the recogniser.

Why apart: the ruling, not a text detector, decides which number belongs to which cell; this is
the geometry of that decision and has no OCR model in it (the page reader hands the strips on).
"""
from __future__ import annotations

import re

from .. import lattice

# ------------------------------------------------------------------------------------------ ruling

def _clusters(values: list[float], tol: float, weights: list[float] | None = None) -> list[float]:
    """1-D positions within `tol` of each other merged into one: the position of the heaviest
    (longest segment) — a mean would drift off the rule towards strokes found near it."""
    w = weights or [1.0] * len(values)
    out: list[list[tuple[float, float]]] = []
    for v, k in sorted(zip(values, w)):
        if out and v - out[-1][-1][0] <= tol:
            out[-1].append((v, k))
        else:
            out.append([(v, k)])
    return [max(c, key=lambda vk: vk[1])[0] if weights else sum(v for v, _ in c) / len(c) for c in out]


class _Grid:
    """A ruled table: row lines `ys`, column lines `xs` (page pixels), and its cells as rectangles of
    grid positions (r0, c0, r1, c1), inclusive."""

    def __init__(self, box, ys, xs, cells):
        self.box, self.ys, self.xs, self.cells = box, ys, xs, cells


def _find_grids(cv2, np, ink, ch) -> list[_Grid]:
    tol = max(3.0, 0.35 * ch)   # positions of one rule
    touch = max(3.0, 0.15 * ch)  # a rule meets a rule; a character's stroke stops short of it
    kx = max(int(2.5 * ch), 30)
    ky = max(int(0.9 * ch), 10)
    # A faint rule (1 px, anti-aliased, then thresholded by a scanner) comes out dotted: close the
    # dots along the rule's direction first.
    ink_h = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 1)))
    ink_v = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 3)))
    hl = cv2.morphologyEx(ink_h, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (kx, 1)))
    vl = cv2.morphologyEx(ink_v, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, ky)))
    nh, _, hstats, _ = cv2.connectedComponentsWithStats(hl, connectivity=8)
    nv, _, vstats, _ = cv2.connectedComponentsWithStats(vl, connectivity=8)
    hsegs = [(x, x + sw, y + sh / 2) for x, y, sw, sh, _ in hstats[1:nh] if sh <= max(6, ch / 3)]
    # A vertical candidate is a rule only if it runs from one horizontal rule to another (a tall
    # stroke of a big character does not touch the ruling).
    vsegs, pieces = [], []
    for x, y, sw, sh, _ in vstats[1:nv]:
        xc = x + sw / 2
        if sw > max(6, ch / 3):
            # A rule touched by a character's vertical stroke (a stacked header set tight against
            # it) is one wide component: the rule is the column of ink that runs the furthest.
            runs = (vl[y:y + sh, x:x + sw] > 0).sum(axis=0)
            best = int(runs.argmax())
            if runs[best] < 2 * ch:
                continue
            xc = x + best + 0.5
        top = any(abs(hy - y) <= touch and x0 - touch <= xc <= x1 + touch for x0, x1, hy in hsegs)
        bottom = any(abs(hy - (y + sh)) <= touch and x0 - touch <= xc <= x1 + touch for x0, x1, hy in hsegs)
        if (top and bottom) or sh >= 2 * ch:
            vsegs.append((y, y + sh, xc))
        else:
            pieces.append((y, y + sh, xc))
    # A rule broken by a scan (rotation, JPEG) comes out as pieces that touch nothing: a column of
    # pieces adding up to a long rule is a candidate too (the boundary tests below decide).
    for xc in _clusters([p[2] for p in pieces], tol):
        near = [p for p in pieces if abs(p[2] - xc) <= tol]
        if sum(p[1] - p[0] for p in near) >= 3 * ch:
            vsegs.extend(near)
    if not hsegs or len(vsegs) < 2:
        return []
    mask = np.zeros_like(ink)
    for x0, x1, y in hsegs:
        cv2.line(mask, (int(x0), int(y)), (int(x1), int(y)), 255, 3)
    for y0, y1, x in vsegs:
        cv2.line(mask, (int(x), int(y0)), (int(x), int(y1)), 255, 3)
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    grids = []
    for x, y, bw, bh, _ in stats[1:n]:
        if bw < 3 * ch or bh < 1.5 * ch:
            continue
        x1, y1 = x + bw, y + bh
        hs = [s for s in hsegs if x - tol <= s[0] and s[1] <= x1 + tol and y - tol <= s[2] <= y1 + tol]
        vs = [s for s in vsegs if y - tol <= s[0] and s[1] <= y1 + tol and x - tol <= s[2] <= x1 + tol]
        ys = _clusters([s[2] for s in hs], tol, [s[1] - s[0] for s in hs])
        xs = _clusters([s[2] for s in vs], tol, [s[1] - s[0] for s in vs])
        if len(ys) < 2 or len(xs) < 2:
            continue
        ys, xs, cells = _cells(ink, ink_h, ink_v, ys, xs, tol, ch)
        if len(ys) >= 2 and len(xs) >= 2:
            grids.append(_Grid((x, y, x1, y1), ys, xs, cells))
    grids.sort(key=lambda g: (g.box[1], g.box[0]))
    return grids


def _ruled(line, max_gap: int = 3) -> bool:
    """Ink all along a boundary (breaks of a scan's noise allowed): a rule, not a character's stroke
    (a stroke stops short of the rules at both ends of the cell, even in a cramped header row)."""
    n = len(line)
    if n == 0:
        return True
    if line.mean() < 0.85:
        return False
    run = best = 0
    for v in line:
        run = 0 if v else run + 1
        best = max(best, run)
    return best <= max_gap


def _cells(ink, ink_h, ink_v, ys, xs, tol, ch):
    """Grid positions joined where no rule separates them (union-find), as rectangles; candidate
    grid lines that rule no boundary at all (a long stroke taken for a rule) are dropped first."""
    t = max(1, int(tol / 3))
    H, W = ink.shape

    def ruled_v(x, y0, y1) -> bool:
        ya, yb = max(0, int(y0)), min(H, int(y1) + 1)
        band = ink_v[ya:yb, max(0, int(x) - t):int(x) + t + 1]
        if not _ruled(band.any(axis=1)):
            return False
        # A character's vertical stroke (十, 本 in a cramped row) is crossed by its other strokes;
        # a rule has the cell's padding on both sides.
        m = max(3, t + 1)
        inner = slice(min(ya + 2 * m, yb), max(yb - 2 * m, ya))
        left = ink[inner, max(0, int(x) - t - m):max(0, int(x) - t)]
        right = ink[inner, int(x) + t + 1:int(x) + t + 1 + m]
        beside = left.any(axis=1) | right.any(axis=1) if left.size and right.size else None
        return beside is None or len(beside) == 0 or beside.mean() < 0.15

    def ruled_h(y, x0, x1) -> bool:
        band = ink_h[max(0, int(y) - t):int(y) + t + 1, max(0, int(x0)):min(W, int(x1) + 1)]
        # No character is a long horizontal stroke, so a rule may have longer breaks (a 1-bit
        # scan drops pieces of a faint rule) than a vertical one.
        return _ruled(band.any(axis=0), max(3, int(0.6 * ch)))

    for _ in range(3):  # dropping a line changes the spans the others are tested on
        keep_x = [k for k, x in enumerate(xs) if k in (0, len(xs) - 1) or
                  any(ruled_v(x, ys[r], ys[r + 1]) for r in range(len(ys) - 1))]
        keep_y = [k for k, y in enumerate(ys) if k in (0, len(ys) - 1) or
                  any(ruled_h(y, xs[c], xs[c + 1]) for c in range(len(xs) - 1))]
        if len(keep_x) == len(xs) and len(keep_y) == len(ys):
            break
        xs, ys = [xs[k] for k in keep_x], [ys[k] for k in keep_y]
    return ys, xs, lattice.cells(ys, xs, ruled_v, ruled_h)


# ------------------------------------------------------------------------------------------ cell text

_LATIN = re.compile(r"[A-Za-z]")


def join_lines(parts: list[str]) -> str:
    """A cell's visual lines as one text: Chinese lines (and a number wrapped in a narrow cell) join
    with nothing between; two Latin words get a space."""
    out = ""
    for p in (p.strip() for p in parts):
        if not p:
            continue
        if out and _LATIN.match(out[-1]) and _LATIN.match(p[0]):
            out += " "
        out += p
    return out


def _line_bands(np, ink_crop, ch):
    """Text lines of a cell by horizontal projection: (y0, y1, x0, x1) in crop pixels."""
    rows = ink_crop.any(axis=1)
    bands = []
    y = 0
    n = len(rows)
    gap = max(1, int(ch * 0.06))
    while y < n:
        if not rows[y]:
            y += 1
            continue
        y0 = y
        while y < n and (rows[y] or rows[y:y + gap + 1].any()):
            y += 1
        bands.append((y0, y))
    # Strokes of one character (三, 二, 小) are separate bands: merge while the union is no taller
    # than a character, so a vertical one-character-per-line label stays one line per character.
    merged: list[list[int]] = []
    for y0, y1 in bands:
        if merged and y1 - merged[-1][0] <= 1.12 * ch:
            merged[-1][1] = y1
        else:
            merged.append([y0, y1])
    out = []
    for y0, y1 in merged:
        cols = np.nonzero(ink_crop[y0:y1].any(axis=0))[0]
        if int(ink_crop[y0:y1].sum() // 255) < 6:
            continue  # a speck
        out.append((y0, y1, int(cols[0]), int(cols[-1]) + 1))
    return out


def _strip(cv2, np, lines, ch):
    """Several line images side by side as one image (a cell's lines, a vertical label's characters):
    one recogniser call per cell instead of one per line, and the recogniser sees the text as one
    run, so nothing (no space) is invented where a Chinese line wrapped."""
    h = max(im.shape[0] for im in lines)
    gap = np.full((h, max(2, int(ch * 0.3))), 255, np.uint8)
    parts = []
    for k, im in enumerate(lines):
        if im.shape[0] < h:
            top = (h - im.shape[0]) // 2
            im = cv2.copyMakeBorder(im, top, h - im.shape[0] - top, 0, 0, cv2.BORDER_CONSTANT, value=255)
        if k:
            parts.append(gap)
        parts.append(im)
    return np.hstack(parts)


MAX_STRIP_RATIO = 40  # a strip wider than this many character heights is split (recogniser memory)


def _chunks(lines, ch):
    """Lines grouped so that no strip is wider than MAX_STRIP_RATIO character heights."""
    out, width = [[]], 0.0
    for im in lines:
        w = im.shape[1] + ch * 0.3
        if out[-1] and width + w > MAX_STRIP_RATIO * ch:
            out.append([])
            width = 0.0
        out[-1].append(im)
        width += w
    return [c for c in out if c]


def _cell_jobs(cv2, np, grey, ink, grid: _Grid, ch):
    """For each cell of a grid: ("strips", [images]) to recognise, or ("detect", image) when its
    lines touch each other and projection cannot separate them."""
    pad = max(3, int(ch * 0.25))
    H, W = grey.shape
    out = []
    for r0, c0, r1, c1 in grid.cells:
        m = max(3, int(ch * 0.15))
        x0, x1 = int(grid.xs[c0]) + m, int(grid.xs[c1 + 1]) - m
        y0, y1 = int(grid.ys[r0]) + m, int(grid.ys[r1 + 1]) - m
        if x1 - x0 < 3 or y1 - y0 < 3:
            out.append(("strips", []))
            continue
        crop = ink[y0:y1, x0:x1].copy()
        # Ruling that leaked into the crop (thick or slightly skewed lines) is not text.
        crop[crop.mean(axis=1) > 0.7 * 255, :] = 0
        crop[:, crop.mean(axis=0) > 0.7 * 255] = 0
        bands = _line_bands(np, crop, ch)
        if any(b[1] - b[0] > 1.8 * ch for b in bands):
            out.append(("detect", grey[max(0, y0 - pad):min(H, y1 + pad), max(0, x0 - pad):min(W, x1 + pad)]))
            continue
        lines = []
        for by0, by1, bx0, bx1 in bands:
            ya, yb = max(0, y0 + by0 - pad), min(H, y0 + by1 + pad)
            xa, xb = max(0, x0 + bx0 - pad), min(W, x0 + bx1 + pad)
            line = grey[ya:yb, xa:xb].copy()
            # whiten what lies outside the cell (a neighbour's rule) in the padded crop
            line[:, :max(0, x0 - xa)] = 255
            line[:, line.shape[1] - max(0, xb - x1):] = 255
            lines.append(line)
        out.append(("strips", [_strip(cv2, np, c, ch) for c in _chunks(lines, ch)] if lines else []))
    return out
