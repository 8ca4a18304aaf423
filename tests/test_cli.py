"""The `nianbao` command line as a user runs it (check, extract, explain, rules, version, usage
errors) and the two-call Python API. Outputs are checked against the machine-readable contract in
../shared/spec/output.md and the report schema ../shared/spec/schema-2021.json.
"""
from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SEEDS_DIR = SHARED / "data" / "seeds"
SEEDS = sorted(SEEDS_DIR.glob("*.txt"))
SCHEMA_PATH = SHARED / "spec" / "schema-2021.json"

pytestmark = pytest.mark.skipif(not SEEDS or not SCHEMA_PATH.exists(),
                                reason=f"seed reports or schema not found under {SHARED}")

_CJK = re.compile(r"[\u4e00-\u9fff]")
SEVERITIES = {"error", "warning", "notice"}
CATEGORIES = {"arithmetic", "structure", "consistency", "compliance", "input"}
FINDING_KEYS = {"rule", "severity", "category", "message", "cells", "location"}
CSV_FINDING_HEADER = ["file", "status", "unit", "year", "rule", "severity", "category", "message", "cells", "location"]


def seed(prefix: str) -> Path:
    return next(p for p in SEEDS if p.name.startswith(prefix))


def gold(path: Path) -> dict:
    return json.loads(path.with_suffix("").with_suffix(".gold.json").read_text(encoding="utf-8"))


def nianbao(*args, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the installed `nianbao` console script from the repo root."""
    exe = REPO / ".venv" / "bin" / "nianbao"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "nianbao"]
    proc = subprocess.run(cmd + [str(a) for a in args], cwd=REPO, capture_output=True, text=True,
                          encoding="utf-8", timeout=timeout)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cell_paths(schema) -> dict[str, list[str]]:
    """Every cell path of the 2021 schema, per table: 10 active, 25×7 applications, 15 review."""
    active = [f"active.{it['key']}.{f['key']}" for it in schema["active"]["items"] for f in it["fields"]]
    apps = [f"applications.{r['key']}.{c['key']}" for r in schema["applications"]["rows"]
            for c in schema["applications"]["columns"]]
    rl = schema["review_litigation"]
    review = [f"review_litigation.{g['key']}.{f['key']}" for g in rl["groups"] for f in rl["fields"]]
    return {"active": active, "applications": apps, "review_litigation": review}


@pytest.fixture(scope="module")
def seeds_json() -> tuple[int, list[dict]]:
    """`nianbao check --format json` over all seeds in one call: (exit code, records)."""
    proc = nianbao("check", "--format", "json", *SEEDS)
    return proc.returncode, json_lines(proc.stdout)


@pytest.fixture(scope="module")
def catalogue() -> list[dict]:
    proc = nianbao("rules", "--format", "json")
    assert proc.returncode == 0
    return json.loads(proc.stdout)


# --------------------------------------------------------------------------- check, human

def test_check_human_seed_with_arithmetic_errors():
    """Human output names the reporting unit and the failing rules (T3-02, T3-03) and exits 1."""
    proc = nianbao("check", seed("003"))
    out = proc.stdout
    assert proc.returncode == 1, proc.stderr
    assert "河曲县巡镇镇人民政府" in out.replace("\n", "")
    assert "T3-02" in out and "T3-03" in out
    assert "错误" in out


def test_check_human_clean_seed_exits_0():
    """A seed without error-severity findings exits 0 and still shows its unit."""
    proc = nianbao("check", seed("001"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "奉母镇人民政府" in proc.stdout.replace("\n", "")


def test_check_human_many_files_summary():
    """Several files end with a summary line counting files with errors; exit 1 if any has one."""
    proc = nianbao("check", *SEEDS)
    assert proc.returncode == 1
    assert f"共 {len(SEEDS)} 个文件" in proc.stdout


# --------------------------------------------------------------------------- check, json contract

def test_check_json_one_line_per_file_in_order(seeds_json):
    """JSON Lines: exactly one object per input file, in input order, with the five top-level keys."""
    code, records = seeds_json
    assert [r["file"] for r in records] == [str(p) for p in SEEDS]
    for r in records:
        assert set(r) == {"file", "status", "error", "report", "findings"}
        assert r["status"] in ("ok", "partial", "failed")
    assert code == (1 if any(f["severity"] == "error" for r in records for f in r["findings"]) else 0)


def _assert_report_matches_schema(report: dict, cell_paths: dict[str, list[str]]) -> None:
    assert report["format"] in ("2021", "2019", "unknown")
    assert set(report) >= {"format", "unit", "year", "report_date", "active", "applications", "review_litigation"}
    assert report["unit"] is None or isinstance(report["unit"], str)
    assert report["year"] is None or (isinstance(report["year"], int) and not isinstance(report["year"], bool))
    if report["report_date"] is not None:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", report["report_date"]), report["report_date"]
    for table, paths in cell_paths.items():
        seen = set()
        for path in paths:
            _, group, key = path.split(".")
            assert group in report[table], f"{table}.{group} missing"
            assert key in report[table][group], f"{path} missing"
            value = report[table][group][key]
            seen.add((group, key))
            if path == "active.fees.amount_wan_yuan":
                assert value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)), (path, value)
            else:
                assert value is None or (isinstance(value, int) and not isinstance(value, bool)), (path, value)
        # No invented keys either: consumers rely on the schema's shape.
        assert {(g, k) for g, row in report[table].items() for k in row} == seen, table


def test_check_json_report_has_every_schema_cell(seeds_json, cell_paths):
    """Every report object carries all 10 表二, 25×7 表三 and 15 表四 cells, valued int/float/null."""
    assert len(cell_paths["active"]) == 10
    assert len(cell_paths["applications"]) == 25 * 7
    assert len(cell_paths["review_litigation"]) == 15
    _, records = seeds_json
    for r in records:
        assert r["report"] is not None, r["file"]
        _assert_report_matches_schema(r["report"], cell_paths)


def test_check_json_partial_report_still_has_every_cell(tmp_path, cell_paths):
    """A partial report (tables missing) still has every schema key, valued null."""
    p = tmp_path / "no-tables.txt"
    text = seed("001").read_text(encoding="utf-8")
    p.write_text("\n".join(line for line in text.splitlines() if "\t" not in line and "|" not in line),
                 encoding="utf-8")
    proc = nianbao("check", "--format", "json", p)
    (rec,) = json_lines(proc.stdout)
    assert rec["status"] == "partial"
    _assert_report_matches_schema(rec["report"], cell_paths)


def test_check_json_findings_shape(seeds_json, catalogue):
    """Findings have exactly the six keys, a valid severity and category, a Chinese message, a list
    of cell paths, and a rule code that is in the catalogue (`nianbao rules`)."""
    codes = {r["code"] for r in catalogue}
    _, records = seeds_json
    n = 0
    for r in records:
        for f in r["findings"]:
            n += 1
            assert set(f) == FINDING_KEYS, f
            assert f["severity"] in SEVERITIES, f
            assert f["category"] in CATEGORIES, f
            assert f["rule"] in codes, f"rule {f['rule']} is not in the catalogue"
            assert isinstance(f["message"], str) and _CJK.search(f["message"]), f
            assert isinstance(f["cells"], list) and all(isinstance(c, str) for c in f["cells"]), f
            assert isinstance(f["location"], str)
    assert n > 0


def test_check_json_finding_cell_paths_follow_contract(seeds_json, cell_paths, schema):
    """Every path in `cells` has one of the forms of spec/output.md: a cell, applications.row.X,
    applications.column.X, section.X or table.X — so consumers can resolve it."""
    allowed = set(cell_paths["active"]) | set(cell_paths["applications"]) | set(cell_paths["review_litigation"])
    allowed |= {f"applications.row.{r['key']}" for r in schema["applications"]["rows"]}
    allowed |= {f"applications.column.{c['key']}" for c in schema["applications"]["columns"]}
    allowed |= {f"section.{s['key']}" for s in schema["sections"]}
    allowed |= {f"table.{t}" for t in ("active", "applications", "review_litigation")}
    _, records = seeds_json
    bad = [(r["file"][-30:], f["rule"], c) for r in records for f in r["findings"] for c in f["cells"]
           if c not in allowed and not c.startswith("extra_2019.")]
    assert not bad, bad


def test_check_json_arithmetic_findings_list_whole_equation(seeds_json):
    """Seed 003's 表三 errors: T3-03 lists all 7 cells of the “予以公开” row, T3-02 the whole
    自然人 column of outcomes plus its total, and both include the wrong cell from the gold file."""
    _, records = seeds_json
    rec = next(r for r in records if Path(r["file"]).name.startswith("003"))
    g = gold(seed("003"))
    by_rule = {f["rule"]: f for f in rec["findings"] if f["category"] == "arithmetic"}
    assert {"T3-02", "T3-03"} <= set(by_rule)
    cols = ["natural_person", "commercial", "research", "social_welfare", "legal_service", "other", "total"]
    assert by_rule["T3-03"]["cells"] == [f"applications.granted.{c}" for c in cols]
    assert by_rule["T3-03"]["severity"] == "error"
    t302 = by_rule["T3-02"]["cells"]
    assert len(t302) == 22 and t302[-1] == "applications.handled_total.natural_person"
    for cell in g["expect"]["arithmetic_errors"]:
        assert any(cell in f["cells"] for f in by_rule.values()), cell
    assert rec["report"]["applications"]["granted"]["natural_person"] == 2  # printed, not "fixed"
    assert rec["report"]["applications"]["granted"]["total"] == 0


def test_check_json_unit_and_year_match_gold(seeds_json):
    """Unit, year and report date agree with the hand-made gold files of the seeds."""
    _, records = seeds_json
    for r in records:
        g = gold(Path(r["file"]))
        assert g["unit_contains"] in (r["report"]["unit"] or ""), (r["file"], r["report"]["unit"])
        assert r["report"]["year"] == g["year"]
        assert r["report"]["report_date"] == g["report_date"]


# --------------------------------------------------------------------------- check, csv

def test_check_csv_one_row_per_finding(seeds_json):
    """CSV: a header, then one row per finding (a file without findings still gets one row)."""
    proc = nianbao("check", "--format", "csv", *SEEDS)
    assert proc.returncode in (0, 1)
    rows = list(csv.reader(io.StringIO(proc.stdout)))
    assert rows[0] == CSV_FINDING_HEADER
    body = rows[1:]
    _, records = seeds_json
    expected = []
    for r in records:
        expected += [(r["file"], f["rule"], f["severity"], f["message"]) for f in r["findings"]] or [(r["file"], "", "", "")]
    assert [(row[0], row[4], row[5], row[7]) for row in body] == expected
    assert all(len(row) == len(CSV_FINDING_HEADER) for row in body)


def test_check_csv_failed_file_gets_a_row(tmp_path):
    """In CSV, an unreadable file is one row with status failed and its Chinese reason; exit 2."""
    p = tmp_path / "empty.txt"
    p.write_bytes(b"")
    proc = nianbao("check", "--format", "csv", p)
    rows = list(csv.reader(io.StringIO(proc.stdout)))
    assert rows[0] == CSV_FINDING_HEADER
    assert len(rows) == 2 and rows[1][0] == str(p) and rows[1][1] == "failed"
    assert _CJK.search(rows[1][7])
    assert proc.returncode == 2


# --------------------------------------------------------------------------- extract

def test_extract_xlsx(tmp_path, cell_paths, seeds_json):
    """`extract DIR -o out.xlsx`: one row per report, Chinese headers, a 字段说明 sheet mapping each
    Chinese header to its schema key, and the values of `check --format json`."""
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "年报.xlsx"
    proc = nianbao("extract", SEEDS_DIR, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert _CJK.search(proc.stderr)  # “已把 5 份报告的数据写入 …”
    wb = openpyxl.load_workbook(out, read_only=True)
    assert len(wb.sheetnames) >= 2 and wb.sheetnames[1] == "字段说明"
    ws = wb[wb.sheetnames[0]]
    rows = list(ws.iter_rows(values_only=True))
    header, body = rows[0], [r for r in rows[1:] if any(v is not None for v in r)]
    assert len(body) == len(SEEDS)
    assert all(isinstance(h, str) and _CJK.search(h) for h in header), [h for h in header if not _CJK.search(str(h))]
    assert len(set(header)) == len(header)
    legend = list(wb["字段说明"].iter_rows(values_only=True))
    key_of = {r[0]: r[1] for r in legend[1:] if r and r[0]}
    keys = [key_of.get(h) for h in header]
    assert None not in keys, "a column has no entry in 字段说明"
    all_cells = cell_paths["active"] + cell_paths["applications"] + cell_paths["review_litigation"]
    assert set(all_cells) <= set(keys)
    # Values agree with check --format json.
    _, records = seeds_json
    by_file = {r["file"]: r for r in records}
    col = {k: i for i, k in enumerate(keys)}
    for row in body:
        rec = by_file[row[col["file"]]]
        for path in ("applications.granted.natural_person", "applications.new_received.total",
                     "review_litigation.review.total", "active.regulations.issued"):
            table, group, key = path.split(".")
            assert row[col[path]] == rec["report"][table][group][key], (rec["file"], path)


def test_extract_csv(tmp_path, cell_paths):
    """`extract -o out.csv`: schema keys as header, one row per report (UTF-8 with BOM for Excel)."""
    out = tmp_path / "out.csv"
    proc = nianbao("extract", SEEDS_DIR, "-o", out)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert len(body) == len(SEEDS)
    assert {"file", "status", "unit", "year"} <= set(header)
    assert set(cell_paths["applications"]) <= set(header)
    assert all(len(r) == len(header) for r in body)
    f = header.index("file")
    assert sorted(r[f] for r in body) == sorted(str(p) for p in SEEDS)


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_extract_json(tmp_path, cell_paths, suffix, seeds_json):
    """`extract -o out.json` (an array) / `.jsonl` (lines): one flat object per report whose cell
    values equal those of `check --format json`."""
    out = tmp_path / f"out{suffix}"
    proc = nianbao("extract", SEEDS_DIR, "-o", out)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    rows = json.loads(text) if suffix == ".json" else json_lines(text)
    assert isinstance(rows, list) and len(rows) == len(SEEDS)
    _, records = seeds_json
    by_file = {r["file"]: r for r in records}
    for row in rows:
        rec = by_file[row["file"]]
        assert row["unit"] == rec["report"]["unit"]
        for path in cell_paths["active"] + cell_paths["applications"] + cell_paths["review_litigation"]:
            table, group, key = path.split(".")
            assert row[path] == rec["report"][table][group][key], (row["file"], path)


def test_extract_with_unreadable_file(tmp_path):
    """extract keeps a row for an unreadable file, names it on stderr in Chinese, and exits 2."""
    junk = tmp_path / "坏文件.txt"
    junk.write_bytes(b"\x00\xff" * 50)
    out = tmp_path / "out.json"
    proc = nianbao("extract", seed("001"), junk, "-o", out)
    assert proc.returncode == 2
    assert "坏文件.txt" in proc.stderr
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert [r["status"] for r in rows] == ["ok", "failed"]
    assert _CJK.search(rows[1]["error"])


# --------------------------------------------------------------------------- explain

def test_explain_human():
    """`explain FILE` walks through the six section headings with their line numbers (第N行)."""
    proc = nianbao("explain", seed("003"))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    schema_sections = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))["sections"]
    for s in schema_sections:
        assert s["title"] in out.replace("\n", ""), s["title"]
    assert re.search(r"第\d+行", out)
    assert "第7行" in out  # “一、总体情况” is on line 7 of seed 003
    assert "第39行" in out  # the wrong 予以公开·自然人 cell (2) is on line 39


def test_explain_json_cells_have_locations():
    """`explain --format json`: every printed cell says where it was read (line/col)."""
    proc = nianbao("explain", "--format", "json", seed("003"))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["unit"] == "河曲县巡镇镇人民政府"
    assert set(data["sections"]) >= {"overview", "active", "applications", "review_litigation"}
    for s in data["sections"].values():
        assert re.match(r"line \d+", s["location"])
    cells = data["cells"]
    assert len(cells) >= 10 + 25 * 7 + 15
    printed = [c for c in cells if c.get("state") == "printed"]
    assert printed
    for c in printed:
        assert c["location"] and re.match(r"line \d+", c["location"]), c
    granted = next(c for c in cells if c["cell"] == "applications.granted.natural_person")
    assert granted["value"] == 2 and granted["location"].startswith("line 39")


def test_explain_unreadable_file(tmp_path):
    """`explain` on an unreadable file exits 2 with the Chinese reason on stderr."""
    proc = nianbao("explain", tmp_path / "missing.txt")
    assert proc.returncode == 2
    assert "不存在" in proc.stderr


# --------------------------------------------------------------------------- rules, version

def test_rules_human():
    """`nianbao rules` lists the catalogue, including FMT-01 and T3-01."""
    proc = nianbao("rules")
    assert proc.returncode == 0
    assert "FMT-01" in proc.stdout and "T3-01" in proc.stdout


def test_rules_markdown():
    """`rules --format markdown` is a Markdown table with one row per rule."""
    proc = nianbao("rules", "--format", "markdown")
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert any(re.match(r"\|\s*FMT-01\s*\|", l) for l in lines)
    assert any(re.match(r"\|\s*T3-01\s*\|", l) for l in lines)
    assert any(re.match(r"\|\s*-+\s*\|", l) for l in lines)


def test_rules_json(catalogue):
    """`rules --format json`: unique codes with title, severity and category from the contract."""
    codes = [r["code"] for r in catalogue]
    assert len(codes) == len(set(codes))
    assert {"FMT-01", "T3-01", "T3-02", "T3-03"} <= set(codes)
    for r in catalogue:
        assert r["severity"] in SEVERITIES and r["category"] in CATEGORIES, r
        assert _CJK.search(r["title"])


def test_version():
    """`nianbao version` prints the package version."""
    import nianbao as pkg
    proc = nianbao("version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"nianbao {pkg.__version__}"


# --------------------------------------------------------------------------- usage errors

@pytest.mark.parametrize("args", [
    [],
    ["check"],
    ["check", "--format", "xml", "README.md"],
    ["explain"],
    ["extract", str(SEEDS_DIR)],
    ["nosuchcommand"],
], ids=["no-args", "check-no-paths", "bad-format", "explain-no-file", "extract-no-output", "unknown-command"])
def test_usage_errors_exit_2(args):
    """Usage errors exit 2 (not 0 or 1, which mean “checked”), without a traceback."""
    proc = nianbao(*args)
    assert proc.returncode == 2, (args, proc.returncode, proc.stdout, proc.stderr)
    if args:  # the error says what is wrong, in Chinese (bare `nianbao` shows the help instead)
        assert "用法错误" in proc.stderr or "错误" in proc.stderr, proc.stderr
        assert not re.search(r"Missing|No such|Invalid value", proc.stderr), proc.stderr


def test_extract_bad_output_suffix(tmp_path):
    """`extract -o out.txt` is refused in Chinese naming the allowed suffixes; nothing is written."""
    out = tmp_path / "out.txt"
    proc = nianbao("extract", SEEDS_DIR, "-o", out)
    assert proc.returncode == 2
    assert ".xlsx" in proc.stderr and _CJK.search(proc.stderr)
    assert not out.exists()


# --------------------------------------------------------------------------- Python API

def test_api_load_and_check():
    """`nianbao.load(path)` then `nianbao.check(report)`: the same result as the CLI."""
    import nianbao as pkg
    report = pkg.load(seed("003"))
    assert isinstance(report, pkg.Report)
    assert report.unit == "河曲县巡镇镇人民政府" and report.year == 2024
    findings = pkg.check(report)
    assert all(isinstance(f, pkg.Finding) for f in findings)
    rules = {f.rule for f in findings if f.severity == "error"}
    assert {"T3-02", "T3-03"} <= rules
    assert report.get("applications.granted.natural_person") == 2


def test_api_load_str_path_and_clean_seed():
    """`load` accepts a str path; a clean seed has no error-severity finding."""
    import nianbao as pkg
    findings = pkg.check(pkg.load(str(seed("001"))))
    assert not [f for f in findings if f.severity == "error"]


def test_api_load_bad_file_raises_read_error(tmp_path):
    """`load` on bad input raises nianbao.ReadError with a Chinese message, not a random exception."""
    import nianbao as pkg
    p = tmp_path / "empty.txt"
    p.write_bytes(b"")
    with pytest.raises(pkg.ReadError) as exc:
        pkg.load(p)
    assert _CJK.search(str(exc.value))
    with pytest.raises(pkg.ReadError):
        pkg.load(tmp_path / "missing.txt")


def test_check_config_sets_local_deadline(tmp_path):
    """A local deadline from --config turns the township notice into a warning naming the basis."""
    s3 = seed("003")  # a township report dated 2025-02-07
    default = json_lines(nianbao("check", "--format", "json", s3).stdout)[0]
    assert [f["severity"] for f in default["findings"] if f["rule"] == "PUB-01"] == ["notice"]
    cfg = tmp_path / "nianbao.toml"
    cfg.write_text('[deadlines]\ntownship = "03-31"\n\n[[deadlines.region]]\nmatch = "河曲县"\ndate = "01-20"\n',
                   encoding="utf-8")
    got = json_lines(nianbao("check", "--format", "json", "--config", cfg, s3).stdout)[0]
    pub = [f for f in got["findings"] if f["rule"] == "PUB-01"]
    assert [f["severity"] for f in pub] == ["warning"] and "1月20日" in pub[0]["message"]


def test_check_bad_config_is_a_usage_error(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[deadlines]\ntownship = "January"\n', encoding="utf-8")
    proc = nianbao("check", "--config", cfg, seed("001"))
    assert proc.returncode == 2 and "MM-DD" in proc.stderr


def test_check_progress_bar_forced_does_not_disturb_json():
    """--progress draws on stderr only; stdout stays one JSON object per file."""
    proc = nianbao("check", "--format", "json", "--progress", SEEDS_DIR)
    assert len(json_lines(proc.stdout)) == len(SEEDS)


def test_check_no_notices_hides_notices():
    out = nianbao("check", "--no-notices", seed("003")).stdout
    assert "T3-03" in out and "PUB-02" not in out
