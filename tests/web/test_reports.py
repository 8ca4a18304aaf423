"""Stored reports: the report view from the store, its source, downloads, and reviewers' decisions —
which must survive a new version of the same report (findings rows are replaced, decisions are not)."""
from __future__ import annotations

import io
import re
import shutil
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from nianbao.ingest import ingest

from .conftest import login
from .test_check import WRONG_CELL, XUNZHEN, cell_classes

pytestmark = pytest.mark.skipif(XUNZHEN is None, reason="the 巡镇镇 seed is not on this machine")


def store(app, path: Path) -> int:
    """Ingest `path` into the app's store (as `nianbao ingest` does) and return the report id."""
    summary = ingest([str(path)], app.state.engine, workers=1, config=app.state.config)
    (outcome,) = summary.outcomes
    assert outcome.report_id, outcome
    return outcome.report_id


@pytest.fixture
def stored(app, tmp_path):
    """(app, report id, stored file) of the 巡镇镇 seed in an otherwise empty store."""
    kept = tmp_path / "kept" / "巡镇镇2024.txt"
    kept.parent.mkdir()
    shutil.copyfile(XUNZHEN, kept)
    return app, store(app, kept), kept


def t303(findings: list[dict]) -> dict:
    return next(f for f in findings if f["rule"] == "T3-03")


def test_anonymous_and_viewer_access(stored):
    app, rid, _ = stored
    with TestClient(app) as c:
        assert c.get(f"/api/reports/{rid}").status_code == 401
        r = c.get(f"/reports/{rid}", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"/login?next=/reports/{rid}"
        assert c.get(f"/api/reports/{rid}/findings.xlsx").status_code == 401
        login(c, "viewer")
        html = c.get(f"/reports/{rid}").text
        assert "sev-error" in cell_classes(html, WRONG_CELL)[0].split()
        unit_id = c.get(f"/api/reports/{rid}").json()["unit_id"]
        assert f'href="/units/{unit_id}"' in html
        assert "decision-form" not in html  # a viewer gets no decision buttons
        r = c.get("/api/reports/9999")
        assert r.status_code == 404 and "9999" in r.json()["detail"]


def test_api_report_has_report_findings_and_decisions(stored):
    app, rid, _ = stored
    with TestClient(app) as c:
        login(c, "viewer")
        d = c.get(f"/api/reports/{rid}").json()
        assert d["year"] == 2024 and "巡镇镇" in d["unit"] and d["file_available"] is True
        assert d["report"]["applications"]["granted"]["natural_person"] == 2
        f = t303(d["findings"])
        assert WRONG_CELL in f["cells"] and f["decision"] is None


def test_source_of_a_stored_report_and_a_lost_file(stored):
    app, rid, kept = stored
    with TestClient(app) as c:
        login(c, "viewer")
        r = c.get(f"/reports/{rid}/source", params={"path": WRONG_CELL})
        assert r.status_code == 200 and "focus-line" in r.text
        kept.unlink()
        assert "原始文件已不在服务器上" in c.get(f"/reports/{rid}").text
        r = c.get(f"/reports/{rid}/source", params={"path": WRONG_CELL})
        assert r.status_code == 200 and "原始文件已不在服务器上" in r.text and "focus-line" not in r.text
        assert c.get(f"/api/reports/{rid}").json()["file_available"] is False


def test_only_reviewers_decide(stored):
    app, rid, _ = stored
    with TestClient(app) as c:
        login(c, "viewer")
        f = t303(c.get(f"/api/reports/{rid}").json()["findings"])
        body = {"rule": "T3-03", "cells": f["cells"], "decision": "dismissed", "note": "已核实"}
        r = c.post(f"/api/reports/{rid}/decisions", json=body)
        assert r.status_code == 403 and "审核人" in r.json()["detail"]
        r = c.post(f"/reports/{rid}/decisions", data={"index": 0, "decision": "confirmed"})
        assert r.status_code == 403
    with TestClient(app) as c:
        login(c, "reviewer")
        r = c.post(f"/api/reports/{rid}/decisions", json={**body, "decision": "maybe"})
        assert r.status_code == 422
        r = c.post(f"/api/reports/{rid}/decisions", json={**body, "rule": "T9-99"})
        assert r.status_code == 404 and "T9-99" in r.json()["detail"]
        r = c.post(f"/api/reports/{rid}/decisions", json=body)
        assert r.status_code == 200 and r.json()["decision"] == "dismissed" and r.json()["user"] == "reviewer"
        assert t303(c.get(f"/api/reports/{rid}").json()["findings"])["decision"]["note"] == "已核实"
        html = c.get(f"/reports/{rid}").text
        assert "审核：排除" in html and "已核实" in html and "decision-form" in html


def test_decision_form_with_htmx_and_without(stored):
    app, rid, _ = stored
    with TestClient(app) as c:
        login(c, "reviewer")
        html = c.get(f"/reports/{rid}").text
        index = int(re.search(r'id="r\d+-finding-(\d+)"[^>]*data-cells="[^"]*' + re.escape(WRONG_CELL), html).group(1))
        r = c.post(f"/reports/{rid}/decisions", data={"index": index, "decision": "confirmed", "note": "确有错误"},
                   headers={"HX-Request": "true"})
        assert r.status_code == 200 and "审核：确认" in r.text and "<html" not in r.text
        r = c.post(f"/reports/{rid}/decisions", data={"index": index, "decision": "dismissed", "note": ""},
                   follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"/reports/{rid}#finding-{index}"
        r = c.post(f"/reports/{rid}/decisions", data={"index": 999, "decision": "dismissed"})
        assert r.status_code == 404


def test_decisions_survive_a_new_version(stored, tmp_path):
    """A new version of the same unit and year (here: a changed narrative, the same wrong cell) replaces
    the findings rows; the reviewer's decision is still shown on the new version."""
    app, rid, kept = stored
    with TestClient(app) as c:
        login(c, "reviewer")
        f = t303(c.get(f"/api/reports/{rid}").json()["findings"])
        c.post(f"/api/reports/{rid}/decisions", json={"rule": "T3-03", "cells": list(reversed(f["cells"])),
                                                       "decision": "dismissed", "note": "原表如此"})
        changed = tmp_path / "kept" / "巡镇镇2024-修订.txt"
        changed.write_text(kept.read_text(encoding="utf-8") + "\n（本报告已修订）\n", encoding="utf-8")
        new = store(app, changed)
        assert new != rid
        d = c.get(f"/api/reports/{new}").json()
        assert d["version"] == 2 and d["is_current"]
        dec = t303(d["findings"])["decision"]
        assert dec and dec["decision"] == "dismissed" and dec["note"] == "原表如此"
        assert "原表如此" in c.get(f"/reports/{new}").text


def test_downloads_of_a_stored_report(stored):
    from openpyxl import load_workbook
    app, rid, _ = stored
    with TestClient(app) as c:
        login(c, "reviewer")
        f = t303(c.get(f"/api/reports/{rid}").json()["findings"])
        c.post(f"/api/reports/{rid}/decisions", json={"rule": "T3-03", "cells": f["cells"], "decision": "confirmed",
                                                       "note": "请更正"})
        n = len(c.get(f"/api/reports/{rid}").json()["findings"])
        for url in (f"/api/reports/{rid}/findings.xlsx", f"/reports/{rid}/findings.xlsx"):
            r = c.get(url)
            assert r.status_code == 200
            rows = list(load_workbook(io.BytesIO(r.content)).active.values)
            assert rows[0][-2:] == ("审核结论", "备注") and len(rows) == 1 + n
            row = next(x for x in rows if x[4] == "T3-03")
            assert row[-2:] == ("确认", "请更正") and row[0] == "巡镇镇2024.txt"
        pdf = c.get(f"/reports/{rid}/findings.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
