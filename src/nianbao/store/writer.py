"""Writing checked files into the store: one transaction per batch, so a killed ingest leaves either
the whole batch or none of it, and the content hash makes a rerun skip what was committed.

Within the batch's transaction the writer also keeps the cross-year findings right: a report that
becomes the current one for its unit and year is checked against the previous year (XY rules), and
the following year's report is checked again against it.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from ..model import Finding, Report
from ..rules import catalogue
from ..rules.base import Context
from . import generation
from .bulk import insert_rows
from .codec import Record, figure_values, report_from_rows
from .tables import cell_paths, cells, figure_columns, figures, files, findings, reports
from .units import UnitResolver

NEW, VERSION, UNCHANGED, FAILED = "new", "version", "unchanged", "failed"
_FIGURES = figure_columns()
_CELL_COLUMNS = ("report_id", "path_id", "value", "is_float", "state", "raw", "how", "source")
_FIGURE_COLUMNS = ("report_id", *(name for name, _ in _FIGURES))
_FINDING_COLUMNS = ("report_id", "rule", "severity", "category", "message", "cells", "location")


@dataclass(slots=True)
class Outcome:
    """What ingest did with one file."""
    path: str
    action: str                  # new | version | unchanged | failed
    status: str | None = None    # ok | partial | failed (the read)
    error: str | None = None
    unit: str | None = None
    year: int | None = None
    version: int | None = None
    report_id: int | None = None
    errors: int = 0
    warnings: int = 0


class Writer:
    def __init__(self, engine: Engine, config=None):
        self.engine = engine
        self.config = config
        self._path_ids: dict[str, int] = {}
        self.units = UnitResolver()

    def known(self, hashes: list[str]) -> set[str]:
        """The hashes among ``hashes`` that the store already has."""
        out: set[str] = set()
        with self.engine.connect() as conn:
            for i in range(0, len(hashes), 500):
                chunk = hashes[i:i + 500]
                out.update(conn.execute(select(files.c.sha256).where(files.c.sha256.in_(chunk))).scalars())
        return out

    def write(self, records: list[Record]) -> list[Outcome]:
        """Store a batch in one transaction; a concurrent writer that stored one of the same files
        first makes us retry without it."""
        for _ in range(3):
            try:
                with self.engine.begin() as conn:
                    return self._write_and_bump(conn, records)
            except IntegrityError:
                self._path_ids.clear()
                self.units.forget()
        with self.engine.begin() as conn:
            return self._write_and_bump(conn, records)

    def _write_and_bump(self, conn: Connection, records: list[Record]) -> list[Outcome]:
        out = self._write(conn, records)
        if any(o.status != UNCHANGED for o in out):
            generation.bump(conn)
        return out

    # ------------------------------------------------------------------ the transaction
    def _write(self, conn: Connection, records: list[Record]) -> list[Outcome]:
        outcomes: dict[int, Outcome] = {}
        already = set(conn.execute(select(files.c.sha256).where(
            files.c.sha256.in_([r.sha256 for r in records]))).scalars())
        fresh, seen = [], set()
        for i, r in enumerate(records):
            if r.sha256 in already or r.sha256 in seen:
                outcomes[i] = Outcome(r.path, UNCHANGED)
            else:
                seen.add(r.sha256)
                fresh.append((i, r))
        if not fresh:
            return [outcomes[i] for i in range(len(records))]
        now = dt.datetime.now(dt.timezone.utc)
        file_ids = conn.execute(insert(files).returning(files.c.id, sort_by_parameter_order=True), [
            {"sha256": r.sha256, "path": r.path, "name": os.path.basename(r.path), "size": r.size, "kind": r.kind,
             "status": r.status, "error": r.error, "ingested_at": now} for _, r in fresh]).scalars().all()

        placed = [(i, r, fid) for (i, r), fid in zip(fresh, file_ids) if r.has_report]
        for i, r in fresh:
            if not r.has_report:
                outcomes[i] = Outcome(r.path, FAILED, r.status, r.error)
        unit_ids = [self.units.unit_id(conn, r.unit) for _, r, _ in placed]
        keys = [(u, r.year) if u is not None and r.year is not None else None for u, (_, r, _) in zip(unit_ids, placed)]
        # Versions: a file of a unit and year that is already stored becomes version n + 1 and the
        # current one; within the batch, the later of two files of the same unit and year wins.
        current = _current_versions(conn, {k for k in keys if k is not None})
        retire = [current[k][0] for k in set(keys) if k is not None and k in current]
        last = {k: n for n, k in enumerate(keys) if k is not None}
        rows, versions = [], []
        for n, ((i, r, file_id), unit_id, key) in enumerate(zip(placed, unit_ids, keys)):
            version = 1
            if key is not None:
                version = current[key][1] + 1 if key in current else 1
                current[key] = (None, version)
            versions.append(version)
            counts = Counter(f.severity for f in r.findings)
            rows.append({
                "file_id": file_id, "unit_id": unit_id, "year": r.year, "version": version,
                "is_current": key is None or last[key] == n, "format": r.format, "status": r.status,
                "unit_printed": r.unit, "title": r.title, "report_date": r.report_date,
                "n_errors": counts["error"], "n_warnings": counts["warning"], "n_notices": counts["notice"],
                "late": any(f.rule == "PUB-01" for f in r.findings), "sections": r.sections, "details": r.details})
        if retire:
            conn.execute(update(reports).where(reports.c.id.in_(retire)).values(is_current=False))
        report_ids = conn.execute(insert(reports).returning(reports.c.id, sort_by_parameter_order=True),
                                  rows).scalars().all() if rows else []
        for (i, r, _), rid, version, row in zip(placed, report_ids, versions, rows):
            outcomes[i] = Outcome(r.path, VERSION if version > 1 else NEW, r.status, None, r.unit, r.year, version,
                                  rid, row["n_errors"], row["n_warnings"])

        self._ensure_paths(conn, {c[0] for _, r, _ in placed for c in r.cells})
        pid = self._path_ids
        cell_rows, figure_rows, finding_rows = [], [], []
        for (i, r, _), rid in zip(placed, report_ids):
            cell_rows += [(rid, pid[c[0]], *c[1:]) for c in r.cells]
            figure_rows.append((rid, *figure_values(r.cells, _FIGURES).values()))
            finding_rows += [_finding_tuple(rid, f) for f in r.findings]
        insert_rows(conn, cells, _CELL_COLUMNS, cell_rows)
        insert_rows(conn, figures, _FIGURE_COLUMNS, figure_rows)
        insert_rows(conn, findings, _FINDING_COLUMNS, finding_rows)
        fresh = {rid: r for (_, r, _), rid in zip(placed, report_ids) if r.year is not None}
        self._cross_year(conn, fresh, outcomes)
        return [outcomes[i] for i in range(len(records))]

    def _ensure_paths(self, conn: Connection, paths: set[str]) -> None:
        """Number every cell path of the batch (cell_paths), loading the known ones once."""
        if not self._path_ids:
            self._path_ids.update((p, i) for i, p in conn.execute(select(cell_paths.c.id, cell_paths.c.path)))
        for path in sorted(paths - self._path_ids.keys()):
            self._path_ids[path] = conn.execute(insert(cell_paths).returning(cell_paths.c.id),
                                                [{"path": path}]).scalar_one()

    # ------------------------------------------------------------------ cross-year rules
    def _cross_year(self, conn: Connection, fresh: dict[int, Record], outcomes: dict[int, Outcome]) -> None:
        if not fresh:
            return
        keyed = {(row.unit_id, row.year) for row in conn.execute(
            select(reports.c.unit_id, reports.c.year).where(
                reports.c.id.in_(list(fresh)), reports.c.is_current, reports.c.unit_id.is_not(None)))}
        changed = recheck_cross_year(conn, keyed, self.config, fresh)
        for o in outcomes.values():
            if o.report_id in changed:
                row = conn.execute(select(reports.c.n_errors, reports.c.n_warnings).where(
                    reports.c.id == o.report_id)).one()
                o.errors, o.warnings = row.n_errors, row.n_warnings


def recheck_cross_year(conn: Connection, unit_years: set[tuple[int, int]], config=None,
                       fresh: dict[int, Record] | None = None) -> set[int]:
    """Run the XY rules again for the current reports at ``unit_years`` and the year after each.

    Their old XY findings are replaced; only pairs where both years are stored yield findings. The
    batch's own reports (``fresh``) are rebuilt from its records, the others loaded from the store.
    Returns the ids of the reports whose findings were redone."""
    rules = [r for r in catalogue() if r.family == "XY"]
    fresh = fresh or {}
    if not rules or not unit_years:
        return set()
    current = _current_ids(conn, {(u, y + d) for u, y in unit_years for d in (-1, 0, 1)})
    targets = {current[(u, y + d)] for u, y in unit_years for d in (0, 1) if (u, y + d) in current}
    by_id = {rid: key for key, rid in current.items()}
    pairs = {t: current[(by_id[t][0], by_id[t][1] - 1)] for t in targets if (by_id[t][0], by_id[t][1] - 1) in current}
    stale: set[int] = set()
    if targets:
        xy = (findings.c.report_id.in_(sorted(targets)), findings.c.rule.like("XY-%"))
        stale = set(conn.execute(select(findings.c.report_id).where(*xy).distinct()).scalars())
        if stale:
            conn.execute(delete(findings).where(*xy))
    needed = set(pairs) | set(pairs.values())
    loaded = load_reports(conn, sorted(needed - set(fresh)))
    loaded.update({rid: _report_of(fresh[rid]) for rid in needed & set(fresh)})
    rows = []
    for t, prev in sorted(pairs.items()):
        ctx = Context(config, loaded[prev])
        for rule in rules:
            rows += [_finding_tuple(t, f) for f in rule.check(loaded[t], ctx)]
    insert_rows(conn, findings, _FINDING_COLUMNS, rows)
    redone = stale | {r[0] for r in rows}
    _recount(conn, sorted(redone))
    return redone


def _finding_tuple(report_id: int, f: Finding) -> tuple:
    return (report_id, f.rule, f.severity, f.category, f.message, json.dumps(list(f.cells), ensure_ascii=False),
            f.location)


def _report_of(r: Record) -> Report:
    """The Report a record describes, for the cross-year rules (no need to read it back)."""
    meta = {"path": r.path, "format": r.format, "unit_printed": r.unit, "year": r.year, "report_date": r.report_date,
            "title": r.title, "status": r.status, "sections": r.sections, "details": r.details}
    return report_from_rows(meta, r.cells)


def _current_versions(conn: Connection, keys: set[tuple[int, int]]) -> dict[tuple[int, int], tuple[int, int]]:
    """(unit id, year) -> (id, version) of the current report, for the keys that have one."""
    out: dict[tuple[int, int], tuple[int, int]] = {}
    units_ = sorted({u for u, _ in keys})
    for i in range(0, len(units_), 500):
        q = select(reports.c.id, reports.c.version, reports.c.unit_id, reports.c.year).where(
            reports.c.unit_id.in_(units_[i:i + 500]), reports.c.is_current)
        for row in conn.execute(q):
            if (row.unit_id, row.year) in keys:
                out[(row.unit_id, row.year)] = (row.id, row.version)
    return out


def _current_ids(conn: Connection, keys: set[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """(unit id, year) -> the current report's id, for the keys that have one."""
    return {k: rid for k, (rid, _) in _current_versions(conn, keys).items()}


def _recount(conn: Connection, ids: list[int]) -> None:
    if not ids:
        return
    counts: dict[int, Counter] = {i: Counter() for i in ids}
    late: set[int] = set()
    for row in conn.execute(select(findings.c.report_id, findings.c.severity, findings.c.rule).where(
            findings.c.report_id.in_(ids))):
        counts[row.report_id][row.severity] += 1
        if row.rule == "PUB-01":
            late.add(row.report_id)
    for rid, c in counts.items():
        conn.execute(update(reports).where(reports.c.id == rid).values(
            n_errors=c["error"], n_warnings=c["warning"], n_notices=c["notice"], late=rid in late))


def previous_report(conn: Connection, unit: str, year: int) -> Report | None:
    """The current report of ``unit`` (a name, as ``find_unit`` resolves it) for ``year - 1``, or None:
    what a report being written is compared with by the cross-year rules."""
    from .units import find_unit
    found = find_unit(conn, unit)
    if found is None:
        return None
    rid = conn.execute(select(reports.c.id).where(reports.c.unit_id == found.id, reports.c.year == year - 1,
                                                  reports.c.is_current)).scalar()
    return load_reports(conn, [rid])[rid] if rid else None


def load_reports(conn: Connection, ids: list[int]) -> dict[int, Report]:
    """Rebuild stored reports (values, states, provenance, sections) by id."""
    out: dict[int, Report] = {}
    if not ids:
        return out
    by_report: dict[int, list] = {i: [] for i in ids}
    metas: dict[int, dict] = {}
    paths = dict(conn.execute(select(cell_paths.c.id, cell_paths.c.path)).all())
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        q = select(reports, files.c.path).join(files, files.c.id == reports.c.file_id).where(reports.c.id.in_(chunk))
        for row in conn.execute(q):
            metas[row.id] = row._asdict()
        # Straight through the driver: this runs for every cross-year pair during ingest, and the
        # cells are most of what is read. The ids are integers, safe to inline.
        cur = conn.connection.dbapi_connection.cursor()
        try:
            cur.execute("SELECT report_id, path_id, value, is_float, state, raw, how, source FROM cells "
                        f"WHERE report_id IN ({','.join(str(int(x)) for x in chunk)})")
            for rid, pid, *rest in cur.fetchall():
                by_report[rid].append((paths[pid], *rest))
        finally:
            cur.close()
    for rid, meta in metas.items():
        out[rid] = report_from_rows(meta, by_report[rid])
    return out


def stored_findings(conn: Connection, ids: list[int]) -> dict[int, list[Finding]]:
    out: dict[int, list[Finding]] = {i: [] for i in ids}
    for i in range(0, len(ids), 500):
        q = select(findings).where(findings.c.report_id.in_(ids[i:i + 500])).order_by(findings.c.id)
        for row in conn.execute(q):
            out[row.report_id].append(Finding(row.rule, row.severity, row.category, row.message, list(row.cells),
                                              row.location))
    return out


__all__ = ["Writer", "Outcome", "load_reports", "stored_findings", "recheck_cross_year", "NEW", "VERSION", "UNCHANGED", "FAILED"]
