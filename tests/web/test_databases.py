"""The web app on both stores: the embedded SQLite file and a real PostgreSQL server (`nianbao serve
--db postgresql+psycopg://…`). One reviewer's working day, end to end through the JSON API and the
pages: check and store uploads, browse, decide on a finding, store a new version, roll up, chart,
manage users and units — and a restarted server (a second app over the same store) keeps the session."""
from __future__ import annotations

import re
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from nianbao.web import WebSettings, create_app

from ..store_fixtures import EXAMPLES
from .conftest import login, make_app
from .test_check import CORRECT, WRONG_CELL, XUNZHEN, cell_classes, page_token, part

pytestmark = pytest.mark.skipif(XUNZHEN is None, reason="the 巡镇镇 seed is not on this machine")


def stored_ids(client, url: str) -> list[str]:
    return re.findall(r'href="/reports/(\d+)"', client.get(url).text)


def test_a_reviewers_day_on_each_store(db_url, tmp_path):
    files = str(tmp_path / "files")
    app = make_app(db_url, data_dir=files)
    with TestClient(app) as c:
        login(c, "reviewer")
        url = c.post("/check", files=[part(XUNZHEN, "巡镇镇.txt"), part(CORRECT)],
                     data={"csrf_token": page_token(c)}, follow_redirects=False).headers["location"]
        assert c.post(f"{url}/store", follow_redirects=False).status_code == 303
        ids = stored_ids(c, url)
        assert len(ids) == 2
        xunzhen = next(i for i in ids if "巡镇镇" in c.get(f"/api/reports/{i}").json()["file"])
        assert "sev-error" in cell_classes(c.get(f"/reports/{xunzhen}").text, WRONG_CELL)[0].split()

        # browse: the listing, its export, a unit, the dashboard and a chart
        listing = c.get("/api/reports").json()
        assert {str(r["id"]) for r in listing["items"]} == set(ids)
        assert c.get("/corpus/export.csv").status_code == 200
        unit_id = c.get(f"/api/reports/{xunzhen}").json()["unit_id"]
        assert c.get(f"/units/{unit_id}").status_code == 200
        stats = c.get("/api/stats").json()
        assert stats[-1]["total"] and stats[-1]["reports"] == 2
        assert "<svg" in c.get("/dashboard/chart/trend.svg").text

        # a decision survives a new version of the report
        found = c.get(f"/api/reports/{xunzhen}").json()["findings"]
        t303 = next(f for f in found if f["rule"] == "T3-03")
        r = c.post(f"/api/reports/{xunzhen}/decisions",
                   json={"rule": "T3-03", "cells": t303["cells"], "decision": "confirmed", "note": "确有错误"})
        assert r.status_code == 200
        changed = tmp_path / "巡镇镇-修订.txt"
        changed.write_text(XUNZHEN.read_text(encoding="utf-8") + "\n（修订）\n", encoding="utf-8")
        url2 = c.post("/check", files=[part(changed, "巡镇镇-修订.txt")], data={"csrf_token": page_token(c)},
                      follow_redirects=False).headers["location"]
        c.post(f"{url2}/store")
        (new,) = stored_ids(c, url2)
        d = c.get(f"/api/reports/{new}").json()
        assert d["version"] == 2 and next(f for f in d["findings"] if f["rule"] == "T3-03")["decision"]["note"] == "确有错误"
        assert c.get("/api/stats").json()[-1]["reports"] == 2  # the old version is no longer counted

    with TestClient(app) as admin:
        login(admin, "admin")
        # units: a mapping upload, then a roll-up of the region it names
        mapping = EXAMPLES / "年报库-玉乐县" / "units.csv"
        r = admin.post("/api/units/mapping", files={"file": ("units.csv", mapping.read_bytes(), "text/csv")})
        assert r.status_code == 200, r.text
        r = admin.patch(f"/api/units/{unit_id}", json={"region": "测试省/测试市/测试县/巡镇镇", "level": "township"})
        assert r.status_code == 200, r.text
        year = d["year"]
        roll = admin.get("/api/rollup", params={"region": "测试县", "year": year})
        assert roll.status_code == 200, roll.text
        assert "巡镇镇" in str(roll.json()["included"])
        # users
        r = admin.post("/api/users", json={"username": "新同事", "password": "another-pass-1", "role": "viewer"})
        assert r.status_code == 201
    with TestClient(app) as newcomer:
        r = newcomer.post("/api/login", json={"username": "新同事", "password": "another-pass-1"})
        assert r.status_code == 200 and r.json()["user"]["role"] == "viewer"
        cookies = dict(newcomer.cookies)

    # a restart: a new app over the same store accepts the session made by the first one
    again = create_app(WebSettings(db=db_url, data_dir=files))
    with TestClient(again, cookies=cookies) as c:
        me = c.get("/api/me")
        assert me.status_code == 200 and me.json()["username"] == "新同事"
    app.state.engine.dispose()
    again.state.engine.dispose()
