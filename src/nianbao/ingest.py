"""``nianbao ingest``: read, check and store many files, idempotently and crash-safely.

The main process hashes every file (SHA-256 of its content) and asks the store which hashes it has:
those files are skipped without being read, which is what makes a re-ingest free and a rerun after a
crash finish the job without duplicates. The others are read and checked by an executor (a local
process pool, or a Dask cluster) in chunks, and written by this process alone in batches, each one
transaction. Results come back in input order, so when two files of the same unit and year are
ingested together the one given later becomes the current version.
"""
from __future__ import annotations

import contextlib
import gc
import hashlib
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import delete, select

from .batch import check_file
from .config import Config
from .executors import make_executor
from .store.codec import Record, record_of
from .store.tables import files
from .store.writer import FAILED, NEW, UNCHANGED, VERSION, Outcome, Writer

CHUNK = 8          # files per task sent to a worker
BATCH = 200        # records per write transaction
FLUSH_SECONDS = 2  # write at least this often, so progress and crash-safety do not wait for a full batch


@dataclass(slots=True)
class IngestSummary:
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0
    executor: str = ""

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)

    @property
    def counts(self) -> Counter:
        return Counter(o.action for o in self.outcomes)


def hash_file(path: str) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def read_records(task: tuple[list[tuple[str, str, int]], Config | None]) -> list[Record]:
    """The worker's job (a module-level function, so process pools and Dask can pickle it)."""
    items, config = task
    out = []
    for path, sha, size in items:
        r = check_file(path, config)
        out.append(record_of(path, sha, size, r.status, r.error, r.kind, r.report, r.findings))
    return out


def ingest(paths: Iterable[str], engine, *, workers: int | None = None, cluster: str | None = None,
           config: Config | None = None, retry_failed: bool = False, batch: int = BATCH,
           on_start: Callable[[int, int], None] | None = None,
           on_outcome: Callable[[Outcome], None] | None = None) -> IngestSummary:
    """Ingest ``paths`` (files as given; expand folders before) into the store behind ``engine``.

    ``on_start(total, to_read)`` is called once the files are hashed, ``on_outcome`` once per file.
    """
    with _quiet_gc():
        return _ingest(paths, engine, workers, cluster, config, retry_failed, batch, on_start, on_outcome)


@contextlib.contextmanager
def _quiet_gc():
    """Fewer garbage-collector passes while writing: a batch creates hundreds of thousands of small
    objects (cell rows, rebuilt reports) that are all freed by reference counting, and the default
    thresholds made the collector scan the whole heap over and over (a third of the writer's time)."""
    old = gc.get_threshold()
    gc.collect()
    gc.freeze()  # what exists before the ingest (imports, caches) is never scanned again
    gc.set_threshold(50_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


def _ingest(paths, engine, workers, cluster, config, retry_failed, batch, on_start, on_outcome) -> IngestSummary:
    t0 = time.perf_counter()
    summary = IngestSummary()
    writer = Writer(engine, config)

    def emit(o: Outcome) -> None:
        summary.outcomes.append(o)
        if on_outcome:
            on_outcome(o)

    paths = list(paths)
    # Start the workers first: forked from a small process, they do not each carry a copy of the
    # hash lists built below (100,000 files → a few hundred MB of copy-on-write pages otherwise).
    executor = make_executor(1 if len(paths) < 2 * CHUNK and not cluster else workers, cluster)
    try:
        return _run(executor, paths, engine, writer, summary, emit, config, retry_failed, batch, on_start, t0)
    finally:
        executor.close()


def _run(executor, paths, engine, writer, summary, emit, config, retry_failed, batch, on_start, t0) -> IngestSummary:
    hashed: list[tuple[str, str, int]] = []
    unreadable: list[Outcome] = []
    seen: dict[str, str] = {}
    duplicates: list[Outcome] = []
    for p in paths:
        try:
            sha, size = hash_file(p)
        except FileNotFoundError:
            unreadable.append(Outcome(p, FAILED, "failed", "文件不存在"))
            continue
        except IsADirectoryError:
            unreadable.append(Outcome(p, FAILED, "failed", "这是一个文件夹"))
            continue
        except OSError as exc:
            unreadable.append(Outcome(p, FAILED, "failed", f"无法读取文件（{exc.strerror or exc}）"))
            continue
        if sha in seen:
            duplicates.append(Outcome(p, UNCHANGED, None, f"与 {seen[sha]} 内容相同"))
            continue
        seen[sha] = p
        hashed.append((p, sha, size))
    if retry_failed:
        _forget_failed(engine, [sha for _, sha, _ in hashed])
    known = writer.known([sha for _, sha, _ in hashed])
    todo = [h for h in hashed if h[1] not in known]
    if on_start:
        on_start(len(paths), len(todo))
    for o in unreadable + duplicates:
        emit(o)
    for p, sha, _ in hashed:
        if sha in known:
            emit(Outcome(p, UNCHANGED))

    if todo:
        summary.executor = executor.name
        tasks = [(todo[i:i + CHUNK], config) for i in range(0, len(todo), CHUNK)]
        buffer: list[Record] = []
        last = time.monotonic()
        for records in executor.map(read_records, tasks):
            buffer += records
            if len(buffer) >= batch or time.monotonic() - last > FLUSH_SECONDS:
                for o in writer.write(buffer):
                    emit(o)
                buffer, last = [], time.monotonic()
        if buffer:
            for o in writer.write(buffer):
                emit(o)
    summary.seconds = time.perf_counter() - t0
    return summary


def _forget_failed(engine, hashes: list[str]) -> None:
    """--retry-failed: files stored as unreadable are read again (a newer nianbao may read them)."""
    with engine.begin() as conn:
        for i in range(0, len(hashes), 500):
            chunk = hashes[i:i + 500]
            failed = conn.execute(select(files.c.id).where(files.c.sha256.in_(chunk), files.c.status == "failed"))
            ids = list(failed.scalars())
            if ids:
                conn.execute(delete(files).where(files.c.id.in_(ids)))


__all__ = ["ingest", "IngestSummary", "hash_file", "read_records", "NEW", "VERSION", "UNCHANGED", "FAILED"]
