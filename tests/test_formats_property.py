"""Property: whatever the format, the same report reads the same.

For random reports (both formats, all unit kinds), the document formats reach exactly what the
tab-separated text version of the same report reaches — the whole `report` object of the JSON
contract, not only the cells. Formats rendered through LibreOffice (PDF, DOC, RTF, ET) or read through
OCR (scans) cost seconds per example, so they get few examples; the format-specific test files cover
their damage and layouts.
"""
from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nianbao
from nianbao.synth import random_report, render_file


def _render(fmt: str, rep, rng: random.Random) -> bytes:
    if fmt == "html":
        from nianbao.synth.html import render_html
        return render_html(rep, rng)[0]
    if fmt == "docx":
        from nianbao.synth.docx import render_docx
        return render_docx(rep, rng)[0]
    if fmt == "xlsx":
        from nianbao.synth.xlsx import render_xlsx
        return render_xlsx(rep, rng)[0]
    if fmt == "pdf":
        from nianbao.synth.pdf import render_pdf
        return render_pdf(rep, rng)[0]
    if fmt in ("doc", "wps", "rtf", "odt", "xls", "et", "ods"):
        from nianbao.synth.office import render_office
        return render_office(rep, rng, fmt)[0]
    if fmt == "scan.pdf":
        from nianbao.synth.scan import render_scan
        return render_scan(rep, rng)[0]
    raise AssertionError(fmt)


def _same_as_text(tmp_path, fmt: str, seed: int, report_format: str) -> None:
    rep = random_report(random.Random(seed), fmt=report_format)
    text = tmp_path / f"{seed}.txt"
    render_file(rep, text, random.Random(seed + 1), layout="tsv")
    doc = tmp_path / f"{seed}.{fmt}"
    doc.write_bytes(_render(fmt, rep, random.Random(seed + 1)))
    want = nianbao.load(text).to_dict()
    got = nianbao.load(doc).to_dict()
    diff = {k: (want[k], got.get(k)) for k in want if got.get(k) != want[k]}
    assert not diff, diff


SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], derandomize=True)


def _property(formats: list[str], examples: int, doc: str):
    """A hypothesis test over random reports for each of `formats`, with `examples` reports each."""
    @pytest.mark.parametrize("fmt", formats)
    @settings(max_examples=examples, **SETTINGS)
    @given(seed=st.integers(0, 2**31), report_format=st.sampled_from(["2021", "2019"]))
    def test(tmp_path, fmt, seed, report_format):
        _same_as_text(tmp_path, fmt, seed, report_format)
    test.__doc__ = doc
    return test


test_structured_formats_read_like_text = _property(["html", "docx", "xlsx"], 12, "HTML, Word and Excel files.")
test_pdf_reads_like_text = _property(["pdf"], 3, "PDFs exported by LibreOffice (tables over pages).")
test_office_formats_read_like_text = _property(["doc", "rtf", "et"], 1, "Legacy formats through LibreOffice.")
test_scans_read_like_text = _property(
    ["scan.pdf"], 2, "A clean scan read through OCR (grain and rotation: see tests/test_reader_ocr.py and "
    "bench/bench_ocr.py — a rule broken by both can leave a row null).")
