"""Printing a SynthReport as DOC, WPS, RTF, ODT, XLS, ET or ODS: the DOCX/XLSX renderings saved again
by LibreOffice, so the legacy readers are tested on files a real office suite wrote.

What each output really is (LibreOffice 7.x, checked by the tests):

- ``doc``: Word 97-2003 binary (OLE2, ``WordDocument`` stream), LibreOffice's "MS Word 97" filter;
- ``wps``: the same Word 97 file, plus the custom document property ``KSOProductBuildVer`` that
  Kingsoft WPS writes into every file it saves. Since WPS 2005, Kingsoft WPS Writer's .wps *is* a
  Word 97-compatible OLE file; LibreOffice itself lists .wps as a Word 97 extension. It is not a
  file Kingsoft wrote: WPS-specific streams and the pre-2005 WPS format are not produced (LibreOffice
  cannot write them), and LibreOffice, not WPS, made the layout;
- ``et``: likewise an Excel 97 (BIFF8) workbook with ``KSOProductBuildVer`` — what Kingsoft ET saves
  as .et — written by LibreOffice's "MS Excel 97" filter;
- ``rtf``, ``odt``, ``xls``, ``ods``: LibreOffice's own RTF, ODF text, Excel 97 and ODF spreadsheet.

The values to expect are those of the DOCX/XLSX rendering: a conversion must not change a number.
Each call runs LibreOffice once (about 2 s).
"""
from __future__ import annotations

import io
import random
import zipfile
from typing import Any

from ..libreoffice import convert
from .data import SynthReport

WORD_TARGETS = ("doc", "wps", "rtf", "odt")
SHEET_TARGETS = ("xls", "et", "ods")
TARGETS = WORD_TARGETS + SHEET_TARGETS
KINGSOFT_BUILD = "2052-11.1.0.11830"  # the form Kingsoft writes: language id (2052 = zh-CN) - version

_CUSTOM = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
           'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
           '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="KSOProductBuildVer">'
           f'<vt:lpwstr>{KINGSOFT_BUILD}</vt:lpwstr></property></Properties>')


def render_office(report: SynthReport, rng: random.Random, target: str, **options) -> tuple[bytes, dict[str, Any]]:
    """The report as `target` bytes ("doc", "wps", "rtf", "odt", "xls", "et", "ods") and the values a
    correct reader must return. Options go to `render_docx` (word targets) or `render_xlsx` (sheets)."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}")
    if target in WORD_TARGETS:
        from .docx import render_docx
        data, expected = render_docx(report, rng, **options)
        source = ".docx"
    else:
        from .xlsx import render_xlsx
        data, expected = render_xlsx(report, rng, **options)
        source = ".xlsx"
    if target in ("wps", "et"):
        data = kingsoft_mark(data)
    return convert(data, source, target, name=f"synth.{target}"), expected


def render_office_file(report: SynthReport, path, rng: random.Random, target: str, **options) -> dict[str, Any]:
    data, expected = render_office(report, rng, target, **options)
    with open(path, "wb") as fh:
        fh.write(data)
    return expected


def kingsoft_mark(ooxml: bytes) -> bytes:
    """A DOCX/XLSX with Kingsoft's KSOProductBuildVer custom property added (docProps/custom.xml, its
    content type and its package relationship); LibreOffice carries it into the OLE property set."""
    src = zipfile.ZipFile(io.BytesIO(ooxml))
    if "docProps/custom.xml" in src.namelist():
        raise ValueError("the document already has custom properties")
    buf = io.BytesIO()
    with src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            raw = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                raw = raw.replace(b"</Types>", b'<Override PartName="/docProps/custom.xml" ContentType="application/'
                                  b'vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>')
            elif item.filename == "_rels/.rels":
                raw = raw.replace(b"</Relationships>", b'<Relationship Id="rIdKingsoft" Type="http://schemas.'
                                  b'openxmlformats.org/officeDocument/2006/relationships/custom-properties" '
                                  b'Target="docProps/custom.xml"/></Relationships>')
            dst.writestr(item, raw)
        dst.writestr("docProps/custom.xml", _CUSTOM)
    return buf.getvalue()
