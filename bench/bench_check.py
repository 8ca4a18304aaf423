#!/usr/bin/env python3
"""Benchmark of `nianbao check` on text reports: throughput on ONE core and peak memory.

Not part of the test run. Usage (from the repo root):

    .venv/bin/python bench/bench_check.py                      # N=2000
    .venv/bin/python bench/bench_check.py --sizes 100,1000,5000
    .venv/bin/python bench/bench_check.py --n 300 --profile    # cProfile of the in-process loop

For every size N it creates N report files in a temporary directory and measures

  (a) in-process: ``nianbao.batch.check_file`` over all files, in a fresh Python process pinned to
      CPU 0 (reports/s from ``time.perf_counter``; peak RSS of that process);
  (b) end-to-end: ``nianbao check --format json DIR`` as a subprocess pinned to CPU 0 (reports/s
      including interpreter start-up and JSON output; peak RSS from ``os.wait4``).

Reports come from ``nianbao.synth`` when it is available (``nianbao.synth.data.random_report`` and
``nianbao.synth.text.render_file``); otherwise the seed reports are copied with the town name and
the year varied so that every file differs. Results go to ``bench/results/check.json``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import inspect
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "check.json"

TARGET_RPS = 300.0        # reports/s on one core
TARGET_PEAK_MB = 150.0    # peak RSS
# Throughput at the largest size may drop at most this much vs the smallest before we call the
# growth super-linear (per-file cost rising with the number of files).
GROWTH_TOLERANCE = 0.80

CPU = 0

# Characters to build made-up town names from (two characters + the seed's suffix, e.g. 镇).
_NAME_CHARS = "东西南北安平和兴隆丰华新清河山泉阳城石桥柳林花园金银龙凤青白云水长乐福寿永宁康泰盛昌"


# --------------------------------------------------------------------------- report generation

def _pin() -> None:
    """Pin the calling process to the one CPU of the benchmark (also used as preexec_fn)."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {CPU})


def _synth_api():
    """(random_report, render_file) from nianbao.synth, or None when it is not (yet) there."""
    try:
        from nianbao.synth.data import random_report  # type: ignore[import-not-found]
        from nianbao.synth.text import render_file  # type: ignore[import-not-found]
    except Exception:
        return None
    return random_report, render_file


def _call_random_report(random_report, i: int):
    """Call random_report with whatever it accepts: an rng, a seed, or nothing."""
    params = list(inspect.signature(random_report).parameters.values())
    if not params:
        return random_report()
    first = params[0]
    if first.name in ("seed", "i", "n", "index"):
        return random_report(i)
    return random_report(random.Random(i))


def _write_synth(api, n: int, out: Path, layouts: list[str] | None = None) -> None:
    """Random reports rendered as text; layouts (tsv, cell-per-line, markdown, spaced) rotate."""
    random_report, render_file = api
    params = inspect.signature(render_file).parameters
    for i in range(n):
        report = _call_random_report(random_report, i)
        layout = layouts[i % len(layouts)] if layouts else None
        suffix = ".md" if layout == "markdown" else ".txt"
        path = out / f"{i:06d}{suffix}"
        kwargs = {}
        if "rng" in params:
            kwargs["rng"] = random.Random(10_000_000 + i)
        if layout and "layout" in params:
            kwargs["layout"] = layout
        result = render_file(report, str(path), **kwargs)
        if not path.exists():  # a renderer that returns the text instead of writing it
            text = getattr(result, "text", result)
            if isinstance(text, bytes):
                path.write_bytes(text)
            elif isinstance(text, str):
                path.write_text(text, encoding="utf-8")
            else:
                raise RuntimeError("nianbao.synth.text.render_file neither wrote the file nor returned its text")


def _seed_core_name(seed: Path, text: str) -> str | None:
    """The town/district name printed in the seed (e.g. 巡镇镇), which we replace to vary the unit."""
    gold = seed.with_suffix("").with_suffix(".gold.json")
    if gold.exists():
        try:
            name = json.loads(gold.read_text(encoding="utf-8")).get("unit_contains")
            if name and name in text:
                return name
        except ValueError:
            pass
    try:
        import nianbao
        unit = nianbao.load(seed).unit or ""
    except Exception:
        return None
    m = re.search(r"([\u4e00-\u9fff]{2,3}(?:镇|乡|街道|区|县|市))(?:人民政府|办事处|办公室)?$", unit)
    if m and m.group(1) in text:
        return m.group(1)
    return unit if unit and unit in text else None


def _seed_year(text: str) -> int:
    years = re.findall(r"(20[12]\d)\s*年", text[:2000])
    return int(max(set(years), key=years.count)) if years else 2024


def _load_seeds(seeds_dir: Path) -> list[tuple[str, str | None, int]]:
    seeds = sorted(p for p in seeds_dir.glob("*.txt"))
    if not seeds:
        raise SystemExit(f"no seed reports (*.txt) in {seeds_dir}")
    out = []
    for p in seeds:
        text = p.read_text(encoding="utf-8")
        out.append((text, _seed_core_name(p, text), _seed_year(text)))
    return out


_PROSE = re.compile(r"^(?P<body>[^\t|\n]{20,}?)(?P<end>[。；！]?)$", re.M)


def _is_title(line: str) -> bool:
    return "政府信息公开工作年" in line and len(line) < 60


def _write_seed_variants(seeds, n: int, out: Path, unique_text: bool = False) -> None:
    """Seed copies with a new town name and year. With unique_text, every prose line (no tab, no
    pipe, 20+ characters) also gets a file-specific tag, as in a real corpus where no two reports
    share their narrative: this defeats caches keyed on whole lines."""
    for i in range(n):
        text, core, year = seeds[i % len(seeds)]
        rng = random.Random(i)
        new_year = 2021 + rng.randrange(4)  # stay within the 2021 format
        # Report year and the year after it (report date) move together, in one pass.
        mapping = {str(year): str(new_year), str(year + 1): str(new_year + 1)}
        t = re.sub(f"{year}|{year + 1}", lambda m: mapping[m.group(0)], text)
        name = f"{_NAME_CHARS[i % len(_NAME_CHARS)]}{_NAME_CHARS[(i // len(_NAME_CHARS)) % len(_NAME_CHARS)]}"
        if core:
            suffix = next((s for s in ("街道", "镇", "乡", "区", "县", "市") if core.endswith(s)), "镇")
            new_core = f"{name}{suffix}"
            t = t.replace(core, new_core)
        else:
            new_core = name
        if unique_text:
            t = _PROSE.sub(lambda m: m.group(0) if _is_title(m.group(0)) else
                           f"{m.group('body')}（第{i}号文件）{m.group('end')}", t)
        (out / f"{i:06d}_{new_core}{new_year}.txt").write_text(t, encoding="utf-8")


def make_corpus(n: int, out: Path, source: str, seeds_dir: Path, unique_text: bool = False,
                layouts: list[str] | None = None) -> str:
    """Fill `out` with n report files; returns the source actually used ('synth' or 'seeds')."""
    out.mkdir(parents=True, exist_ok=True)
    if source in ("auto", "synth"):
        api = _synth_api()
        if api is not None:
            try:
                _write_synth(api, n, out, layouts)
                return f"synth ({','.join(layouts or ['default'])})"
            except Exception as exc:
                if source == "synth":
                    raise
                print(f"  nianbao.synth failed ({type(exc).__name__}: {exc}); falling back to seeds", file=sys.stderr)
                for p in out.iterdir():
                    p.unlink()
        elif source == "synth":
            raise SystemExit("nianbao.synth is not available")
    _write_seed_variants(_load_seeds(seeds_dir), n, out, unique_text)
    return "seeds-unique-text" if unique_text else "seeds"


# --------------------------------------------------------------------------- measurements

def _worker(directory: str) -> None:
    """Child mode: check every file in-process and print one JSON object with the timing."""
    _pin()
    import resource
    from collections import Counter

    from nianbao.batch import check_file, expand_paths

    files = list(expand_paths([directory]))
    statuses: Counter = Counter()
    t0 = time.perf_counter()
    first = None
    for f in files:
        statuses[check_file(f).status] += 1
        if first is None:  # the first file also pays for lazy imports and compiled tables
            first = time.perf_counter() - t0
    seconds = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"files": len(files), "seconds": seconds, "first_file_s": first,
                      "peak_rss_mb": peak_kb / 1024, "statuses": dict(statuses)}))


def _run_pinned(cmd: list[str], stdout) -> tuple[int, float, float]:
    """Run cmd pinned to the benchmark CPU; (exit code, wall seconds, peak RSS in MB of that very process)."""
    t0 = time.perf_counter()
    # stderr is discarded, so a child can never block on a full pipe; os.wait4 gives the rusage of
    # this one child (RUSAGE_CHILDREN would be the maximum over all children so far).
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.DEVNULL, preexec_fn=_pin, cwd=REPO)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, seconds, usage.ru_maxrss / 1024


def measure_in_process(directory: Path) -> dict:
    with tempfile.TemporaryFile(mode="w+") as out:
        code, wall, peak = _run_pinned([sys.executable, __file__, "--cpu", str(CPU), "--_worker", str(directory)], out)
        out.seek(0)
        text = out.read()
    if code != 0:
        raise RuntimeError(f"in-process worker failed with exit code {code}: {text[-500:]}")
    res = json.loads(text.strip().splitlines()[-1])
    res["reports_per_s"] = res["files"] / res["seconds"]
    rest = res["seconds"] - (res["first_file_s"] or 0)
    res["reports_per_s_warm"] = (res["files"] - 1) / rest if res["files"] > 1 and rest > 0 else res["reports_per_s"]
    res["peak_rss_mb"] = round(max(res["peak_rss_mb"], peak), 1)
    return res


def _nianbao_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "nianbao"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "nianbao"]


def measure_cli(directory: Path, n: int) -> dict:
    with tempfile.NamedTemporaryFile(mode="w+", suffix=".jsonl", encoding="utf-8") as out:
        code, seconds, peak = _run_pinned(_nianbao_cmd() + ["check", "--format", "json", "--no-progress", str(directory)], out)
        out.seek(0)
        lines = 0
        statuses: dict[str, int] = {}
        for line in out:
            lines += 1
            s = json.loads(line)["status"]
            statuses[s] = statuses.get(s, 0) + 1
    return {"files": n, "json_lines": lines, "exit_code": code, "seconds": seconds,
            "reports_per_s": n / seconds, "peak_rss_mb": round(peak, 1), "statuses": statuses}


def measure_startup() -> float:
    """Wall time of `nianbao version`, pinned: the fixed cost included in the CLI numbers."""
    best = float("inf")
    for _ in range(3):
        _, s, _ = _run_pinned(_nianbao_cmd() + ["version"], subprocess.DEVNULL)
        best = min(best, s)
    return best


def profile(directory: Path, top: int) -> None:
    import cProfile
    import pstats

    from nianbao.batch import check_file, expand_paths

    _pin()
    files = list(expand_paths([str(directory)]))
    check_file(files[0])  # imports and lazy tables out of the profile
    prof = cProfile.Profile()
    prof.enable()
    for f in files:
        check_file(f)
    prof.disable()
    for key in ("cumulative", "tottime"):
        print(f"\n--- cProfile, {len(files)} files, sorted by {key} ---")
        pstats.Stats(prof).strip_dirs().sort_stats(key).print_stats(top)


# --------------------------------------------------------------------------- main

def _meta(source: str) -> dict:
    try:
        import nianbao
        version = nianbao.__version__
    except Exception:
        version = None
    cpu = None
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                text=True).stdout.strip() or None
    except OSError:
        commit = None
    return {"date": dt.datetime.now().isoformat(timespec="seconds"), "nianbao": version, "commit": commit,
            "python": platform.python_version(), "platform": platform.platform(), "cpu": cpu,
            "pinned_cpu": CPU, "source": source}


def main(argv: list[str] | None = None) -> int:
    global CPU
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=2000, help="number of report files (default 2000)")
    ap.add_argument("--sizes", help="comma-separated sizes to measure growth, e.g. 100,1000,5000 (overrides --n)")
    ap.add_argument("--seeds", default=str(REPO.parent / "shared" / "data" / "seeds"),
                    help="seed reports directory (default ../shared/data/seeds from the repo root)")
    ap.add_argument("--source", choices=("auto", "synth", "seeds"), default="auto",
                    help="report generator: nianbao.synth if available (auto), or seed variants")
    ap.add_argument("--layouts", default="tsv",
                    help="nianbao.synth layouts to rotate through, comma-separated, or 'all' "
                         "(tsv, cell-per-line, markdown, spaced; default tsv)")
    ap.add_argument("--unique-text", action="store_true",
                    help="seed variants: also make every prose line unique to the file (worst case for caches)")
    ap.add_argument("--cpu", type=int, default=CPU,
                    help="the CPU to pin to (default 0; pick an idle one if the machine is shared)")
    ap.add_argument("--no-cli", action="store_true", help="skip the end-to-end CLI measurement")
    ap.add_argument("--profile", action="store_true", help="print a cProfile of the in-process loop instead")
    ap.add_argument("--top", type=int, default=30, help="rows of the profile to print")
    ap.add_argument("--out", default=str(RESULTS), help="JSON results file")
    ap.add_argument("--keep", action="store_true", help="keep the generated files (prints where)")
    ap.add_argument("--_worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    CPU = args.cpu

    if args._worker:
        _worker(args._worker)
        return 0

    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else [args.n]
    layouts = None
    if args.layouts == "all":
        try:
            from nianbao.synth.text import LAYOUTS  # type: ignore[import-not-found]
            layouts = list(LAYOUTS)
        except Exception:
            layouts = ["tsv", "cell-per-line", "markdown", "spaced"]
    elif args.layouts:
        layouts = args.layouts.split(",")
    root = Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    try:
        if args.profile:
            used = make_corpus(sizes[0], root / "profile", args.source, Path(args.seeds), args.unique_text, layouts)
            print(f"profiling {sizes[0]} files from {used}")
            profile(root / "profile", args.top)
            return 0

        startup = None if args.no_cli else measure_startup()
        runs = []
        source = None
        for n in sizes:
            d = root / f"n{n}"
            t0 = time.perf_counter()
            source = make_corpus(n, d, args.source, Path(args.seeds), args.unique_text, layouts)
            gen = time.perf_counter() - t0
            print(f"N={n}: generated from {source} in {gen:.1f}s; measuring…", file=sys.stderr)
            run = {"n": n, "in_process": measure_in_process(d)}
            if not args.no_cli:
                run["cli"] = measure_cli(d, n)
            runs.append(run)
            if not args.keep:
                shutil.rmtree(d, ignore_errors=True)

        # ---------------------------------------------------------------- table
        print()
        print(f"nianbao check — text reports, pinned to CPU {CPU}, source: {source}"
              + (f", CLI start-up {startup:.2f}s" if startup is not None else ""))
        head = f"{'N':>6} | {'in-process rep/s':>16} {'warm':>6} {'peak MB':>8} | {'CLI rep/s':>9} {'CLI s':>7} {'peak MB':>8} {'exit':>4} {'lines':>6}"
        print(head)
        print("-" * len(head))
        for r in runs:
            ip = r["in_process"]
            line = f"{r['n']:>6} | {ip['reports_per_s']:>16.1f} {ip['reports_per_s_warm']:>6.0f} {ip['peak_rss_mb']:>8.1f} |"
            if "cli" in r:
                c = r["cli"]
                line += f" {c['reports_per_s']:>9.1f} {c['seconds']:>7.2f} {c['peak_rss_mb']:>8.1f} {c['exit_code']:>4} {c['json_lines']:>6}"
            print(line)
        statuses = runs[-1]["in_process"]["statuses"]
        print(f"statuses at N={runs[-1]['n']}: {statuses}")

        # ---------------------------------------------------------------- verdict
        # Sizes ≥ 1000 only, as for the CLI: at 100 files the first file's lazy imports dominate.
        big = [r for r in runs if r["n"] >= 1000] or runs
        best_ip = max(r["in_process"]["reports_per_s"] for r in big)
        cli_rps = [r["cli"]["reports_per_s"] for r in runs if "cli" in r and r["n"] >= 1000]
        peak = max(max(r["in_process"]["peak_rss_mb"], r.get("cli", {}).get("peak_rss_mb", 0)) for r in runs)
        first, last = big[0]["in_process"]["reports_per_s_warm"], big[-1]["in_process"]["reports_per_s_warm"]
        growth_ratio = last / first if len(big) > 1 else None
        # Memory that stays behind per file (caches, leaks): should be ~0 for a streaming batch.
        mem_slope = ((runs[-1]["in_process"]["peak_rss_mb"] - runs[0]["in_process"]["peak_rss_mb"])
                     / (runs[-1]["n"] - runs[0]["n"]) * 1000) if len(runs) > 1 else None
        verdict = {
            "throughput_in_process_ok": min(r["in_process"]["reports_per_s"] for r in big) >= TARGET_RPS,
            "throughput_cli_ok": (min(cli_rps) >= TARGET_RPS) if cli_rps else None,
            "peak_memory_ok": peak < TARGET_PEAK_MB,
            "growth_ratio_largest_vs_smallest": growth_ratio,
            "growth_ok": (growth_ratio >= GROWTH_TOLERANCE) if growth_ratio is not None else None,
            "peak_rss_mb_per_1000_files": mem_slope,
        }
        print(f"targets: ≥{TARGET_RPS:.0f} reports/s on one core → in-process "
              f"{'OK' if verdict['throughput_in_process_ok'] else 'BELOW'} (best {best_ip:.1f})"
              + (f", CLI {'OK' if verdict['throughput_cli_ok'] else 'BELOW'}" if cli_rps else "")
              + f"; peak < {TARGET_PEAK_MB:.0f} MB → {'OK' if verdict['peak_memory_ok'] else 'OVER'} ({peak:.1f} MB)"
              + (f"; growth ratio {growth_ratio:.2f} → {'linear' if verdict['growth_ok'] else 'SUPER-LINEAR'}"
                 if growth_ratio is not None else "")
              + (f"; memory +{mem_slope:.1f} MB per 1000 files" if mem_slope is not None else ""))

        result = {"meta": _meta(source), "cli_startup_s": startup,
                  "targets": {"reports_per_s": TARGET_RPS, "peak_rss_mb": TARGET_PEAK_MB,
                              "growth_tolerance": GROWTH_TOLERANCE},
                  "runs": runs, "verdict": verdict}
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"results written to {out}")
        return 0
    finally:
        if args.keep:
            print(f"generated files kept in {root}", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
