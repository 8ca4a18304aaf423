"""LibreOffice headless as a converter: legacy Office files in (DOC, WPS, RTF, ODT, XLS, ET, ODS), DOCX/XLSX/PDF out.

Why this shape: LibreOffice is the only real reader of WPS and binary Office files here, but it is a
desktop program. Each conversion gets its own user profile (two instances sharing one profile block
each other, and a crashed profile poisons the next run), its own temporary folder, a hard timeout
after which the whole process group is killed (some WPS files hang it for ever), and a Chinese error
that names the Debian package when the program is missing.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile

from .errors import ReadError

TIMEOUT_SECONDS = 60.0  # NIANBAO_SOFFICE_TIMEOUT overrides it, read at each conversion
PACKAGES = "libreoffice-writer-nogui libreoffice-calc-nogui"

# target suffix → LibreOffice filter (explicit filters keep conversions independent of guessing)
FILTERS = {
    "docx": "docx:MS Word 2007 XML",
    "xlsx": "xlsx:Calc MS Excel 2007 XML",
    "pdf": "pdf",
    "doc": "doc:MS Word 97",
    "wps": "wps:MS Word 97",  # what Kingsoft WPS Writer saves as .wps: a Word 97 file
    "rtf": "rtf:Rich Text Format",
    "odt": "odt:writer8",
    "xls": "xls:MS Excel 97",
    "et": "et:MS Excel 97",   # what Kingsoft ET saves as .et: an Excel 97 (BIFF8) workbook
    "ods": "ods:calc8",
}


def soffice() -> str | None:
    """The LibreOffice program, or None when it is not installed.

    NIANBAO_SOFFICE names the program explicitly (a LibreOffice outside PATH, or — in the tests — a
    path that does not exist, to see what a machine without LibreOffice says); when it is set,
    nothing else is searched, so a wrong setting is reported rather than silently bypassed."""
    forced = os.environ.get("NIANBAO_SOFFICE")
    if forced:
        return forced if os.path.isfile(forced) and os.access(forced, os.X_OK) else None
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for path in ("/usr/bin/soffice", "/usr/lib/libreoffice/program/soffice", "/opt/libreoffice/program/soffice"):
        if os.path.exists(path):
            return path
    return None


def convert(data: bytes, suffix: str, target: str, *, name: str = "input", timeout: float | None = None) -> bytes:
    """Convert a document's bytes (``suffix`` tells LibreOffice what it is, e.g. ".doc") to ``target``
    ("docx", "xlsx", "pdf", …) and return the converted bytes. Raises ReadError in Chinese."""
    (result,) = convert_many([(data, name)], suffix, target, timeout=timeout)
    if isinstance(result, ReadError):
        raise result
    return result


def convert_many(items: list[tuple[bytes, str]], suffix: str, target: str, *,
                 timeout: float | None = None) -> list[bytes | ReadError]:
    """Convert several documents (bytes, name) of one kind in a single LibreOffice run: its start-up
    (about 1.5 s) is paid once, not per file. One result per item, in order — the converted bytes, or
    the ReadError for that item; a missing LibreOffice or a hang raises for the whole batch."""
    program = soffice()
    first = items[0][1] if items else None
    if program is None:
        forced = os.environ.get("NIANBAO_SOFFICE")
        where = f"环境变量 NIANBAO_SOFFICE 指定的 {forced} 不存在或不可执行" if forced else "本机未安装"
        raise ReadError(f"读取{suffix}文件需要 LibreOffice，{where}（Debian/Ubuntu：apt-get install {PACKAGES}）", first)
    timeout = (_timeout() if timeout is None else timeout) * max(1, len(items)) ** 0.5
    with tempfile.TemporaryDirectory(prefix="nianbao-soffice-") as tmp:
        out_dir = os.path.join(tmp, "out")
        sources = []
        for n, (data, _) in enumerate(items):
            sources.append(os.path.join(tmp, f"in{n}{suffix}"))
            with open(sources[-1], "wb") as fh:
                fh.write(data)
        cmd = [program, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--invisible",
               "--nodefault", "--nolockcheck", "--nologo", "--norestore",
               "--convert-to", FILTERS.get(target, target), "--outdir", out_dir, *sources]
        scratch = os.path.join(tmp, "tmp")  # LibreOffice's own temporary files: removed with `tmp`, even after a kill
        os.mkdir(scratch)
        env = dict(os.environ, HOME=tmp, TMPDIR=scratch, TMP=scratch, TEMP=scratch, SAL_USE_VCLPLUGIN="svp")
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                    start_new_session=True)  # its own process group: a hang is killed whole
        except OSError as exc:
            raise ReadError(f"无法启动 LibreOffice（{program}：{exc.strerror or exc}）"
                            f"（Debian/Ubuntu：apt-get install {PACKAGES}）", first) from None
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise ReadError(f"LibreOffice 转换超过 {timeout:g} 秒仍未完成，已终止（文件可能损坏或格式异常）", first) from None
        finally:
            _kill_group(proc)  # soffice may leave helpers (oosplash/soffice.bin) behind
        results: list[bytes | ReadError] = []
        for n, (_, name) in enumerate(items):
            produced = os.path.join(out_dir, f"in{n}." + target)
            if not os.path.exists(produced) or os.path.getsize(produced) == 0:
                why = _why(err.decode("utf-8", "replace"))
                results.append(ReadError(f"LibreOffice 无法转换此文件，文件可能已损坏、加密或不是{suffix}格式{why}", name))
                continue
            with open(produced, "rb") as fh:
                results.append(fh.read())
        return results


def _why(stderr: str) -> str:
    """LibreOffice's reason for producing nothing, short and without its temporary paths."""
    if "source file could not be loaded" in stderr:
        return "（LibreOffice 打不开源文件）"
    lines = [re.sub(r"<?file://\S+", "", line).strip() for line in stderr.strip().splitlines()]
    lines = [line for line in lines if line and not line.startswith(("Warning", "warn:", "javaldx"))]
    return f"（{lines[-1][:100]}）" if lines else ""


def _timeout() -> float:
    """NIANBAO_SOFFICE_TIMEOUT (seconds) at the time of the conversion, else TIMEOUT_SECONDS."""
    raw = os.environ.get("NIANBAO_SOFFICE_TIMEOUT")
    try:
        value = float(raw) if raw else TIMEOUT_SECONDS
    except ValueError:
        return TIMEOUT_SECONDS
    return value if value > 0 else TIMEOUT_SECONDS


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
