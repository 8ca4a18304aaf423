"""Round trip: synthetic report → text file → ``nianbao.load`` → exactly the numbers it was printed from.

The generator (``nianbao.synth``) knows every cell, so a disagreement is a reader bug, not a matter
of judgement: a zero printed as "/" must come back as null, "1,234件" as 1234, a wrapped label must
not lose its row. Each layout of the seed reports and each damage kind of
spec/format-and-rules.md gets its own test id; a hypothesis test mixes them with encodings.

The minimal files at the end of this module are regressions: each once broke a general mechanism
of the reader (named in its docstring) and is now read exactly; every generator variant that found
one of them is part of the general tests again.
"""
from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import nianbao
from nianbao import schema
from nianbao.synth import DAMAGE_KINDS, LAYOUTS, random_report, render_file
from nianbao.synth.data import check_consistent
from nianbao.synth.text import ENCODINGS, WRAPPABLE, Rendered

from .helpers import same

FORMATS = (schema.FORMAT_2021, schema.FORMAT_2019)

def read_back(path, seed: int, layout: str, damage=(), fmt: str = "2021", encoding: str = "utf-8",
              profile: str | None = None, **options):
    rng = random.Random(seed)
    rep = random_report(rng, fmt=fmt, profile=profile)
    assert not check_consistent(rep)
    file = path / f"synth-{seed}{'.md' if layout == 'markdown' else '.txt'}"
    rd = render_file(rep, file, rng, layout, damage, encoding, **options)
    report = nianbao.load(file)
    return rd, report, nianbao.check(report)


def assert_roundtrip(rd: Rendered, report, findings) -> None:
    rep = rd.report
    where = f"layout={rd.layout} damage={rd.damage} fmt={rep.fmt}"
    flat = report.flat()
    assert set(flat) == set(rd.expected), where
    # A row whose reading is ambiguous (a one-cell shift and an extra trailing cell look the same,
    # and zeros/blanks leave no equation to decide) must say so (IN-07); its cells are then excused,
    # and so are findings of the equations those cells are in.
    flagged_paths = [c for n in report.notes if n.rule == "IN-07" for c in n.cells]

    def excused(path: str) -> bool:
        for f in flagged_paths:
            kind, _, key = f.partition(".")
            if f == "table.review_litigation" and path.startswith("review_litigation."):
                return True
            if f.startswith("applications.row.") and path.startswith(("applications.", "extra_2019.applications.")) \
                    and path.split(".")[-2] == f.split(".")[-1]:
                return True
            if kind in ("active", "extra_2019") and (path == f or path.startswith(f + ".")):
                return True
            if f.startswith("extra_2019.active.") and any(  # the 2021 key a 2019 cell is copied to
                    dst == path and src.rsplit(".", 1)[0] == f[len("extra_2019."):].rsplit(".", 1)[0]
                    for src, dst in schema.ACTIVE_2019_TO_2021.items()):
                return True
        return False

    # Cells of a glued row the reader refused to split (IN-10, null) where the generator's brute
    # force found one split: allowed only when the reader was unsure of another row of the table
    # (IN-07, IN-02) — it then rightly does not lean on that row's numbers, and a refusal is never wrong.
    refused = {c for n in report.notes if n.rule == "IN-10" for c in n.cells if flat.get(c) is None}
    unsure_table = {c.split(".")[0] for n in report.notes if n.rule in ("IN-07", "IN-02") for c in n.cells}

    def refused_ok(path: str) -> bool:
        return path in refused and path.split(".")[0] in unsure_table

    wrong = {p: (want, flat[p]) for p, want in rd.expected.items()
             if not same(flat[p], want) and not excused(p) and not refused_ok(p)}
    assert not wrong, f"{where}: (expected, got) {dict(list(wrong.items())[:8])}"
    assert report.format == rep.fmt, where
    assert report.year == rep.year, where
    assert report.unit and rep.unit_core in report.unit, f"{where}: unit {report.unit!r} lacks {rep.unit_core!r}"
    assert report.report_date == rep.report_date, where
    errors = [f"{f.rule} {f.message}" for f in findings if f.severity == "error" and f.category == "arithmetic"
              and not any(excused(c) for c in f.cells)]
    assert not errors, f"{where}: {errors}"
    # Cells of a glued row the reader refused to split (IN-10, null) are unknown, so the equations
    # they are in cannot be checked: an input warning, not a T3/T4 failure.
    if "missing_other_column" not in rd.damage:
        # Every equation holds (blank cells count as 0), so no T3/T4 finding of any severity.
        eq = [f"{f.rule} {f.severity} {f.message}" for f in findings
              if f.rule[:2] in ("T3", "T4") and not any(excused(c) or c in refused for c in f.cells)]
        assert not eq, f"{where}: {eq}"
    for rule, severity, cell in rd.findings:
        assert any(f.rule == rule and f.severity == severity and cell in f.cells for f in findings), \
            f"{where}: no {severity} {rule} naming {cell}"


def damage_visible(kind: str, rd: Rendered) -> bool:
    """The damage really is in the printed tables (guards against a generator that silently
    stops applying it, which would make its test pass vacuously)."""
    rows = [r for rows in rd.tables.values() for r in rows]
    cells = [v for r in rows for v in r.values]
    if kind == "traditional":
        return "總計" in rd.text and "總體情況" in rd.text
    if kind == "fullwidth":
        return any(ch in (v.text or "") for v in cells for ch in "０１２３４５６７８９")
    if kind == "thousands":
        big = any(isinstance(v.value, (int, float)) and abs(v.value) >= 1000 for v in cells if v.path)
        return not big or any("," in (v.text or "") for v in cells)
    if kind == "units":
        return any((v.text or "").endswith(("件", "个", "万元")) for v in cells)
    if kind == "blank_nulls":
        zeros = [v for v in cells if v.path and v.value == 0]
        return not zeros or any(v.blank for v in cells)
    if kind == "typos":
        return any(r.typo for r in rows) or "本年度止件数" in rd.text or "现行有效文件数" in rd.text
    if kind == "subtotal_rows":
        return any((r.key or "").startswith("subtotal_") for r in rows)
    if kind == "wrapped_labels":
        return any(r.kind == "cont" for r in rows)
    if kind == "extra_trailing_cells":
        return any(r.extra for r in rows) or any(v.copy_of is not None for v in cells)
    if kind == "missing_other_column":
        return all(len(r.values) == 6 for r in rd.tables["applications"] if r.kind == "data" and r.values
                   and not any(v.kind == "pad" for v in r.values))
    if kind == "shifted_cells":
        return rd.layout == "spaced" or any(v.kind == "pad" and v.copy_of is None for v in cells)
    if kind == "glued":
        return any(r.glued for r in rows)
    raise AssertionError(kind)


# ------------------------------------------------------------------------------------------ layouts

@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_layout_roundtrip(tmp_path, layout, fmt):
    for seed in range(6):
        profile = ("zero", "small", "large")[seed % 3]
        assert_roundtrip(*read_back(tmp_path, seed, layout, (), fmt, profile=profile))


# ------------------------------------------------------------------------------------------ damage

PROFILE_FOR = {"thousands": "large", "missing_other_column": "small", "subtotal_rows": "small"}
XFAIL_COMBOS: dict[tuple[str, str], str] = {}


def _damage_params():
    for layout in LAYOUTS:
        for kind in DAMAGE_KINDS:
            reason = XFAIL_COMBOS.get((layout, kind))
            marks = [pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)] if reason else []
            yield pytest.param(layout, kind, marks=marks, id=f"{layout}-{kind}")


@pytest.mark.parametrize(("layout", "kind"), list(_damage_params()))
def test_damage_roundtrip(tmp_path, layout, kind):
    for seed in range(6):
        for fmt in FORMATS:
            profile = PROFILE_FOR.get(kind, ("small", "large", "zero")[seed % 3])
            rd, report, findings = read_back(tmp_path, 100 + seed, layout, (kind,), fmt, profile=profile)
            assert damage_visible(kind, rd), f"{kind} not applied ({layout}, {fmt})"
            assert_roundtrip(rd, report, findings)


# ------------------------------------------------------------------------------------------ encodings

@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_encoding_roundtrip(tmp_path, layout, encoding):
    for seed, fmt in ((7, "2021"), (8, "2019")):
        damage = ("traditional", "fullwidth", "blank_nulls")
        assert_roundtrip(*read_back(tmp_path, seed, layout, damage, fmt, encoding, profile="small"))


def test_unit_kinds_and_years(tmp_path):
    """Townships, departments and county governments; all years of both formats."""
    for seed in range(24):
        rng = random.Random(seed)
        kind = ("township", "department", "government")[seed % 3]
        fmt = FORMATS[seed % 2]
        rep = random_report(rng, fmt=fmt, kind=kind)
        assert rep.kind == kind
        assert (2021 <= rep.year <= 2025) if fmt == "2021" else (2019 <= rep.year <= 2020)
        assert rep.report_date.startswith(str(rep.year + 1)) and rep.report_date[5:7] in ("01", "02", "03")
        file = tmp_path / f"u{seed}.txt"
        rd = render_file(rep, file, rng, LAYOUTS[seed % 4], ())
        report = nianbao.load(file)
        assert_roundtrip(rd, report, nianbao.check(report))


# ------------------------------------------------------------------------------------------ mixed

@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), layout=st.sampled_from(LAYOUTS), fmt=st.sampled_from(FORMATS),
       damage=st.sets(st.sampled_from(DAMAGE_KINDS)), encoding=st.sampled_from(ENCODINGS))
def test_mixed_damage_roundtrip(tmp_path, seed, layout, fmt, damage, encoding):
    assume(not any((layout, kind) in XFAIL_COMBOS for kind in damage))
    assert_roundtrip(*read_back(tmp_path, seed, layout, tuple(sorted(damage)), fmt, encoding))


def test_fee_in_yuan_is_converted(tmp_path):
    """Defined behaviour for units typed into the 万元 cell: “12500元” is 1.25 万元, with a NUM-02
    input warning (spec: NUM-02)."""
    file = tmp_path / "fee.txt"
    file.write_text("青松镇2024年政府信息公开工作年度报告\n二、主动公开政府信息情况\n第二十条第（八）项\t\t\t\n"
                    "信息内容\t本年收费金额（单位：万元）\t\t\n行政事业性收费\t12500元\t\t\n", encoding="utf-8")
    report = nianbao.load(file)
    assert report.get("active.fees.amount_wan_yuan") == 1.25
    assert any(f.rule == "NUM-02" and f.category == "input" for f in nianbao.check(report))


# ------------------------------------------------------------------------------------------ known bugs
# Minimal files that once broke a general mechanism of the reader (found by the generator); each is
# now read exactly and stays as a regression test.

HEAD_TSV = ("青松镇2024年政府信息公开工作年度报告\n三、收到和处理政府信息公开申请情况\n"
            "\t\t自然人\t法人或其他组织\t\t\t\t\t总计\n"
            "\t\t\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t\n"
            "一、本年新收政府信息公开申请数量\t\t1\t0\t0\t0\t0\t0\t1\n")
HEAD_SPACED = ("青松镇2024年政府信息公开工作年度报告\n三、收到和处理政府信息公开申请情况\n"
               "自然人 法人或其他组织 总计\n商业企业 科研机构 社会公益组织 法律服务机构 其他\n"
               "一、本年新收政府信息公开申请数量 1 0 0 0 0 0 1\n")


def _cpl(*cells: str) -> str:
    return "".join(f"\t{c}\n" for c in cells) + "\n"


def _load(tmp_path, text: str):
    file = tmp_path / "bug.txt"
    file.write_text(text, encoding="utf-8")
    return nianbao.load(file)


def test_bug_a_wrapped_carried_forward_cell_per_line(tmp_path):
    text = ("青松镇2024年政府信息公开工作年度报告\n三、收到和处理政府信息公开申请情况\n"
            + _cpl("", "自然人", "法人或其他组织", "总计")
            + _cpl("", "", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "")
            + _cpl("一、本年新收政府信息公开申请数量", "1", "0", "0", "0", "0", "0", "1")
            + "\t四、结转下年度继续\n办理\n" + _cpl("1", "0", "0", "0", "0", "0", "1"))
    r = _load(tmp_path, text)
    assert r.get("applications.carried_forward.natural_person") == 1
    assert r.get("applications.carried_forward.total") == 1


def test_bug_b_wrapped_label_values_on_second_line_spaced(tmp_path):
    r = _load(tmp_path, HEAD_SPACED + "二、上年结转政府\n信息公开申请数量 2 0 0 0 0 0 2\n")
    assert r.get("applications.new_received.natural_person") == 1
    assert r.get("applications.carried_over.natural_person") == 2


def test_bug_c_missing_other_column_spaced(tmp_path):
    r = _load(tmp_path, "青松镇2024年政府信息公开工作年度报告\n三、收到和处理政府信息公开申请情况\n"
                        "自然人 法人或其他组织 总计\n商业企业 科研机构 社会公益组织 法律服务机构\n"
                        "一、本年新收政府信息公开申请数量 1 2 0 0 0 3\n")
    assert r.get("applications.new_received.other") is None
    assert r.get("applications.new_received.total") == 3
    assert "applications.column.other" in r.missing


@pytest.mark.parametrize("line, path", [
    ("三、本年度办理结果 （一）予以公开 1 0 0 0 0 0 1", "applications.granted.natural_person"),
    ("（四）无法提供 1. 本机关不掌握相关的政府信息 1 0 0 0 0 0 1", "applications.unable_not_held.natural_person"),
], ids=["outcomes-label", "group-label-plus-typo"])
def test_two_labels_on_one_spaced_line(tmp_path, line, path):
    """Was BUG-D (fixed): a spaced line holding the merged outer/group label and the item label."""
    r = _load(tmp_path, HEAD_SPACED + line + "\n")
    assert r.get(path) == 1
    nianbao.check(r)


def test_outcomes_subtotal_row_is_a_notice(tmp_path):
    """Was BUG-D2 (fixed): a “三、本年度办理结果” row with numbers is an added subtotal row; check()
    must not crash on it and must report it as a FMT-03 notice."""
    r = _load(tmp_path, HEAD_TSV + "三、本年度办理结果\t\t1\t0\t0\t0\t0\t0\t1\n\t(一) 予以公开\t1\t0\t0\t0\t0\t0\t1\n")
    findings = nianbao.check(r)
    assert r.get("applications.granted.natural_person") == 1
    assert any(f.rule == "FMT-03" and f.severity == "notice" and "applications.row.subtotal_outcomes" in f.cells
               for f in findings)


def test_bug_e_blank_last_cell_tsv(tmp_path):
    r = _load(tmp_path, HEAD_TSV + "二、上年结转政府信息公开申请数量\t\t2\t0\t0\t0\t0\t0\t\n")
    assert r.get("applications.carried_over.natural_person") == 2
    assert r.get("applications.carried_over.commercial") == 0
    assert r.get("applications.carried_over.total") is None


def test_bug_f_procurement_amount_in_yuan(tmp_path):
    r = _load(tmp_path, "青松镇2020年政府信息公开工作年度报告\n二、主动公开政府信息情况\n第二十条第（九）项\t\t\n"
                        "信息内容\t采购项目数量\t采购总金额\n政府集中采购\t2\t3088.67元\n")
    assert r.format == "2019"
    assert r.get("extra_2019.active.procurement.amount") == 3088.67


def test_bug_g_single_value_spaced_row(tmp_path):
    r = _load(tmp_path, "青松镇2024年政府信息公开工作年度报告\n二、主动公开政府信息情况\n第二十条第（五）项\n"
                        "信息内容 本年处理决定数量\n行政许可 5\n")
    assert r.get("active.licensing.decisions") == 5


def test_bug_h_typo_in_wrapped_label_tsv(tmp_path):
    r = _load(tmp_path, HEAD_TSV + "\t\t5.要求行政机关确认或重复\t1\t0\t0\t0\t0\t0\t1\n\t\t出具已获取信息\t\t\t\t\t\t\t\n")
    assert r.get("applications.rejected_confirm_or_reissue.natural_person") == 1


def test_bug_i_cell_per_line_fragment_between_wrapped_cells(tmp_path):
    text = ("青松镇2024年政府信息公开工作年度报告\n三、收到和处理政府信息公开申请情况\n"
            + _cpl("", "自然人", "法人或其他组织", "总计")
            + _cpl("", "", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "")
            + "\t一、本年新收政府信息\n公开申请数量\n" + _cpl("1", "", "", "", "", "", "1")
            + "\t二、上年结转政府信息\n公开申请数量\n" + _cpl("2", "0", "0", "0", "0", "0", "2")
            + _cpl("（七）总计", "3", "0", "0", "0", "0", "0", "3"))
    r = _load(tmp_path, text)
    assert r.get("applications.new_received.natural_person") == 1
    assert r.get("applications.new_received.commercial") is None
    assert r.get("applications.new_received.total") == 1


def test_bug_j_2019_outcomes_subtotal_includes_other_processing(tmp_path):
    file = tmp_path / "j.txt"
    for seed in range(200):  # a 2019 report with （六）其他处理 > 0 and an added outcomes subtotal row
        rng = random.Random(seed)
        rep = random_report(rng, fmt="2019", profile="large")
        if rep.cells["extra_2019.applications.other_processing.total"]:
            rd = render_file(rep, file, rng, "tsv", ("subtotal_rows",))
            if ("FMT-03", "notice", "applications.row.subtotal_outcomes") in rd.findings:
                break
    else:
        raise RuntimeError("no seed renders a 2019 outcomes subtotal row")
    t304 = [f.message for f in nianbao.check(nianbao.load(file)) if f.rule == "T3-04"]
    assert t304 == []


KNOWN_BUG_OPTIONS = [
    pytest.param("tsv", ("blank_nulls",), "2021", dict(blank_at_row_end=True), id="BUG-E-tsv-blank_at_row_end"),
    pytest.param("markdown", ("blank_nulls",), "2019", dict(blank_at_row_end=True),
                 id="BUG-E-markdown-blank_at_row_end"),
    pytest.param("tsv", ("units",), "2019", dict(procurement_yuan=True), id="BUG-F-procurement_yuan"),
    pytest.param("spaced", ("wrapped_labels",), "2019", dict(wrap_values_on_tail=True, wrap_rows=WRAPPABLE),
                 id="BUG-AB-spaced-wrap_values_on_tail"),
    pytest.param("cell-per-line", ("wrapped_labels",), "2021", dict(wrap_rows=("carried_forward",)),
                 id="BUG-A-cell-per-line-wrap_carried_forward"),
    pytest.param("spaced", (), "2021", dict(), id="BUG-G-spaced-2021"),
]


@pytest.mark.parametrize(("layout", "damage", "fmt", "options"), KNOWN_BUG_OPTIONS)
def test_former_bug_variants_roundtrip(tmp_path, layout, damage, fmt, options):
    """The same mechanisms through the generator: the variants that once failed round-trip exactly."""
    failures = []
    for seed in range(12):
        rd, report, findings = read_back(tmp_path, seed, layout, damage, fmt, profile="small", **options)
        flat = report.flat()
        if any(not same(flat[p], want) for p, want in rd.expected.items()):
            failures.append(seed)
    assert not failures, f"round trip fails for seeds {failures}"
