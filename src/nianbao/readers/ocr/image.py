"""Page images: loading image files and rendering PDF pages as 8-bit grey arrays, and preparing
them for reading (binarise, normalise by character height, deskew on the ruling).

Why apart: everything here turns an input into one clean, upright page at a known character
height, so the grid finder and the recogniser downstream can use fixed thresholds whatever the
scanner, DPI or file format was.
"""
from __future__ import annotations

import io
import warnings

from ...errors import ReadError
from .engine import _libs

# ------------------------------------------------------------------------------------------ limits

PDF_DPI = 150              # render DPI of PDF pages: 10.5 pt text is ~22 px high, read exactly (see bench)
TARGET_CHAR_PX = 24        # the character height every page is scaled to (PP-OCR rec input is 48 px high)
MAX_PIXELS = 60_000_000    # a bigger image is refused (decoding it alone would need > 180 MB)
MAX_PAGES = 300            # frames of a multi-page TIFF


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
    morphology below). Pages without long lines are left alone: the text detector copes.
    Returns (grey, ink, m): m is the 2×3 rotation applied, None when the page was left alone (the
    page reader maps boxes back to the original page with it)."""
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
        return grey, ink, None
    order = np.argsort(angles)
    cum = np.cumsum(np.asarray(weights, dtype=np.float64)[order])
    angle = float(np.asarray(angles)[order][np.searchsorted(cum, cum[-1] / 2)])  # weighted median
    if abs(angle) < 0.05 or abs(angle) > 5:
        return grey, ink, None
    h, w = grey.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    grey = cv2.warpAffine(grey, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=255)
    return grey, _binarise(cv2, np, grey), m


# ------------------------------------------------------------------------------------------ pdf pages

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
