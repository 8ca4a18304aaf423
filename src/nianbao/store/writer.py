"""Writing checked files into the store: one transaction per batch, so a killed ingest leaves either
the whole batch or none of it, and the content hash makes a rerun skip what was committed.

Within the batch's transaction the writer also keeps the cross-year findings right: a report that
becomes the current one for its unit and year is checked against the previous year (XY rules), and
the following year's report is checked again against it.
"""
from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from ..model import Finding, Report
from ..rules import catalogue
from ..rules.base import Context
from .codec import Record, figure_values, report_from_rows
from .tables import cell_paths, cells, figure_columns, figures, files, findings, reports
from .units import UnitResolver

NEW, VERSION, UNCHANGED, FAILED = "new", "version", "unchanged", "failed"
_FIGURES = figure_columns()


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
                    return self._write(conn, records)
            except IntegrityError:
                self._path_ids.clear()
                self.units.forget()
        with self.engine.begin() as conn:
            return self._write(conn, records)

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

        placed = []
        for (i, r), file_id in zip(fresh, file_ids):
            if not r.has_report:
                outcomes[i] = Outcome(r.path, FAILED, r.status, r.error)
                continue
            unit_id = self.units.unit_id(conn, r.unit)
            version, action = 1, NEW
            if unit_id is not None and r.year is not None:
                prev = conn.execute(select(reports.c.id, reports.c.version).where(
                    reports.c.unit_id == unit_id, reports.c.year == r.year, reports.c.is_current)).first()
                if prev is not None:  # a changed file of the same unit and year: keep the old one
                    conn.execute(update(reports).where(reports.c.id == prev.id).values(is_current=False))
                    version, action = prev.version + 1, VERSION
            counts = Counter(f.severity for f in r.findings)
            # One insert per report (not one per batch): a later file of the same unit and year in this
            # batch must find this one as the current version.
            rid = conn.execute(insert(reports).returning(reports.c.id), [{
                "file_id": file_id, "unit_id": unit_id, "year": r.year, "version": version, "is_current": True,
                "format": r.format, "status": r.status, "unit_printed": r.unit, "title": r.title,
                "report_date": r.report_date, "n_errors": counts["error"], "n_warnings": counts["warning"],
                "n_notices": counts["notice"], "late": any(f.rule == "PUB-01" for f in r.findings),
                "sections": r.sections, "details": r.details}]).scalar_one()
            outcomes[i] = Outcome(r.path, action, r.status, None, r.unit, r.year, version, rid,
                                  counts["error"], counts["warning"])
            placed.append((i, r))

        cell_rows, figure_rows, finding_rows = [], [], []
        for i, r in placed:
            rid = outcomes[i].report_id
            for c in r.cells:
                cell_rows.append({"report_id": rid, "path_id": self._path_id(conn, c[0]), "value": c[1],
                                  "is_float": c[2], "state": c[3], "raw": c[4], "how": c[5], "line": c[6],
                                  "page": c[7], "tbl": c[8], "row": c[9], "col": c[10], "confidence": c[11],
                                  "extra": c[12]})
            figure_rows.append({"report_id": rid, **figure_values(r.cells, _FIGURES)})
            finding_rows += [_finding_row(rid, f) for f in r.findings]
        if cell_rows:
            conn.execute(insert(cells), cell_rows)
        if figure_rows:
            conn.execute(insert(figures), figure_rows)
        if finding_rows:
            conn.execute(insert(findings), finding_rows)
        self._cross_year(conn, [outcomes[i].report_id for i, r in placed if r.year is not None], outcomes)
        return [outcomes[i] for i in range(len(records))]

    def _path_id(self, conn: Connection, path: str) -> int:
        pid = self._path_ids.get(path)
        if pid is None:
            if not self._path_ids:
                self._path_ids.update((p, i) for i, p in conn.execute(select(cell_paths.c.id, cell_paths.c.path)))
                pid = self._path_ids.get(path)
            if pid is None:
                pid = conn.execute(insert(cell_paths).returning(cell_paths.c.id), [{"path": path}]).scalar_one()
                self._path_ids[path] = pid
        return pid

    # ------------------------------------------------------------------ cross-year rules
    def _cross_year(self, conn: Connection, new_ids: list[int], outcomes: dict[int, Outcome]) -> None:
        """Run the XY rules for the new current reports and for the year after each of them."""
        rules = [r for r in catalogue() if r.family == "XY"]
        if not rules or not new_ids:
            return
        keyed = {row.id: (row.unit_id, row.year) for row in conn.execute(
            select(reports.c.id, reports.c.unit_id, reports.c.year).where(
                reports.c.id.in_(new_ids), reports.c.is_current, reports.c.unit_id.is_not(None)))}
        if not keyed:
            return
        pairs = {k for k in keyed.values()}
        wanted = {(u, y - 1) for u, y in pairs} | {(u, y + 1) for u, y in pairs} | pairs
        current = _current_ids(conn, wanted)
        targets = {current[(u, y)] for u, y in pairs if (u, y) in current}
        targets |= {current[(u, y + 1)] for u, y in pairs if (u, y + 1) in current}
        by_id = {rid: key for key, rid in current.items()}
        needed = set(targets) | {current[(by_id[t][0], by_id[t][1] - 1)] for t in targets
                                 if (by_id[t][0], by_id[t][1] - 1) in current}
        loaded = load_reports(conn, sorted(needed))
        conn.execute(delete(findings).where(findings.c.report_id.in_(targets), findings.c.rule.like("XY-%")))
        rows = []
        for t in sorted(targets):
            u, y = by_id[t]
            prev_id = current.get((u, y - 1))
            ctx = Context(self.config, loaded.get(prev_id) if prev_id else None)
            if ctx.previous is None:
                continue
            for rule in rules:
                rows += [_finding_row(t, f) for f in rule.check(loaded[t], ctx)]
        if rows:
            conn.execute(insert(findings), rows)
        _recount(conn, sorted(targets))
        for o in outcomes.values():
            if o.report_id in targets:
                row = conn.execute(select(reports.c.n_errors, reports.c.n_warnings).where(
                    reports.c.id == o.report_id)).one()
                o.errors, o.warnings = row.n_errors, row.n_warnings


def _finding_row(report_id: int, f: Finding) -> dict:
    return {"report_id": report_id, "rule": f.rule, "severity": f.severity, "category": f.category,
            "message": f.message, "cells": list(f.cells), "location": f.location}


def _current_ids(conn: Connection, keys: set[tuple[int, int]]) -> dict[tuple[int, int], int]:
    out: dict[tuple[int, int], int] = {}
    units_ = sorted({u for u, _ in keys})
    for i in range(0, len(units_), 500):
        q = select(reports.c.id, reports.c.unit_id, reports.c.year).where(
            reports.c.unit_id.in_(units_[i:i + 500]), reports.c.is_current)
        for row in conn.execute(q):
            if (row.unit_id, row.year) in keys:
                out[(row.unit_id, row.year)] = row.id
    return out


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


def load_reports(conn: Connection, ids: list[int]) -> dict[int, Report]:
    """Rebuild stored reports (values, states, provenance, sections) by id."""
    out: dict[int, Report] = {}
    if not ids:
        return out
    by_report: dict[int, list] = {i: [] for i in ids}
    metas: dict[int, dict] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        q = select(reports, files.c.path).join(files, files.c.id == reports.c.file_id).where(reports.c.id.in_(chunk))
        for row in conn.execute(q):
            metas[row.id] = row._asdict()
        q = select(cells.c.report_id, cell_paths.c.path, cells.c.value, cells.c.is_float, cells.c.state, cells.c.raw,
                   cells.c.how, cells.c.line, cells.c.page, cells.c.tbl, cells.c.row, cells.c.col, cells.c.confidence,
                   cells.c.extra).join(cell_paths, cell_paths.c.id == cells.c.path_id).where(
                       cells.c.report_id.in_(chunk))
        for row in conn.execute(q):
            by_report[row[0]].append(tuple(row[1:]))
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


__all__ = ["Writer", "Outcome", "load_reports", "stored_findings", "NEW", "VERSION", "UNCHANGED", "FAILED"]
