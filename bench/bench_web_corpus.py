"""Benchmark of the corpus pages of the web app at 100,000 stored reports (issue 6: < 500 ms each).

    .venv/bin/python bench/bench_web_corpus.py                       # build /tmp/bench-web/store-100000.db once, then time
    .venv/bin/python bench/bench_web_corpus.py --size 10000          # a quicker run on a smaller corpus
    .venv/bin/python bench/bench_web_corpus.py --store /path/to.db   # reuse any store

The corpus is generated like bench/bench_store.py does (the same generator and cache, so a corpus made
by that benchmark is reused), then ingested once, in a child process, into --dir (kept between runs:
building 100,000 reports takes minutes). Each page and API call is then requested with Starlette's
TestClient as a logged-in viewer: the first call (cold caches) and then the best of 3, in milliseconds. Results go to
bench/results/web.json. Not part of the test run.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

TARGET_MS = 500.0


def build_store(size: int, directory: Path, cache: Path, workers: int) -> Path:
    """The store of a ~size corpus under directory, built once (a `.complete` marker beside it)."""
    import bench_store
    db = directory / f"store-{size}.db"
    marker = Path(str(db) + ".complete")
    if db.exists() and marker.exists():
        return db
    directory.mkdir(parents=True, exist_ok=True)
    cache.mkdir(parents=True, exist_ok=True)
    folder = bench_store.corpus(size, cache)
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    print(f"ingesting {folder} into {db} …", flush=True)
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", bench_store.CHILD, str(folder), str(db), str(workers)],
                       capture_output=True, text=True, cwd=ROOT)
    if r.returncode:
        sys.exit(r.stderr)
    print(f"  built in {time.perf_counter() - t:.0f} s: {r.stdout.strip().splitlines()[-1]}", flush=True)
    marker.write_text("ok")
    return db


def _cases(engine) -> list[tuple[str, str]]:
    """(name, URL) of each page and API call, with a real county, unit and deep cursor of the store."""
    from sqlalchemy import func, select

    from nianbao.store.tables import reports, units
    from nianbao.web.corpus import View, encode_cursor
    with engine.connect() as conn:
        county, region = conn.execute(select(units.c.parent, units.c.region).where(units.c.level == "township")
                                      .order_by(units.c.id.desc()).limit(1)).first()
        county_name = region.split("/")[-2] if region.count("/") >= 1 else region
        year = conn.execute(select(func.max(reports.c.year))).scalar()
        unit_id = conn.execute(select(reports.c.unit_id).where(reports.c.n_warnings > 0).order_by(reports.c.id.desc())
                               .limit(1)).scalar()
        n = conn.execute(select(func.count()).select_from(reports).where(reports.c.is_current)).scalar()
        # the row in the middle of the default order (year desc, id desc): a cursor as page n/100 gives it
        mid = conn.execute(select(reports.c.year, reports.c.id).where(reports.c.is_current)
                           .order_by(reports.c.year.desc(), reports.c.id.desc()).offset(n // 2).limit(1)).first()
        mid_unit = conn.execute(select(func.coalesce(units.c.name, "")).select_from(reports)
                                .outerjoin(units, units.c.id == reports.c.unit_id).where(reports.c.is_current)
                                .order_by(func.coalesce(units.c.name, ""), reports.c.id).offset(n // 2).limit(1)).scalar()
    deep = encode_cursor(mid.year, mid.id)
    from urllib.parse import quote
    r = quote(county_name)
    return [
        ("/corpus (first page)", "/corpus"),
        ("/corpus (deep page, middle of the corpus)", f"/corpus?cursor={deep}"),
        ("/corpus sorted by unit (deep page)", f"/corpus?sort=unit&dir=asc&cursor={encode_cursor(mid_unit, 10**9)}"),
        ("/corpus filtered by region + year", f"/corpus?region={r}&year={year}"),
        ("/corpus filtered by level + errors", "/corpus?level=township&errors=1"),
        ("/corpus htmx fragment", "/corpus?year=" + str(year)),
        ("/api/reports (first page)", "/api/reports"),
        ("/api/reports (deep page)", f"/api/reports?cursor={deep}"),
        ("/api/reports region + year", f"/api/reports?region={r}&year={year}"),
        ("/units (search)", "/units?q=" + quote(county_name)),
        ("/units/{id}", f"/units/{unit_id}"),
        ("/api/units/{id}", f"/api/units/{unit_id}"),
        ("/regions/rollup (a county)", f"/regions/rollup?region={r}&year={year}"),
        ("/api/rollup (a county)", f"/api/rollup?region={r}&year={year}"),
        ("/dashboard (whole corpus)", "/dashboard"),
        ("/dashboard by region", "/dashboard?by=region"),
        ("/dashboard/chart/trend.svg", "/dashboard/chart/trend.svg"),
        ("/dashboard/chart/outcomes.svg", "/dashboard/chart/outcomes.svg"),
        ("/dashboard/chart/errors.svg", "/dashboard/chart/errors.svg"),
        ("/dashboard/chart/trend.svg by level", "/dashboard/chart/trend.svg?by=level"),
        ("/api/stats?by=region", "/api/stats?by=region"),
    ], county


def time_pages(db: Path) -> list[dict]:
    import warnings
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from nianbao.store.tables import users
    from nianbao.web import WebSettings, create_app
    from nianbao.web.auth import create_user
    app = create_app(WebSettings(db=str(db), data_dir=str(db) + ".files"))
    with app.state.engine.connect() as conn:
        known = conn.execute(select(users.c.id).where(users.c.username == "bench")).first()
    if not known:
        create_user(app.state.engine, "bench", "bench-password", "viewer")
    out = []
    with TestClient(app) as client:
        r = client.post("/api/login", json={"username": "bench", "password": "bench-password"})
        assert r.status_code == 200, r.text
        cases, county = _cases(app.state.engine)
        print(f"  (county {county}; target < {TARGET_MS:.0f} ms)")
        for name, url in cases:
            headers = {"HX-Request": "true", "HX-Target": "corpus-results"} if "htmx" in name else {}
            t = time.perf_counter()
            r = client.get(url, headers=headers)  # the first call: cold caches (stats, roll-up, charts)
            first = (time.perf_counter() - t) * 1000
            if r.status_code != 200:
                print(f"  {name:<45} HTTP {r.status_code}: {r.text[:200]}")
                out.append({"name": name, "url": url, "status": r.status_code, "ms": None})
                continue
            times = []
            for _ in range(3):
                t = time.perf_counter()
                client.get(url, headers=headers)
                times.append((time.perf_counter() - t) * 1000)
            best = min(times)
            flag = "" if best < TARGET_MS else "   <-- over target"
            print(f"  {name:<45} {best:8.1f} ms  (first {first:7.1f} ms, {len(r.content) // 1024} KB){flag}", flush=True)
            out.append({"name": name, "url": url, "status": 200, "ms": round(best, 1), "first_ms": round(first, 1),
                        "bytes": len(r.content)})
    app.state.engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=100000, help="about how many reports (default 100000)")
    ap.add_argument("--store", help="time an existing store (a SQLite file) instead of building one")
    ap.add_argument("--dir", default="/tmp/bench-web", help="where built stores are kept between runs")
    ap.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "nianbao-bench-store"),
                    help="generated corpora (shared with bench_store.py)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    db = Path(args.store) if args.store else build_store(args.size, Path(args.dir), Path(args.cache), args.workers)
    import sqlite3
    with sqlite3.connect(db) as c:
        n = c.execute("select count(*) from reports").fetchone()[0]
    print(f"store {db}: {n} reports", flush=True)
    results = time_pages(db)
    out = ROOT / "bench" / "results" / "web.json"
    out.parent.mkdir(exist_ok=True)
    over = [r["name"] for r in results if r["ms"] is None or r["ms"] >= TARGET_MS]
    out.write_text(json.dumps({"store": str(db), "reports": n, "target_ms": TARGET_MS, "pages": results,
                               "over_target": over}, ensure_ascii=False, indent=1))
    print(f"written {out}" + (f"; over target: {', '.join(over)}" if over else "; every page under target"))


if __name__ == "__main__":
    main()
