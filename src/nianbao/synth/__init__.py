"""Synthetic annual reports with known values, for property tests and examples.

Real reports are scarce and their tables are mostly zeros, so the recognizer cannot be trusted on
them alone. This package builds reports whose every cell is known and whose numbers are
arithmetically consistent (`data`), prints them in the layouts and with the damage real documents
carry (`text`), and states for each rendering what a correct reader must return. A reader that
disagrees with the expected values on a synthetic report has a bug, not a judgement call.
"""
from .data import SynthReport, check_consistent, inject_error, random_report
from .text import DAMAGE_KINDS, LAYOUTS, Rendered, render, render_file, render_text

# Renderers into document formats (each imports its format library when called):
#   nianbao.synth.html.render_html, nianbao.synth.docx.render_docx, nianbao.synth.xlsx.render_xlsx

__all__ = ["SynthReport", "random_report", "inject_error", "check_consistent", "render", "render_text",
           "render_file", "Rendered", "LAYOUTS", "DAMAGE_KINDS"]
