"""The five real seed reports must read exactly as their gold files say (cells, metadata and
expected findings), through the same scoring tool the project is judged by."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

import nianbao
from .conftest import ROOT, SEEDS, seed_files
from .helpers import gold_match as _match


@pytest.mark.parametrize("path", seed_files(), ids=lambda p: p.stem)
def test_seed_cells_and_findings(path):
    gold = json.loads(path.with_suffix(".gold.json").read_text(encoding="utf-8"))
    report = nianbao.load(path)
    data = report.to_dict()
    wrong = [f"{blk}.{row}.{col}: want {gv!r} got {data[blk][row][col]!r}"
             for blk in ("active", "applications", "review_litigation")
             for row, vals in gold[blk].items() for col, gv in vals.items()
             if not _match(gv, data[blk][row][col])]
    assert not wrong, "\n".join(wrong)
    assert report.format == gold["format"] and report.year == gold["year"]
    assert gold["unit_contains"] in report.unit
    if gold.get("report_date") is not None:
        assert report.report_date == gold["report_date"]
    findings = nianbao.check(report)
    arith = {c for f in findings if f.severity == "error" and f.category == "arithmetic" for c in f.cells}
    struct = {c for f in findings if f.category == "structure" for c in f.cells}
    for c in gold["expect"]["arithmetic_errors"]:
        assert c in arith, f"no arithmetic error names {c}"
    for c in gold["expect"]["structure_findings"]:
        assert c in struct, f"no structure finding names {c}"
    if not gold["expect"]["arithmetic_errors"]:
        assert not arith, "false arithmetic error"


def test_score_tool_exact(shared_dir):
    """The project's scoring script, run exactly as in the README, prints `exact 5`."""
    cmd = f"{sys.executable} -m nianbao"
    proc = subprocess.run([sys.executable, str(shared_dir / "tools" / "score.py"), "--cmd", cmd, str(SEEDS)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"exact {len(seed_files())}," in proc.stdout


def test_seeds_present():
    assert len(seed_files()) >= 5
