"""Crawler text whose table cells ran together into digit runs (recognize/digit_runs.py, IN-10).

“一、本年新收政府信息公开申请数量801000081” is the cells 80, 1, 0, 0, 0, 0, 81 with their boundaries
lost. A run is split only when the table's identities leave exactly one way; otherwise the row's
cells are null and IN-10 says so. Never a guessed number, never a “fixed” one.
"""
from __future__ import annotations

import json
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nianbao
from nianbao.model import GUESSED, PRINTED
from nianbao.recognize.digit_runs import HOW_SPLIT, RL_SUMS, cut_label, splits
from nianbao.synth import DAMAGE_KINDS, LAYOUTS, random_report, render, render_file

from .helpers import same
from .test_cli import nianbao as run_cli
from .test_synth_roundtrip import FORMATS, assert_roundtrip

ROW_SUM = {6: (0, 1, 2, 3, 4, 5)}
COLS = ("natural_person", "commercial", "research", "social_welfare", "legal_service", "other", "total")
HEAD = ("青松镇2024年政府信息公开工作年度报告\n一、总体情况\n二、主动公开政府信息情况\n三、收到和处理政府信息公开申请情况\n"
        "自然人 法人或其他组织 总计\n商业企业 科研机构 社会公益组织 法律服务机构 其他\n")
TAIL = "四、政府信息公开行政复议、行政诉讼情况\n五、存在的主要问题及改进情况\n六、其他需要报告的事项\n"


def load(tmp_path, body: str, tail: str = TAIL):
    file = tmp_path / "crawler.txt"
    file.write_text(HEAD + body + tail, encoding="utf-8")
    report = nianbao.load(file)
    return report, nianbao.check(report)


def row(report, key: str) -> list:
    return [report.get(f"applications.{key}.{c}") for c in COLS]


def in10(report, key: str):
    return [n for n in report.notes if n.rule == "IN-10" and f"applications.{key}.total" in n.cells]


# ------------------------------------------------------------------------------------ the splitter

def test_splits_respect_leading_zeros_and_row_sum():
    """A “0” is a cell of its own; no cell starts with 0 (“1005” in two is only 100, 5)."""
    assert splits(["1005"], 2) == [(100, 5)]
    assert splits(["0000000"], 7, ROW_SUM) == [(0,) * 7]
    # 1|0|0|0|0|0|010 would need a leading zero: 10, 0, 0, 0, 0, 0, 10 is the only split.
    assert splits(["100000010"], 7, ROW_SUM) == [(10, 0, 0, 0, 0, 0, 10)]
    assert splits(["801000081"], 7, ROW_SUM) == [(80, 1, 0, 0, 0, 0, 81)]
    # Without the row's own identity the same digits split many ways.
    assert len(splits(["801000081"], 7)) > 1


def test_splits_keep_token_boundaries_and_bail_out():
    assert splits(["80", "1000081"], 7, ROW_SUM) == [(80, 1, 0, 0, 0, 0, 81)]
    assert splits(["12", "3"], 4) == []                     # 3 digits cannot make 4 cells
    assert splits(["1" * 60], 7, max_nodes=1000) is None    # too large a search: refused, not explored


def test_cut_label():
    assert cut_label("一、本年新收政府信息公开申请数量801000081") == ("一、本年新收政府信息公开申请数量", "801000081")
    assert cut_label("1.属于国家秘密１０００００１") == ("1.属于国家秘密", "1000001")
    assert cut_label("801000081") is None
    assert cut_label("1.属于国家秘密") is None


# ------------------------------------------------------------------------------------ 表三

def test_glued_row_from_the_brief(tmp_path):
    report, findings = load(tmp_path, "一、本年新收政府信息公开申请数量801000081\n")
    assert row(report, "new_received") == [80, 1, 0, 0, 0, 0, 81]
    v = report.value("applications.new_received.natural_person")
    assert v.state == PRINTED and v.how == HOW_SPLIT and v.raw == "801000081"
    notes = in10(report, "new_received")
    assert len(notes) == 1 and notes[0].severity == "warning" and notes[0].category == "input"
    assert "801000081" in notes[0].message and "自然人80" in notes[0].message and "总计81" in notes[0].message
    assert notes[0].location == "line 7"
    assert any(f.rule == "IN-10" for f in findings)


def test_cross_row_identity_decides(tmp_path):
    """“100001011” is 10,0,0,0,1,0,11 or 1,0,0,0,0,10,11 (both rows add up); the 勾稽关系
    一＋二＝（七）＋四 with the printed rows decides for the first."""
    assert len(splits(["100001011"], 7, ROW_SUM)) == 2
    body = ("一、本年新收政府信息公开申请数量100001011\n二、上年结转政府信息公开申请数量 0 0 0 0 0 0 0\n"
            "（七）总计 10 0 0 0 1 0 11\n四、结转下年度继续办理 0 0 0 0 0 0 0\n")
    report, findings = load(tmp_path, body)
    assert row(report, "new_received") == [10, 0, 0, 0, 1, 0, 11]
    assert "勾稽" in in10(report, "new_received")[0].message
    assert not [f for f in findings if f.rule == "T3-01"]


def test_ambiguous_runs_stay_empty(tmp_path):
    """Both 一 and （七） printed as “100001011”: each split of one fits the same split of the other,
    so nothing decides — the cells are null, no number is invented, and IN-10 says so."""
    body = ("一、本年新收政府信息公开申请数量100001011\n二、上年结转政府信息公开申请数量 0 0 0 0 0 0 0\n"
            "（七）总计100001011\n四、结转下年度继续办理 0 0 0 0 0 0 0\n")
    report, findings = load(tmp_path, body)
    for key in ("new_received", "handled_total"):
        assert row(report, key) == [None] * 7
        assert report.value(f"applications.{key}.total").state == GUESSED
        (note,) = in10(report, key)
        assert "不止一种拆法" in note.message and "未填写" in note.message
        assert note.cells == [f"applications.{key}.{c}" for c in COLS]
    assert not [f for f in findings if f.severity == "error" and f.category == "arithmetic"]


def test_glued_rows_in_a_tab_table_with_group_labels(tmp_path):
    """In a Word table exported with tabs the run sticks to the item label in its own cell."""
    body = ("\t\t自然人\t法人或其他组织\t\t\t\t\t总计\n\t\t\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t\n"
            "一、本年新收政府信息公开申请数量\t\t2\t0\t0\t0\t0\t0\t2\n"
            "\t(四) 无法提供\t1.本机关不掌握相关政府信息2000002\n\t\t2.没有现成信息需要另行制作0000000\n")
    report, _ = load(tmp_path, body)
    assert row(report, "unable_not_held") == [2, 0, 0, 0, 0, 0, 2]
    assert row(report, "unable_needs_creation") == [0] * 7
    assert row(report, "new_received") == [2, 0, 0, 0, 0, 0, 2]


def test_document_error_is_reported_not_fixed(tmp_path):
    """The run splits one way (its row adds up); the 勾稽关系 then fails against the printed rows.
    The split stands and T3-01 reports the document's error."""
    body = ("一、本年新收政府信息公开申请数量801000081\n二、上年结转政府信息公开申请数量 0 0 0 0 0 0 0\n"
            "（七）总计 79 1 0 0 0 0 80\n四、结转下年度继续办理 0 0 0 0 0 0 0\n")
    report, findings = load(tmp_path, body)
    assert row(report, "new_received") == [80, 1, 0, 0, 0, 0, 81]
    assert any(f.rule == "T3-01" and f.severity == "error" and "applications.new_received.natural_person" in f.cells
               for f in findings)


def test_run_in_a_cell_of_its_own(tmp_path):
    """The label's cell survived, the numbers did not: “label⇥801000081”, or a run in two pieces."""
    report, _ = load(tmp_path, "一、本年新收政府信息公开申请数量\t801000081\n二、上年结转政府信息公开申请数量 2 000002\n")
    assert row(report, "new_received") == [80, 1, 0, 0, 0, 0, 81]
    assert row(report, "carried_over") == [2, 0, 0, 0, 0, 0, 2]
    assert len(in10(report, "carried_over")) == 1


def test_label_ending_in_a_digit_before_a_full_row(tmp_path):
    """Digits at the end of a label followed by a row's worth of numbers are part of the label."""
    report, _ = load(tmp_path, "\t\t自然人\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t总计\n"
                               "（七）总计1\t\t3\t0\t0\t0\t0\t0\t3\n")
    assert not [n for n in report.notes if n.rule == "IN-10"]
    assert row(report, "handled_total") == [3, 0, 0, 0, 0, 0, 3]


def test_short_row_of_ordinary_numbers_is_not_a_run(tmp_path):
    """A row one number short is IN-02's case, not a glued run."""
    report, _ = load(tmp_path, "（七）总计 12 5 0 0 0 17\n")
    assert not [n for n in report.notes if n.rule == "IN-10"]
    assert report.get("applications.handled_total.natural_person") == 12


# ------------------------------------------------------------------------------------ 表四

def test_review_row_glued(tmp_path):
    tail = ("四、政府信息公开行政复议、行政诉讼情况\n行政复议 行政诉讼\n10200120000000000\n"
            "五、存在的主要问题及改进情况\n六、其他需要报告的事项\n")
    report, findings = load(tmp_path, "一、本年新收政府信息公开申请数量 0 0 0 0 0 0 0\n", tail)
    rl = report.to_dict()["review_litigation"]
    assert rl["review"] == {"upheld": 10, "corrected": 2, "other": 0, "pending": 0, "total": 12}
    assert set(rl["litigation_direct"].values()) == {0} and set(rl["litigation_after_review"].values()) == {0}
    (note,) = [n for n in report.notes if n.rule == "IN-10"]
    assert "表四" in note.message and "行政复议·结果维持10" in note.message
    assert not [f for f in findings if f.rule == "FMT-04"]


def test_review_row_ambiguous(tmp_path):
    assert len(splits(["0011011" + "0" * 10], 15, RL_SUMS)) == 2  # 0,0,1,10,11 or 0,0,11,0,11
    tail = ("四、政府信息公开行政复议、行政诉讼情况\n行政复议 行政诉讼\n00110110000000000\n"
            "五、存在的主要问题及改进情况\n六、其他需要报告的事项\n")
    report, findings = load(tmp_path, "一、本年新收政府信息公开申请数量 0 0 0 0 0 0 0\n", tail)
    rl = report.to_dict()["review_litigation"]
    assert all(v is None for g in rl.values() for v in g.values())
    assert any(n.rule == "IN-10" and "不止一种拆法" in n.message for n in report.notes)
    assert not [f for f in findings if f.severity == "error" and f.category == "arithmetic"]


# ------------------------------------------------------------------------------------ generated

OTHER_DAMAGE = tuple(k for k in DAMAGE_KINDS if k != "glued")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), layout=st.sampled_from(LAYOUTS), fmt=st.sampled_from(FORMATS),
       profile=st.sampled_from(("zero", "small", "large")), damage=st.sets(st.sampled_from(OTHER_DAMAGE), max_size=3))
def test_generated_crawler_reports_exact_or_refused(tmp_path, seed, layout, fmt, profile, damage):
    """Every glued cell comes back as printed or as null with an IN-10 finding — never another
    number; and exactly as the generator's brute force over the same identities says."""
    rng = random.Random(seed)
    rep = random_report(rng, fmt=fmt, profile=profile)
    file = tmp_path / f"c.{'md' if layout == 'markdown' else 'txt'}"
    rd = render_file(rep, file, rng, layout, ("glued", *sorted(damage)))
    report = nianbao.load(file)
    flat = report.flat()
    refused = {c for n in report.notes if n.rule == "IN-10" for c in n.cells if flat.get(c) is None}
    glued = [v for rows in rd.tables.values() for r in rows if r.glued for v in r.glued]
    for v in glued:
        got = flat[v.path]
        assert same(got, v.value) or (got is None and v.path in refused), (v.path, v.value, got)
    assert_roundtrip(rd, report, nianbao.check(report))


def test_generator_states_refusals():
    """The generator's brute force does mark ambiguous runs (so the property above tests them)."""
    refused = 0
    for seed in range(400):
        if refused:
            break
        rng = random.Random(seed)
        rep = random_report(rng, fmt=FORMATS[seed % 2], profile="large")
        rd = render(rep, rng, layout="spaced", damage=("glued",))
        refused += sum(1 for rows in rd.tables.values() for r in rows if r.glued and rd.expected[r.glued[0].path] is None)
    assert refused > 0


# ------------------------------------------------------------------------------------ CLI

def test_cli_json_reports_in10(tmp_path):
    file = tmp_path / "crawler.txt"
    file.write_text(HEAD + "一、本年新收政府信息公开申请数量801000081\n" + TAIL, encoding="utf-8")
    proc = run_cli("check", "--format", "json", file)
    (rec,) = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert rec["report"]["applications"]["new_received"] == dict(zip(COLS, [80, 1, 0, 0, 0, 0, 81]))
    (f,) = [f for f in rec["findings"] if f["rule"] == "IN-10"]
    assert f["severity"] == "warning" and f["category"] == "input"
    assert "applications.new_received.total" in f["cells"] and "801000081" in f["message"]
