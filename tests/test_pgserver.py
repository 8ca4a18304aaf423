"""The PostgreSQL the store tests run on is a real server, and `db_url` works for both backends.

If these fail, every store test on PostgreSQL would fail for reasons that have nothing to do
with the store: this file tells the two apart.
"""
from __future__ import annotations

import re
import subprocess
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from .pgserver import PostgresServer, sanitize_dbname

CHINESE = "政府信息公开工作年度报告：依申请公开 ﹝2023﹞ 第１号 — 𠀀"  # incl. a non-BMP character


def _engine(url: str):
    return create_engine(url, pool_pre_ping=True)


@pytest.mark.postgresql
def test_server_is_real_postgresql(postgres_server):
    engine = _engine(postgres_server.url("postgres"))
    try:
        with engine.connect() as conn:
            version = conn.execute(text("select version()")).scalar_one()
            major = int(conn.execute(text("show server_version_num")).scalar_one()) // 10000
            encoding = conn.execute(text("show server_encoding")).scalar_one()
            port = conn.execute(text("show port")).scalar_one()
            fsync = conn.execute(text("show fsync")).scalar_one()
    finally:
        engine.dispose()
    assert version.startswith("PostgreSQL "), version
    assert major >= 13, version  # DROP DATABASE … WITH (FORCE) needs 13
    assert int(re.match(r"PostgreSQL (\d+)", version).group(1)) == major
    assert encoding == "UTF8"
    assert int(port) == postgres_server.port
    assert fsync == "off"  # the test-speed settings were applied


@pytest.mark.postgresql
def test_server_process_runs_as_non_root(postgres_server):
    """PostgreSQL refuses root: the postmaster must belong to another user (postgres as root)."""
    pid = int((postgres_server.datadir / "postmaster.pid").read_text().splitlines()[0])
    user = subprocess.run(["ps", "-o", "user=", "-p", str(pid)], capture_output=True,
                          text=True).stdout.strip()
    assert user and user != "root"


@pytest.mark.postgresql
def test_table_and_chinese_round_trip(postgres_server):
    url = postgres_server.create_database("test chinese round trip")
    engine = _engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("create table report (id serial primary key, title text not null)"))
            conn.execute(text("insert into report (title) values (:t)"), {"t": CHINESE})
        with engine.connect() as conn:
            got = conn.execute(text("select title from report")).scalar_one()
            length = conn.execute(text("select length(title) from report")).scalar_one()
            like = conn.execute(text("select count(*) from report where title like :p"),
                                {"p": "%依申请公开%"}).scalar_one()
        assert got == CHINESE
        assert length == len(CHINESE)  # counted in characters, not bytes: the DB is UTF-8
        assert like == 1
    finally:
        engine.dispose()
        postgres_server.drop_database("test chinese round trip")


@pytest.mark.postgresql
def test_fresh_databases_are_independent(postgres_server):
    url_a = postgres_server.create_database("indep_a")
    url_b = postgres_server.create_database("indep_b")
    assert url_a != url_b
    ea, eb = _engine(url_a), _engine(url_b)
    try:
        with ea.begin() as conn:
            conn.execute(text("create table t (v text)"))
            conn.execute(text("insert into t values ('only in a')"))
        with eb.connect() as conn:
            tables = conn.execute(text(
                "select count(*) from information_schema.tables where table_schema = 'public'"
            )).scalar_one()
        assert tables == 0
        # Re-creating a database gives an empty one again, even with a connection still open
        # (a test that forgot to dispose its engine): the server ends that connection.
        stale = ea.connect()
        stale.execute(text("select 1"))
        assert postgres_server.create_database("indep_a") == url_a
        with pytest.raises(OperationalError):
            stale.execute(text("select 1"))
        stale.invalidate()
        stale.close()
        ea.dispose()
        with _engine(url_a).connect() as conn:
            assert conn.execute(text(
                "select count(*) from information_schema.tables where table_schema = 'public'"
            )).scalar_one() == 0
    finally:
        ea.dispose()
        eb.dispose()
        postgres_server.drop_database("indep_a")
        postgres_server.drop_database("indep_b")


def test_db_url_is_usable(db_url, request):
    """The fixture the store tests use: a path for SQLite, a database URL for PostgreSQL."""
    backend = request.node.callspec.params["db_url"]
    if backend == "sqlite":
        assert not db_url.startswith(("sqlite:", "postgresql"))
        url = f"sqlite:///{db_url}"
    else:
        assert db_url.startswith("postgresql+psycopg://nianbao@127.0.0.1:")
        url = db_url
    engine = _engine(url)
    try:
        with engine.begin() as conn:
            # Fresh and empty: no tables yet, whichever backend.
            from sqlalchemy import inspect

            assert inspect(conn).get_table_names() == []
            conn.execute(text("create table t (id integer primary key, v text)"))
            conn.execute(text("insert into t values (1, :v)"), {"v": CHINESE})
        with engine.connect() as conn:
            assert conn.execute(text("select v from t where id = 1")).scalar_one() == CHINESE
    finally:
        engine.dispose()
    assert engine.dialect.name == backend


def test_db_url_postgresql_param_is_marked(request):
    """`-m "not postgresql"` must deselect the PostgreSQL half of every db_url test."""
    items = [i for i in request.session.items if i.name.startswith("test_db_url_is_usable[")]
    marked = {i.name: i.get_closest_marker("postgresql") is not None for i in items}
    for name, has_marker in marked.items():
        assert has_marker == name.endswith("[postgresql]"), name


def test_sanitize_dbname():
    assert sanitize_dbname("test_x[postgresql]") == "test_x_postgresql"
    assert sanitize_dbname("Test 1/x") == "test_1_x"
    assert sanitize_dbname("1abc") == "d_1abc"
    assert sanitize_dbname("政府") == "db"
    long_a, long_b = "x" * 80 + "a", "x" * 80 + "b"
    assert len(sanitize_dbname(long_a)) <= 63
    assert sanitize_dbname(long_a) != sanitize_dbname(long_b)


@pytest.mark.postgresql
def test_second_server_starts_and_cleans_up(postgres_server):
    """The class works standalone (as the bench scripts use it) and leaves nothing behind."""
    t0 = time.perf_counter()
    with PostgresServer() as pg:
        assert pg.port != postgres_server.port
        tmpdir = pg.tmpdir
        engine = _engine(pg.create_database("standalone"))
        with engine.connect() as conn:
            assert conn.execute(text("select 1")).scalar_one() == 1
        engine.dispose()
    assert time.perf_counter() - t0 < 30
    assert not tmpdir.exists()
    assert pg.tmpdir is None
