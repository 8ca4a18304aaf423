"""Benchmark of `check` per document format: reports/second on ONE core and peak memory.

    .venv/bin/python bench/bench_formats.py [--n 200] [--formats html,docx,xlsx,txt]

For each format, N generated reports (nianbao.synth, consistent random data) are rendered to files,
then a child process pinned to one CPU runs `nianbao.batch.check_file` over them and reports the
throughput and its own peak RSS. Targets (issue 3): text PDF ≥ 10/s (a 5-page report), HTML ≥ 100/s, DOCX ≥ 50/s; text ≥ 300/s
(issue 2). PDF and DOC files are rendered through LibreOffice (slow), so a few unique files are
repeated to N; reading never caches across files, so repeats cost the same as new files.
OCR has its own benchmark (bench/bench_ocr.py).
Not part of the test run; results go to bench/results/formats.json (git-ignored).
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

TARGETS = {"txt": 300.0, "html": 100.0, "docx": 50.0, "xlsx": 50.0, "pdf": 10.0}
# Formats whose rendering goes through LibreOffice (~2 s a file): this many unique files, repeated to N.
UNIQUE = {"pdf": 12, "doc": 6}

CHILD = r"""
import json, os, sys, time
os.sched_setaffinity(0, {int(sys.argv[2])})
from nianbao.batch import check_file
files = json.load(open(sys.argv[1]))
check_file(files[0])                      # imports and caches, not counted
t = time.perf_counter()
statuses = {}
for f in files:
    r = check_file(f)
    statuses[r.status] = statuses.get(r.status, 0) + 1
dt = time.perf_counter() - t
# VmHWM, not ru_maxrss: on Linux ru_maxrss survives exec and would report the parent's peak.
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024
print(json.dumps({"files": len(files), "seconds": dt, "reports_per_s": len(files) / dt,
                  "peak_rss_mb": hwm, "statuses": statuses}))
"""


def render(fmt: str, n: int, out: Path) -> list[str]:
    from nianbao.synth import random_report, render_file
    files = []
    for i in range(min(n, UNIQUE.get(fmt, n))):
        rng = random.Random(10_000 + i)
        rep = random_report(rng, fmt="2021" if i % 4 else "2019")
        path = out / f"r{i}.{fmt}"
        if fmt == "txt":
            render_file(rep, path, rng, "tsv", ())
        elif fmt == "html":
            from nianbao.synth.html import render_html
            path.write_bytes(render_html(rep, rng)[0])
        elif fmt == "docx":
            from nianbao.synth.docx import render_docx
            path.write_bytes(render_docx(rep, rng)[0])
        elif fmt == "xlsx":
            from nianbao.synth.xlsx import render_xlsx
            path.write_bytes(render_xlsx(rep, rng)[0])
        elif fmt == "pdf":  # a 5-page report exported by LibreOffice, 表三 over three pages
            from nianbao.synth.pdf import render_pdf
            path.write_bytes(render_pdf(rep, rng)[0])
        elif fmt == "doc":  # Word 97 binary: every read converts it with LibreOffice
            from nianbao.libreoffice import convert
            from nianbao.synth.docx import render_docx
            path.write_bytes(convert(render_docx(rep, rng)[0], ".docx", "doc"))
        files.append(str(path))
    return (files * (n // len(files) + 1))[:n]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--formats", default="txt,html,docx,xlsx,pdf")
    ap.add_argument("--cpu", type=int, default=0)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "formats.json"))
    a = ap.parse_args()
    results = {}
    print(f"nianbao check per format — {a.n} generated reports each, pinned to CPU {a.cpu}")
    print(f"{'format':>6} | {'reports/s':>9} | {'target':>6} | {'peak MB':>7} | statuses")
    for fmt in a.formats.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            try:
                files = render(fmt, a.n, Path(tmp))
            except ImportError as exc:
                print(f"{fmt:>6} | renderer missing ({exc})")
                continue
            listing = Path(tmp) / "files.json"
            listing.write_text(json.dumps(files))
            env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
            proc = subprocess.run([sys.executable, "-c", CHILD, str(listing), str(a.cpu)], capture_output=True,
                                  text=True, env=env)
            if proc.returncode:
                print(f"{fmt:>6} | failed: {proc.stderr.strip()[-300:]}")
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            r["render_s"] = time.perf_counter() - t0
            results[fmt] = r
            ok = "OK" if r["reports_per_s"] >= TARGETS.get(fmt, 0) else "BELOW"
            print(f"{fmt:>6} | {r['reports_per_s']:9.1f} | {TARGETS.get(fmt, 0):6.0f} | {r['peak_rss_mb']:7.1f} | "
                  f"{r['statuses']} {ok}")
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
