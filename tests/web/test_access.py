"""Every route of the app, classified by who may use it, and refused on the server to everyone else.

The table below is the access policy. A route added without a line here fails the test, so no
endpoint can ship unclassified. For each protected route: an anonymous request is refused (401 for the
API, a redirect to the login page for pages; a write may already be stopped by the CSRF check, 403),
and a logged-in user one role short gets 403 — whatever the body or the ids in the path.
"""
from __future__ import annotations

import re
import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from .conftest import login, make_app

PUBLIC, VIEWER, REVIEWER, ADMIN = None, "viewer", "reviewer", "admin"
POLICY: dict[tuple[str, str], str | None] = {
    # anyone: checking, writing a report, logging in (a check's token is its own capability)
    ("GET", "/"): PUBLIC, ("GET", "/login"): PUBLIC, ("POST", "/login"): PUBLIC, ("POST", "/logout"): PUBLIC,
    ("POST", "/api/login"): PUBLIC, ("POST", "/api/logout"): PUBLIC,
    ("GET", "/check"): PUBLIC, ("POST", "/check"): PUBLIC, ("GET", "/check/{token}"): PUBLIC,
    ("GET", "/check/{token}/findings.pdf"): PUBLIC, ("GET", "/check/{token}/findings.xlsx"): PUBLIC,
    ("GET", "/check/{token}/{index}/page/{number}.png"): PUBLIC, ("GET", "/check/{token}/{index}/source"): PUBLIC,
    ("POST", "/api/check"): PUBLIC,
    ("GET", "/compose"): PUBLIC, ("GET", "/compose/form"): PUBLIC, ("POST", "/compose/check"): PUBLIC,
    ("POST", "/compose/render"): PUBLIC, ("POST", "/compose/sentences"): PUBLIC, ("POST", "/compose/start"): PUBLIC,
    ("POST", "/compose/template"): PUBLIC, ("POST", "/compose/upload"): PUBLIC,
    ("POST", "/api/compose/check"): PUBLIC, ("POST", "/api/compose/render"): PUBLIC,
    ("POST", "/api/compose/template"): PUBLIC,
    # viewers: the store, read-only, and their own account
    ("GET", "/account"): VIEWER, ("POST", "/account"): VIEWER, ("GET", "/api/me"): VIEWER,
    ("POST", "/api/me/password"): VIEWER,
    ("GET", "/corpus"): VIEWER, ("GET", "/corpus/export.csv"): VIEWER, ("GET", "/corpus/export.xlsx"): VIEWER,
    ("GET", "/api/reports"): VIEWER, ("GET", "/api/export"): VIEWER,
    ("GET", "/reports/{report_id}"): VIEWER, ("GET", "/reports/{report_id}/findings.pdf"): VIEWER,
    ("GET", "/reports/{report_id}/findings.xlsx"): VIEWER, ("GET", "/reports/{report_id}/page/{number}.png"): VIEWER,
    ("GET", "/reports/{report_id}/source"): VIEWER, ("GET", "/api/reports/{report_id}"): VIEWER,
    ("GET", "/api/reports/{report_id}/findings.xlsx"): VIEWER,
    ("GET", "/units"): VIEWER, ("GET", "/units/{unit_id}"): VIEWER, ("GET", "/api/units"): VIEWER,
    ("GET", "/api/units/{unit_id}"): VIEWER,
    ("GET", "/regions/rollup"): VIEWER, ("GET", "/regions/rollup.xlsx"): VIEWER, ("GET", "/api/rollup"): VIEWER,
    ("GET", "/dashboard"): VIEWER, ("GET", "/dashboard/chart/{kind}.svg"): VIEWER, ("GET", "/api/stats"): VIEWER,
    # reviewers: storing checked files, deciding on findings
    ("POST", "/check/{token}/store"): REVIEWER,
    ("POST", "/reports/{report_id}/decisions"): REVIEWER, ("POST", "/api/reports/{report_id}/decisions"): REVIEWER,
    # admins: users and units
    ("GET", "/admin/users"): ADMIN, ("POST", "/admin/users"): ADMIN, ("POST", "/admin/users/{user_id}"): ADMIN,
    ("GET", "/api/users"): ADMIN, ("POST", "/api/users"): ADMIN, ("PATCH", "/api/users/{user_id}"): ADMIN,
    ("GET", "/admin/units"): ADMIN, ("POST", "/admin/units/mapping"): ADMIN, ("POST", "/admin/units/{unit_id}"): ADMIN,
    ("POST", "/admin/units/{unit_id}/merge"): ADMIN, ("POST", "/api/units/mapping"): ADMIN,
    ("PATCH", "/api/units/{unit_id}"): ADMIN, ("POST", "/api/units/{unit_id}/merge"): ADMIN,
}
ONE_SHORT = {VIEWER: None, REVIEWER: "viewer", ADMIN: "reviewer"}
PARAMS = {"report_id": "1", "unit_id": "1", "user_id": "1", "token": "x", "index": "0", "number": "1", "kind": "trend"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """One app for the module: every request here is refused, so nothing changes between tests."""
    tmp = tmp_path_factory.mktemp("access")
    return make_app(str(tmp / "web.db"), data_dir=str(tmp / "files"))


def routes(app) -> list[tuple[str, str]]:
    """(method, path) of every endpoint the app serves (FastAPI's docs routes and /static aside)."""
    out = []

    def walk(items):
        for r in items:
            inner = getattr(r, "original_router", None) or getattr(r, "router", None)
            if inner is not None and not hasattr(r, "path"):
                walk(inner.routes)
            elif hasattr(r, "methods") and r.path not in ("/openapi.json", "/docs", "/docs/oauth2-redirect"):
                out.extend((m, r.path) for m in r.methods if m != "HEAD")
    walk(app.routes)
    return sorted(set(out))


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PARAMS[m.group(1)], path)


def test_every_route_is_classified(app):
    served = routes(app)
    assert len(served) > 50
    unclassified = [r for r in served if r not in POLICY]
    assert not unclassified, f"add these routes to POLICY: {unclassified}"
    gone = [r for r in POLICY if r not in served]
    assert not gone, f"POLICY names routes the app no longer serves: {gone}"


@pytest.mark.parametrize("method,path", [r for r, role in POLICY.items() if role is not None])
def test_anonymous_is_refused(app, method, path):
    with TestClient(app) as c:
        r = c.request(method, concrete(path), follow_redirects=False)
    if path.startswith("/api/"):
        assert r.status_code in (401, 403), r.text
        assert re.search(r"[\u4e00-\u9fff]", r.json()["detail"])
    elif method == "GET":
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    else:
        assert r.status_code in (303, 401, 403)
        assert r.status_code != 303 or r.headers["location"].startswith("/login")


@pytest.mark.parametrize("method,path", [r for r, role in POLICY.items() if role in (REVIEWER, ADMIN)])
def test_one_role_short_is_forbidden(app, method, path):
    with TestClient(app) as c:
        login(c, ONE_SHORT[POLICY[(method, path)]])
        r = c.request(method, concrete(path), follow_redirects=False)
    assert r.status_code == 403, (r.status_code, r.text[:200])
