"""The store's generation: a number that goes up with every change that can alter a statistic.

Corpus statistics and roll-ups scan every current report (≈ 0.5–0.8 s at 100,000 reports); the web
dashboard caches them keyed by this number, so a cached answer is reused only while nothing it
depends on has changed. Every writer of reports or units bumps it inside its own transaction:
ingest batches, mapping files, unit fixes and merges.
"""
from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from .tables import settings

KEY = "generation"


def generation(conn: Connection) -> int:
    value = conn.execute(select(settings.c.value).where(settings.c.key == KEY)).scalar()
    return int(value) if value is not None else 0


def bump(conn: Connection) -> None:
    """+1, in the caller's transaction (so a rolled-back change does not bump)."""
    current = conn.execute(select(settings.c.value).where(settings.c.key == KEY)).scalar()
    if current is None:
        conn.execute(insert(settings).values(key=KEY, value="1"))
    else:
        conn.execute(update(settings).where(settings.c.key == KEY).values(value=str(int(current) + 1)))
