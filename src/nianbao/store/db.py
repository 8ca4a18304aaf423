"""Opening a store: where it lives, the connection settings, and the schema migrations.

A store is named by a path (an embedded SQLite file, the default ``nianbao.db``) or by a URL
(``postgresql://user@host/db`` for a shared server). Opening it brings its schema to this version of
nianbao with alembic, automatically: a user upgrading nianbao never runs a migration by hand. Before
an existing SQLite store is migrated it is copied beside itself (``nianbao.db.bak-<revision>``), so a
migration that goes wrong can never lose what the user stored; on PostgreSQL each migration runs in
one transaction under an advisory lock, so two processes opening the store at once do not race.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
from pathlib import Path

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from ..errors import UsageError

DEFAULT_DB = "nianbao.db"
MIGRATIONS = Path(__file__).with_name("migrations")
_PG_LOCK = 0x6E69616E  # "nian": the advisory lock taken while migrating


def resolve_url(db: str | os.PathLike | None) -> str:
    """A SQLAlchemy URL for ``--db``: a path, ``sqlite:///…`` or ``postgresql://…`` (psycopg 3)."""
    db = str(db or os.environ.get("NIANBAO_DB") or DEFAULT_DB)
    if "://" not in db:
        return "sqlite:///" + os.path.abspath(db)
    try:
        url = make_url(db)
    except ArgumentError:
        raise UsageError(f"无法识别的数据库地址：{db}（应为文件路径或 postgresql://用户@主机/数据库）") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    if not url.drivername.startswith(("sqlite", "postgresql")):
        raise UsageError(f"不支持的数据库类型：{url.drivername}（支持 SQLite 文件和 PostgreSQL）")
    return url.render_as_string(hide_password=False)


def display_name(url: str) -> str:
    """The store as shown to users: the file path, or the URL without its password."""
    u = make_url(url)
    return u.database if u.drivername.startswith("sqlite") else u.render_as_string(hide_password=True)


def open_engine(db: str | os.PathLike | None = None, *, migrate: bool = True) -> Engine:
    url = resolve_url(db)
    if url.startswith("postgresql"):
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise UsageError("使用 PostgreSQL 需要安装 psycopg：pip install 'nianbao[postgres]'") from None
        engine = create_engine(url, pool_pre_ping=True, insertmanyvalues_page_size=2000, json_serializer=_json)
    else:
        path = make_url(url).database
        if path and os.path.isdir(path):
            raise UsageError(f"{path}：这是一个文件夹，不是数据库文件")
        if path and os.path.exists(path) and os.path.getsize(path) and not _is_sqlite(path):
            raise UsageError(f"{path}：不是 SQLite 数据库文件，nianbao 不会改写它")
        parent = os.path.dirname(path or ".") or "."
        if not os.path.isdir(parent):
            raise UsageError(f"数据库所在的文件夹不存在：{parent}")
        engine = create_engine(url, connect_args={"timeout": 60}, json_serializer=_json)
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except OperationalError as exc:
        raise UsageError(f"无法连接数据库 {display_name(url)}：{_first_line(exc)}") from None
    if migrate:
        upgrade(engine)
    return engine


def _json(obj) -> str:
    # UTF-8 text as is: the default \uXXXX escapes double the size of every Chinese character stored.
    return json.dumps(obj, ensure_ascii=False)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # WAL: readers never block the writer, and a killed process leaves the last committed state.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=60000")
    cur.close()


def _is_sqlite(path: str) -> bool:
    with open(path, "rb") as fh:
        return fh.read(16) == b"SQLite format 3\x00"


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", exc)).strip().splitlines()[0]


# --------------------------------------------------------------------------- migrations
def _alembic_config():
    from alembic.config import Config as AlembicConfig
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the store's schema to ``revision`` (normally head); a no-op when it is there already."""
    from alembic import command
    from alembic.script import ScriptDirectory

    cfg = _alembic_config()
    script = ScriptDirectory.from_config(cfg)
    target = script.get_current_head() if revision == "head" else revision
    if current_revision(engine) == target:
        return
    with _migration_lock(engine):
        current = current_revision(engine)  # again, under the lock: another process may have done it
        if current == target:
            return
        if current is not None and current not in {s.revision for s in script.walk_revisions()}:
            raise UsageError(f"数据库 {display_name(str(engine.url))} 由更新版本的 nianbao 创建（结构版本 {current}），"
                             "请升级 nianbao 后再使用")
        if current is None and _has_tables(engine):
            raise UsageError(f"数据库 {display_name(str(engine.url))} 中已有其他程序的表，nianbao 不会改写它；"
                             "请换一个数据库文件或空数据库")
        if current is not None and engine.dialect.name == "sqlite":
            backup_sqlite(engine, f"bak-{current}")
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, target)


def _has_tables(engine: Engine) -> bool:
    return bool(inspect(engine).get_table_names())


@contextlib.contextmanager
def _migration_lock(engine: Engine):
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("select pg_advisory_lock(:k)"), {"k": _PG_LOCK})
            try:
                yield
            finally:
                conn.execute(text("select pg_advisory_unlock(:k)"), {"k": _PG_LOCK})
                conn.commit()
        return
    path = engine.url.database
    with open(path + ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    with contextlib.suppress(OSError):
        os.unlink(path + ".lock")


def backup_sqlite(engine: Engine, tag: str) -> str:
    """Copy a SQLite store beside itself with SQLite's online backup (consistent even in WAL mode)."""
    path = engine.url.database
    target = f"{path}.{tag}"
    n = 1
    while os.path.exists(target):
        n += 1
        target = f"{path}.{tag}.{n}"
    src = sqlite3.connect(path)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return target
