"""Arithmetic findings on synthetic reports: exactly when an equation is broken, naming its cells.

`inject_error` changes one printed cell of a consistent report; whatever the layout and damage, an
error-severity arithmetic finding must then list the changed cell together with the other end of
its equation (spec/output.md: "For an arithmetic finding: every cell of the failing equation").
Conversely a consistent report must never get an arithmetic error, however it is printed.
"""
from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nianbao
from nianbao import schema
from nianbao.synth import LAYOUTS, inject_error, random_report, render_file
from nianbao.synth.data import check_consistent

from .test_synth_roundtrip import FORMATS, assert_roundtrip, read_back

# Damage that leaves every cell of the broken equation printed. blank_nulls may blank a cell of
# it (then the finding is correctly an `input` warning, not an error) and missing_other_column
# may drop the changed cell itself.
PRINTED_DAMAGE = ("traditional", "fullwidth", "thousands", "units", "typos", "subtotal_rows", "wrapped_labels",
                  "extra_trailing_cells", "shifted_cells")


def arithmetic_errors(findings):
    return [f for f in findings if f.severity == "error" and f.category == "arithmetic"]


def test_generated_reports_are_consistent():
    for seed in range(400):
        rng = random.Random(seed)
        rep = random_report(rng, fmt=FORMATS[seed % 2])
        assert check_consistent(rep) == [], seed


def test_profiles_cover_zero_small_and_large():
    """Mostly-zero tables like the seeds, small counts, and counts in the thousands."""
    seen = {"zero": 0, "small": 0, "large": 0}
    big = 0
    for seed in range(200):
        rep = random_report(random.Random(seed))
        seen[rep.profile] += 1
        big += rep.total("new_received") >= 1000
        if rep.profile == "zero":
            assert rep.total("new_received") == 0 and rep.total("handled_total") == 0
    assert all(n >= 20 for n in seen.values()), seen
    assert big >= 10


def test_inject_error_breaks_exactly_the_named_equation():
    for seed in range(300):
        rng = random.Random(seed)
        rep = random_report(rng, fmt=FORMATS[seed % 2])
        bad, cells = inject_error(rng, rep)
        assert check_consistent(rep) == []
        assert check_consistent(bad), seed
        changed = [p for p in rep.cells if rep.cells[p] != bad.cells[p]]
        assert changed == [cells[0]]
        assert bad.cells[cells[0]] >= 0
        assert len(cells) == 2 and cells[0] != cells[1]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), layout=st.sampled_from(LAYOUTS), fmt=st.sampled_from(FORMATS),
       damage=st.sets(st.sampled_from(PRINTED_DAMAGE), max_size=4))
def test_injected_error_is_found(tmp_path, seed, layout, fmt, damage):
    rng = random.Random(seed)
    rep = random_report(rng, fmt=fmt)
    bad, cells = inject_error(rng, rep)
    file = tmp_path / f"err.{'md' if layout == 'markdown' else 'txt'}"
    render_file(bad, file, rng, layout, tuple(sorted(damage)))
    findings = nianbao.check(nianbao.load(file))
    errors = arithmetic_errors(findings)
    assert any(all(c in f.cells for c in cells) for f in errors), (
        f"{layout} {fmt} {sorted(damage)}: no arithmetic error names {cells}; got "
        f"{[(f.rule, f.cells[:3]) for f in errors]}")


def test_injected_error_in_every_table_and_layout(tmp_path):
    """Deterministic companion of the hypothesis test: every layout, both formats, both tables
    with equations (表三 and 表四), several seeds each."""
    tables = set()
    for n in range(64):
        layout, fmt = LAYOUTS[n % 4], FORMATS[(n // 4) % 2]
        rng = random.Random(1000 + n)
        rep = random_report(rng, fmt=fmt, profile=("small", "large", "zero")[n % 3])
        bad, cells = inject_error(rng, rep)
        tables.add(cells[0].split(".")[0] if not cells[0].startswith("extra_2019") else "applications")
        file = tmp_path / f"e{n}.txt"
        render_file(bad, file, rng, layout, ())
        errors = arithmetic_errors(nianbao.check(nianbao.load(file)))
        assert any(all(c in f.cells for c in cells) for f in errors), (layout, fmt, cells)
        for f in errors:  # an error never blames an equation the injected cell is not part of
            assert cells[0] in f.cells, (layout, fmt, cells, f.rule, f.cells)
    assert tables == {"applications", "review_litigation"}


def test_blank_cell_in_broken_equation_is_a_warning_not_an_error(tmp_path):
    """spec/output.md: an equation that fails while one of its cells is blank is not an arithmetic
    error (the document did not state that number) but an `input` warning."""
    checked = 0
    for seed in range(60):
        rng = random.Random(seed)
        rep = random_report(rng, profile="small")
        bad, cells = inject_error(rng, rep)
        if not cells[0].startswith("applications."):
            continue
        row = cells[0].rsplit(".", 1)[0]
        zero = next((p for p in bad.cells if p.startswith(row + ".") and bad.cells[p] == 0 and p not in cells), None)
        if zero is None:
            continue
        file = tmp_path / f"blank{seed}.txt"
        rd = render_file(bad, file, rng, "tsv", (), null_cells=[zero])
        report = nianbao.load(file)
        assert report.get(zero) is None and rd.expected[zero] is None
        row_eq = [f for f in nianbao.check(report) if f.rule == "T3-03" and zero in f.cells and cells[0] in f.cells]
        assert len(row_eq) == 1, (seed, cells, zero)
        assert (row_eq[0].severity, row_eq[0].category) == ("warning", "input"), row_eq[0]
        checked += 1
    assert checked >= 10


def test_consistent_reports_have_no_arithmetic_error(tmp_path):
    """Many seeds, every layout and format, clean and damaged: never an arithmetic error."""
    for seed in range(120):
        layout, fmt = LAYOUTS[seed % 4], FORMATS[(seed // 4) % 2]
        damage = () if seed % 3 == 0 else ("blank_nulls", "thousands", "units", "subtotal_rows")[: seed % 5]
        rd, report, findings = read_back(tmp_path, 5000 + seed, layout, damage, fmt)
        assert arithmetic_errors(findings) == [], (seed, layout, fmt, damage)
        assert_roundtrip(rd, report, findings)


def test_consistent_reports_have_consistent_narrative(tmp_path):
    """The generated prose states the table's numbers, so the NT rules find nothing to warn about."""
    for seed in range(60):
        rd, report, findings = read_back(tmp_path, 7000 + seed, LAYOUTS[seed % 3], (), FORMATS[seed % 2])
        nt = [f"{f.rule} {f.message}" for f in findings if f.category == "consistency"]
        assert nt == [], (seed, nt)
        assert not [f for f in findings if f.rule in ("FMT-01", "FMT-03", "FMT-04", "FMT-05")], seed


def test_error_names_2019_other_processing_row(tmp_path):
    """The 2019 （六）其他处理 row lives under extra_2019; its equations must name it there."""
    for seed in range(200):
        rng = random.Random(seed)
        rep = random_report(rng, fmt=schema.FORMAT_2019, profile="small")
        bad, cells = inject_error(rng, rep)
        if cells[0].startswith("extra_2019.applications.other_processing."):
            break
    else:  # pragma: no cover
        raise AssertionError("no seed hit the other_processing row")
    file = tmp_path / "op.txt"
    render_file(bad, file, rng, "tsv", ())
    errors = arithmetic_errors(nianbao.check(nianbao.load(file)))
    assert any(all(c in f.cells for c in cells) for f in errors), cells
