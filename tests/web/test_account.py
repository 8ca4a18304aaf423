"""Accounts: login, roles, CSRF, password changes ending old sessions, admin user management."""
from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from nianbao.web.auth import ensure_admin

from .conftest import PASSWORD, login


def test_login_logout_and_me(client):
    assert client.get("/api/me").status_code == 401
    r = client.post("/api/login", json={"username": "viewer", "password": "wrong-password"})
    assert r.status_code == 401 and r.json()["detail"] == "用户名或密码不正确"
    login(client, "viewer")
    assert client.get("/api/me").json()["role"] == "viewer"
    assert client.post("/api/logout").status_code == 200
    assert client.get("/api/me").status_code == 401


def test_pages_need_login_and_redirect_back(client):
    r = client.get("/admin/users", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/admin/users"
    page = client.get("/login?next=/admin/users")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/login", data={"username": "admin", "password": PASSWORD, "next": "/admin/users",
                                    "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/users"
    assert "用户管理" in client.get("/admin/users").text


def test_login_form_refuses_missing_csrf_and_open_redirects(client):
    r = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert r.status_code == 403 and "CSRF" in r.text
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/login", data={"username": "admin", "password": PASSWORD, "next": "https://evil.example/x",
                                    "csrf_token": token}, follow_redirects=False)
    assert r.headers["location"] == "/"


def test_wrong_password_page_says_so(client):
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/login", data={"username": "admin", "password": "nope", "csrf_token": token})
    assert r.status_code == 401 and "用户名或密码不正确" in r.text


def test_roles_are_enforced_on_the_server(client):
    login(client, "reviewer")
    r = client.get("/api/users")
    assert r.status_code == 403 and "管理员" in r.json()["detail"]
    r = client.post("/api/users", json={"username": "x", "password": PASSWORD})
    assert r.status_code == 403
    assert client.get("/admin/users").status_code == 403


def test_writes_need_the_csrf_token(client):
    login(client, "admin")
    token = client.headers.pop("X-CSRF-Token")
    r = client.post("/api/users", json={"username": "new", "password": PASSWORD})
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    r = client.post("/api/users", json={"username": "new", "password": PASSWORD}, headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403
    r = client.post("/api/users", json={"username": "new", "password": PASSWORD}, headers={"X-CSRF-Token": token})
    assert r.status_code == 201


def test_admin_manages_users(client):
    login(client, "admin")
    r = client.post("/api/users", json={"username": "张三", "password": PASSWORD, "role": "reviewer",
                                        "display_name": "张三"})
    assert r.status_code == 201
    uid = r.json()["id"]
    assert client.post("/api/users", json={"username": "张三", "password": PASSWORD}).status_code == 409
    r = client.post("/api/users", json={"username": "short", "password": "1234"})
    assert r.status_code == 400 and "8 个字符" in r.json()["detail"]
    r = client.post("/api/users", json={"username": "r", "password": PASSWORD, "role": "root"})
    assert r.status_code == 422
    assert client.patch(f"/api/users/{uid}", json={"role": "viewer"}).json()["role"] == "viewer"
    assert client.patch("/api/users/999", json={"role": "viewer"}).status_code == 404
    me = client.get("/api/me").json()["id"]
    r = client.patch(f"/api/users/{me}", json={"active": False})
    assert r.status_code == 400 and "自己" in r.json()["detail"]
    names = [u["username"] for u in client.get("/api/users").json()]
    assert names == ["viewer", "reviewer", "admin", "张三"]


def test_disabling_or_new_password_ends_sessions(app):
    with TestClient(app) as admin, TestClient(app) as other:
        login(admin, "admin")
        login(other, "reviewer")
        rid = other.get("/api/me").json()["id"]
        assert admin.patch(f"/api/users/{rid}", json={"password": "another-pass-1"}).status_code == 200
        assert other.get("/api/me").status_code == 401
        r = other.post("/api/login", json={"username": "reviewer", "password": "another-pass-1"})
        assert r.status_code == 200
        other.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        admin.patch(f"/api/users/{rid}", json={"active": False})
        assert other.get("/api/me").status_code == 401
        r = other.post("/api/login", json={"username": "reviewer", "password": "another-pass-1"})
        assert r.status_code == 401


def test_own_password_change(client):
    login(client, "viewer")
    r = client.post("/api/me/password", json={"old_password": "wrong", "new_password": "new-password-1"})
    assert r.status_code == 400 and r.json()["detail"] == "原密码不正确"
    r = client.post("/api/me/password", json={"old_password": PASSWORD, "new_password": "new-password-1"})
    assert r.status_code == 200
    assert client.get("/api/me").status_code == 200  # this session goes on
    client.post("/api/logout")
    assert client.post("/api/login", json={"username": "viewer", "password": "new-password-1"}).status_code == 200


def test_first_admin_is_created_once(app):
    engine = app.state.engine
    assert ensure_admin(engine) is None  # users exist already


def test_sessions_survive_a_restart_on_the_same_store(app, tmp_path):
    from nianbao.web import WebSettings, create_app
    with TestClient(app) as c:
        login(c, "viewer")
        cookie = c.cookies.get("nianbao_session")
    again = create_app(WebSettings(db=str(app.state.engine.url.database)))
    with TestClient(again) as c:
        c.cookies.set("nianbao_session", cookie)
        assert c.get("/api/me").status_code == 200


def test_errors_are_chinese(client):
    assert client.get("/api/nothing").json() == {"detail": "页面不存在"}
    r = client.get("/nothing")
    assert r.status_code == 404 and "页面不存在" in r.text
    r = client.post("/api/login", json={"username": "a"})
    assert r.status_code == 422 and "password缺少" in r.json()["detail"]


def test_openapi_docs(client):
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/login" in paths and "/api/users/{user_id}" in paths
