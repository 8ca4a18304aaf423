"""The checked-in docs are what the code generates (run `make docs` after changing rules or CLI)."""
from __future__ import annotations

from nianbao.outputs.docs import all_docs

from .conftest import ROOT


def test_generated_docs_are_current():
    for rel, text in all_docs().items():
        path = ROOT / rel
        assert path.exists(), f"{rel} missing: run `make docs`"
        assert path.read_text(encoding="utf-8") == text, f"{rel} is stale: run `make docs`"
