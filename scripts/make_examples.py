"""Write the example reports in examples/ from fixed seeds (synthetic: every name and number is made up).

    .venv/bin/python scripts/make_examples.py [OUT_DIR]     (default: examples/)

Four reports a new user can run `nianbao check` on: a clean township report (tab-separated tables,
some applications), a department report as Markdown, a 2019-format report on 2020, and a report
with one deliberate arithmetic error (its name says so). Beside them, CORPUS: a made-up county's
reports of two years with its unit mapping (units.csv), for the corpus commands (ingest, findings,
rollup, stats, chart, export) — with cross-year faults, a unit missing one year and two spellings of
one township. The files are regenerated identically on every run. The script prints what
`nianbao check` should find in each and checks that it does (exit status 1 if not).
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import nianbao  # noqa: E402
from nianbao import schema  # noqa: E402
from nianbao.synth import inject_error, random_report, render_file  # noqa: E402

OUT = ROOT / "examples"
CORPUS = "年报库-玉乐县"
PREFIX = "示例-"


def _report(seed: int, **kw):
    """The first report from `seed` on that has applications (so the tables are not all zero)."""
    for s in range(seed, seed + 1000):
        rep = random_report(random.Random(s), **kw)
        if rep.total("new_received") > 0:
            return s, rep
    raise RuntimeError("no report with applications")


def _name(rep) -> str:
    return f"{rep.short_name}{rep.year}年报"


def main(out: Path = OUT) -> int:
    OUT = out
    OUT.mkdir(exist_ok=True)
    for old in [*OUT.glob(PREFIX + "*"), OUT / "README.md"]:
        old.unlink(missing_ok=True)
    made = []

    s, rep = _report(2024_01, fmt="2021", year=2024, kind="township", profile="small")
    path = OUT / f"{PREFIX}{_name(rep)}.txt"
    render_file(rep, path, random.Random(s), "tsv")
    made.append((path, "2021 年格式的乡镇年报，表格以制表符分隔（与真实年报导出的文本相同），数据前后一致。",
                 "没有错误（error）。"))

    s, rep = _report(2024_02, fmt="2021", year=2024, kind="department", profile="large")
    path = OUT / f"{PREFIX}{_name(rep)}.md"
    render_file(rep, path, random.Random(s), "markdown", ("thousands",))
    made.append((path, "政府部门年报的 Markdown 版本（网站转换常见的管道表格），数字带千位分隔符。", "没有错误（error）。"))

    s, rep = _report(2020_03, fmt="2019", year=2020, kind="township", profile="small")
    path = OUT / f"{PREFIX}2019格式-{_name(rep)}.txt"
    render_file(rep, path, random.Random(s), "tsv")
    made.append((path, "2020 年度报告，使用 2019 年试行格式（国办公开办函〔2019〕60号）：表二有“本年新制作数量”"
                       "“上一年项目数量”“政府集中采购”，表三“（六）其他处理”只有一行。", "没有错误（error）。"))

    s, rep = _report(2024_04, fmt="2021", year=2024, kind="township", profile="small")
    rng = random.Random(s)
    bad, cells = inject_error(rng, rep)
    while not cells[0].startswith("applications."):  # keep the example's error in 表三
        bad, cells = inject_error(rng, rep)
    path = OUT / f"{PREFIX}有错误-{_name(rep)}.txt"
    render_file(bad, path, rng, "tsv")
    where = "、".join(schema.label_of(c) for c in cells)
    made.append((path, f"一份乡镇年报，有意改错了一个数：{schema.label_of(cells[0])}印为 {bad.cells[cells[0]]}"
                       f"（应为 {rep.cells[cells[0]]}）。",
                 f"至少一个 error 级 arithmetic 发现，其 cells 同时包含 {cells[0]} 和 {cells[1]}（{where}）。"))

    import shutil
    from nianbao.synth.corpus import make_corpus
    shutil.rmtree(OUT / CORPUS, ignore_errors=True)
    corpus = make_corpus(OUT / CORPUS, random.Random(13), counties=1, townships=5, departments=2, years=(2023, 2024),
                         copy_narrative=0.2, carry_mismatch=0.2, identical_tables=0.1, missing=0.1, errors=0.1)
    print(f"{CORPUS}/\n  虚构的玉乐县 2023、2024 两年的 {len(corpus.files)} 份年报和单位对照表 units.csv。\n"
          f"  跨年度问题 {len(corpus.expected_xy)} 处，缺报 {len(corpus.missing)} 份，算错 {len(corpus.errors)} 份。")

    ok = True
    for path, what, expect in made:
        report = nianbao.load(path)
        findings = nianbao.check(report)
        errors = [f for f in findings if f.severity == "error"]
        if "有错误" in path.name:
            ok &= any(f.category == "arithmetic" and all(c in f.cells for c in cells) for f in errors)
        else:
            ok &= not errors
        print(f"{path.name}\n  {what}\n  nianbao check 应给出：{expect}（实际 error {len(errors)} 个）")
    if not ok:
        print("nianbao check does not give the expected result on the examples", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
