"""Printing a SynthReport as a scan: the PDF an office suite prints, rasterised like a scanner would.

Many units publish their report as a scanned PDF or as page images (a long screenshot on the
website). This renderer takes the real text PDF of `render_pdf` (LibreOffice), rasterises each page
with pdfium at `dpi`, optionally rotates it slightly and adds grain like a flatbed scanner, and puts
the images back into an image-only PDF (no text layer: only OCR can read it). `render_png` gives the
same pages as one PNG (all pages stacked, margins cut: the long image websites post) or one page.
The expected values are those of the text rendering: a scan shows the same numbers.
"""
from __future__ import annotations

import io
import random
from typing import Any

from .data import SynthReport
from .pdf import render_pdf

# A 1-bit scan keeps pixels darker than this: thin table rules are anti-aliased to light grey at
# 150 DPI, and a scanner's default threshold keeps them (a lower one erases whole column lines).
BILEVEL_THRESHOLD = 200


def _pages(pdf: bytes, dpi: int):
    import pypdfium2 as pdfium
    doc = pdfium.PdfDocument(pdf)
    try:
        out = []
        for i in range(len(doc)):
            page = doc[i]
            out.append(page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L"))
            page.close()
        return out
    finally:
        doc.close()


def _scanner(img, rng: random.Random, noise: float, rotate_deg: float):
    """A slight rotation (white corners) and Gaussian grain of `noise` × 255 standard deviation."""
    import numpy as np
    from PIL import Image
    if rotate_deg:
        img = img.rotate(rotate_deg, resample=Image.BICUBIC, expand=False, fillcolor=255)
    if noise:
        gen = np.random.default_rng(rng.randrange(2**32))
        a = np.asarray(img, dtype=np.float32) + gen.normal(0, noise * 255, (img.height, img.width))
        img = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L")
    return img


def scan_pages(report: SynthReport, rng: random.Random, *, dpi: int = 150, noise: float = 0.0,
               rotate_deg: float = 0.0, **options) -> tuple[list, dict[str, Any]]:
    """The report's pages as grey PIL images, and the expected values (options go to render_docx)."""
    pdf, expected = render_pdf(report, rng, **options)
    pages = [_scanner(p, rng, noise, rotate_deg) for p in _pages(pdf, dpi)]
    return pages, expected


def render_scan(report: SynthReport, rng: random.Random, *, dpi: int = 150, noise: float = 0.0,
                rotate_deg: float = 0.0, bilevel: bool = False, **options) -> tuple[bytes, dict[str, Any]]:
    """An image-only PDF of the report (JPEG pages, or 1-bit CCITT pages with `bilevel`)."""
    pages, expected = scan_pages(report, rng, dpi=dpi, noise=noise, rotate_deg=rotate_deg, **options)
    if bilevel:
        pages = [p.point(lambda v: 255 if v > BILEVEL_THRESHOLD else 0).convert("1") for p in pages]
    buf = io.BytesIO()
    extra = {} if bilevel else {"quality": 80}  # grey pages are JPEG, as scanners write them
    pages[0].save(buf, "PDF", save_all=True, append_images=pages[1:], resolution=float(dpi), **extra)
    return buf.getvalue(), expected


def render_png(report: SynthReport, rng: random.Random, *, page: int | None = None, dpi: int = 150,
               noise: float = 0.0, rotate_deg: float = 0.0, bilevel: bool = False,
               **options) -> tuple[bytes, dict[str, Any]]:
    """One PNG: page `page` (1-based), or all pages stacked with their blank margins cut (None)."""
    import numpy as np
    from PIL import Image
    pages, expected = scan_pages(report, rng, dpi=dpi, noise=0.0, rotate_deg=0.0, **options)
    if page is not None:
        img = pages[page - 1]
    else:
        parts = []
        for p in pages:
            rows = np.nonzero((np.asarray(p) < 200).any(axis=1))[0]
            if len(rows):
                pad = dpi // 6
                parts.append(p.crop((0, max(0, int(rows[0]) - pad), p.width, min(p.height, int(rows[-1]) + pad))))
        img = Image.new("L", (max(p.width for p in parts), sum(p.height for p in parts)), 255)
        y = 0
        for p in parts:
            img.paste(p, (0, y))
            y += p.height
    img = _scanner(img, rng, noise, rotate_deg)
    if bilevel:
        img = img.point(lambda v: 255 if v > BILEVEL_THRESHOLD else 0).convert("1")
    buf = io.BytesIO()
    img.save(buf, "PNG", optimize=True, dpi=(dpi, dpi))
    return buf.getvalue(), expected
