"""Scanned reports: page images (PNG/JPG/TIFF/BMP, and PDF pages without a text layer) through OCR.

Why the shape: government tables are ruled, and the ruling is far more reliable than any text
detector at saying which number belongs to which cell. So a page is read in two parts:

- ruled tables: the ruling lines are found with morphology on the binarised page (after deskewing
  on those lines), the cell grid is built from them (a missing boundary between two grid positions
  merges them, so merged cells come out like the DOCX reader's: the text repeated over every grid
  position with `spanned=True` on the copies), and the text lines inside each cell are cut out by
  ink projection and given to the recogniser alone — no text detection inside tables. This is both
  faster (detection is most of rapidocr's time on a full page) and more exact (a detector merges a
  number with its neighbour or cuts a vertical label into pieces);
- everything else on the page (title, prose, signature) goes through rapidocr's detector and
  recogniser; its boxes are grouped into visual lines, and wrapped lines into paragraphs. Lines of
  widely spaced boxes that follow each other are an unruled table: rows by line, columns by the
  gaps between boxes (best effort).

Every Cell and Paragraph carries `Source.confidence` (the recogniser's score, 0..1): rule IN-09
tells the user which numbers came from OCR. A blank cell (no ink) has confidence 1.0; a cell with
ink that nothing was read from keeps "" with the low score, so it is flagged rather than hidden.

The image is normalised by the height of its characters, not by a DPI it may not state: a 600 DPI
scan is shrunk, a tiny screenshot enlarged, so the same thresholds hold for every input.
"""
from __future__ import annotations

import io
import os
import re
import threading
import warnings

from ..document import Block, Cell, Document, Paragraph, Row, Source, Table
from ..errors import ReadError

# ------------------------------------------------------------------------------------------ limits

PDF_DPI = 150              # render DPI of PDF pages: 10.5 pt text is ~22 px high, read exactly (see bench)
TARGET_CHAR_PX = 24        # the character height every page is scaled to (PP-OCR rec input is 48 px high)
MAX_PIXELS = 60_000_000    # a bigger image is refused (decoding it alone would need > 180 MB)
MAX_PAGES = 300            # frames of a multi-page TIFF
MIN_SCORE = 0.5            # a recognised line below this score is noise (rapidocr's own default)

OCR_EXTRA = "扫描件需要 OCR 组件：pip install 'nianbao[ocr]'"


def _threads() -> int:
    """ONNX threads: the CPUs this process may use (taskset/cgroups), at most 4 (more does not help
    the small PP-OCR models); NIANBAO_OCR_THREADS overrides (a batch of workers wants 1 each)."""
    env = os.environ.get("NIANBAO_OCR_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    return max(1, min(4, n))


def engine_params() -> dict:
    """All rapidocr settings, in one place, and why each:
    - the angle classifier is off: scans are upright, and on one-character crops (vertical labels)
      it flips characters by mistake; it also costs a model pass per line;
    - detection runs on the page scaled to at most 1280 px (limit_type max): text at our normalised
      24 px height is still ~18 px there, enough for the detector, and detection time grows with
      the area (full 150 DPI page: 3.4 s; 1280 px: ~1.5 s); crops for recognition are still cut
      from the full-resolution image;
    - Global.max_side_len is raised so rapidocr does not shrink tall images (long screenshots)
      before cutting the crops;
    - recognition input 48×160 instead of 48×320: every crop is padded to at least that width, and
      most crops (numbers, one-character lines) are much narrower — same text read on the
      generated reports, ~25 % less CPU; batches are formed by _recognise under REC_BUDGET;
    - threads: see _threads; inter-op parallelism is useless for these sequential graphs;
    - log level error: rapidocr logs every call at info level."""
    return {
        "Global.log_level": "error",
        "Global.use_cls": False,
        "Global.text_score": MIN_SCORE,
        "Global.max_side_len": 100_000,
        "Det.limit_type": "max",
        "Det.limit_side_len": 100_000,
        "Rec.rec_img_shape": list(REC_SHAPE),
        "EngineConfig.onnxruntime.intra_op_num_threads": _threads(),
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    }


REC_SHAPE = (3, 48, 160)
REC_BUDGET = 60  # sum over a batch of the crops' padded width/height: bounds recogniser memory

_ENGINE = None
_ENGINE_LOCK = threading.RLock()


def _engine(path: str):
    """The one rapidocr engine of this process (models load in ~1 s and take ~100 MB: never twice)."""
    global _ENGINE
    if _ENGINE is None:
        with _ENGINE_LOCK:
            if _ENGINE is None:
                try:
                    from rapidocr import RapidOCR
                except ImportError:
                    raise ReadError(OCR_EXTRA, path) from None
                _ENGINE = RapidOCR(params=engine_params())
    return _ENGINE


def _libs(path: str):
    """numpy and OpenCV, or the Chinese message naming the extra to install."""
    try:
        import cv2
        import numpy as np
        import onnxruntime  # noqa: F401  (rapidocr imports it late: fail here, with the message)
    except ImportError:
        raise ReadError(OCR_EXTRA, path) from None
    return cv2, np


# ------------------------------------------------------------------------------------------ images

def _load_frames(path: str, data: bytes) -> list:
    """The pages of an image file as 8-bit grey numpy arrays (multi-page TIFF: one per frame)."""
    _, np = _libs(path)
    from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError
    frames = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
            w, h = im.size
            if w * h > MAX_PIXELS:
                if im.format == "JPEG" and w * h <= MAX_PIXELS * 64:
                    im.draft("L", (w // 8, h // 8))  # decoded at 1/2…1/8 scale by the JPEG decoder itself
                else:
                    raise ReadError(f"图片尺寸过大（{w}×{h} 像素），超过 {MAX_PIXELS // 1_000_000:,} 百万像素上限，"
                                    "请以 300 DPI 以下的分辨率重新扫描或缩小后再检查", path)
            for n, frame in enumerate(ImageSequence.Iterator(im)):
                if n >= MAX_PAGES:
                    break
                if frame.size[0] * frame.size[1] > MAX_PIXELS and im.format != "JPEG":
                    raise ReadError(f"图片第 {n + 1} 页尺寸过大（{frame.size[0]}×{frame.size[1]} 像素），已拒绝读取", path)
                frames.append(_grey(frame if n else ImageOps.exif_transpose(frame), np))
    except ReadError:
        raise
    except Image.DecompressionBombError:
        raise ReadError(f"图片尺寸过大，超过 {MAX_PIXELS // 1_000_000} 百万像素上限，已拒绝读取", path) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, MemoryError, TypeError) as exc:
        if not frames:
            raise ReadError(f"图片已损坏或格式无法识别（{type(exc).__name__}），请重新扫描或另存后再检查", path) from None
        # a damaged later frame of a TIFF: the pages before it are kept
    if not frames:
        raise ReadError("图片中没有可读取的页面", path)
    return frames


def _grey(frame, np):
    """An 8-bit grey array of any PIL mode (transparent pixels on white, 16-bit scaled down)."""
    from PIL import Image
    if frame.mode in ("RGBA", "LA", "PA") or (frame.mode == "P" and "transparency" in frame.info):
        rgba = frame.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        frame = Image.alpha_composite(bg, rgba)
    if frame.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        a = np.asarray(frame, dtype=np.float32)
        lo, hi = float(a.min()), float(a.max())
        return ((a - lo) * (255.0 / max(hi - lo, 1e-6))).astype(np.uint8)
    return np.ascontiguousarray(np.asarray(frame.convert("L"), dtype=np.uint8))


# ------------------------------------------------------------------------------------------ page prep

def _binarise(cv2, np, grey):
    """Ink = 255. Adaptive threshold (uneven scanner lighting) after a light Gaussian blur (scanner
    noise); not a median blur: it erases the 1-pixel ruling of a 150 DPI page."""
    g = cv2.GaussianBlur(grey, (3, 3), 0)
    return cv2.adaptiveThreshold(g, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 12)


def _char_height(cv2, np, ink) -> float:
    """The printed character height in pixels, from the connected components of the ink (the upper
    quantile: Chinese characters fall apart into radicals, and ruling lines are excluded by shape)."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n <= 1:
        return 0.0
    s = stats[1:]
    w, h, area = s[:, 2], s[:, 3], s[:, 4]
    keep = (h >= 4) & (area >= 6) & (h <= ink.shape[0] // 8) & (w <= 3 * h) & (h <= 4 * w + 4)
    hs = h[keep]
    if len(hs) < 5:
        return 0.0
    return float(np.percentile(hs, 85))


def _normalise(cv2, np, grey):
    """Scale the page so characters are ~TARGET_CHAR_PX high; returns (grey, ink, char height)."""
    ink = _binarise(cv2, np, grey)
    ch = _char_height(cv2, np, ink)
    if ch <= 0:
        return grey, ink, 0.0
    f = TARGET_CHAR_PX / ch
    if f < 0.8 or f > 1.6:
        f = min(f, 3.0)
        interp = cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC
        grey = cv2.resize(grey, None, fx=f, fy=f, interpolation=interp)
        ink = _binarise(cv2, np, grey)
        ch = _char_height(cv2, np, ink) or ch * f
    return grey, ink, ch


def _deskew(cv2, np, grey, ink, ch):
    """Rotate the page so its ruling lines are horizontal (a scanner's slight skew breaks the line
    morphology below). Pages without long lines are left alone: the text detector copes."""
    klen = max(int(2.5 * ch), 30)
    hl = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (klen, 1)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(hl, connectivity=8)
    angles, weights = [], []
    for i in range(1, n):
        x, y, w, h, _ = stats[i]
        if w < ink.shape[1] // 6 or h > w // 8:
            continue
        ys, xs = np.nonzero(labels[y:y + h, x:x + w] == i)
        if len(xs) < 20:
            continue
        slope = np.polyfit(xs.astype(np.float64), ys.astype(np.float64), 1)[0]
        angles.append(np.degrees(np.arctan(slope)))
        weights.append(w)
    if not angles:
        return grey, ink
    order = np.argsort(angles)
    cum = np.cumsum(np.asarray(weights, dtype=np.float64)[order])
    angle = float(np.asarray(angles)[order][np.searchsorted(cum, cum[-1] / 2)])  # weighted median
    if abs(angle) < 0.05 or abs(angle) > 5:
        return grey, ink
    h, w = grey.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    grey = cv2.warpAffine(grey, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=255)
    return grey, _binarise(cv2, np, grey)


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
        if sw > max(6, ch / 3):
            continue
        xc = x + sw / 2
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
    nr, nc = len(ys) - 1, len(xs) - 1
    parent = list(range(nr * nc))

    def find(a):
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
    groups: dict[int, list[int]] = {}
    for i in range(nr * nc):
        groups.setdefault(find(i), []).append(i)
    rects = []
    for members in groups.values():
        rs = [i // nc for i in members]
        cs = [i % nc for i in members]
        rects.append((min(rs), min(cs), max(rs), max(cs)))
    return ys, xs, sorted(rects)


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


def _recognise(cv2, np, eng, images):
    """Recognition only (no detection) of line images: [(text, score)]."""
    if not images:
        return []
    from rapidocr.ch_ppocr_rec import TextRecInput
    rec = eng._load_rec_model()
    out: list[tuple[str, float]] = [("", 0.0)] * len(images)
    # Batches by padded width, not by count: the recogniser's memory grows with batch × widest
    # crop (~60 MB for one crop 30 heights wide), so twenty numbers go together, a line alone.
    order = sorted(range(len(images)), key=lambda k: images[k].shape[1] / max(1, images[k].shape[0]))
    min_ratio = REC_SHAPE[2] / REC_SHAPE[1]
    groups: list[list[int]] = [[]]
    for k in order:
        ratio = max(min_ratio, images[k].shape[1] / max(1, images[k].shape[0]))
        if groups[-1] and (len(groups[-1]) + 1) * ratio > REC_BUDGET:
            groups.append([])
        groups[-1].append(k)
    with _ENGINE_LOCK:
        for group in groups:
            rec.rec_batch_num = len(group)
            res = rec(TextRecInput(img=[cv2.cvtColor(images[k], cv2.COLOR_GRAY2BGR) for k in group]))
            for k, t, sc in zip(group, res.txts or [""] * len(group), res.scores or [0.0] * len(group)):
                out[k] = (_despace(t or ""), float(sc))
    return out


_CJK_SPACE = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef]) +| +(?=[\u3000-\u9fff\uff00-\uffef])")


def _despace(text: str) -> str:
    """Spaces the recogniser puts next to a Chinese character or full-width punctuation are layout
    (justified text, the gap after “1.”), not content; spaces between Latin words and digits stay."""
    return _CJK_SPACE.sub("", text.strip())


DET_CHAR_PX = 15  # character height the detector sees: enough for PP-OCR det, ~40 % of the pixels


def _detect_boxes(cv2, np, eng, grey, ch):
    """Text boxes (x0, y0, x1, y1) in `grey` pixels, detected on a downscaled copy: detection cost
    and memory grow with the area, and it does not need full resolution to find lines."""
    if grey.size == 0 or grey.shape[0] < 8 or grey.shape[1] < 8:
        return []
    f = min(1.0, DET_CHAR_PX / ch) if ch > 0 else 1.0
    small = cv2.resize(grey, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1 else grey
    det = eng._load_det_model()
    res = det(cv2.cvtColor(small, cv2.COLOR_GRAY2BGR))
    if res.boxes is None or len(res.boxes) == 0:
        return []
    out = []
    H, W = grey.shape
    for box in res.boxes:
        b = np.asarray(box, dtype=np.float64) / f
        x0, y0 = max(0, int(b[:, 0].min())), max(0, int(b[:, 1].min()))
        x1, y1 = min(W, int(np.ceil(b[:, 0].max()))), min(H, int(np.ceil(b[:, 1].max())))
        if x1 - x0 >= 3 and y1 - y0 >= 3:
            out.append((x0, y0, x1, y1))
    return out


# ------------------------------------------------------------------------------------------ text lines

def _group_lines(boxes):
    """Boxes into visual lines by vertical overlap, each line's boxes left to right."""
    lines: list[list[tuple]] = []
    for b in sorted(boxes, key=lambda b: (b[1] + b[3]) / 2):
        cy = (b[1] + b[3]) / 2
        if lines:
            last = lines[-1]
            y0 = sum(x[1] for x in last) / len(last)
            y1 = sum(x[3] for x in last) / len(last)
            if y0 <= cy <= y1:
                last.append(b)
                continue
        lines.append([b])
    return [sorted(line, key=lambda b: b[0]) for line in lines]


def _line_text(line, ch) -> str:
    out = ""
    for i, b in enumerate(line):
        if i:
            gap = b[0] - line[i - 1][2]
            if gap > 1.2 * ch or (_LATIN.match(out[-1]) and _LATIN.match(b[4][0])) or \
                    (out[-1].isdigit() and b[4][0].isdigit()):
                out += " "
        out += b[4]
    return out


_NUMBERED = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d+[.、．])")


def _text_blocks(lines, ch, page: int, table_no: int):
    """Visual lines → Paragraphs (wrapped lines of one paragraph joined) and unruled tables (runs of
    two or more lines made of widely spaced boxes). Returns [(y, block)], next table number."""
    if not lines:
        return [], table_no
    left = min(line[0][0] for line in lines)
    right = max(line[-1][2] for line in lines)
    out: list = []
    i = 0
    n_line = 0

    def spaced(line) -> bool:
        return len(line) >= 3 and all(line[k][0] - line[k - 1][2] > 1.5 * ch for k in range(1, len(line)))

    while i < len(lines):
        j = i
        while j < len(lines) and spaced(lines[j]):
            j += 1
        if j - i >= 2:
            out.append((lines[i][0][1], _unruled_table(lines[i:j], page, table_no)))
            table_no += 1
            i = j
            continue
        line = lines[i]
        n_line += 1
        text = _line_text(line, ch)
        conf = min(b[5] for b in line)
        prev = out[-1][1] if out and isinstance(out[-1][1], Paragraph) else None
        if prev is not None and out[-1][2] and line[0][0] <= left + 0.6 * ch and not _NUMBERED.match(text):
            joined = prev.text + (" " if _LATIN.match(prev.text[-1]) and _LATIN.match(text[0]) else "") + text
            src = prev.source._replace(confidence=min(prev.source.confidence, conf))
            out[-1] = (out[-1][0], Paragraph(joined, src), line[-1][2] >= right - 2.5 * ch)
        else:
            out.append((line[0][1], Paragraph(text, Source(line=n_line, page=page, confidence=round(conf, 4))),
                        line[-1][2] >= right - 2.5 * ch and len(text) > 8))
        i += 1
    return [(y, b) for y, b, *_ in out], table_no


def _unruled_table(lines, page: int, index: int) -> Table:
    """Rows by visual line, columns by the x-intervals of the boxes merged over all rows."""
    spans = sorted((b[0], b[2]) for line in lines for b in line)
    cols: list[list[float]] = []
    for x0, x1 in spans:
        if cols and x0 <= cols[-1][1]:
            cols[-1][1] = max(cols[-1][1], x1)
        else:
            cols.append([x0, x1])
    rows = []
    for r, line in enumerate(lines, 1):
        texts: list[list[tuple[str, float]]] = [[] for _ in cols]
        for b in line:
            cx = (b[0] + b[2]) / 2
            k = min(range(len(cols)), key=lambda k: 0 if cols[k][0] <= cx <= cols[k][1] else
                    min(abs(cx - cols[k][0]), abs(cx - cols[k][1])))
            texts[k].append((b[4], b[5]))
        cells = [Cell(join_lines([t for t, _ in parts]),
                      Source(page=page, table=index, row=r, col=c, confidence=round(min((s for _, s in parts),
                                                                                         default=1.0), 4)))
                 for c, parts in enumerate(texts, 1)]
        rows.append(Row(cells, Source(page=page, table=index, row=r)))
    return Table(rows, index, layout="spaced")


# ------------------------------------------------------------------------------------------ a page

def ocr_page(grey, page: int, first_table: int, path: str = "") -> list[Block]:
    """The blocks of one page image (8-bit grey numpy array), tables numbered from `first_table`.
    All recognition of the page is one batch: cell strips and the lines found by detection."""
    cv2, np = _libs(path)
    eng = _engine(path)
    grey, ink, ch = _normalise(cv2, np, grey)
    if ch <= 0:
        return []
    grey, ink = _deskew(cv2, np, grey, ink, ch)
    grids = _find_grids(cv2, np, ink, ch)
    images: list = []

    def add(im) -> int:
        images.append(im)
        return len(images) - 1

    # Tables: cells as strips; a cell whose lines touch goes through detection.
    per_grid = []
    for g in grids:
        jobs = []
        for kind, item in _cell_jobs(cv2, np, grey, ink, g, ch):
            if kind == "strips":
                jobs.append(("strips", [add(im) for im in item]))
            else:
                boxes = _detect_boxes(cv2, np, eng, item, ch)
                jobs.append(("boxes", [(b, add(item[b[1]:b[3], b[0]:b[2]])) for b in boxes]))
        per_grid.append(jobs)

    # Everything else: whiten the tables, detect what is left band by band.
    rest = grey.copy()
    rest_ink = ink.copy()
    for g in grids:
        x0, y0, x1, y1 = g.box
        rest[max(0, y0 - 2):y1 + 3, max(0, x0 - 2):x1 + 3] = 255
        rest_ink[max(0, y0 - 2):y1 + 3, max(0, x0 - 2):x1 + 3] = 0
    prose = []
    rows_with_ink = np.nonzero(rest_ink.any(axis=1))[0]
    if len(rows_with_ink):
        bands = []
        start = prev = int(rows_with_ink[0])
        for y in rows_with_ink[1:]:
            y = int(y)
            if y - prev > 3 * ch:
                bands.append((start, prev + 1))
                start = y
            prev = y
        bands.append((start, prev + 1))
        pad = int(ch)
        for y0, y1 in bands:
            if y1 - y0 < 0.4 * ch:
                continue
            ya, yb = max(0, y0 - pad), min(rest.shape[0], y1 + pad)
            band = rest[ya:yb]
            for x0, by0, x1, by1 in _detect_boxes(cv2, np, eng, band, ch):
                prose.append(((x0, by0 + ya, x1, by1 + ya), add(band[by0:by1, x0:x1])))
    del rest, rest_ink

    results = _recognise(cv2, np, eng, images)
    images.clear()  # the crops are no longer needed: free them before building the blocks

    placed: list[tuple[float, Block]] = []
    table_no = first_table
    for g, jobs in zip(grids, per_grid):
        nr, nc = len(g.ys) - 1, len(g.xs) - 1
        grid_text: list[list[tuple[str, float, bool] | None]] = [[None] * nc for _ in range(nr)]
        for (r0, c0, r1, c1), (kind, refs) in zip(g.cells, jobs):
            if kind == "strips":
                got = [results[k] for k in refs]
            else:
                lines = _group_lines([(*b, *results[k]) for b, k in refs])
                got = [(_line_text(line, ch), min(b[5] for b in line)) for line in lines]
            kept = [(t, sc) for t, sc in got if sc >= MIN_SCORE and t.strip()]
            text = join_lines([t for t, _ in kept])
            conf = min((sc for _, sc in (kept if text else got)), default=1.0)
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    grid_text[r][c] = (text, conf, (r, c) != (r0, c0))
        rows = []
        for r in range(nr):
            cells = []
            for c in range(nc):
                t, conf, spanned = grid_text[r][c] or ("", 1.0, False)
                cells.append(Cell(t, Source(page=page, table=table_no, row=r + 1, col=c + 1,
                                            confidence=round(conf, 4)), spanned))
            rows.append(Row(cells, Source(page=page, table=table_no, row=r + 1)))
        if any(c.text for row in rows for c in row.cells):
            placed.append((g.box[1], Table(rows, table_no, layout="grid")))
            table_no += 1

    boxes = [(*b, *results[k]) for b, k in prose]
    boxes = [b for b in boxes if b[5] >= MIN_SCORE and b[4]]
    text_blocks, table_no = _text_blocks(_group_lines(boxes), ch, page, table_no)
    placed.extend(text_blocks)
    placed.sort(key=lambda p: p[0])
    # Unruled tables were numbered after the ruled ones: renumber in reading order.
    n = first_table
    blocks: list[Block] = []
    for _, b in placed:
        if isinstance(b, Table) and b.index != n:
            b = _renumber(b, n)
        if isinstance(b, Table):
            n += 1
        blocks.append(b)
    return blocks


def _renumber(t: Table, index: int) -> Table:
    rows = [Row([c._replace(source=c.source._replace(table=index)) for c in r.cells],
                r.source._replace(table=index)) for r in t.rows]
    return Table(rows, index, t.layout)


# ------------------------------------------------------------------------------------------ page breaks

_NUMBER = re.compile(r"^[\s\d.,，．%‰+\-－—/]*\d[\s\d.,，．%‰+\-－—/]*$")


def join_cut_rows(blocks: list[Block]) -> list[Block]:
    """A row cut by a page break: its label goes on at the top of the next page's table in a row
    whose other cells are empty (“5. 要” | 0 | 0 … then “求行政机关确认…” | | …). When a table
    directly follows another with the same number of columns, and its first row has text only
    where the previous table's last row has text, and is empty where that row has values, the
    first row's texts are appended to the last row's and the cut row is dropped."""
    out: list[Block] = []
    for b in blocks:
        prev = out[-1] if out else None
        if (isinstance(b, Table) and isinstance(prev, Table) and b.rows and prev.rows
                and len(b.rows[0].cells) == len(prev.rows[-1].cells)):
            head, last = b.rows[0].cells, prev.rows[-1].cells
            own = [c for c in head if c.text and not c.spanned]
            values = [k for k, c in enumerate(last) if not c.spanned and _NUMBER.match(c.text)]
            fits = all(not c.spanned or not c.text for c in head) and own and values and \
                all(last[k].text for k, c in enumerate(head) if c.text) and \
                all(not head[k].text for k in values)
            if fits:
                joined = [c if not head[k].text else
                          c._replace(text=join_lines([c.text, head[k].text]),
                                     source=c.source._replace(confidence=min(c.source.confidence or 1.0,
                                                                             head[k].source.confidence or 1.0)))
                          for k, c in enumerate(last)]
                prev.rows[-1] = Row(joined, prev.rows[-1].source)
                if len(b.rows) == 1:
                    continue
                b = Table(b.rows[1:], b.index, b.layout)
        out.append(b)
    return out


# ------------------------------------------------------------------------------------------ readers

def read_image(path: str, data: bytes) -> Document:
    """An image file (a multi-page TIFF is one page per frame) read through OCR."""
    _libs(path)
    frames = _load_frames(path, data)
    _engine(path)
    doc = Document(path=path, kind="ocr")
    table_no = 1
    empty = []
    for page, grey in enumerate(frames, 1):
        blocks = ocr_page(grey, page, table_no, path)
        frames[page - 1] = None  # free each page once read
        table_no += len([b for b in blocks if isinstance(b, Table)])
        if not blocks:
            empty.append(page)
        doc.blocks.extend(blocks)
    doc.blocks = join_cut_rows(doc.blocks)
    if not doc.blocks:
        raise ReadError("图片中未识别出文字（可能是空白页、图像过于模糊或分辨率过低），请检查扫描件", path)
    if empty and len(frames) > 1:
        doc.notes.append(f"第 {'、'.join(map(str, empty))} 页未识别出文字（空白页或图像不清晰）")
    return doc


def render_pdf_page(pdf, index: int, np, dpi: int = PDF_DPI):
    """One PDF page (0-based) as an 8-bit grey array, its pixel count bounded by MAX_PIXELS."""
    page = pdf[index]
    try:
        w, h = page.get_size()
        scale = dpi / 72
        if w * h * scale * scale > MAX_PIXELS:
            scale = (MAX_PIXELS / max(w * h, 1)) ** 0.5
        bitmap = page.render(scale=scale, grayscale=True)
        try:
            arr = bitmap.to_numpy()
            if arr.ndim == 3:
                arr = arr[:, :, 0]
            return np.ascontiguousarray(arr, dtype=np.uint8)
        finally:
            bitmap.close()
    finally:
        page.close()


def ocr_pdf_pages(path: str, data: bytes, pages: list[int], notes: list[str] | None = None) -> list[Block]:
    """The blocks of the given 1-based pages of a PDF, rendered with pdfium and read through OCR.
    Tables are numbered 1, 2… over these pages (the PDF reader renumbers them in document order);
    a page where nothing was recognised adds a Chinese line to `notes` when given."""
    _, np = _libs(path)
    try:
        import pypdfium2 as pdfium
    except ImportError:
        raise ReadError(OCR_EXTRA, path) from None
    _engine(path)
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise ReadError(f"PDF 文件已损坏，无法渲染页面（{exc}）", path) from None
    blocks: list[Block] = []
    empty = []
    try:
        table_no = 1
        for p in pages:
            if not 1 <= p <= len(pdf):
                continue
            try:
                grey = render_pdf_page(pdf, p - 1, np)
            except pdfium.PdfiumError:
                empty.append(p)
                continue
            got = ocr_page(grey, p, table_no, path)
            del grey
            table_no += len([b for b in got if isinstance(b, Table)])
            if not got:
                empty.append(p)
            blocks.extend(got)
    finally:
        pdf.close()
    blocks = join_cut_rows(blocks)
    if empty and notes is not None:
        notes.append(f"第 {'、'.join(map(str, empty))} 页是图片但未识别出文字（空白页或图像不清晰）")
    return blocks
