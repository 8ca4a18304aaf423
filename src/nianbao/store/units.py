"""Units in the store: one row per reporting body, found by its normalised name.

The level and region path come from the name (``regions.resolve_unit``) unless the user's mapping
file says otherwise; the mapping is kept in the store (``unit_mapping``) so that every later ingest
applies it, and applying a new mapping updates the units already stored.
"""
from __future__ import annotations

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from .. import regions
from .tables import unit_mapping, units


def join_region(region) -> str | None:
    return "/".join(region) if region else None


class UnitResolver:
    """Printed unit name → units.id, creating the unit on first sight (cached per writer)."""

    def __init__(self):
        self._ids: dict[str, int] = {}
        self._mapping: regions.Mapping | None = None
        self._mapping_loaded = False

    def forget(self) -> None:
        self._ids.clear()
        self._mapping_loaded = False

    def mapping(self, conn: Connection) -> regions.Mapping | None:
        if not self._mapping_loaded:
            self._mapping = load_stored_mapping(conn)
            self._mapping_loaded = True
        return self._mapping

    def unit_id(self, conn: Connection, printed: str | None) -> int | None:
        if not printed or not printed.strip():
            return None
        mapping = self.mapping(conn)
        info = regions.resolve_unit(printed, mapping)
        uid = self._ids.get(info.key)
        if uid is None:
            uid = conn.execute(select(units.c.id).where(units.c.key == info.key)).scalar()
            if uid is None:
                uid = conn.execute(insert(units).returning(units.c.id), [{
                    "key": info.key, "name": info.name, "level": info.level, "region": join_region(info.region),
                    "parent": info.parent,
                    "origin": "mapping" if mapping and mapping.lookup(printed) else "name"}]).scalar_one()
            self._ids[info.key] = uid
        return uid


def load_stored_mapping(conn: Connection) -> regions.Mapping | None:
    rows = conn.execute(select(unit_mapping)).all()
    if not rows:
        return None
    return regions.Mapping([regions.MappingEntry(r.unit, tuple(r.region.split("/")) if r.region else (), r.level,
                                                 r.parent) for r in rows])


def store_mapping(conn: Connection, mapping: regions.Mapping) -> int:
    """Keep the user's mapping in the store and apply it to the units already there; returns the
    number of stored units it changed."""
    conn.execute(delete(unit_mapping))
    entries = list(mapping)
    if entries:
        conn.execute(insert(unit_mapping), [{
            "key": e.unit, "unit": e.unit, "region": join_region(e.region),
            "level": e.level, "parent": e.parent} for e in entries])
    changed = 0
    for row in conn.execute(select(units)).all():
        entry = mapping.lookup(row.name) or mapping.lookup(row.key)
        if entry is None:
            continue
        info = regions.resolve_unit(row.name, mapping)
        values = {"level": info.level, "region": join_region(info.region), "parent": info.parent, "origin": "mapping"}
        if any(getattr(row, k) != v for k, v in values.items()):
            conn.execute(update(units).where(units.c.id == row.id).values(**values))
            changed += 1
    return changed
