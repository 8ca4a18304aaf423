"""Building stores for tests: ingest real files into a fresh store (SQLite or PostgreSQL)."""
from __future__ import annotations

from pathlib import Path

from nianbao.ingest import ingest
from nianbao.store.db import open_engine

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
# the four single example reports (examples/ also holds the 玉乐县 corpus folder)
EXAMPLE_FILES = sorted(p for p in EXAMPLES.iterdir() if p.is_file())


def ingest_into(db_url: str, paths, *, workers: int = 1, config=None, **kw):
    """Open (and migrate) the store at ``db_url``, ingest ``paths`` (files, in order); returns
    (engine, IngestSummary)."""
    from nianbao.batch import expand_paths
    engine = open_engine(db_url)
    summary = ingest(list(expand_paths([str(p) for p in paths])), engine, workers=workers, config=config, **kw)
    return engine, summary
