"""Shared test fixtures: where ../shared is, and the seed reports with their gold files."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NIANBAO_SHARED", ROOT.parent / "shared"))
SEEDS = SHARED / "data" / "seeds"


def seed_files() -> list[Path]:
    return sorted(p for p in SEEDS.glob("*.txt")) if SEEDS.is_dir() else []


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"../shared not found at {SHARED}: set NIANBAO_SHARED")
    return SHARED


# --- The store's two backends: SQLite file and a real PostgreSQL server -----------------------
# Every store test that takes `db_url` runs twice, on SQLite and on PostgreSQL, so the two stay
# interchangeable. The PostgreSQL server is real (tests/pgserver.py), one per session, started
# only when the first test needs it; `-m "not postgresql"` deselects those tests.

import itertools as _itertools

from .pgserver import PostgresNotFound, PostgresServer, PostgresStartError

_db_counter = _itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server():
    """One real PostgreSQL server for the whole run, stopped and removed at the end.

    Missing binaries FAIL the tests (a green run must mean PostgreSQL was tested), unless
    NIANBAO_SKIP_POSTGRES=1 opts out, which skips them with that reason.
    """
    if os.environ.get("NIANBAO_SKIP_POSTGRES") == "1":
        pytest.skip("NIANBAO_SKIP_POSTGRES=1: PostgreSQL tests skipped")
    server = PostgresServer()
    try:
        server.start()
        error = None
    except (PostgresNotFound, PostgresStartError) as err:
        error = str(err)
    if error is not None:  # failed outside the except block: no chained traceback noise
        pytest.fail(error, pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=[
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgresql),
])
def db_url(request, tmp_path):
    """A fresh, empty store location: a SQLite file path, or the URL of a new PostgreSQL database.

    The server is looked up only for the postgresql param, so SQLite-only runs never start it.
    """
    if request.param == "sqlite":
        yield str(tmp_path / "nianbao.db")
        return
    server = request.getfixturevalue("postgres_server")
    # The counter keeps names unique even where two long test ids share the kept prefix.
    name = f"t{next(_db_counter)}_{request.node.name}"
    url = server.create_database(name)
    try:
        yield url
    finally:
        try:
            server.drop_database(name)
        except Exception:  # a test that broke the server must not hide its own failure
            pass


def pytest_collection_modifyitems(config, items):
    """Tests that take the server directly are `postgresql` tests too (for `-m "not postgresql"`)."""
    for item in items:
        if "postgres_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgresql)
