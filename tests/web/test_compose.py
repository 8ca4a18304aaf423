"""Writing a report in the browser (/compose) and through the JSON API (/api/compose/*).

Real app, real compose/render/readers: the DOCX the API returns is read back by nianbao's own reader
and must state exactly the values sent plus the totals nianbao computed. The formula table the page
embeds for the live totals is evaluated here the way compose.js evaluates it and compared with
`compose.compute` for random fillings.
"""
from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import warnings
from pathlib import Path
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from nianbao import schema
from nianbao.batch import check_file
from nianbao.compose import Filling, compute, derive, read_filling
from nianbao.compose import layout as L
from nianbao.compose.fill import parse_number
from nianbao.compose.template import check_year
from nianbao.errors import UsageError
from nianbao.model import Finding
from nianbao.rules.base import REGISTRY, rule
from nianbao.web import WebSettings, create_app
from nianbao.web import compose as web
from nianbao.web import compose_form as model

from ..store_fixtures import EXAMPLES

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

UNIT = "测试镇人民政府"
SECTIONS = {"overview": "本年度，我镇认真贯彻落实《条例》，主动公开、依申请公开工作有序开展。",
            "problems": "一是公开内容不够全面。\n二是解读形式单一。", "other": "无。"}
JS = Path(web.__file__).parent / "static" / "compose.js"


def leaf_values(seed: int) -> dict[str, int | float]:
    """A random, consistent filling (no negative carry-over); fees with a decimal."""
    rng = random.Random(seed)
    v: dict[str, int | float] = {p: rng.randint(0, 9) for p in L.leaf_paths()}
    v[L.FEES] = round(rng.uniform(0, 80), 2)
    for c in schema.APPLICANT_COLUMNS:
        handled = sum(v[schema.app_path(r, c)] for r in L.OUTCOME_ROWS)
        v[schema.app_path("new_received", c)] = handled + rng.randint(0, 5)
    return v


def body(values=None, **kw) -> dict:
    out = {"unit": UNIT, "year": 2024, "date": "2025-01-20", "values": leaf_values(1) if values is None else values,
           "sections": SECTIONS}
    out.update(kw)
    return out


def form_data(client, values=None, **extra) -> dict:
    """The compose form as a browser posts it (with the page's CSRF token)."""
    page = client.get("/compose/form", params={"unit": UNIT, "year": "2024"})
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    values = leaf_values(1) if values is None else values
    data = {p: str(v) for p, v in values.items()}
    data.update({"csrf_token": token, "unit": UNIT, "year": "2024", "report_date": "2025-01-20",
                 **{f"section.{k}": t for k, t in SECTIONS.items()}})
    data.update(extra)
    return data


def filename(resp) -> str:
    cd = resp.headers["content-disposition"]
    return unquote(cd.split("filename*=UTF-8''")[1])


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """One app for the module, without users: writing a report needs no login (and hashing the
    conftest users' passwords for every test would cost a second each)."""
    tmp = tmp_path_factory.mktemp("compose")
    app = create_app(WebSettings(db=str(tmp / "web.db"), data_dir=str(tmp / "files")))
    with TestClient(app) as c:
        yield c


@pytest.fixture
def error_rule():
    """A real rule registered through the rules' extension seam, raising an error for units whose name
    says so: composed data is arithmetically right by construction, so no built-in rule can block."""
    @rule("WEBTEST-01", "测试用规则", severity="error", category="compliance", basis="F", doc="仅用于测试。")
    def _check(report, ctx):
        if report.unit and "（测试错误）" in report.unit:
            yield Finding("WEBTEST-01", "error", "compliance", "单位名称中有“（测试错误）”", ["section.overview"], "")
    yield
    del REGISTRY["WEBTEST-01"]


# ------------------------------------------------------------------------------ formulas and the form

@pytest.mark.parametrize("seed", range(8))
def test_formula_table_evaluated_like_the_js_equals_compute(seed):
    values = leaf_values(seed)
    filling = Filling("t", "web", UNIT, 2024, None, values, {}, {}, {})
    report = compute(filling)
    got = model.evaluate(values)
    assert set(got) == set(L.derived_paths())
    assert got == {p: report.get(p) for p in L.derived_paths()}
    spec = json.loads(model.page_spec())
    assert {p: [tuple(t) for t in terms] for p, terms in spec["formulas"].items()} == \
        {p: list(terms) for p, terms in model.formula_table().items()}


def test_formula_blank_when_a_term_is_blank():
    values = leaf_values(2)
    values["applications.granted.commercial"] = None
    got = model.evaluate(values)
    assert got["applications.handled_total.commercial"] is None
    assert got["applications.carried_forward.total"] is None
    assert got["applications.handled_total.natural_person"] is not None


def test_form_page_has_inputs_only_for_leaves_with_labels(client):
    r = client.get("/compose/form", params={"unit": UNIT, "year": "2024"})
    assert r.status_code == 200
    html = r.text
    inputs = re.findall(r'<input name="([a-z_.]+)" value="([^"]*)" inputmode="(\w+)" aria-label="([^"]+)"', html)
    assert [i[0] for i in inputs] == list(L.leaf_paths())
    assert all(v == "0" for _, v, _, _ in inputs)
    assert {p for p, _, mode, _ in inputs if mode == "decimal"} == {L.FEES}
    labels = [i[3] for i in inputs]
    assert len(set(labels)) == len(labels)
    assert "（一）予以公开 自然人" in labels and "一、本年新收政府信息公开申请数量 自然人" in labels
    assert "行政诉讼·复议后起诉 尚未审结" in labels
    outputs = re.findall(r'<td class="num derived" data-path="([a-z_.]+)"[^>]*><output aria-label="([^"]+)">', html)
    assert sorted(p for p, _ in outputs) == sorted(L.derived_paths())
    assert "（七）总计 自然人" in dict(outputs).values() and "四、结转下年度继续办理 总计" in dict(outputs).values()
    for key in ("一、总体情况", "五、存在的主要问题及改进情况", "六、其他需要报告的事项", "单位名称", "报告年度", "成文日期"):
        assert f'aria-label="{key}"' in html
    assert 'id="compose-spec"' in html and 'hx-post="/compose/check"' in html


JS_INPUTS = ["0", "12", "abc", "-1", "1.5", "2.0", "", "  ", "１２", "1,234", "+3", "1e3", "-0.5", "3.", "十"]


def test_js_messages_are_fill_py_messages():
    """compose.js restates parse_number's rules and messages; keep their words in step."""
    js = JS.read_text(encoding="utf-8")
    for fragment in ("没有填写（没有的请填 0）", "不小于 0 的数（单位：万元）", "非负整数", "件数应为整数", "金额", "件数",
                     "不能为负数，填写的是“", "，填写的是“"):
        assert fragment in js


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed: the JS is run by the e2e tests")
def test_js_parse_cell_agrees_with_parse_number():
    """The validator of compose.js, run by node on the same inputs as fill.py's parse_number."""
    js = JS.read_text(encoding="utf-8")
    fn = re.search(r"  function parseCell\(.*?\n  }\n", js, re.DOTALL).group(0)
    script = fn + f"console.log(JSON.stringify({json.dumps(JS_INPUTS, ensure_ascii=False)}.map(" \
        "(s) => [parseCell(s, false), parseCell(s, true)])));"
    out = json.loads(subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True).stdout)
    for raw, pair in zip(JS_INPUTS, out):
        for decimal, got in zip((False, True), pair):
            value, err = parse_number(raw, decimal)
            if err:
                assert got == {"err": err}, (raw, decimal)
            else:
                assert got == {"value": value}, (raw, decimal)


# ------------------------------------------------------------------------------ start and refusals

def test_2019_years_are_refused_with_the_template_message(client):
    with pytest.raises(UsageError) as exc:
        check_year(2020)
    message = str(exc.value)
    r = client.get("/compose/form", params={"unit": UNIT, "year": "2020"})
    assert r.status_code == 422 and message in r.text
    token = client.get("/compose").text.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/compose/start", data={"unit": UNIT, "year": "2020", "mode": "blank", "csrf_token": token})
    assert r.status_code == 422 and message in r.text
    r = client.post("/api/compose/check", json=body(year=2020))
    assert r.status_code == 422 and message in r.json()["detail"]


def test_start_blank_and_from_previous_and_base_report(client):
    page = client.get("/compose")
    assert page.status_code == 200 and "以上一年度报告为起点" in page.text and "以一份已有报告为起点" in page.text
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/compose/start", data={"unit": UNIT, "year": "2024", "mode": "blank", "csrf_token": token})
    assert r.status_code == 200 and 'name="applications.carried_over.natural_person" value="0"' in r.text

    prev = EXAMPLES / "年报库-玉乐县" / "2023" / "玉乐县德金街道办事处.txt"
    files = {"file": (prev.name, prev.read_bytes(), "text/plain")}
    r = client.post("/compose/start", data={"unit": "玉乐县德金街道办事处", "year": "2024", "mode": "previous",
                                            "csrf_token": token}, files=files)
    assert r.status_code == 200, r.text
    assert 'name="applications.carried_over.natural_person" value="61"' in r.text
    assert 'name="applications.carried_over.commercial" value="40"' in r.text
    assert 'name="applications.new_received.natural_person" value="0"' in r.text
    r = client.post("/compose/start", data={"unit": "玉乐县德金街道办事处", "year": "2026", "mode": "previous",
                                            "csrf_token": token}, files=files)
    assert r.status_code == 422 and "上年结转应取自 2025 年度报告" in r.text

    base = EXAMPLES / "示例-瑞原区卫生健康委员会2024年报.md"
    rep = check_file(str(base)).report
    r = client.post("/compose/start", data={"unit": "", "year": "2025", "mode": "base", "csrf_token": token},
                    files={"file": (base.name, base.read_bytes(), "text/markdown")})
    assert r.status_code == 200, r.text
    assert f'value="{rep.unit}"' in r.text
    p = "applications.new_received.natural_person"
    assert f'name="{p}" value="{rep.get(p)}"' in r.text
    assert rep.sections["problems"].text.splitlines()[0] in r.text

    r = client.post("/compose/start", data={"unit": UNIT, "year": "2024", "mode": "base", "csrf_token": token},
                    files={"file": ("坏文件.pdf", b"not a pdf", "application/pdf")})
    assert r.status_code == 422 and "坏文件.pdf" in r.text


# ------------------------------------------------------------------------------ checking as one types

def test_check_fragment_names_bad_cells_with_fill_messages(client):
    data = form_data(client)
    data.update({"applications.granted.natural_person": "abc", "review_litigation.review.upheld": "-1",
                 "active.licensing.decisions": "1.5", L.FEES: "2.5", "applications.granted.other": ""})
    r = client.post("/compose/check", data=data)
    assert r.status_code == 200
    text = r.text
    for path, raw in (("applications.granted.natural_person", "abc"), ("review_litigation.review.upheld", "-1"),
                      ("active.licensing.decisions", "1.5"), ("applications.granted.other", "")):
        err = parse_number(raw, False)[1]
        assert f"{schema.label_of(path)}：{err}" in text.replace("&#34;", '"')
    assert "有 4 处填写问题" in text  # the decimal fee is fine
    marks = json.loads(re.search(r"data-marks='([^']*)'", text).group(1).replace("&#34;", '"'))
    assert marks == dict.fromkeys(["applications.granted.natural_person", "review_litigation.review.upheld",
                                   "active.licensing.decisions", "applications.granted.other"], "error")


def test_check_fragment_negative_carry_and_findings(client):
    values = leaf_values(3)
    values["applications.granted.research"] = values["applications.new_received.research"] + \
        values["applications.carried_over.research"] + 1
    r = client.post("/compose/check", data=form_data(client, values))
    assert "四、结转下年度继续办理将为 -" in r.text and "applications.carried_forward.research" in r.text

    data = form_data(client, leaf_values(3))
    data["section.overview"] = "全年共收到政府信息公开申请 99999 件。"
    r = client.post("/compose/check", data=data)
    assert "NT-01" in r.text and "99999" in r.text
    assert "二、三、四部分将自动写入的说明" in r.text


def test_page_posts_need_the_csrf_token_but_the_api_does_not(client):
    data = form_data(client)
    del data["csrf_token"]
    assert client.post("/compose/check", data=data).status_code == 403
    assert client.post("/api/compose/check", json=body()).status_code == 200


def test_sentences_button(client):
    r = client.post("/compose/sentences", data=form_data(client), headers={"Accept": "application/json"})
    assert r.status_code == 200
    values = leaf_values(1)
    new = sum(values[schema.app_path("new_received", c)] for c in schema.APPLICANT_COLUMNS)
    assert f"全年共收到政府信息公开申请{new}件" in r.json()["text"]
    bad = form_data(client)
    bad["applications.granted.natural_person"] = "x"
    r = client.post("/compose/sentences", data=bad, headers={"Accept": "application/json"})
    assert r.status_code == 422 and "应为非负整数" in r.json()["detail"]


# ------------------------------------------------------------------------------ API

def test_api_check_returns_the_computed_report(client):
    values = leaf_values(4)
    r = client.post("/api/compose/check", json=body(values))
    assert r.status_code == 200, r.text
    out = r.json()
    assert set(out) >= {"file", "status", "error", "report", "findings"}
    rep = out["report"]
    assert rep["unit"] == UNIT and rep["year"] == 2024 and rep["report_date"] == "2025-01-20"
    expected = {**values, **derive(values)}
    for p, v in expected.items():
        t, a, b = p.split(".")
        assert rep[t][a][b] == v, p
    assert not [f for f in out["findings"] if f["severity"] == "error"]
    assert out["sections"]["problems"] == SECTIONS["problems"]


@pytest.mark.parametrize("raw, expect", [
    ("abc", "应为非负整数，填写的是“abc”"),
    (-3, "件数不能为负数，填写的是“-3”"),
    (None, "没有填写（没有的请填 0）"),
    (2.5, "件数应为整数，填写的是“2.5”"),
])
def test_api_bad_cell_named_in_chinese_and_no_file(client, raw, expect):
    values = leaf_values(5)
    values["applications.granted.natural_person"] = raw
    for url in ("/api/compose/check", "/api/compose/render?format=docx"):
        r = client.post(url, json=body(values))
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/json")
        detail = r.json()["detail"]
        assert "表三“（一）予以公开”行·自然人列（applications.granted.natural_person）：" + expect in detail


def test_api_unknown_and_wrong_total_and_missing_cells(client):
    values = leaf_values(6)
    values["applications.granted.nobody"] = 1
    values["applications.granted.total"] = 999
    del values["review_litigation.review.pending"]
    r = client.post("/api/compose/check", json=body(values, sections={"tables": "x"}))
    detail = r.json()["detail"]
    assert r.status_code == 422
    assert "applications.granted.nobody" in detail and "表四“行政复议”·尚未审结" in detail
    assert "sections.tables" in detail
    values = leaf_values(6)
    values["applications.granted.total"] = 999
    detail = client.post("/api/compose/check", json=body(values)).json()["detail"]
    assert "填写的是 999，按分项计算应为" in detail
    values["applications.granted.total"] = derive(leaf_values(6))["applications.granted.total"]
    assert client.post("/api/compose/check", json=body(values)).status_code == 200
    assert client.post("/api/compose/check", content=b"{not json", headers={"content-type": "application/json"}
                       ).status_code == 422
    assert "单位名称" in client.post("/api/compose/check", json=body(unit="")).json()["detail"]


def test_api_render_docx_round_trip(client, tmp_path):
    values = leaf_values(7)
    r = client.post("/api/compose/render?format=docx", json=body(values))
    assert r.status_code == 200, r.text
    assert filename(r) == f"{UNIT}2024年政府信息公开工作年度报告.docx"
    path = tmp_path / "report.docx"
    path.write_bytes(r.content)
    result = check_file(str(path))
    assert result.status == "ok", result.error
    assert result.report.unit == UNIT and result.report.year == 2024
    expected = {**values, **derive(values)}
    assert {p: result.report.get(p) for p in schema.paths_2021()} == expected
    assert not [f for f in result.findings if f.severity == "error"], [f.message for f in result.findings]


@pytest.mark.parametrize("fmt, marker", [("html", b"<!DOCTYPE html>"), ("md", "政府信息公开工作年度报告".encode())])
def test_api_render_html_and_markdown(client, fmt, marker):
    r = client.post(f"/api/compose/render?format={fmt}", json=body())
    assert r.status_code == 200 and marker in r.content
    assert filename(r).endswith(f".{fmt}")
    assert client.post("/api/compose/render?format=exe", json=body()).status_code == 422


def test_api_is_documented_in_chinese(client):
    api = client.get("/openapi.json").json()["paths"]
    for path in web.API_PATHS:
        op = api[path]["post"]
        assert op["tags"] == ["写年报"] and re.search(r"[\u4e00-\u9fff]", op["summary"])
    assert not [p for p in api if p.startswith("/compose")]  # the pages are not API


def test_api_render_pdf(client):
    r = client.post("/api/compose/render?format=pdf", json=body())
    assert r.status_code == 200, r.text
    assert r.content.startswith(b"%PDF") and r.headers["content-type"] == "application/pdf"


def test_error_findings_block_unless_forced(client, error_rule):
    unit = "测试镇人民政府（测试错误）"
    r = client.post("/api/compose/render?format=docx", json=body(unit=unit))
    assert r.status_code == 422 and "WEBTEST-01" in r.json()["detail"] and "force=true" in r.json()["detail"]
    r = client.post("/api/compose/render?format=docx&force=true", json=body(unit=unit))
    assert r.status_code == 200 and r.content[:2] == b"PK"

    data = form_data(client, unit=unit)
    r = client.post("/compose/render?format=docx", data=data)
    assert r.status_code == 422 and "仍然生成" in r.text and "单位名称中有“（测试错误）”" in r.text
    assert f'value="{unit}"' in r.text  # the form comes back filled
    r = client.post("/compose/render?format=docx", data={**data, "force": "1"})
    assert r.status_code == 200 and r.content[:2] == b"PK"


def test_page_render_refuses_bad_cells_and_keeps_what_was_typed(client):
    data = form_data(client)
    data["applications.granted.commercial"] = "十"
    r = client.post("/compose/render?format=docx", data=data)
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert 'name="applications.granted.commercial" value="十"' in r.text
    assert "表三“（一）予以公开”行·商业企业列：应为非负整数，填写的是“十”" in r.text
    r = client.post("/compose/render?format=html", data=form_data(client))
    assert r.status_code == 200 and filename(r) == f"{UNIT}2024年政府信息公开工作年度报告.html"


# ------------------------------------------------------------------------------ templates

def test_template_download_round_trip(client, tmp_path):
    values = leaf_values(8)
    for resp in (client.post("/api/compose/template", json=body(values)),
                 client.post("/compose/template", data=form_data(client, values))):
        assert resp.status_code == 200, resp.text
        assert filename(resp) == f"{UNIT}2024年政府信息公开工作年度报告-填报模板.xlsx"
        path = tmp_path / "t.xlsx"
        path.write_bytes(resp.content)
        f = read_filling(str(path))
        assert f.cells == values and f.unit == UNIT and f.year == 2024 and f.report_date == "2025-01-20"
        assert f.sections == SECTIONS
    values = {"applications.granted.natural_person": 4, "applications.granted.commercial": "x"}
    path.write_bytes(client.post("/api/compose/template", json=body(values)).content)
    with pytest.raises(UsageError) as exc:
        read_filling(str(path))
    assert len(exc.value.problems) == 1 and "商业企业）：没有填写" in exc.value.problems[0]
    r = client.post("/api/compose/template", json=body(year=2019))
    assert r.status_code == 422 and "2019 年试行格式" in r.json()["detail"]


def test_upload_template_continues_online_and_bad_one_names_cells(client, tmp_path):
    values = leaf_values(9)
    good = client.post("/api/compose/template", json=body(values)).content
    token = client.get("/compose").text.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/compose/upload", data={"csrf_token": token},
                    files={"file": ("我的模板.xlsx", good, "application/octet-stream")})
    assert r.status_code == 200, r.text
    assert "已读入 我的模板.xlsx" in r.text
    assert f'name="applications.new_received.natural_person" value="{values["applications.new_received.natural_person"]}"' in r.text

    path = tmp_path / "bad.xlsx"
    path.write_bytes(good)
    wb = load_workbook(path)
    pl = L.places()["applications.granted.natural_person"]
    wb[pl.sheet].cell(pl.row, pl.col).value = "abc"
    pl2 = L.places()["review_litigation.review.upheld"]
    wb[pl2.sheet].cell(pl2.row, pl2.col).value = -2
    wb.save(path)
    r = client.post("/compose/upload", data={"csrf_token": token},
                    files={"file": ("填好的.xlsx", path.read_bytes(), "application/octet-stream")})
    assert r.status_code == 422
    assert "填好的.xlsx 有 2 处问题" in r.text
    assert f"{pl.sheet}!{pl.coord}（{pl.label}）：应为非负整数，填写的是“abc”" in r.text
    assert f"{pl2.sheet}!{pl2.coord}" in r.text and "件数不能为负数" in r.text

    r = client.post("/compose/upload", data={"csrf_token": token},
                    files={"file": ("坏.xlsx", b"not a workbook", "application/octet-stream")})
    assert r.status_code == 422 and "坏.xlsx 无法作为 Excel 工作簿打开" in r.text and "0000.xlsx" not in r.text
    r = client.post("/compose/upload", data={"csrf_token": token},
                    files={"file": ("a.exe", b"x", "application/octet-stream")})
    assert r.status_code == 415 and "不支持的文件类型" in r.text


def test_cross_year_rules_use_last_years_stored_report_when_logged_in(corpus_app):
    """A logged-in clerk's draft is compared with the unit's stored report of the year before (XY-01:
    上年结转 = 上年的结转下年度); an anonymous caller's is not — the store is not shown to them."""
    from nianbao.store.writer import previous_report

    from .conftest import login
    with corpus_app.state.engine.connect() as conn:
        prev = previous_report(conn, "德金街道", 2024)
    assert prev is not None and prev.year == 2023
    values = leaf_values(3)
    for c in schema.APPLICANT_COLUMNS:  # agree with last year in every column but 自然人
        values[schema.app_path("carried_over", c)] = prev.app("carried_forward", c) or 0
    values[schema.app_path("carried_over", "natural_person")] = (prev.app("carried_forward", "natural_person") or 0) + 7
    payload = body(values, unit=prev.unit, year=2024)
    with TestClient(corpus_app) as anon:
        rules = [f["rule"] for f in anon.post("/api/compose/check", json=payload).json()["findings"]]
        assert not any(r.startswith("XY-") for r in rules)
    with TestClient(corpus_app) as c:
        login(c, "viewer")
        found = c.post("/api/compose/check", json=payload).json()["findings"]
        xy = [f for f in found if f["rule"] == "XY-01"]
        assert xy and "applications.carried_over.natural_person" in xy[0]["cells"]
        assert all("natural_person" in cell or "total" in cell for f in xy for cell in f["cells"])
        token = c.get("/compose/form", params={"unit": prev.unit, "year": "2024"}).text.split(
            'name="csrf_token" value="')[1].split('"')[0]
        data = {p: str(v) for p, v in values.items()}
        data.update({"csrf_token": token, "unit": prev.unit, "year": "2024", "report_date": "2025-01-20",
                     **{f"section.{k}": t for k, t in SECTIONS.items()}})
        frag = c.post("/compose/check", data=data).text
        assert "XY-01" in frag and "2023 年的报告做跨年度核对" in frag
