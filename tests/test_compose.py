"""Composing a report from a filling: template → fill → compute (issue 5, input side)."""
from __future__ import annotations

import json
import random

import pytest
from openpyxl import load_workbook

from nianbao import schema
from nianbao.batch import check_file
from nianbao.compose import (
    FillingError,
    check_composed,
    compute,
    narrative_sentences,
    read_filling,
    write_template,
    write_template_json,
    write_template_yaml,
)
from nianbao.compose import layout as L
from nianbao.errors import UsageError
from nianbao.model import PRINTED
from nianbao.rules import run_rules
from nianbao.synth.data import random_report

from .conftest import seed_files

UNIT = "青松县柳林镇人民政府"


def synth(seed: int, profile: str | None = None):
    return random_report(random.Random(seed), fmt="2021", profile=profile)


def fill_xlsx(path, values: dict, sections: dict | None = None, info: dict | None = None):
    """What a clerk does: type numbers into the leaf cells of a written template."""
    wb = load_workbook(path)
    for p, v in values.items():
        pl = L.places()[p]
        wb[pl.sheet].cell(pl.row, pl.col).value = v
    for key, text in (sections or {}).items():
        pl = L.section_places()[key]
        wb[pl.sheet].cell(pl.row, pl.col).value = text
    for key, v in (info or {}).items():
        pl = L.info_places()[key]
        wb[pl.sheet].cell(pl.row, pl.col).value = v
    wb.save(path)


def leaves(rep) -> dict:
    return {p: rep.cells[p] for p in L.leaf_paths()}


def sections_of(rep) -> dict:
    return {k: "\n".join(rep.sections[k]) for k in L.NARRATIVE_SECTIONS}


def errors(findings, categories=("arithmetic", "structure")):
    return [f for f in findings if f.severity == "error" or f.category in categories]


# ------------------------------------------------------------------------------ template

def test_layout_partitions_the_schema():
    assert len(L.leaf_paths()) + len(L.derived_paths()) == len(schema.paths_2021())
    assert set(L.places()) == set(schema.paths_2021())
    coords = [(p.sheet, p.row, p.col) for p in L.places().values()]
    assert len(coords) == len(set(coords))


def test_template_written_then_read_back_unchanged(tmp_path):
    path = tmp_path / "t.xlsx"
    write_template(str(path), 2024, UNIT, report_date="2025-01-20")
    f = read_filling(str(path))
    assert (f.kind, f.unit, f.year, f.report_date) == ("xlsx", UNIT, 2024, "2025-01-20")
    assert f.cells == dict.fromkeys(L.leaf_paths(), 0)
    assert f.sections == dict.fromkeys(L.NARRATIVE_SECTIONS, "")
    wb = load_workbook(path)
    assert wb.sheetnames == list(L.SHEETS)
    ws = wb[L.SHEET_APPS]
    assert ws.protection.sheet
    total = L.places()["applications.granted.total"]
    assert ws.cell(total.row, total.col).value.startswith("=SUM(")
    assert ws.cell(total.row, total.col).protection.locked
    leaf = L.places()["applications.granted.commercial"]
    assert not ws.cell(leaf.row, leaf.col).protection.locked


@pytest.mark.parametrize("seed", range(6))
def test_xlsx_filling_computes_the_synth_report(tmp_path, seed):
    truth = synth(seed, ("zero", "small", "large")[seed % 3])
    path = tmp_path / "t.xlsx"
    write_template(str(path), truth.year, truth.unit)
    fill_xlsx(path, leaves(truth), sections_of(truth), {"report_date": truth.report_date})
    rep = compute(read_filling(str(path)))
    assert rep.flat() == {p: truth.cells[p] for p in schema.paths_2021()}
    assert all(v.state == PRINTED for v in rep.cells.values())
    granted = rep.cells["applications.granted.commercial"]
    assert granted.source is not None and "表三 依申请公开!D7" in granted.how
    assert (rep.format, rep.unit, rep.year, rep.report_date) == ("2021", truth.unit, truth.year, truth.report_date)
    assert not errors(run_rules(rep))
    composed = check_composed(rep)
    assert not [f for f in composed if f.rule.startswith(("T3", "T4", "NUM", "NT", "FMT", "IN"))], composed


@pytest.mark.parametrize("seed", range(40))
def test_generated_sentences_agree_with_tables(seed):
    """The sentences must be read by the NT rules as stating exactly the tables' numbers."""
    truth = synth(100 + seed)
    from nianbao.compose.fill import Filling
    f = Filling("x", "json", truth.unit, truth.year, truth.report_date, leaves(truth))
    rep = compute(f)
    text = narrative_sentences(rep)
    assert set(text) == {"active", "applications", "review_litigation"}
    assert not [x for x in check_composed(rep) if x.rule.startswith("NT")], text
    if rep.get("applications.new_received.total"):
        assert f"收到政府信息公开申请{rep.get('applications.new_received.total')}件" in text["applications"]


def test_wrong_sentence_is_caught_by_nt_rules():
    truth = synth(7, "large")
    from nianbao.compose.fill import Filling
    bad = "全年共收到政府信息公开申请99999件，办结1件。"
    rep = compute(Filling("x", "json", truth.unit, truth.year, None, leaves(truth), {"overview": bad}))
    assert {x.rule for x in check_composed(rep)} >= {"NT-01", "NT-02"}


def test_previous_year_carry_over_prefill(tmp_path):
    prev_truth = synth(3, "large")
    from nianbao.compose.fill import Filling
    prev = compute(Filling("p", "json", UNIT, 2023, None, leaves(prev_truth)))
    path = tmp_path / "t.xlsx"
    write_template(str(path), 2024, UNIT, previous=prev)
    f = read_filling(str(path))
    for c in schema.APPLICANT_COLUMNS:
        assert f.cells[schema.app_path("carried_over", c)] == prev.get(schema.app_path("carried_forward", c))
    ypath = tmp_path / "t.yaml"
    write_template_yaml(str(ypath), 2024, UNIT, previous=prev)
    assert read_filling(str(ypath)).cells == f.cells
    with pytest.raises(UsageError, match="应取自 2024 年度报告"):
        write_template(str(path), 2025, UNIT, previous=prev)


def test_template_refuses_2019_format_years(tmp_path):
    with pytest.raises(UsageError, match="2019 年试行格式"):
        write_template(str(tmp_path / "t.xlsx"), 2020, UNIT)


# ------------------------------------------------------------------------------ bad fillings

def _bad(tmp_path, values=None, info=None, edit=None) -> FillingError:
    path = tmp_path / "t.xlsx"
    write_template(str(path), 2024, UNIT)
    fill_xlsx(path, values or {}, None, info)
    if edit:
        wb = load_workbook(path)
        edit(wb)
        wb.save(path)
    with pytest.raises(FillingError) as exc:
        read_filling(str(path))
    assert isinstance(exc.value, UsageError)
    return exc.value


def test_letter_in_number_cell(tmp_path):
    e = _bad(tmp_path, {"applications.granted.commercial": "两件"})
    assert "表三 依申请公开!D7（（一）予以公开·商业企业）：应为非负整数，填写的是“两件”" in str(e)


def test_negative_and_decimal_counts(tmp_path):
    e = _bad(tmp_path, {"applications.new_received.natural_person": -3, "review_litigation.review.upheld": 1.5,
                        "active.fees.amount_wan_yuan": -2})
    assert len(e.problems) == 3
    text = str(e)
    assert "表三 依申请公开!C5（一、本年新收政府信息公开申请数量·自然人）：件数不能为负数，填写的是“-3”" in text
    assert "表四 复议诉讼!C4（行政复议·结果维持）：件数应为整数，填写的是“1.5”" in text
    assert "表二 主动公开!C13" in text and "金额不能为负数" in text


def test_decimal_fees_and_numeric_text_are_accepted(tmp_path):
    path = tmp_path / "t.xlsx"
    write_template(str(path), 2024, UNIT)
    fill_xlsx(path, {"active.fees.amount_wan_yuan": 12.35, "active.licensing.decisions": "1,234",
                     "applications.new_received.natural_person": 3.0})
    f = read_filling(str(path))
    assert f.cells["active.fees.amount_wan_yuan"] == 12.35
    assert f.cells["active.licensing.decisions"] == 1234
    assert f.cells["applications.new_received.natural_person"] == 3


def test_missing_required_cell(tmp_path):
    e = _bad(tmp_path, {"review_litigation.litigation_direct.pending": None})
    assert e.problems == ["表四 复议诉讼!F5（行政诉讼·未经复议直接起诉·尚未审结）：没有填写（没有的请填 0）"]


def test_all_problems_listed_at_once(tmp_path):
    e = _bad(tmp_path, {schema.app_path("granted", c): "x" for c in schema.APPLICANT_COLUMNS}, {"unit": None})
    assert len(e.problems) == 7
    assert "单位名称" in e.problems[0]


def test_negative_carry_forward_names_the_column(tmp_path):
    e = _bad(tmp_path, {"applications.granted.legal_service": 4, "applications.new_received.legal_service": 1})
    assert len(e.problems) == 1
    assert "表三“法律服务机构”列" in e.problems[0] and "多于" in e.problems[0]


def test_deleted_sheet(tmp_path):
    e = _bad(tmp_path, edit=lambda wb: wb.remove(wb[L.SHEET_RL]))
    assert e.problems == ["缺少工作表“表四 复议诉讼”（工作表被删除或改名了？请使用 nianbao template 生成的模板）"]


def test_renamed_sheet(tmp_path):
    def rename(wb):
        wb[L.SHEET_APPS].title = "Sheet1"
    e = _bad(tmp_path, edit=rename)
    assert "缺少工作表“表三 依申请公开”" in e.problems[0]
    assert "“Sheet1”" in e.problems[1]


def test_moved_rows(tmp_path):
    e = _bad(tmp_path, edit=lambda wb: wb[L.SHEET_APPS].insert_rows(8))
    assert e.problems[0].startswith("表三 依申请公开!B8：应为“部分公开")
    assert "插入、删除或移动" in e.problems[0]


def test_template_of_another_format(tmp_path):
    e = _bad(tmp_path, info={"format": "2019"})
    assert "基本信息!B7（报告格式）" in e.problems[0] and "2021 年格式" in e.problems[0]
    e = _bad(tmp_path, info={"year": 2020})
    assert "基本信息!B5（年度）：2020 年度适用 2019 年试行格式" in e.problems[0]


def test_not_a_workbook(tmp_path):
    path = tmp_path / "t.xlsx"
    path.write_text("hello")
    with pytest.raises(UsageError, match="无法作为 Excel 工作簿打开"):
        read_filling(str(path))


# ------------------------------------------------------------------------------ YAML / JSON

@pytest.mark.parametrize("kind", ["yaml", "json"])
def test_yaml_and_json_alternatives(tmp_path, kind):
    truth = synth(11, "large")
    path = tmp_path / f"t.{kind}"
    writer = write_template_yaml if kind == "yaml" else write_template_json
    writer(str(path), truth.year, truth.unit, report_date=truth.report_date, values=leaves(truth),
           sections=sections_of(truth))
    f = read_filling(str(path))
    assert f.kind == kind and f.sections == sections_of(truth)
    rep = compute(f)
    assert rep.flat() == {p: truth.cells[p] for p in schema.paths_2021()}
    assert not errors(run_rules(rep))


def test_yaml_errors_name_key_and_line(tmp_path):
    path = tmp_path / "t.yaml"
    write_template_yaml(str(path), 2024, UNIT)
    text = path.read_text(encoding="utf-8").replace("    commercial: 0  # 商业企业", "    commercial: 两件  # 商业企业", 3)
    text = text.replace("    pending: 0", "    pending: null", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FillingError) as exc:
        read_filling(str(path))
    p = exc.value.problems
    assert len(p) == 4
    assert p[0].startswith("applications.new_received.commercial（表三“一、本年新收政府信息公开申请数量”行·商业企业列，第 ")
    assert "应为非负整数，填写的是“两件”" in p[0]
    assert "review_litigation.review.pending" in p[3] and "没有填写" in p[3]


def test_json_misspelled_key(tmp_path):
    path = tmp_path / "t.json"
    write_template_json(str(path), 2024, UNIT)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["applications"]["grantd"] = data["applications"].pop("granted")
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(FillingError) as exc:
        read_filling(str(path))
    assert any("applications.grantd" in p and "拼写错误" in p for p in exc.value.problems)
    assert any("applications.granted（" in p and "缺少这一行" in p for p in exc.value.problems)


def _consistent_seeds():
    out = []
    for s in seed_files():
        d = check_file(str(s)).to_dict()
        if d["report"] and not [f for f in d["findings"] if f["category"] in ("arithmetic", "structure")
                                and f["severity"] == "error"]:
            out.append((s.name, d))
    return out


@pytest.mark.parametrize("name,line", _consistent_seeds())
def test_check_json_line_round_trips(tmp_path, name, line):
    path = tmp_path / "line.json"
    path.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    f = read_filling(str(path))
    assert f.kind == "report-json"
    rep = compute(f)
    assert rep.to_dict() == line["report"]
    # the bare report object too
    path.write_text(json.dumps(line["report"], ensure_ascii=False), encoding="utf-8")
    assert compute(read_filling(str(path))).to_dict() == line["report"]


def test_report_json_with_wrong_total_is_refused(tmp_path):
    truth = synth(5, "large")
    from nianbao.compose.fill import Filling
    rep = compute(Filling("x", "json", truth.unit, truth.year, None, leaves(truth))).to_dict()
    rep["applications"]["granted"]["total"] += 1
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"file": "a.txt", "status": "ok", "error": None, "report": rep, "findings": []},
                               ensure_ascii=False), encoding="utf-8")
    with pytest.raises(FillingError) as exc:
        read_filling(str(path))
    assert len(exc.value.problems) == 1
    assert "applications.granted.total" in exc.value.problems[0] and "按分项计算应为" in exc.value.problems[0]


def test_report_json_of_2019_format_is_refused(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"format": "2019", "unit": UNIT, "year": 2020}), encoding="utf-8")
    with pytest.raises(FillingError, match="2019 年试行格式"):
        read_filling(str(path))


# ------------------------------------------------------------------ the template in a spreadsheet program

@pytest.fixture(scope="module")
def resaved_by_libreoffice(tmp_path_factory):
    """A filled template and a fresh one, opened and saved again by LibreOffice Calc (what happens
    when a clerk edits the file in Excel/WPS/LibreOffice): one conversion run for both."""
    from nianbao.libreoffice import convert_many, soffice
    if soffice() is None:
        pytest.skip("LibreOffice is not installed")
    import datetime as dt
    tmp = tmp_path_factory.mktemp("lo")
    s = synth(77, "small")
    filled, fresh = tmp / "filled.xlsx", tmp / "fresh.xlsx"
    write_template(str(filled), 2025, UNIT)
    write_template(str(fresh), 2025, UNIT)
    values = {p: s.cells[p] for p in L.leaf_paths()}
    values[L.FEES] = 12.05
    typed = dict(values)
    # what clerks type: a number as text, a full-width digit, a formula in a leaf cell
    typed["active.licensing.decisions"] = " 7 "
    typed["active.punishment.decisions"] = "８"
    typed["active.coercion.decisions"] = "=3+4"
    values.update({"active.licensing.decisions": 7, "active.punishment.decisions": 8, "active.coercion.decisions": 7})
    narrative = "### （一）主动公开情况\n本年**共**公开 3 条。\n- 第二行"
    fill_xlsx(filled, typed, {"overview": narrative, "other": "无。"}, {"report_date": dt.date(2025, 1, 20)})
    out = convert_many([(filled.read_bytes(), "filled.xlsx"), (fresh.read_bytes(), "fresh.xlsx")], ".xlsx", "xlsx")
    paths = []
    for name, data in zip(("filled-lo.xlsx", "fresh-lo.xlsx"), out):
        assert not isinstance(data, Exception), data
        (tmp / name).write_bytes(data)
        paths.append(str(tmp / name))
    return {"values": values, "narrative": narrative, "filled": paths[0], "fresh": paths[1]}


def test_a_template_saved_by_libreoffice_reads_the_same(resaved_by_libreoffice):
    """Numbers come back as numbers (not "3.0"), text typed as numbers is read, the date typed as a
    date, the Markdown narrative with its line breaks, the formula a clerk typed by its result."""
    lo = resaved_by_libreoffice
    f = read_filling(lo["filled"])
    assert f.cells == lo["values"]
    assert all(type(v) is int for p, v in f.cells.items() if p != L.FEES) and f.cells[L.FEES] == 12.05
    assert (f.unit, f.year, f.report_date) == (UNIT, 2025, "2025-01-20")
    assert f.sections == {"overview": lo["narrative"], "problems": "", "other": "无。"}
    fresh = read_filling(lo["fresh"])
    assert set(fresh.cells.values()) == {0} and fresh.report_date is None and fresh.sections["overview"] == ""


def test_libreoffice_recalculates_the_derived_cells_as_nianbao_computes_them(resaved_by_libreoffice):
    """The greyed formula cells the clerk sees while typing show what compute() prints."""
    lo = resaved_by_libreoffice
    rep = compute(read_filling(lo["filled"]))
    wb = load_workbook(lo["filled"], data_only=True)
    shown = {p: wb[L.places()[p].sheet].cell(L.places()[p].row, L.places()[p].col).value for p in L.derived_paths()}
    assert shown == {p: rep.get(p) for p in L.derived_paths()}
    assert any(v for v in shown.values())
