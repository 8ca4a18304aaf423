"""Benchmark of the corpus store: ingest throughput, peak memory and store size, and query times,
at growing corpus sizes.

    .venv/bin/python bench/bench_store.py                         # 1,000 and 10,000 reports, SQLite
    .venv/bin/python bench/bench_store.py --sizes 1000,10000,100000
    .venv/bin/python bench/bench_store.py --sizes 10000 --postgres  # also into a real PostgreSQL

For each size N a realistic corpus is generated once (nianbao.synth.corpus: a province/city/county
tree of townships, subdistricts, departments and county governments, four years each, text reports
with carry-over chains and cross-year faults) and cached under --cache. A child process then runs
`nianbao.ingest.ingest` with the local process pool (--workers, default 2) into a fresh store and
reports wall time (without interpreter start-up), its own peak RSS and its workers' peak RSS. The
store's size on disk follows, then each query of QUERIES is timed (best of 3, warm). Targets
(issue 4): ingest ≥ 300 reports/s into SQLite on this 2-core machine; every query < 1 s at 100,000.
Not part of the test run; results go to bench/results/store.json (git-ignored).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

YEARS = (2021, 2022, 2023, 2024)
UNITS_PER_COUNTY = 1 + 14 + 10  # county government + townships + departments

CHILD = r"""
import json, resource, sys, time
from nianbao.batch import expand_paths
from nianbao.ingest import ingest
from nianbao.store.db import open_engine
folder, db, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
engine = open_engine(db)
from nianbao import regions
from nianbao.store.units import store_mapping
with engine.begin() as conn:
    store_mapping(conn, regions.load_mapping(folder + "/units.csv"))
paths = list(expand_paths([folder]))
t = time.perf_counter()
s = ingest(paths, engine, workers=workers)
dt = time.perf_counter() - t
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"files": len(paths), "seconds": dt, "reports_per_s": len(paths) / dt, "counts": dict(s.counts),
                  "main_peak_rss_mb": hwm, "worker_peak_rss_mb": kids, "executor": s.executor}))
"""


def corpus(n: int, cache: Path, flat: bool = False) -> Path:
    """A cached corpus of about n reports (whole counties of four years), or with ``flat`` n
    independent reports of random units (no unit has two years: no cross-year pairs to check)."""
    folder = cache / (f"flat-{n}" if flat else f"corpus-{n}")
    if (folder / ".complete").exists():
        return folder
    from nianbao.synth.corpus import make_corpus, make_flat
    if flat:
        t = time.perf_counter()
        c = make_flat(folder, random.Random(n), n, years=(2024,))
        (folder / ".complete").write_text(str(len(c.files)))
        print(f"  generated {len(c.files)} reports in {time.perf_counter() - t:.0f} s", flush=True)
        return folder
    counties = max(1, round(n / (UNITS_PER_COUNTY * len(YEARS))))
    cities = max(1, round(counties ** 0.5 / 2))
    t = time.perf_counter()
    c = make_corpus(folder, random.Random(n), provinces=1, cities=cities, counties=-(-counties // cities),
                    townships=14, departments=10, years=YEARS, missing=0.03, copy_narrative=0.05,
                    carry_mismatch=0.05, identical_tables=0.02, errors=0.05)
    (folder / ".complete").write_text(str(len(c.files)))
    print(f"  generated {len(c.files)} reports in {time.perf_counter() - t:.0f} s", flush=True)
    return folder


def _queries():
    """(name, function(engine)) — what reviewers and researchers ask a stored corpus."""
    from sqlalchemy import func, select

    from nianbao.store.query import Filter
    from nianbao.store.tables import reports, units

    def some_county(engine):
        with engine.connect() as conn:
            return conn.execute(select(units.c.parent).where(units.c.level == "township").limit(1)).scalar()

    def stats_by(by, **kw):
        def run(engine):
            from nianbao.store.stats import corpus_stats
            return corpus_stats(engine, Filter.of(**kw), by=by)
        return run

    def ranking(engine):
        from nianbao.store.stats import corpus_stats
        return corpus_stats(engine, Filter.of(years=[2024]), by="unit", rank="applications", top=20)

    def rollup(engine):
        from nianbao.store.rollup import rollup as run
        with engine.connect() as conn:
            return run(conn, some_county(engine), 2024)

    def count_with_errors(engine):
        with engine.connect() as conn:
            return conn.execute(select(reports.c.year, func.count()).where(reports.c.is_current, reports.c.n_errors > 0)
                                .group_by(reports.c.year)).all()

    def one_unit_history(engine):
        from nianbao.store.units import find_unit
        with engine.connect() as conn:
            name = conn.execute(select(units.c.key).order_by(units.c.id.desc()).limit(1)).scalar()
            u = find_unit(conn, name)
            return conn.execute(select(reports.c.year, reports.c.n_errors).where(reports.c.unit_id == u.id)).all()

    return [
        ("stats by year (whole corpus)", stats_by("year")),
        ("stats by region, 2024", stats_by("region", years=[2024])),
        ("stats by level", stats_by("level")),
        ("top 20 units by applications, 2024", ranking),
        ("roll-up of one county, 2024", rollup),
        ("reports with errors per year", count_with_errors),
        ("one unit's reports over the years", one_unit_history),
    ]


def time_queries(engine) -> dict[str, float]:
    out = {}
    for name, fn in _queries():
        try:
            fn(engine)  # warm
            best = min(_timed(fn, engine) for _ in range(3))
        except ImportError as exc:
            print(f"  {name}: skipped ({exc})")
            continue
        out[name] = best
        flag = "" if best < 1.0 else "   <-- over 1 s"
        print(f"  {name:<40} {best * 1000:8.1f} ms{flag}", flush=True)
    return out


def _timed(fn, engine) -> float:
    t = time.perf_counter()
    fn(engine)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "nianbao-bench-store"))
    ap.add_argument("--postgres", action="store_true", help="also ingest into a real PostgreSQL started here")
    ap.add_argument("--flat", action="store_true", help="independent reports (no cross-year pairs) instead of a "
                                                        "four-year corpus")
    args = ap.parse_args()
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    results = []
    server = None
    if args.postgres:
        from tests.pgserver import PostgresServer
        server = PostgresServer()
        server.start()
    try:
        for n in (int(x) for x in args.sizes.split(",")):
            print(f"N = {n}", flush=True)
            folder = corpus(n, cache, args.flat)
            targets = [("sqlite", str(cache / f"store-{n}.db"))]
            if server:
                targets.append(("postgresql", server.create_database(f"bench_{n}")))
            for kind, db in targets:
                if kind == "sqlite":
                    for suffix in ("", "-wal", "-shm"):
                        Path(db + suffix).unlink(missing_ok=True)
                r = subprocess.run([sys.executable, "-c", CHILD, str(folder), db, str(args.workers)],
                                   capture_output=True, text=True, cwd=ROOT)
                if r.returncode:
                    sys.exit(r.stderr)
                res = json.loads(r.stdout.strip().splitlines()[-1])
                from nianbao.store.db import open_engine
                engine = open_engine(db)
                res["store_mb"] = _size(engine, db, kind)
                print(f"  {kind}: ingest {res['files']} reports in {res['seconds']:.1f} s = "
                      f"{res['reports_per_s']:.0f} reports/s; main peak {res['main_peak_rss_mb']:.0f} MB, "
                      f"workers peak {res['worker_peak_rss_mb']:.0f} MB; store {res['store_mb']:.1f} MB", flush=True)
                res["queries_s"] = time_queries(engine)
                engine.dispose()
                results.append({"n": n, "db": kind, "corpus": "flat" if args.flat else "four years", **res})
    finally:
        if server:
            server.stop()
    out = ROOT / "bench" / "results" / ("store-flat.json" if args.flat else "store.json")
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    print(f"written {out}")


def _size(engine, db: str, kind: str) -> float:
    if kind == "sqlite":
        with engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return os.path.getsize(db) / 1e6
    with engine.connect() as conn:
        return conn.exec_driver_sql("select pg_database_size(current_database())").scalar() / 1e6


if __name__ == "__main__":
    main()
