"""Fixtures of the web app tests: a real app over a real store, users of each role, logged-in clients.

`TestClient` drives the ASGI app in-process (real routing, sessions, CSRF, templates, store); the
end-to-end tests in test_e2e.py run a real uvicorn server and Debian's chromium instead.
"""
from __future__ import annotations

import warnings

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from nianbao.web import WebSettings, create_app
from nianbao.web.auth import create_user

from ..store_fixtures import EXAMPLE_FILES, EXAMPLES, ingest_into

PASSWORD = "password-123"


def make_app(db: str, **settings):
    app = create_app(WebSettings(db=db, **settings))
    for role in ("viewer", "reviewer", "admin"):
        create_user(app.state.engine, role, PASSWORD, role)
    return app


def login(client: TestClient, role: str) -> str:
    """Log `client` in as the user named after `role`; sets the X-CSRF-Token header on the client and
    returns the token."""
    r = client.post("/api/login", json={"username": role, "password": PASSWORD})
    assert r.status_code == 200, r.text
    token = r.json()["csrf_token"]
    client.headers["X-CSRF-Token"] = token
    return token


@pytest.fixture
def app(tmp_path):
    """An app over an empty SQLite store, with users viewer/reviewer/admin (password PASSWORD)."""
    return make_app(str(tmp_path / "web.db"), data_dir=str(tmp_path / "files"))


@pytest.fixture(scope="module")
def corpus_app(tmp_path_factory):
    """An app over a store holding the examples (the four single reports and the 玉乐县 corpus, with its
    unit mapping). Module-scoped: ingesting takes a few seconds. Tests must not change its data."""
    tmp = tmp_path_factory.mktemp("corpus")
    db = str(tmp / "web.db")
    from nianbao.regions import load_mapping
    from nianbao.store.db import open_engine
    from nianbao.store.units import store_mapping
    engine = open_engine(db)
    with engine.begin() as conn:  # the mapping first, as `make run` does with `ingest --map`
        store_mapping(conn, load_mapping(str(EXAMPLES / "年报库-玉乐县" / "units.csv")))
    engine.dispose()
    engine, _ = ingest_into(db, [*EXAMPLE_FILES, EXAMPLES / "年报库-玉乐县"])
    engine.dispose()
    return make_app(db, data_dir=str(tmp / "files"))


@pytest.fixture
def client(app):
    with TestClient(app) as c:
        yield c


@pytest.fixture
def corpus_client(corpus_app):
    with TestClient(corpus_app) as c:
        yield c
