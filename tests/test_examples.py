"""examples/ is exactly what scripts/make_examples.py writes (so a generator change cannot leave
stale examples behind), and each example gives the result the script promises."""
from __future__ import annotations

import importlib.util

from .conftest import ROOT


def test_examples_are_regenerated_identically(tmp_path):
    spec = importlib.util.spec_from_file_location("make_examples", ROOT / "scripts" / "make_examples.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(tmp_path) == 0, "an example does not give the result the script promises"
    made = {str(p.relative_to(tmp_path)): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    have = {str(p.relative_to(ROOT / "examples")): p.read_bytes() for p in (ROOT / "examples").rglob("*") if p.is_file()}
    assert made.keys() == have.keys(), "run `.venv/bin/python scripts/make_examples.py`"
    for name in made:
        assert made[name] == have[name], f"examples/{name} is stale: run scripts/make_examples.py"
