"""Printing a SynthReport as a PDF the way units make them: a Word document exported by an office suite.

The DOCX renderer lays the report out in the 国办 layout with real merged cells; LibreOffice (the real
program, headless) turns it into a PDF with a text layer, CJK fonts embedded, tables broken across
pages where they do not fit. `split_table=True` also forces 表三 over a page break as two tables.
"""
from __future__ import annotations

import random
from typing import Any

from ..libreoffice import convert
from .data import SynthReport
from .docx import render_docx


def render_pdf(report: SynthReport, rng: random.Random, **options) -> tuple[bytes, dict[str, Any]]:
    """The report as PDF bytes and the values a correct reader must return (options go to render_docx)."""
    data, expected = render_docx(report, rng, **options)
    return convert(data, ".docx", "pdf", name="synth.docx"), expected


def render_pdf_file(report: SynthReport, path, rng: random.Random, **options) -> dict[str, Any]:
    data, expected = render_pdf(report, rng, **options)
    with open(path, "wb") as fh:
        fh.write(data)
    return expected
