"""DOC, WPS, RTF, ODT, XLS, ET and ODS through real LibreOffice: exactly the numbers they were printed from.

The generator (``nianbao.synth.office``) has LibreOffice save the DOCX/XLSX renderings in each format,
so a disagreement with the text rendering of the same report is a conversion or reader bug. Every
format is checked in both table formats on golden files (tests/data/office/, regenerated only with
NIANBAO_REGEN_GOLDEN=1); one fresh .wps checks that the generator still runs. A conversion costs
about 2 s, so each golden file is read once per module, two at a time (each conversion has its own
LibreOffice profile). Bad input goes through the real CLI: one `failed` JSON line with a Chinese
reason, exit 2, the rest of the batch still checked.
"""
from __future__ import annotations

import io
import json
import os
import random
import re
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import olefile
import pytest

import nianbao
from nianbao.readers import _zip_kind, read
from nianbao.readers.office import identify
from nianbao.recognize import recognize
from nianbao.synth import random_report, render_file
from nianbao.synth.office import render_office

from .helpers import assert_exact, same

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "office"
REGEN = os.environ.get("NIANBAO_REGEN_GOLDEN") == "1"

GOLDEN = {
    # name: (seed, table format, target, options) — every format in both table formats.
    "word97-2021": (201, "2021", "doc", {}),
    "word97-split-table-2019": (202, "2019", "doc", {"split_table": True}),
    "kingsoft-wps-2021": (203, "2021", "wps", {}),
    "kingsoft-wps-2019": (204, "2019", "wps", {}),
    "rtf-2021": (205, "2021", "rtf", {}),
    "rtf-2019": (206, "2019", "rtf", {}),
    "odf-text-2021": (207, "2021", "odt", {}),
    "odf-text-2019": (208, "2019", "odt", {}),
    "excel97-2021": (209, "2021", "xls", {}),
    "excel97-sheet-per-table-2019": (210, "2019", "xls", {"sheets": "per-table"}),
    "kingsoft-et-2021": (211, "2021", "et", {}),
    "kingsoft-et-2019": (212, "2019", "et", {}),
    "odf-spreadsheet-2021": (213, "2021", "ods", {}),
    "odf-spreadsheet-2019": (214, "2019", "ods", {}),
}


def _golden_path(name: str) -> Path:
    return DATA / f"{name}.{GOLDEN[name][2]}"


def _in_parallel(fn, items) -> dict:
    """fn over items, a few LibreOffice conversions at a time; an exception is returned, not raised,
    so that it fails only the test of its own item."""
    def outcome(item):
        try:
            return fn(item)
        except Exception as exc:  # noqa: BLE001
            return exc
    with ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2))) as pool:
        return dict(zip(items, pool.map(outcome, items)))


def _value(result):
    if isinstance(result, Exception):
        raise result
    return result


# --------------------------------------------------------------------------- golden files

def regenerate_golden() -> None:
    """Write tests/data/office/<name>.<ext> and <name>.gold.json (the generator's truth, not the
    reader's output). Run with NIANBAO_REGEN_GOLDEN=1 pytest tests/test_reader_office.py -k regenerate."""
    DATA.mkdir(parents=True, exist_ok=True)
    for name, (seed, fmt, target, options) in GOLDEN.items():
        rng = random.Random(seed)
        rep = random_report(rng, fmt=fmt)
        data, expected = render_office(rep, rng, target, **options)
        _golden_path(name).write_bytes(data)
        gold = {"format": rep.fmt, "year": rep.year, "unit": rep.unit, "report_date": rep.report_date,
                "kind": target, "cells": expected}
        (DATA / f"{name}.gold.json").write_text(json.dumps(gold, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                                encoding="utf-8")


@pytest.mark.skipif(not REGEN, reason="set NIANBAO_REGEN_GOLDEN=1 to rewrite the golden files")
def test_regenerate_golden():
    regenerate_golden()


def test_regen_flag_is_off():
    """Golden files are rewritten only on purpose: the flag must never be left on."""
    assert not REGEN, "NIANBAO_REGEN_GOLDEN=1 is set: golden files were rewritten, unset it and review the diff"


@pytest.fixture(scope="module")
def golden(tmp_path_factory):
    """name → (Document, Report, Report of the same generated report printed as TSV text)."""
    folder = tmp_path_factory.mktemp("office-text")

    def load(name):
        seed, fmt, _, _ = GOLDEN[name]
        rng = random.Random(seed)
        txt = folder / f"{name}.txt"
        render_file(random_report(rng, fmt=fmt), txt, rng, layout="tsv")  # the rng as the golden file used it
        doc = read(_golden_path(name))
        return doc, recognize(doc), nianbao.load(txt)
    return _in_parallel(load, sorted(GOLDEN))


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden(golden, name):
    """Each golden file (a generated report saved by LibreOffice) gives exactly the generator's values,
    and exactly what the same report printed as a tab-separated text file gives."""
    gold = json.loads((DATA / f"{name}.gold.json").read_text(encoding="utf-8"))
    doc, report, from_text = _value(golden[name])
    assert doc.kind == gold["kind"] and doc.path == str(_golden_path(name))
    assert report.format == gold["format"]
    assert report.year == gold["year"]
    assert report.unit == gold["unit"]
    assert report.report_date == gold["report_date"]
    flat = report.flat()
    assert set(flat) == set(gold["cells"])
    wrong = {p: (want, flat.get(p)) for p, want in gold["cells"].items() if not same(flat.get(p), want)}
    assert not wrong, dict(list(wrong.items())[:8])
    assert report.to_dict() == from_text.to_dict()


def test_golden_files_are_what_they_claim():
    """What LibreOffice wrote: Word 97 / Excel 97 OLE files (WPS and ET with Kingsoft's build
    property), RTF, and ODF zips with their mimetype."""
    for name, (_, _, target, _) in GOLDEN.items():
        blob = _golden_path(name).read_bytes()
        if target in ("doc", "wps", "xls", "et"):
            with olefile.OleFileIO(io.BytesIO(blob)) as ole:
                assert ole.exists("WordDocument" if target in ("doc", "wps") else "Workbook"), name
                props = ole.openstream("\x05DocumentSummaryInformation").read()
                assert (b"KSOProductBuildVer" in props) == (target in ("wps", "et")), name
        elif target == "rtf":
            assert blob.startswith(b"{\\rtf"), name
        else:
            kind = "text" if target == "odt" else "spreadsheet"
            mimetype = zipfile.ZipFile(io.BytesIO(blob)).read("mimetype")
            assert mimetype == f"application/vnd.oasis.opendocument.{kind}".encode(), name


def test_generator_writes_kingsoft_wps(tmp_path):
    """render_office runs today (the golden files only show it did once): a fresh .wps is a Word 97
    file with Kingsoft's property, and is read back exactly."""
    rng = random.Random(77)
    rep = random_report(rng, fmt="2021")
    data, expected = render_office(rep, rng, "wps")
    assert identify("x.doc", data) == "wps"
    path = tmp_path / "fresh.wps"
    path.write_bytes(data)
    assert_exact(rep, expected, nianbao.load(path))


# --------------------------------------------------------------------------- content, not suffix

def test_doc_that_is_rtf(tmp_path):
    """Websites serve RTF files named .doc: read as RTF (kind "rtf"), with every value."""
    gold = json.loads((DATA / "rtf-2021.gold.json").read_text(encoding="utf-8"))
    path = tmp_path / "年报.doc"
    path.write_bytes(_golden_path("rtf-2021").read_bytes())
    doc = read(path)
    assert doc.kind == "rtf" and doc.path == str(path)
    flat = recognize(doc).flat()
    assert all(same(flat.get(p), want) for p, want in gold["cells"].items())


@pytest.mark.parametrize("name, named, kind", [
    ("kingsoft-wps-2019", "年报.doc", "wps"),         # Kingsoft's property, whatever the suffix
    ("kingsoft-wps-2019", "年报.docx", "wps"),
    ("word97-2021", "年报.wps", "wps"),               # a plain Word 97 file is what WPS saves as .wps
    ("word97-2021", "年报.doc", "doc"),
    ("kingsoft-et-2021", "年报.xls", "et"),
    ("excel97-sheet-per-table-2019", "年报.xlsx", "xls"),
    ("excel97-sheet-per-table-2019", "年报.et", "et"),
    ("rtf-2021", "年报.wps", "rtf"),
    ("odf-text-2019", "年报.doc", "odt"),
    ("odf-spreadsheet-2021", "年报.odt", "ods"),
    ("odf-spreadsheet-2021", "年报.xls", "ods"),
])
def test_kind_comes_from_content(name, named, kind):
    """The format is decided by the bytes (OLE streams and properties, RTF magic, ODF mimetype);
    the suffix only tells a Word 97 file saved by WPS from one saved by Word when nothing else can."""
    assert identify(named, _golden_path(name).read_bytes()) == kind


def test_encrypted_odf_is_refused_before_conversion():
    """An ODF file whose manifest declares encryption gets the encrypted message, not a conversion."""
    src = zipfile.ZipFile(io.BytesIO(_golden_path("odf-text-2019").read_bytes()))
    buf = io.BytesIO()
    with src, zipfile.ZipFile(buf, "w") as dst:
        for item in src.infolist():
            raw = src.read(item.filename)
            if item.filename == "META-INF/manifest.xml":
                raw = re.sub(rb'(<manifest:file-entry manifest:full-path="content.xml"[^>]*)/>',
                             rb'\1><manifest:encryption-data manifest:checksum-type="SHA1/1K"/></manifest:file-entry>', raw)
                assert b"encryption-data" in raw
            dst.writestr(item, raw)
    with pytest.raises(nianbao.errors.ReadError, match="文件已加密"):
        identify("年报.odt", buf.getvalue())


def test_odf_zip_is_routed_to_office():
    """An ODF zip, whatever its suffix, is sent to the LibreOffice reader (not the DOCX/XLSX ones)."""
    for name in ("odf-text-2019", "odf-spreadsheet-2021"):
        assert _zip_kind(_golden_path(name).read_bytes()) == ".odt"


# --------------------------------------------------------------------------- bad input (real CLI)

def _nianbao() -> list[str]:
    exe = REPO / ".venv" / "bin" / "nianbao"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "nianbao"]


def run_check(*paths, env: dict | None = None, timeout: float = 120):
    proc = subprocess.run(_nianbao() + ["check", "--format", "json", *map(str, paths)], cwd=REPO,
                          capture_output=True, text=True, encoding="utf-8", timeout=timeout, check=False,
                          env=dict(os.environ, **(env or {})))
    assert "Traceback" not in proc.stderr, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert [r["file"] for r in records] == [str(p) for p in paths]
    return proc.returncode, {Path(r["file"]).name: r for r in records}


def assert_failed(rec: dict, mentions: str) -> None:
    assert rec["status"] == "failed", rec
    err = rec["error"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err) and "\n" not in err, err
    assert not err.startswith(("内部错误", "检查规则运行出错")), err
    assert mentions in err, f"{mentions!r} not in {err!r}"


def _encrypted_docx() -> bytes:
    """A real password-protected DOCX (ECMA-376 agile encryption, what Word writes)."""
    msoffcrypto = pytest.importorskip("msoffcrypto")
    from msoffcrypto.format.ooxml import OOXMLFile

    from nianbao.synth.docx import render_docx
    rng = random.Random(5)
    data, _ = render_docx(random_report(rng), rng)
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt("密码123", out)
    assert msoffcrypto.OfficeFile(io.BytesIO(out.getvalue())).is_encrypted()
    return out.getvalue()


def _with_stream(tmp_path: Path, data: bytes, stream: str, change) -> bytes:
    """`data` (an OLE file) with one stream rewritten in place by `change` (same size)."""
    path = tmp_path / "ole.tmp"
    path.write_bytes(data)
    with olefile.OleFileIO(str(path), write_mode=True) as ole:
        raw = bytearray(ole.openstream(stream).read())
        change(raw)
        ole.write_stream(stream, bytes(raw))
    return path.read_bytes()


def _encrypted_doc(tmp_path: Path) -> bytes:
    """A LibreOffice Word 97 file with the FIB's fEncrypted flag set (LibreOffice cannot save a
    password-protected .doc; the flag is what Word sets and what the reader looks at)."""
    def flag(raw):
        raw[11] |= 0x01  # flags at offset 10, fEncrypted = 0x0100
    data = _with_stream(tmp_path, _golden_path("word97-2021").read_bytes(), "WordDocument", flag)
    _assert_msoffcrypto_says_encrypted(data)
    return data


def _assert_msoffcrypto_says_encrypted(data: bytes) -> None:
    """An independent reader agrees the crafted file is encrypted (the test is not grading itself)."""
    msoffcrypto = pytest.importorskip("msoffcrypto")
    assert msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted()


def _encrypted_xls(tmp_path: Path) -> bytes:
    """A LibreOffice Excel 97 workbook whose globals hold a FILEPASS record saying RC4 (the WRITEACCESS
    record rewritten in place: LibreOffice cannot save a password-protected .xls; the record is what
    Excel writes and what the reader — and msoffcrypto — look at)."""
    def filepass(raw):
        pos = 0
        while True:
            rtype, size = int.from_bytes(raw[pos:pos + 2], "little"), int.from_bytes(raw[pos + 2:pos + 4], "little")
            if rtype == 0x005C:  # WRITEACCESS, right after BOF/INTERFACEHDR in every BIFF8 file
                raw[pos:pos + 2] = (0x002F).to_bytes(2, "little")
                raw[pos + 4:pos + 6] = (0x0001).to_bytes(2, "little")  # wEncryptionType: RC4
                return
            assert rtype != 0x000A, "no WRITEACCESS record in the globals"
            pos += 4 + size
    data = _with_stream(tmp_path, _golden_path("excel97-sheet-per-table-2019").read_bytes(), "Workbook", filepass)
    _assert_msoffcrypto_says_encrypted(data)
    return data


def test_bad_office_files_through_cli(tmp_path):
    """Damaged and encrypted files fail in Chinese without running LibreOffice; the good file in the
    same batch — a Word 97 file renamed .docx, which reaches the LibreOffice reader by its content —
    is still checked."""
    rng = random.Random(11)
    doc = _golden_path("word97-2021").read_bytes()
    files = {
        "corrupt.doc": (doc[:512] + bytes(rng.randrange(256) for _ in range(20000)), "损坏"),
        "ole-header-only.doc": (doc[:8] + bytes(4088), "损坏"),
        "encrypted.docx": (_encrypted_docx(), "文件已加密（受密码保护）"),
        "encrypted.doc": (_encrypted_doc(tmp_path), "文件已加密（受密码保护）"),
        "encrypted.xls": (_encrypted_xls(tmp_path), "文件已加密（受密码保护）"),
        "not-an-office-file.wps": ("这只是改了扩展名的文字。\n".encode(), "不是有效的.wps文件"),
    }
    paths = []
    for name, (data, _) in files.items():
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)
    good = tmp_path / "word97-renamed.docx"
    good.write_bytes(doc)
    gold = json.loads((DATA / "word97-2021.gold.json").read_text(encoding="utf-8"))
    t0 = time.perf_counter()
    code, records = run_check(*paths, good)
    for name, (_, mentions) in files.items():
        assert_failed(records[name], mentions)
    rec = records[good.name]
    assert rec["status"] in ("ok", "partial"), rec
    assert (rec["report"]["year"], rec["report"]["unit"]) == (gold["year"], gold["unit"])
    assert code == 2
    assert time.perf_counter() - t0 < 30


def _soffice_processes(marker: str) -> list[int]:
    """Live (non-zombie) processes whose command line mentions `marker`."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace")
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmd and state != "Z":
            found.append(int(pid))
    return found


def test_conversion_timeout_kills_libreoffice(tmp_path):
    """A conversion over NIANBAO_SOFFICE_TIMEOUT is stopped with a Chinese message and leaves no
    LibreOffice process behind; the next file is still checked."""
    tmp = tmp_path / "soffice-tmp"  # LibreOffice's profile lives here: its processes are recognisable
    tmp.mkdir()
    slow = tmp_path / "slow.xls"
    slow.write_bytes(_golden_path("excel97-sheet-per-table-2019").read_bytes())
    txt = tmp_path / "text.txt"
    render_file(random_report(random.Random(3)), txt, random.Random(3), layout="tsv")
    code, records = run_check(slow, txt, env={"NIANBAO_SOFFICE_TIMEOUT": "0.5", "TMPDIR": str(tmp)}, timeout=60)
    assert_failed(records["slow.xls"], "LibreOffice 转换超过 0.5 秒仍未完成，已终止")
    assert records["text.txt"]["status"] == "ok"
    assert code == 2
    deadline = time.monotonic() + 5
    while _soffice_processes(str(tmp)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _soffice_processes(str(tmp))
    assert not list(tmp.iterdir()), "the conversion's temporary folder was left behind"


def test_libreoffice_missing(tmp_path):
    """Without LibreOffice, a DOC or ODS fails naming the Debian packages to install; text still works."""
    doc = tmp_path / "年报.doc"
    doc.write_bytes(_golden_path("word97-2021").read_bytes())
    ods = tmp_path / "统计表.ods"
    ods.write_bytes(_golden_path("odf-spreadsheet-2021").read_bytes())
    txt = tmp_path / "text.txt"
    render_file(random_report(random.Random(4)), txt, random.Random(4), layout="tsv")
    code, records = run_check(doc, ods, txt, env={"NIANBAO_SOFFICE": str(tmp_path / "no" / "soffice")})
    for name in ("年报.doc", "统计表.ods"):
        assert_failed(records[name], "需要 LibreOffice")
        assert "libreoffice-writer-nogui" in records[name]["error"]
    assert records["text.txt"]["status"] == "ok"
    assert code == 2
