"""The store's tables (SQLAlchemy Core): what a corpus of reports keeps.

Core rather than the ORM: ingest writes hundreds of reports a second in bulk, and every reader of the
store (stats, export, the web app) runs set queries, never object graphs.

- ``files``: every file ever ingested, by content hash; the hash makes ingest idempotent.
- ``units``: one row per reporting body (normalised name), with level and region path.
- ``unit_aliases``: names merged into another unit by the user, so later ingests follow the merge.
- ``unit_mapping``: the user's mapping file, kept so that later ingests apply it too.
- ``reports``: one row per ingested file that produced a report; a changed file of the same unit and
  year is a new version (``version`` + 1), the old one kept with ``is_current`` false.
- ``cells``: every cell the document gave (absent cells are not stored), with its provenance.
  ``cell_paths`` numbers the cell paths so that the biggest table stays narrow.
- ``figures``: the 总计 column of 表三 and all of 表四, one wide row per report, so that corpus
  statistics are one indexed scan instead of a pivot over millions of cells.
- ``findings``: the rule findings of each report (cross-year ones are replaced when a neighbour year
  changes).
"""
from __future__ import annotations

from sqlalchemy import (JSON, Boolean, Column, DateTime, Float, ForeignKey, Index, Integer, MetaData, SmallInteger,
                        String, Table, Text)

from .. import schema

metadata = MetaData()

files = Table(
    "files", metadata,
    Column("id", Integer, primary_key=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("path", Text, nullable=False),        # as given at ingest (the last time it was seen)
    Column("name", Text, nullable=False),        # the file name, for listings
    Column("size", Integer, nullable=False),
    Column("kind", String(16)),                  # the format read: txt, pdf, docx…
    Column("status", String(8), nullable=False),  # ok | partial | failed
    Column("error", Text),                       # why a failed file could not be read (Chinese)
    Column("ingested_at", DateTime(timezone=True), nullable=False),
)

units = Table(
    "units", metadata,
    Column("id", Integer, primary_key=True),
    Column("key", Text, nullable=False, unique=True),  # regions.normalize_unit(name)
    Column("name", Text, nullable=False),              # the name as printed (latest report)
    Column("level", String(16)),                       # regions level key: township, county, department…
    Column("region", Text),                            # "山西省/忻州市/河曲县", "/"-joined
    Column("parent", Text),                            # the key of the parent unit, when known
    Column("origin", String(8), nullable=False),       # name | mapping | manual: who set level/region
)

unit_aliases = Table(
    "unit_aliases", metadata,
    Column("key", Text, primary_key=True),  # a normalised name merged into another unit (`units merge`)
    Column("unit_id", Integer, ForeignKey("units.id", ondelete="CASCADE"), nullable=False),
)

unit_mapping = Table(
    "unit_mapping", metadata,
    Column("key", Text, primary_key=True),
    Column("unit", Text, nullable=False),
    Column("region", Text),
    Column("level", String(16)),
    Column("parent", Text),
)

reports = Table(
    "reports", metadata,
    Column("id", Integer, primary_key=True),
    Column("file_id", Integer, ForeignKey("files.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("unit_id", Integer, ForeignKey("units.id")),
    Column("year", SmallInteger),
    Column("version", SmallInteger, nullable=False),
    Column("is_current", Boolean, nullable=False),
    Column("format", String(8), nullable=False),
    Column("status", String(8), nullable=False),
    Column("unit_printed", Text),
    Column("title", Text),
    Column("report_date", String(10)),
    Column("n_errors", Integer, nullable=False),
    Column("n_warnings", Integer, nullable=False),
    Column("n_notices", Integer, nullable=False),
    Column("late", Boolean, nullable=False),           # a PUB-01 finding: published after the deadline
    Column("sections", JSON),                          # section key -> [heading, text, misplaced, source]
    Column("details", JSON),                           # table_formats, missing, extra, format_how
    Index("ix_reports_unit_year", "unit_id", "year"),
    Index("ix_reports_year_current", "year", "is_current"),
)

cell_paths = Table(
    "cell_paths", metadata,
    Column("id", Integer, primary_key=True),  # INTEGER: SQLite's rowid alias, numbered automatically
    Column("path", Text, nullable=False, unique=True),
)

cells = Table(
    "cells", metadata,
    Column("report_id", Integer, ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    Column("path_id", Integer, ForeignKey("cell_paths.id"), primary_key=True),
    Column("value", Float),
    Column("is_float", Boolean, nullable=False),  # printed with decimals (or converted): 25.0 stays 25.0
    Column("state", String(8), nullable=False),   # printed | blank | null | guessed (absent cells are not stored)
    Column("raw", Text),     # the text as printed, when it is not simply the value ("1,234", "/", "叁")
    Column("how", Text),     # what reading it involved (“千位分隔符”…)
    Column("source", Text),  # where it was printed: "l52" (line) or "p4 t2 r7 c3 k0.93 b72,100.5,120,112" (page, table, row, col, OCR confidence, box in points)
    sqlite_with_rowid=False,
)
# Few, narrow columns on purpose: this table gets ~200 rows per report, and the time to bind each
# column of each row is what limits ingest speed.


def figure_columns() -> list[tuple[str, str]]:
    """(column name, cell path) of ``figures``: 表三's 总计 column by row key, 表四's cells as group_field."""
    out = [(r.key, schema.app_path(r.key, "total")) for r in schema.APP_ROWS]
    out += [(f"{g}_{f}", f"review_litigation.{g}.{f}") for g, _ in schema.RL_GROUPS for f, _ in schema.RL_FIELDS]
    # 2019's single （六）其他处理 row (added by migration 0002)
    out.append(("other_processing_2019", "extra_2019.applications.other_processing.total"))
    return out


figures = Table(
    "figures", metadata,
    Column("report_id", Integer, ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    *(Column(name, Float) for name, _ in figure_columns()),
)

findings = Table(
    "findings", metadata,
    Column("id", Integer, primary_key=True),
    Column("report_id", Integer, ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
    Column("rule", String(16), nullable=False),
    Column("severity", String(8), nullable=False),
    Column("category", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("cells", JSON, nullable=False),
    Column("location", Text, nullable=False),
    Index("ix_findings_report", "report_id"),
    Index("ix_findings_rule", "rule"),
)

# ------------------------------------------------------------------ the web app (migration 0003)

settings = Table(
    "settings", metadata,
    Column("key", String(64), primary_key=True),  # e.g. "session_secret": one per store, shared by all servers
    Column("value", Text, nullable=False),
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", Text),
    Column("password_hash", Text, nullable=False),   # argon2id
    Column("role", String(16), nullable=False),      # viewer | reviewer | admin
    Column("active", Boolean, nullable=False),
    Column("auth_epoch", Integer, nullable=False),   # bumped on password change or disable: old sessions end
    Column("created_at", DateTime(timezone=True), nullable=False),
)

finding_reviews = Table(
    "finding_reviews", metadata,
    # A reviewer's decision on a finding. Keyed by what the finding is about (unit, year, rule, cells),
    # not by the findings row: findings are replaced when a report is re-checked or re-ingested, and
    # the decision must survive that.
    Column("id", Integer, primary_key=True),
    Column("unit_id", Integer, ForeignKey("units.id", ondelete="CASCADE"), nullable=False),
    Column("year", SmallInteger),
    Column("rule", String(16), nullable=False),
    Column("cells_key", Text, nullable=False),       # the finding's cells, sorted and "|"-joined
    Column("decision", String(16), nullable=False),  # confirmed | dismissed
    Column("note", Text, nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Index("ux_finding_reviews_key", "unit_id", "year", "rule", "cells_key", unique=True),
)

__all__ = ["metadata", "files", "units", "unit_aliases", "unit_mapping", "reports", "cell_paths", "cells", "figures", "findings",
           "figure_columns", "settings", "users", "finding_reviews"]
