"""Benchmark of report rendering (issue 5): DOCX and PDF reports per second, one process.

    .venv/bin/python bench/bench_render.py [--n 40] [--batch 20]

N generated reports (nianbao.synth, consistent data) are rendered: DOCX one by one
(`outputs.render.render_bytes`), PDF one by one (a LibreOffice run per report) and in batches
(`outputs.render.render_many`: one LibreOffice run per --batch reports). Targets: DOCX ≥ 20/s,
PDF ≥ 2/s. Not part of the test run; results go to bench/results/render.json (git-ignored).
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--batch", type=int, default=20)
    args = ap.parse_args()
    from nianbao.outputs.render import render_bytes, render_many
    from nianbao.synth.data import random_report
    from tests.test_render import to_report
    reps = [to_report(random_report(random.Random(i))) for i in range(args.n)]
    out = {}
    t = time.perf_counter()
    for r in reps:
        render_bytes(r, ".docx")
    out["docx_per_s"] = args.n / (time.perf_counter() - t)
    few = reps[:3]
    t = time.perf_counter()
    for r in few:
        render_bytes(r, ".pdf")
    out["pdf_one_by_one_per_s"] = len(few) / (time.perf_counter() - t)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        for i in range(0, args.n, args.batch):
            render_many([(r, f"{tmp}/{i + j}.pdf") for j, r in enumerate(reps[i:i + args.batch])])
        out["pdf_batched_per_s"] = args.n / (time.perf_counter() - t)
    out.update(n=args.n, batch=args.batch)
    print(f"DOCX {out['docx_per_s']:.0f} reports/s (target ≥ 20); PDF one by one {out['pdf_one_by_one_per_s']:.2f}/s, "
          f"in batches of {args.batch} {out['pdf_batched_per_s']:.2f}/s (target ≥ 2)")
    res = ROOT / "bench" / "results" / "render.json"
    res.parent.mkdir(exist_ok=True)
    res.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
