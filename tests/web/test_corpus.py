"""Browsing the corpus in the browser: list, unit pages, roll-up, dashboard, exports, the admin's unit
mapping — every answer compared with what the store (or the CLI) says for the same question."""
from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from nianbao.cli import app as cli_app
from nianbao.ingest import ingest
from nianbao.store.query import Filter, apply
from nianbao.store.rollup import rollup
from nianbao.store.tables import findings, reports, units

from ..store_fixtures import EXAMPLE_FILES, EXAMPLES
from .conftest import login

CORPUS = EXAMPLES / "年报库-玉乐县"

PAGES = ["/corpus", "/corpus/export.csv", "/corpus/export.xlsx", "/units", "/units/1", "/regions/rollup",
         "/regions/rollup.xlsx?region=玉乐县&year=2024", "/dashboard", "/dashboard/chart/trend.svg"]
APIS = ["/api/reports", "/api/units", "/api/units/1", "/api/rollup?region=玉乐县&year=2024", "/api/stats",
        "/api/export?format=csv"]


def _ids(engine, flt: Filter) -> set[int]:
    with engine.connect() as conn:
        q = apply(select(reports.c.id).select_from(reports).outerjoin(units, units.c.id == reports.c.unit_id), flt)
        return set(conn.execute(q).scalars())


def _unit_id(engine, key: str) -> int:
    with engine.connect() as conn:
        return conn.execute(select(units.c.id).where(units.c.key == key)).scalar_one()


# ------------------------------------------------------------------------------------ access

@pytest.mark.parametrize("url", PAGES)
def test_pages_need_a_login(corpus_client, url):
    r = corpus_client.get(url, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("url", APIS)
def test_api_needs_a_login(corpus_client, url):
    r = corpus_client.get(url)
    assert r.status_code == 401 and r.json()["detail"] == "请先登录"


@pytest.mark.parametrize("role", ["viewer", "reviewer"])
def test_unit_mapping_is_for_admins_only(client, role):
    login(client, role)
    assert client.get("/admin/units").status_code == 403
    r = client.post("/api/units/mapping", files={"file": ("u.csv", "单位,层级\n某镇,乡镇\n".encode())})
    assert r.status_code == 403 and "管理员" in r.json()["detail"]
    assert client.patch("/api/units/1", json={"level": "乡镇"}).status_code == 403
    assert client.post("/api/units/1/merge", json={"into": 2}).status_code == 403
    assert client.post("/admin/units/1", data={"level": "township"}).status_code == 403


def test_writes_need_the_csrf_token(client):
    login(client, "admin")
    del client.headers["X-CSRF-Token"]
    r = client.patch("/api/units/1", json={"level": "乡镇"})
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]


# ------------------------------------------------------------------------------------ the list

@pytest.mark.parametrize("query, flt", [
    ("", Filter()),
    ("region=玉乐县&year=2024", Filter.of(region="玉乐县", years=[2024])),
    ("region=江原省/桃河市&level=乡镇", Filter.of(region="江原省/桃河市", level="乡镇")),
    ("errors=1", Filter.of(with_errors=True)),
    ("status=ok&year=2023&year=2024", Filter.of(status="ok", years=[2023, 2024])),
    ("unit=阳永", Filter.of(unit="阳永")),
])
def test_filters_give_the_rows_the_store_selects(corpus_client, corpus_app, query, flt):
    login(corpus_client, "viewer")
    r = corpus_client.get(f"/api/reports?{query}&limit=500")
    assert r.status_code == 200, r.text
    got = r.json()
    want = _ids(corpus_app.state.engine, flt)
    assert {x["id"] for x in got["items"]} == want and got["total"] == len(want)
    html = corpus_client.get(f"/corpus?{query}").text
    assert f"共 {len(want)} 份报告" in html
    assert html.count('href="/reports/') == len(want)


@pytest.mark.parametrize("sort, direction", [("year", "desc"), ("unit", "asc"), ("region", "desc"), ("errors", "desc")])
def test_pagination_covers_every_report_once_both_ways(corpus_client, corpus_app, sort, direction):
    login(corpus_client, "viewer")
    seen, pages, cursor, last_page = [], 0, None, None
    while True:
        url = f"/api/reports?sort={sort}&dir={direction}&limit=4" + (f"&cursor={cursor}" if cursor else "")
        body = corpus_client.get(url).json()
        seen += [x["id"] for x in body["items"]]
        pages += 1
        cursor, last_page = body["next_cursor"], body
        if not cursor:
            break
    assert sorted(seen) == sorted(_ids(corpus_app.state.engine, Filter())) and len(seen) == len(set(seen))
    assert pages == -(-len(seen) // 4)
    back, cursor = [], last_page["prev_cursor"]
    while cursor:
        body = corpus_client.get(f"/api/reports?sort={sort}&dir={direction}&limit=4&cursor={cursor}").json()
        back = [x["id"] for x in body["items"]] + back
        cursor = body["prev_cursor"]
    assert back + [x["id"] for x in last_page["items"]] == seen


def test_list_page_is_shareable_and_updates_by_htmx(corpus_client):
    login(corpus_client, "viewer")
    full = corpus_client.get("/corpus?region=玉乐县&year=2024&sort=unit&dir=asc")
    assert 'name="region" value="玉乐县"' in full.text and "<form" in full.text
    part = corpus_client.get("/corpus?region=玉乐县&year=2024", headers={"HX-Request": "true", "HX-Target": "corpus-results"})
    assert "<html" not in part.text and "共 8 份报告" in part.text
    assert "/corpus/export.csv?region=%E7%8E%89%E4%B9%90%E5%8E%BF&amp;year=2024" in part.text


@pytest.mark.parametrize("query, message", [("level=村", "无法识别的层级"), ("year=去年", "年度“去年”无效"),
                                            ("status=bad", "无法识别的状态"), ("sort=name", "无法按“name”排序"),
                                            ("cursor=xxx", "cursor 无效"), ("limit=0", "limit")])
def test_bad_parameters_are_a_chinese_400(corpus_client, query, message):
    login(corpus_client, "viewer")
    r = corpus_client.get(f"/api/reports?{query}")
    assert r.status_code == 400 and message in r.json()["detail"]
    page = corpus_client.get(f"/corpus?{query}")
    assert page.status_code == 400 and message in page.text


# ---------------------------------------------------------------------------------------- units

def test_unit_page_shows_history_figures_and_cross_year_findings(corpus_client, corpus_app):
    login(corpus_client, "viewer")
    engine = corpus_app.state.engine
    uid = _unit_id(engine, "玉乐县德金街道")
    with engine.connect() as conn:
        stored = conn.execute(select(findings.c.rule, findings.c.message).join(reports, reports.c.id == findings.c.report_id)
                              .where(reports.c.unit_id == uid, reports.c.is_current, findings.c.rule.like("XY-%"))).all()
    assert {r for r, _ in stored} == {"XY-01", "XY-02"}
    detail = corpus_client.get(f"/api/units/{uid}").json()
    assert sorted((f["rule"], f["message"]) for f in detail["cross_year"]) == sorted(map(tuple, stored))
    assert [r["year"] for r in detail["reports"]] == [2024, 2023]
    fig = detail["reports"][1]["figures"]
    assert fig["carried_forward"] == 101  # XY-01: 2024 carries over 103, 2023 carried forward 101
    assert detail["reports"][0]["figures"]["carried_over"] == 103
    html = corpus_client.get(f"/units/{uid}").text
    assert "跨年度问题" in html and "XY-01" in html and "XY-02" in html and "103" in html and "当前" in html
    assert "江原省/桃河市/玉乐县/德金街道" in html


def test_unit_page_lists_printed_spellings_and_links_the_parent(corpus_client, corpus_app):
    login(corpus_client, "viewer")
    uid = _unit_id(corpus_app.state.engine, "阳永镇")
    detail = corpus_client.get(f"/api/units/{uid}").json()
    assert detail["printed"] == ["玉乐县阳永镇人民政府", "阳永镇人民政府"]
    html = corpus_client.get(f"/units/{uid}").text
    assert f'href="/units/{_unit_id(corpus_app.state.engine, "玉乐县")}">玉乐县人民政府' in html
    assert corpus_client.get("/units/99999").status_code == 404


def test_unit_search_finds_printed_names(corpus_client):
    login(corpus_client, "viewer")
    got = corpus_client.get("/api/units?q=玉乐县阳永镇").json()  # the 2024 spelling of 阳永镇
    assert got["items"][0]["key"] == "阳永镇"
    assert corpus_client.get("/api/units?level=街道").json()["total"] == 2
    assert "阳永镇人民政府" in corpus_client.get("/units?q=阳永").text


# -------------------------------------------------------------------------------------- roll-up

def test_rollup_equals_the_store_rollup(corpus_client, corpus_app):
    login(corpus_client, "viewer")
    with corpus_app.state.engine.connect() as conn:
        want = rollup(conn, "玉乐县", 2024, config=corpus_app.state.config)
    got = corpus_client.get("/api/rollup?region=玉乐县&year=2024").json()
    assert got == want.to_dict()
    html = corpus_client.get("/regions/rollup?region=玉乐县&year=2024").text
    total = want.report.cells["applications.new_received.total"].value
    assert f'data-path="applications.new_received.total">{total}<' in html
    assert f"纳入汇总的单位（{len(want.included)} 个）" in html and "表四" in html
    assert all(u.name in html for u in want.with_errors) and want.with_errors


def test_rollup_download_and_errors(corpus_client):
    login(corpus_client, "viewer")
    r = corpus_client.get("/regions/rollup.xlsx?region=玉乐县&year=2024")
    assert r.status_code == 200 and "filename*=UTF-8''" in r.headers["content-disposition"]
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames[0] == "汇总表" and "玉乐县" in wb["汇总表"]["A1"].value
    r = corpus_client.get("/regions/rollup?region=玉乐&year=2024")
    assert r.status_code == 400 and "库中没有区划“玉乐”下的单位" in r.text
    r = corpus_client.get("/api/rollup?region=玉乐县&year=2019")
    assert r.status_code == 400 and "没有 2019 年的报告" in r.json()["detail"]


# ------------------------------------------------------------------------------------ dashboard

def test_dashboard_table_and_stats_api(corpus_client, corpus_app):
    from nianbao.store.stats import corpus_stats
    login(corpus_client, "viewer")
    want = corpus_stats(corpus_app.state.engine, Filter.of(region="玉乐县"), by="year")
    got = corpus_client.get("/api/stats?region=玉乐县&by=year").json()
    assert got[:-1] == [g.to_dict(want.by) for g in want.groups] and got[-1]["total"] is True
    html = corpus_client.get("/dashboard?region=玉乐县&by=level").text
    assert '/dashboard/chart/trend.svg?region=%E7%8E%89%E4%B9%90%E5%8E%BF&amp;by=level' in html
    assert "乡镇" in html and "公开率" in html
    assert corpus_client.get("/api/stats?by=month").status_code == 400


@pytest.mark.parametrize("kind, words", [("trend", "本年新收"), ("outcomes", "办理结果构成"), ("errors", "错误与警告")])
def test_charts_are_valid_svg_with_chinese_text(corpus_client, kind, words):
    login(corpus_client, "viewer")
    r = corpus_client.get(f"/dashboard/chart/{kind}.svg?region=玉乐县")
    assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml"
    root = ET.fromstring(r.content)
    assert root.tag.endswith("svg")
    assert "玉乐县" in r.text and words in r.text  # matplotlib keeps each text as a comment beside its glyphs
    assert corpus_client.get("/dashboard/chart/pie.svg").status_code == 404


def test_errors_chart_counts_are_those_of_the_unit_aggregate(corpus_app):
    from nianbao.store.stats import aggregate
    from nianbao.store.chart_data import error_rows
    with corpus_app.state.engine.connect() as conn:
        groups, _ = aggregate(conn, Filter(), ("unit",))
        rows, any_report = error_rows(conn, Filter())
    want = [(g.name, g.counts["errors"], g.counts["warnings"]) for g in groups
            if g.counts["errors"] or g.counts["warnings"]]
    assert sorted(rows) == sorted(want) and any(e for _, e, _ in rows) and any_report


# --------------------------------------------------------------------------------------- export

def test_csv_export_equals_nianbao_export(corpus_client, corpus_app, tmp_path):
    login(corpus_client, "viewer")
    db = corpus_app.state.engine.url.database
    out = tmp_path / "x.csv"
    res = CliRunner().invoke(cli_app, ["export", "-o", str(out), "--db", db, "--region", "玉乐县", "--year", "2024"])
    assert res.exit_code == 0, res.output
    r = corpus_client.get("/corpus/export.csv?region=玉乐县&year=2024")
    assert r.status_code == 200 and r.content == out.read_bytes()
    assert "filename*=UTF-8''%E5%B9%B4%E6%8A%A5%E5%BA%93%E5%AF%BC%E5%87%BA" in r.headers["content-disposition"]
    assert r.content.decode("utf-8-sig").count("\n") == 1 + 8


def test_other_export_formats(corpus_client):
    import json
    login(corpus_client, "viewer")
    lines = corpus_client.get("/api/export?format=jsonl&region=玉乐县&year=2023").text.splitlines()
    assert len(lines) == 7 and all(json.loads(x)["report"]["year"] == 2023 for x in lines)
    r = corpus_client.get("/corpus/export.xlsx?errors=1")
    from openpyxl import load_workbook
    ws = load_workbook(io.BytesIO(r.content), read_only=True)["年报数据"]
    assert len(list(ws.rows)) == 1 + 2
    assert corpus_client.get("/api/export?format=pdf").status_code == 400
    r = corpus_client.get("/api/export?region=火星")
    assert r.status_code == 404 and "没有符合条件的报告" in r.json()["detail"]


# ------------------------------------------------------------------------------ the unit mapping

def _ingest(app, paths):
    from nianbao.batch import expand_paths
    ingest(list(expand_paths([str(p) for p in paths])), app.state.engine, workers=1)


def test_bad_mapping_upload_shows_the_chinese_line_error(client):
    login(client, "admin")
    bad = "单位,区划路径,层级\n阳永镇人民政府,江原省/桃河市/玉乐县,乡镇\n林德乡人民政府,江原省/桃河市/玉乐县,村\n"
    r = client.post("/api/units/mapping", files={"file": ("我的对照表.csv", bad.encode("gbk"))})
    assert r.status_code == 400
    assert r.json()["detail"] == "映射文件 我的对照表.csv 第 3 行：无法识别的层级“村”，应为 省、市、县、乡镇、街道、部门 之一（或 province、city、county、township、subdistrict、department）"
    page = client.post("/admin/units/mapping", files={"file": ("我的对照表.csv", bad.encode("utf-8"))})
    assert page.status_code == 400 and "我的对照表.csv 第 3 行" in page.text and "/tmp" not in page.text
    r = client.post("/api/units/mapping", files={"file": ("units.xlsx", b"PK\x03\x04")})
    assert r.status_code == 415 and "不支持的文件类型" in r.json()["detail"]


def test_mapping_upload_fix_and_merge(client, app):
    _ingest(app, [CORPUS / "2023"])
    engine = app.state.engine
    login(client, "admin")
    r = client.post("/api/units/mapping", files={"file": ("units.csv", (CORPUS / "units.csv").read_bytes())})
    assert r.status_code == 200 and r.json()["entries"] == 8 and r.json()["changed_units"] > 0
    uid = _unit_id(engine, "林德乡")
    assert client.get(f"/api/units/{uid}").json()["unit"]["region"] == "江原省/桃河市/玉乐县/林德乡"
    r = client.patch(f"/api/units/{uid}", json={"region": "江原省/桃河市/玉乐县/新林德乡", "level": "乡镇"})
    assert r.status_code == 200 and r.json()["origin"] == "manual" and r.json()["level"] == "township"
    assert client.patch(f"/api/units/{uid}", json={"level": "村"}).status_code == 400
    # merge: the page asks first, then merges
    other = _unit_id(engine, "阳永镇")
    page = client.post(f"/admin/units/{other}/merge", data={"into": "林德乡"})
    assert "确认合并" in page.text
    with engine.connect() as conn:
        assert conn.execute(select(reports.c.id).where(reports.c.unit_id == other)).first() is not None
    page = client.post(f"/admin/units/{other}/merge", data={"into": str(uid), "confirm": "1"})
    assert page.status_code == 200 and "并入“林德乡人民政府”" in page.text
    assert len(client.get(f"/api/units/{uid}").json()["reports"]) == 2
    assert client.get(f"/api/units/{other}").status_code == 404
    assert client.post(f"/api/units/{uid}/merge", json={"into": uid}).status_code == 400
    assert client.post(f"/api/units/{uid}/merge", json={"into": 9999}).status_code == 404


def test_admin_page_lists_and_fixes_units_by_form(client, app):
    _ingest(app, EXAMPLE_FILES[:2])
    login(client, "admin")
    page = client.get("/admin/units")
    assert page.status_code == 200 and "上传单位对照表" in page.text and "福营镇" in page.text
    uid = _unit_id(app.state.engine, "川屯区福营镇")
    token = client.headers.pop("X-CSRF-Token")
    assert client.post(f"/admin/units/{uid}", data={"level": "subdistrict"}).status_code == 403  # no token
    r = client.post(f"/admin/units/{uid}", data={"level": "subdistrict", "region": "甲省/川屯区", "csrf_token": token})
    assert r.status_code == 200 and "已修改" in r.text
    assert re.search(r"街道，甲省/川屯区", r.text)


def test_lean_chart_sums_equal_the_full_statistics(corpus_app):
    """The charts' lean aggregation gives the same numbers as the full statistics it stands in for."""
    from nianbao.store.stats import aggregate
    with corpus_app.state.engine.connect() as conn:
        for by in (("year",), ("level", "year"), ("region",)):
            full, _ = aggregate(conn, Filter(), by)
            lean, _ = aggregate(conn, Filter(), by, lean=True)
            assert [g.key for g in lean] == [g.key for g in full] and [g.label for g in lean] == [g.label for g in full]
            for a, b in zip(lean, full):
                assert a.detail == b.detail and a.counts["reports"] == b.counts["reports"]
                assert all(a.sums[k] == b.sums[k] for k in a.sums)
