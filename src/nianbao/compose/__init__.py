"""Composing a report from what a clerk fills in (issue 5, input side).

template (write the XLSX/YAML/JSON filling) → fill (read and validate it) → compute (a complete
Report with every derived cell computed, checked by the rules that apply to composed data).
"""
from __future__ import annotations

from .compute import check_composed, compute, derive
from .fill import Filling, FillingError, read_filling
from .narrative import narrative_sentences
from .template import (
           template_data,
           write_template,
           write_template_json,
           write_template_yaml,
)

__all__ = ["Filling", "FillingError", "check_composed", "compute", "derive", "narrative_sentences",
           "read_filling", "template_data", "write_template", "write_template_json", "write_template_yaml"]
