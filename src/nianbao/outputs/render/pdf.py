"""PDF: the DOCX converted by LibreOffice (headless), CJK fonts embedded.

LibreOffice substitutes a missing font by fontconfig's choice, which for 仿宋_GB2312 on a Linux box is
a sans face; so before converting, each font chain (layout.TITLE_FONTS, BODY_FONTS, HEADING_FONTS) is
resolved against the installed families (SUBHEADING_FONTS too) and the first one present is written into the DOCX. On a
machine with the official fonts the PDF uses them; elsewhere Noto Serif CJK SC (fonts-noto-cjk).
"""
from __future__ import annotations

import shutil
import subprocess
from functools import cache

from ...errors import ReadError
from ...libreoffice import convert, convert_many
from ...model import Report
from .docx import Fonts, render_docx
from .layout import BODY_FONTS, HEADING_FONTS, SUBHEADING_FONTS, TITLE_FONTS


@cache
def installed_families() -> frozenset[str]:
    """Font family names fontconfig knows (every localized alias), empty when fc-list is missing."""
    program = shutil.which("fc-list")
    if program is None:
        return frozenset()
    try:
        out = subprocess.run([program, ":", "family"], check=False, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(name.strip() for line in out.splitlines() for name in line.split(","))


def first_installed(chain: tuple[str, ...]) -> str:
    """The first family of `chain` that is installed; the last one when none is (LibreOffice then
    substitutes, as it would for any document)."""
    have = installed_families()
    return next((f for f in chain if f in have), chain[-1])


def resolved_fonts() -> Fonts:
    title = first_installed(TITLE_FONTS)
    return Fonts(title=title, body=first_installed(BODY_FONTS), heading=first_installed(HEADING_FONTS),
                 subheading=first_installed(SUBHEADING_FONTS),
                 title_bold="小标宋" not in title)


def render_pdf(report: Report) -> bytes:
    data = render_docx(report, resolved_fonts())
    return convert(data, ".docx", "pdf", name="report.docx")


def render_pdfs(reports: list[Report]) -> list[bytes]:
    """Many reports as PDFs in one LibreOffice run (start-up paid once): for batches and clerks'
    offices rendering every unit's report at once. Raises the first failure."""
    out = render_pdfs_each(reports)
    for r in out:
        if isinstance(r, Exception):
            raise r
    return out


def render_pdfs_each(reports: list[Report]) -> list[bytes | ReadError]:
    """render_pdfs with one result per report: the PDF, or the ReadError LibreOffice gave for it.
    A LibreOffice that cannot run at all raises ReadError for the batch."""
    fonts = resolved_fonts()
    return convert_many([(render_docx(r, fonts), f"report{n}.docx") for n, r in enumerate(reports)], ".docx", "pdf")
