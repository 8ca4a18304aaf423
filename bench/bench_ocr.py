"""Benchmark of the OCR reader: seconds per page and peak memory on generated scanned reports.

    .venv/bin/python bench/bench_ocr.py [--n 3] [--dpi 150] [--noise 0.02] [--rotate 0.3]

N generated reports are rendered as image-only PDFs (nianbao.synth.scan: LibreOffice's text PDF
rasterised like a scanner). A child process restricted to 2 CPUs, then to 1 CPU (sched_setaffinity,
as taskset does), reads every page through `readers.ocr.ocr_pdf_pages` and reports wall and CPU
seconds per page and its own peak RSS (VmHWM). The first page is read before timing (model load).
Targets (issue): ≤ 5 s per page on 2 cores, peak memory < 500 MB. Also prints how many cells of
the report differ from the generator's truth. Not part of the test run; results go to
bench/results/ocr.json (git-ignored).
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

CHILD = r"""
import json, os, sys, time
cpus = [int(c) for c in sys.argv[2].split(",")]
os.sched_setaffinity(0, set(cpus))
sys.path.insert(0, sys.argv[3])
from nianbao.readers.ocr import ocr_pdf_pages
from nianbao.document import Document
from nianbao.recognize import recognize
from tests.helpers import same
jobs = json.load(open(sys.argv[1]))
first = jobs[0]
ocr_pdf_pages(first["pdf"], open(first["pdf"], "rb").read(), [1])   # model load, not counted
pages = 0; wall = 0.0; cpu = 0.0; wrong = 0; cells = 0
for job in jobs:
    data = open(job["pdf"], "rb").read()
    t, c = time.perf_counter(), time.process_time()
    blocks = ocr_pdf_pages(job["pdf"], data, list(range(1, job["pages"] + 1)))
    wall += time.perf_counter() - t; cpu += time.process_time() - c
    pages += job["pages"]
    flat = recognize(Document(path=job["pdf"], blocks=blocks, kind="ocr")).flat()
    cells += len(job["expected"])
    wrong += sum(not same(flat.get(p), v) for p, v in job["expected"].items())
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024
print(json.dumps({"pages": pages, "s_per_page": wall / pages, "cpu_s_per_page": cpu / pages,
                  "peak_rss_mb": hwm, "cells": cells, "wrong_cells": wrong}))
"""


def render(n: int, out: Path, dpi: int, noise: float, rotate: float) -> list[dict]:
    import pypdfium2 as pdfium

    from nianbao.synth import random_report
    from nianbao.synth.scan import render_scan
    jobs = []
    for i in range(n):
        rng = random.Random(20_000 + i)
        rep = random_report(rng, fmt="2021" if i % 2 == 0 else "2019")
        data, expected = render_scan(rep, rng, dpi=dpi, noise=noise, rotate_deg=rotate * (1 if i % 2 else -1))
        path = out / f"scan{i}.pdf"
        path.write_bytes(data)
        pdf = pdfium.PdfDocument(data)
        jobs.append({"pdf": str(path), "pages": len(pdf), "expected": expected})
        pdf.close()
    return jobs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=3)
    ap.add_argument("--dpi", type=int, default=150)
    ap.add_argument("--noise", type=float, default=0.0)
    ap.add_argument("--rotate", type=float, default=0.0)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "ocr.json"))
    a = ap.parse_args()
    avail = sorted(os.sched_getaffinity(0))
    configs = [("2 cores", avail[:2])] if len(avail) >= 2 else []
    configs.append(("1 core", avail[:1]))
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        jobs = render(a.n, Path(tmp), a.dpi, a.noise, a.rotate)
        listing = Path(tmp) / "jobs.json"
        listing.write_text(json.dumps(jobs, ensure_ascii=False))
        print(f"OCR of {a.n} generated scanned reports ({sum(j['pages'] for j in jobs)} pages, {a.dpi} DPI, "
              f"noise {a.noise}, rotation ±{a.rotate}°), rendered in {time.perf_counter() - t0:.0f} s")
        print(f"{'CPUs':>8} | {'s/page':>6} | {'CPU s/page':>10} | {'peak MB':>7} | wrong cells")
        for name, cpus in configs:
            env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
            env.pop("NIANBAO_OCR_THREADS", None)
            proc = subprocess.run([sys.executable, "-c", CHILD, str(listing), ",".join(map(str, cpus)), str(ROOT)],
                                  capture_output=True, text=True, env=env, check=False)
            if proc.returncode:
                print(f"{name:>8} | failed: {proc.stderr.strip()[-400:]}")
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            results[name] = r
            ok = "OK" if r["s_per_page"] <= 5 and r["peak_rss_mb"] < 500 else "OVER TARGET"
            print(f"{name:>8} | {r['s_per_page']:6.2f} | {r['cpu_s_per_page']:10.2f} | {r['peak_rss_mb']:7.0f} | "
                  f"{r['wrong_cells']}/{r['cells']} {ok}")
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
