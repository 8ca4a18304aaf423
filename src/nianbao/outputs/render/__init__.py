"""Rendering a Report as a finished annual report in the official 国办 layout (issue 5, output side).

`render(report, out_path)` chooses the format by suffix: .docx (python-docx, real merged cells,
Chinese fonts, A4, page numbers), .html (standalone page, rowspan/colspan, print CSS), .md (GitHub
pipe tables) and .pdf (the DOCX converted by LibreOffice, fonts embedded). The renderer prints the
cells exactly as they are — it computes nothing — so a file read back by nianbao gives the same
cells, and a report whose data is wrong is rendered wrong, for the rules to say so.
"""
from __future__ import annotations

import os

from ...model import Report

FORMATS = (".docx", ".html", ".md", ".pdf")


def render_bytes(report: Report, suffix: str) -> bytes:
    """The rendered file's bytes for a suffix of FORMATS (".htm" and ".markdown" accepted)."""
    suffix = suffix.lower()
    if suffix == ".docx":
        from .docx import render_docx
        return render_docx(report)
    if suffix in (".html", ".htm"):
        from .html import render_html
        return render_html(report).encode("utf-8")
    if suffix in (".md", ".markdown"):
        from .markdown import render_markdown
        return render_markdown(report).encode("utf-8")
    if suffix == ".pdf":
        from .pdf import render_pdf
        return render_pdf(report)
    raise ValueError(f"不支持的输出格式“{suffix or '（无后缀）'}”，可用：{'、'.join(FORMATS)}")


def render(report: Report, out_path: str | os.PathLike) -> str:
    """Write `report` to `out_path` in the format its suffix names; returns the path written."""
    out_path = os.fspath(out_path)
    _write(out_path, render_bytes(report, os.path.splitext(out_path)[1]))
    return out_path


def render_many(jobs: list[tuple[Report, str | os.PathLike]]) -> list[str]:
    """Render many reports; the PDFs among them go through one LibreOffice run (its ~1.5 s start-up
    paid once per batch instead of once per report). Raises the first failure."""
    done = []
    for result in render_each(jobs):
        if isinstance(result, Exception):
            raise result
        done.append(result)
    return done


def render_each(jobs: list[tuple[Report, str | os.PathLike]]) -> list[str | Exception]:
    """Like render_many, but one result per job, in order: the path written, or the exception that
    job met (an unknown suffix, an unwritable path, a PDF LibreOffice could not make). One bad job
    never costs the others their file; only a LibreOffice that cannot run at all fails every PDF."""
    results: list[str | Exception | None] = [None] * len(jobs)
    pdfs: list[tuple[int, Report, str]] = []
    for n, (rep, path) in enumerate(jobs):
        path = os.fspath(path)
        if path.lower().endswith(".pdf"):
            pdfs.append((n, rep, path))
            continue
        try:
            results[n] = render(rep, path)
        except (ValueError, OSError) as exc:
            results[n] = exc
    if pdfs:
        from ...errors import ReadError
        from .pdf import render_pdfs_each
        try:
            made = render_pdfs_each([rep for _, rep, _ in pdfs])
        except ReadError as exc:
            made = [exc] * len(pdfs)
        for (n, _, path), data in zip(pdfs, made):
            if isinstance(data, Exception):
                results[n] = data
                continue
            try:
                _write(path, data)
                results[n] = path
            except OSError as exc:
                results[n] = exc
    return results  # type: ignore[return-value]


def _write(out_path: str, data: bytes) -> None:
    tmp = out_path + ".part"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, out_path)  # never leave a half-written report under the final name


__all__ = ["FORMATS", "render", "render_bytes", "render_each", "render_many"]
