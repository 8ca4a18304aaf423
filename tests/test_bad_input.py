"""Bad input through the real CLI: every file gets exactly one JSON line, a `failed` status with a
one-line Chinese reason when it cannot be read, the batch goes on, and nothing ever crashes.

Every case runs `nianbao check --format json` as a subprocess from the repo root, so what is tested
is what a user gets: stdout (JSON Lines), stderr (no traceback) and the exit code (spec/output.md).
"""
from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS_DIR = REPO.parent / "shared" / "data" / "seeds"
SEEDS = sorted(SEEDS_DIR.glob("*.txt"))

_CJK = re.compile(r"[\u4e00-\u9fff]")

NEWS = """新华社北京3月5日电　第十四届全国人民代表大会第三次会议5日上午在人民大会堂开幕。

国务院总理在政府工作报告中指出，过去一年，我国经济运行总体平稳、稳中有进，高质量发展扎实推进，
就业和物价总体稳定，粮食产量首次突破1.4万亿斤。

报告提出，今年发展主要预期目标是：国内生产总值增长5%左右；城镇新增就业1200万人以上；
居民消费价格涨幅2%左右。

大会还审查了关于2024年国民经济和社会发展计划执行情况与2025年计划草案的报告。
"""

SECTIONS_NO_TABLES = """某某县人民政府办公室2024年政府信息公开工作年度报告

一、总体情况

2024年，我办认真贯彻落实《中华人民共和国政府信息公开条例》，主动公开政府信息，依申请公开工作规范有序，政府信息管理不断加强。

二、主动公开政府信息情况

本年度主动公开政府信息若干条。

三、收到和处理政府信息公开申请情况

本年度收到政府信息公开申请若干件，均已按时办结。

四、政府信息公开行政复议、行政诉讼情况

本年度未发生政府信息公开行政复议、行政诉讼。

五、存在的主要问题及改进情况

信息公开的及时性有待提高。

六、其他需要报告的事项

无。

某某县人民政府办公室
2025年1月20日
"""

needs_seeds = pytest.mark.skipif(not SEEDS, reason=f"seed reports not found in {SEEDS_DIR}")


# --------------------------------------------------------------------------- helpers

def _nianbao() -> list[str]:
    exe = REPO / ".venv" / "bin" / "nianbao"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "nianbao"]


def run_check(*paths, fmt: str = "json", timeout: float = 120) -> tuple[int, list[dict], str, str]:
    """Run `nianbao check --format FMT PATHS` from the repo root: (exit code, JSON records, stdout, stderr)."""
    proc = subprocess.run(_nianbao() + ["check", "--format", fmt, *map(str, paths)], cwd=REPO,
                          capture_output=True, text=True, encoding="utf-8", timeout=timeout)
    records = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()] if fmt == "json" else []
    return proc.returncode, records, proc.stdout, proc.stderr


def assert_no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr


def assert_failed(rec: dict, path, *, mentions: str | None = None) -> None:
    """A `failed` line: the file as given, a one-line Chinese reason that is not a caught bug."""
    assert rec["file"] == str(path)
    assert rec["status"] == "failed", rec
    err = rec["error"]
    assert isinstance(err, str) and err.strip(), rec
    assert _CJK.search(err), f"error message is not in Chinese: {err!r}"
    assert "\n" not in err, f"error message is not one line: {err!r}"
    # check_file turns unexpected exceptions into these messages: that is a crash, not bad input.
    assert not err.startswith(("内部错误", "检查规则运行出错")), f"a bug was caught, not a read error: {err}"
    assert rec["findings"] == [] or isinstance(rec["findings"], list)
    if mentions is not None:
        assert mentions in err, f"{mentions!r} not in {err!r}"


def check_one_failed(path, *, mentions: str | None = None) -> dict:
    code, records, _, stderr = run_check(path)
    assert_no_traceback(stderr)
    assert len(records) == 1, records
    assert_failed(records[0], path, mentions=mentions)
    assert code == 2, f"exit code {code}, expected 2 for an unreadable file"
    return records[0]


def seed_text(seed: Path) -> str:
    return seed.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- unreadable files

def test_empty_file(tmp_path):
    """An empty .txt file is reported as failed with “文件为空”, exit 2, no crash."""
    p = tmp_path / "空文件.txt"
    p.write_bytes(b"")
    check_one_failed(p, mentions="空")


@pytest.mark.parametrize("content", [b"   \n\t\n  \r\n", "\u3000\u3000\n \n".encode("utf-8"), b"\xef\xbb\xbf \n",
                                     b"\xff\xfe"], ids=["ascii-spaces", "ideographic-spaces", "utf8-bom-only",
                                                         "utf16-bom-only"])
def test_whitespace_only_file(tmp_path, content):
    """A file with only blanks (ASCII, full-width 　, or just a BOM) is an empty file, not a report."""
    p = tmp_path / "空白.txt"
    p.write_bytes(content)
    check_one_failed(p, mentions="空")


def test_binary_junk_with_nuls(tmp_path):
    """Random bytes (with NULs) named .txt are refused as not-text, not decoded into garbage."""
    rng = random.Random(20240101)
    data = bytes(rng.randrange(256) for _ in range(8192)) + b"\x00" * 16
    p = tmp_path / "junk.txt"
    p.write_bytes(data)
    check_one_failed(p)


def test_png_with_txt_suffix(tmp_path):
    """A PNG image renamed to .txt fails with a Chinese reason instead of being parsed as text."""
    rng = random.Random(7)
    png = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06\x00\x00\x00"
           + bytes(rng.randrange(256) for _ in range(4000)) + b"\x00\x00\x00\x00IEND\xaeB`\x82")
    p = tmp_path / "截图.txt"
    p.write_bytes(png)
    check_one_failed(p)


def test_control_characters_only(tmp_path):
    """Control characters without NULs (a corrupted file) fail cleanly rather than crash."""
    p = tmp_path / "ctrl.txt"
    p.write_bytes(bytes(range(1, 32)) * 100)
    check_one_failed(p)


def test_news_article_is_not_a_report(tmp_path):
    """A Chinese text that is not an annual report says so (不是…年度报告), exit 2."""
    p = tmp_path / "新闻.txt"
    p.write_text(NEWS, encoding="utf-8")
    check_one_failed(p, mentions="年度报告")


@pytest.mark.parametrize("seed", range(5))
def test_unknown_encoding_high_bytes(tmp_path, seed):
    """Bytes invalid in UTF-8 and GB18030 (random high bytes, no NULs) fail with a Chinese message
    about the encoding, not a crash and not mojibake read as a report."""
    rng = random.Random(seed)
    data = bytes(rng.randrange(0x80, 0x100) for _ in range(3000))
    for enc in ("utf-8", "gb18030"):
        with pytest.raises(UnicodeDecodeError):
            data.decode(enc)
    p = tmp_path / f"unknown{seed}.txt"
    p.write_bytes(data)
    check_one_failed(p, mentions="编码")


def test_utf16_bom_with_broken_content(tmp_path):
    """A UTF-16 BOM followed by an unpaired surrogate fails with a Chinese message, no crash."""
    p = tmp_path / "broken16.txt"
    p.write_bytes(b"\xff\xfe" + "报告".encode("utf-16-le") + b"\x00\xd8" * 10)
    check_one_failed(p)


def test_missing_path(tmp_path):
    """A path that does not exist gets its own failed line (文件不存在), exit 2."""
    check_one_failed(tmp_path / "没有这个文件.txt", mentions="不存在")


def test_pdf_without_pages_or_body(tmp_path):
    """A PDF that is only a header and a catalogue fails with the PDF reader's Chinese message."""
    p = tmp_path / "年报.pdf"
    p.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n")
    check_one_failed(p, mentions="PDF")


def test_file_over_the_size_limit(tmp_path):
    """A 200 MB file (any format) is refused before it is read, naming its size: bounded memory."""
    p = tmp_path / "年报合订本.pdf"
    with open(p, "wb") as fh:
        fh.write(b"%PDF-1.7\n")
        fh.truncate(201 * 1024 * 1024)  # sparse: no 200 MB written to the disk
    check_one_failed(p, mentions="过大")


def test_unsupported_suffix_is_named(tmp_path):
    """A suffix no reader handles is named in the message and the user is told what works."""
    p = tmp_path / "年报.ppt"
    p.write_bytes(b"\x00\x01 not a report " * 10)
    check_one_failed(p, mentions=".ppt")


def test_docx_that_is_not_a_zip(tmp_path):
    """A .docx that is not a zip gets the DOCX reader's Chinese message, not a crash."""
    p = tmp_path / "年报.docx"
    p.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    check_one_failed(p)


def test_human_format_on_junk(tmp_path):
    """The default human output of a failed file shows the Chinese reason and exits 2, no traceback."""
    p = tmp_path / "junk.txt"
    p.write_bytes(bytes(random.Random(3).randrange(256) for _ in range(2000)) + b"\x00")
    code, _, stdout, stderr = run_check(p, fmt="human")
    assert_no_traceback(stderr)
    assert code == 2
    assert _CJK.search(stdout + stderr)


def test_directory_without_reports(tmp_path):
    """A folder with no report files is a usage error (exit 2) with a Chinese message, not silence."""
    (tmp_path / "readme.ppt").write_bytes(b"not a report format nianbao reads")
    code, records, _, stderr = run_check(tmp_path)
    assert_no_traceback(stderr)
    assert code == 2
    assert records == []
    assert _CJK.search(stderr)


# --------------------------------------------------------------------------- partial reports

def test_sections_without_tables_is_partial(tmp_path):
    """A report with the six headings but no statistics tables is `partial`, with structure findings
    pointing at each missing table, every cell null, and exit 1 (missing tables are errors)."""
    p = tmp_path / "无表格.txt"
    p.write_text(SECTIONS_NO_TABLES, encoding="utf-8")
    code, records, _, stderr = run_check(p)
    assert_no_traceback(stderr)
    assert len(records) == 1
    rec = records[0]
    assert rec["status"] == "partial", rec
    assert rec["error"] is None
    report = rec["report"]
    assert report is not None and report["year"] == 2024
    for group in ("active", "applications", "review_litigation"):
        for row in report[group].values():
            assert all(v is None for v in row.values()), (group, row)
    structure = [f for f in rec["findings"] if f["category"] == "structure"]
    missing = {c for f in structure for c in f["cells"]}
    assert {"table.active", "table.applications", "table.review_litigation"} <= missing, structure
    for f in structure:
        assert _CJK.search(f["message"])
    has_error = any(f["severity"] == "error" for f in rec["findings"])
    assert code == (1 if has_error else 0)


# --------------------------------------------------------------------------- encodings

def _encodings(text: str) -> dict[str, bytes]:
    out = {
        "gb18030": text.encode("gb18030"),
        "utf16-bom": text.encode("utf-16"),
        "utf16le-nobom": text.encode("utf-16-le"),
        "utf16be-nobom": text.encode("utf-16-be"),
        "utf8-bom": text.encode("utf-8-sig"),
        "gb18030-crlf": text.replace("\n", "\r\n").encode("gb18030"),
    }
    try:
        out["gbk"] = text.encode("gbk")
    except UnicodeEncodeError:  # e.g. a no-break space: GBK cannot hold it, GB18030 can
        pass
    return out


@needs_seeds
@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_encodings_read_like_utf8(tmp_path, seed):
    """GBK/GB18030 (what Chinese Windows writes), UTF-16 with and without BOM, UTF-8 with BOM and
    CRLF copies of a seed give exactly the same report and findings as the UTF-8 original."""
    text = seed_text(seed)
    ref = tmp_path / "utf8.txt"
    ref.write_text(text, encoding="utf-8")
    paths = [ref]
    for name, data in _encodings(text).items():
        p = tmp_path / f"{name}.txt"
        p.write_bytes(data)
        paths.append(p)
    code, records, _, stderr = run_check(*paths)
    assert_no_traceback(stderr)
    assert [r["file"] for r in records] == [str(p) for p in paths]
    base = records[0]
    assert base["status"] in ("ok", "partial")
    for rec in records[1:]:
        assert rec["status"] == base["status"], (rec["file"], rec["error"])
        assert rec["report"] == base["report"], rec["file"]
        assert rec["findings"] == base["findings"], rec["file"]
    assert code in (0, 1)


@needs_seeds
def test_utf16_without_bom_chinese_heavy_start(tmp_path):
    """UTF-16 without BOM is recognised even when the report opens with a long Chinese narrative
    (few ASCII characters, hence few NUL bytes, in the first kilobytes). Regression: sampling only
    the first 4000 bytes once made such a file fail as “不是文本文件：内容含二进制数据”."""
    text = seed_text(SEEDS[3])
    start = text.index("一、总体情况")
    prose = "我镇坚持以人民为中心的发展思想，认真贯彻落实政府信息公开条例，推进决策、执行、管理、服务、结果公开。" * 30
    text = text[:start] + "一、总体情况\n\n" + prose + text[start + len("一、总体情况"):]
    ref = tmp_path / "utf8.txt"
    ref.write_text(text, encoding="utf-8")
    le = tmp_path / "le.txt"
    le.write_bytes(text.encode("utf-16-le"))
    be = tmp_path / "be.txt"
    be.write_bytes(text.encode("utf-16-be"))
    code, records, _, stderr = run_check(ref, le, be)
    assert_no_traceback(stderr)
    assert len(records) == 3
    for rec in records[1:]:
        assert rec["status"] == records[0]["status"], (rec["file"], rec["error"])
        assert rec["report"] == records[0]["report"]


# --------------------------------------------------------------------------- degraded layouts

@needs_seeds
@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_space_separated_tables_do_not_crash(tmp_path, seed):
    """A report whose table cells are separated by spaces instead of tabs (what PDF-to-text tools
    produce) is checked, not failed: status ok/partial, exit 0/1, no internal error.
    (Regression: “三、本年度办理结果 (一) 予以公开 0 0 …” on one line once became an added row
    subtotal_outcomes on which FMT-03 crashed with StopIteration.)"""
    p = tmp_path / "spaced.txt"
    p.write_text(seed_text(seed).replace("\t", " "), encoding="utf-8")
    code, records, _, stderr = run_check(p)
    assert_no_traceback(stderr)
    assert len(records) == 1
    rec = records[0]
    assert rec["status"] in ("ok", "partial"), rec["error"]
    assert code in (0, 1)


@needs_seeds
def test_space_separated_single_value_rows_are_read(tmp_path):
    """In a space-separated 表二, one-number rows such as “行政许可 0” are table rows: the values are
    read as with tabs and no row is reported missing (regression: they were once dropped as prose,
    giving null cells and a false FMT-05 error)."""
    seed = next(s for s in SEEDS if s.name.startswith("003"))
    p = tmp_path / "spaced.txt"
    p.write_text(seed_text(seed).replace("\t", " "), encoding="utf-8")
    _, records, _, stderr = run_check(seed, p)
    assert_no_traceback(stderr)
    tabbed, spaced = records
    assert spaced["report"]["active"] == tabbed["report"]["active"]
    assert not [f for f in spaced["findings"] if f["rule"] == "FMT-05"], spaced["findings"]


# --------------------------------------------------------------------------- batches

@needs_seeds
def test_mixed_batch_keeps_order_and_goes_on(tmp_path):
    """Good, missing and junk files in one call: one line each, in the order given, exit 2."""
    junk = tmp_path / "junk.txt"
    junk.write_bytes(b"\x00\x01\x02" * 100)
    missing = tmp_path / "missing.txt"
    paths = [SEEDS[1], missing, junk, SEEDS[2]]
    code, records, _, stderr = run_check(*paths)
    assert_no_traceback(stderr)
    assert [r["file"] for r in records] == [str(p) for p in paths]
    assert [r["status"] for r in records][1:3] == ["failed", "failed"]
    assert records[0]["status"] == "ok" and records[3]["status"] == "ok"
    assert_failed(records[1], missing, mentions="不存在")
    assert_failed(records[2], junk)
    assert code == 2


def _junk(kind: int, rng: random.Random) -> bytes:
    if kind == 0:
        return b""
    if kind == 1:
        return b" \n\t \n"
    if kind == 2:
        return bytes(rng.randrange(256) for _ in range(300)) + b"\x00"
    if kind == 3:
        return bytes(rng.randrange(0x80, 0x100) for _ in range(600))
    if kind == 4:
        return NEWS.encode("utf-8")
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(rng.randrange(256) for _ in range(200))


@needs_seeds
def test_directory_of_3000_files(tmp_path):
    """3,000 small files (a third good reports, the rest junk of six kinds) in one folder: exactly one
    JSON line per file in sorted input order, failures do not stop the batch, exit 2, and it finishes
    in reasonable time (well under a minute)."""
    rng = random.Random(3000)
    texts = [seed_text(s) for s in SEEDS]
    folder = tmp_path / "reports"
    folder.mkdir()
    expected: list[tuple[str, bool]] = []
    for i in range(3000):
        good = i % 3 == 0
        if good:
            # A seed copy, encoded like a Windows user might have saved it.
            text = texts[(i // 3) % len(texts)]
            data = text.encode("utf-8") if i % 2 else text.encode("gb18030")
        else:
            data = _junk(rng.randrange(6), rng)
        p = folder / f"{i:05d}.txt"
        p.write_bytes(data)
        expected.append((str(p), good))
    t0 = time.perf_counter()
    code, records, _, stderr = run_check(folder, timeout=300)
    elapsed = time.perf_counter() - t0
    print(f"3000-file batch: {elapsed:.1f}s")
    assert_no_traceback(stderr)
    assert len(records) == 3000
    assert [r["file"] for r in records] == [p for p, _ in expected]
    for rec, (path, good) in zip(records, expected):
        if good:
            assert rec["status"] == "ok", (path, rec["error"])
        else:
            assert_failed(rec, path)
    assert code == 2
    assert elapsed < 60, f"3000 files took {elapsed:.1f}s"
