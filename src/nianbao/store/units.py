"""Units in the store: one row per reporting body, found by its normalised name.

The level and region path come from the name (``regions.resolve_unit``) unless the user's mapping
file says otherwise; the mapping is kept in the store (``unit_mapping``) so that every later ingest
applies it, and applying a new mapping updates the units already stored.
"""
from __future__ import annotations

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from .. import regions
from . import generation
from .tables import unit_aliases, unit_mapping, units


def join_region(region) -> str | None:
    return "/".join(region) if region else None


class UnitResolver:
    """Printed unit name → units.id, creating the unit on first sight (cached per writer)."""

    def __init__(self):
        self._ids: dict[str, int] = {}
        self._mapping: regions.Mapping | None = None
        self._mapping_loaded = False
        self._aliases: dict[str, int] | None = None

    def forget(self) -> None:
        self._ids.clear()
        self._mapping_loaded = False
        self._aliases = None

    def mapping(self, conn: Connection) -> regions.Mapping | None:
        if not self._mapping_loaded:
            self._mapping = load_stored_mapping(conn)
            self._mapping_loaded = True
        return self._mapping

    def unit_id(self, conn: Connection, printed: str | None) -> int | None:
        if not printed or not printed.strip():
            return None
        if self._aliases is None:
            self._aliases = dict(conn.execute(select(unit_aliases.c.key, unit_aliases.c.unit_id)).all())
        mapping = self.mapping(conn)
        info = regions.resolve_unit(printed, mapping)
        uid = self._ids.get(info.key) or self._aliases.get(info.key)
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
    generation.bump(conn)  # the mapping itself feeds roll-ups (units that never reported)
    return changed


# --------------------------------------------------------------------------- listing and fixing
def list_units(conn: Connection, *, region: str | None = None, level: str | None = None,
               unplaced: bool = False) -> list[dict]:
    """Every unit with its report count and years (``unplaced``: only those without a region)."""
    from sqlalchemy import func
    from .tables import reports
    q = (select(units, func.count(reports.c.id).label("reports"), func.min(reports.c.year).label("first"),
                func.max(reports.c.year).label("last"))
         .select_from(units).outerjoin(reports, (reports.c.unit_id == units.c.id) & reports.c.is_current)
         .group_by(*units.c).order_by(units.c.region, units.c.key))
    if level:
        q = q.where(units.c.level == level)
    if unplaced:
        q = q.where(units.c.region.is_(None))
    # years and printed spellings of every unit in two grouped queries, not two per unit
    years: dict[int, set[int]] = {}
    for uid, year in conn.execute(select(reports.c.unit_id, reports.c.year).where(
            reports.c.is_current, reports.c.year.is_not(None)).distinct()):
        years.setdefault(uid, set()).add(year)
    printed: dict[int, set[str]] = {}
    for uid, name in conn.execute(select(reports.c.unit_id, reports.c.unit_printed).distinct()):
        if name:
            printed.setdefault(uid, set()).add(name)
    out = []
    for row in conn.execute(q):
        d = row._asdict()
        if region and not _in_region(d["region"], region):
            continue
        d["years"] = sorted(years.get(d["id"], ()))
        d["printed"] = sorted(printed.get(d["id"], ()))
        out.append(d)
    return out


def _in_region(path: str | None, region: str) -> bool:
    if not path:
        return False
    r = region.strip("/")
    return path == r or path.startswith(r + "/") or r in path.split("/")


def find_unit(conn: Connection, name: str):
    """A unit by key, printed name, a merged alias or the stored mapping — the way ingest would file
    a report printed with this name; None when there is none."""
    key = regions.normalize_unit(name)
    row = conn.execute(select(units).where(units.c.key.in_([name, key]))).first()
    if row is None:
        row = conn.execute(select(units).where(units.c.name == name)).first()
    if row is None:
        uid = conn.execute(select(unit_aliases.c.unit_id).where(unit_aliases.c.key == key)).scalar()
        if uid is None:
            mapping = load_stored_mapping(conn)
            entry = mapping.lookup(name) if mapping else None
            uid = conn.execute(select(units.c.id).where(units.c.key == entry.unit)).scalar() if entry else None
        if uid is not None:
            row = conn.execute(select(units).where(units.c.id == uid)).first()
    return row


def set_unit(conn: Connection, unit_id: int, *, level: str | None = None, region: str | None = None,
             parent: str | None = None) -> None:
    values = {k: v for k, v in (("level", level), ("region", region), ("parent", parent)) if v is not None}
    if values:
        conn.execute(update(units).where(units.c.id == unit_id).values(origin="manual", **values))
        generation.bump(conn)


def merge_units(conn: Connection, source_id: int, target_id: int, config=None) -> int:
    """Move every report of one unit to another (two spellings of the same body), renumber the
    versions of each year by ingest order, and run the cross-year rules again. Returns the number of
    reports moved. Nothing is deleted: the emptied unit row goes, its reports stay."""
    from .tables import files, reports
    from .writer import recheck_cross_year
    moved = conn.execute(update(reports).where(reports.c.unit_id == source_id).values(unit_id=target_id)).rowcount
    # later ingests of the merged name (and of names merged into it before) follow the merge
    source_key = conn.execute(select(units.c.key).where(units.c.id == source_id)).scalar_one()
    conn.execute(update(unit_aliases).where(unit_aliases.c.unit_id == source_id).values(unit_id=target_id))
    conn.execute(insert(unit_aliases), [{"key": source_key, "unit_id": target_id}])
    rows = conn.execute(select(reports.c.id, reports.c.year).join(files, files.c.id == reports.c.file_id)
                        .where(reports.c.unit_id == target_id)
                        .order_by(reports.c.year, files.c.ingested_at, reports.c.id)).all()
    by_year: dict = {}
    for r in rows:
        by_year.setdefault(r.year, []).append(r.id)
    for year, ids in by_year.items():
        for n, rid in enumerate(ids, 1):
            conn.execute(update(reports).where(reports.c.id == rid).values(
                version=n, is_current=(n == len(ids)) or year is None))
    conn.execute(delete(units).where(units.c.id == source_id))
    recheck_cross_year(conn, {(target_id, y) for y in by_year if y is not None}, config)
    generation.bump(conn)
    return moved
