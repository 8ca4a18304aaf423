"""Bulk inserts at the speed of the database driver.

A report has about two hundred cells, so an ingest of 300 reports a second writes 60,000 cell rows a
second. SQLAlchemy's per-row parameter processing costs more than the database itself at that rate,
so the big tables are written straight through the driver, inside the caller's transaction: SQLite's
``executemany`` with tuples, PostgreSQL's ``COPY … FROM STDIN`` (psycopg 3).
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table
from sqlalchemy.engine import Connection


def insert_rows(conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    if not rows:
        return
    dbapi = conn.connection.dbapi_connection
    cols = ", ".join(f'"{c}"' for c in columns)
    if conn.dialect.name == "postgresql":
        with dbapi.cursor() as cur, cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" * len(columns))
    cur = dbapi.cursor()
    try:
        cur.executemany(f'INSERT INTO "{table.name}" ({cols}) VALUES ({marks})', rows)
    finally:
        cur.close()
