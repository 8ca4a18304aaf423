"""Reviewers' decisions on findings: confirmed (确认) or dismissed (排除), with a note.

A decision is keyed by what the finding is about — unit, year, rule and the finding's cells — and not
by the `findings` row: those rows are replaced whenever a report is re-checked or a new version of it
is ingested, and a reviewer who dismissed "T3-03 on 表三（一）予以公开·自然人" must not have to do it
again because the clerk re-uploaded the same report with a corrected narrative.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from ..model import Finding
from .tables import finding_reviews, users

DECISIONS = ("confirmed", "dismissed")
DECISION_NAME = {"confirmed": "确认", "dismissed": "排除"}


@dataclass(frozen=True, slots=True)
class Decision:
    rule: str
    cells_key: str
    decision: str        # confirmed | dismissed
    note: str
    user: str | None     # who decided (display name or user name), None when the user was deleted
    decided_at: dt.datetime

    @property
    def name(self) -> str:
        return DECISION_NAME.get(self.decision, self.decision)

    def to_dict(self) -> dict:
        return {"rule": self.rule, "cells": self.cells_key.split("|") if self.cells_key else [],
                "decision": self.decision, "note": self.note, "user": self.user,
                "decided_at": self.decided_at.isoformat() if self.decided_at else None}


def cells_key(cells) -> str:
    """The finding's cells as the decision's key: sorted (the order a rule lists them in is not part
    of what the finding is about) and "|"-joined."""
    return "|".join(sorted(set(cells or ())))


def key_of(finding: Finding) -> tuple[str, str]:
    return finding.rule, cells_key(finding.cells)


def decisions_for(conn: Connection, unit_id: int | None, year: int | None) -> dict[tuple[str, str], Decision]:
    """Every decision about the findings of (unit, year), by (rule, cells_key)."""
    if unit_id is None:
        return {}
    q = (select(finding_reviews, users.c.username, users.c.display_name)
         .outerjoin(users, users.c.id == finding_reviews.c.user_id)
         .where(finding_reviews.c.unit_id == unit_id, finding_reviews.c.year == year))
    out = {}
    for row in conn.execute(q):
        who = row.display_name or row.username
        out[(row.rule, row.cells_key)] = Decision(row.rule, row.cells_key, row.decision, row.note, who,
                                                  row.decided_at)
    return out


def set_decision(engine: Engine, unit_id: int, year: int | None, rule: str, cells, decision: str, note: str,
                 user_id: int | None) -> None:
    """Record (or replace) the decision on the finding (unit, year, rule, cells)."""
    if decision not in DECISIONS:
        raise ValueError(decision)
    key = cells_key(cells)
    values = {"decision": decision, "note": note or "", "user_id": user_id,
              "decided_at": dt.datetime.now(dt.timezone.utc)}
    where = (finding_reviews.c.unit_id == unit_id, finding_reviews.c.year == year,
             finding_reviews.c.rule == rule, finding_reviews.c.cells_key == key)
    for _ in range(2):  # a concurrent first decision on the same finding: the second one updates it
        try:
            with engine.begin() as conn:
                done = conn.execute(update(finding_reviews).where(*where).values(**values)).rowcount
                if not done:
                    conn.execute(insert(finding_reviews).values(unit_id=unit_id, year=year, rule=rule,
                                                                cells_key=key, **values))
            return
        except IntegrityError:
            continue


__all__ = ["Decision", "DECISIONS", "DECISION_NAME", "cells_key", "key_of", "decisions_for", "set_decision"]
