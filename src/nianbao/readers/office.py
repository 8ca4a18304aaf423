"""Legacy and other office formats — DOC, WPS, RTF, ODT, XLS, ET, ODS — through LibreOffice.

Why convert instead of parsing: the binary Word/Excel formats and Kingsoft's look-alikes are large,
badly documented formats, and LibreOffice reads them better than any Python library. A converted
file is read by the DOCX or XLSX reader, so merged cells, grids and provenance follow one
convention for every word-processing file and one for every workbook.

What the file is comes from its content, never from its suffix (websites serve a .doc that is RTF,
a .wps that is a Word file, an .xls that is a Kingsoft workbook):

- an OLE2 compound file is told by its streams: ``WordDocument`` → a Word 97 document (``doc``, or
  ``wps`` when Kingsoft's own property ``KSOProductBuildVer`` or a WPS application name is in its
  summary information, or when it is named .wps: Kingsoft WPS Writer saves Word 97 files, and
  without the property the two cannot be told apart); ``Workbook``/``Book`` → an Excel workbook
  (``xls``, or ``et`` by the same rule); ``EncryptedPackage`` → a password-protected DOCX/XLSX;
- ``{\\rtf`` → RTF; a zip's ``mimetype`` member → ODF text (``odt``) or spreadsheet (``ods``).

Encryption is found before LibreOffice runs (it would only fail slowly, or ask for a password that
headless mode cannot type): the ``EncryptedPackage`` stream, the FIB's fEncrypted/fObfuscated bits
of a Word file, a FILEPASS record in a workbook's globals, ``encryption-data`` in an ODF manifest.
The Document keeps the original path, and ``Document.kind`` says the real format.
"""
from __future__ import annotations

import io
import os
import struct
import zipfile

from ..document import Document
from ..errors import ReadError
from ..libreoffice import convert

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED = "文件已加密（受密码保护），无法读取：请在 Office 或 WPS 中去掉密码、另存后再检查"
_KINGSOFT = (b"KSOProductBuildVer", "KSOProductBuildVer".encode("utf-16-le"), b"WPS Office",
             "WPS Office".encode("utf-16-le"), b"Kingsoft", "Kingsoft".encode("utf-16-le"))
_ODF = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.text-template": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.spreadsheet-template": "ods",
}
# real format → (suffix LibreOffice is told, what it is converted to)
_CONVERSION = {
    "doc": (".doc", "docx"), "wps": (".doc", "docx"), "rtf": (".rtf", "docx"), "odt": (".odt", "docx"),
    "xls": (".xls", "xlsx"), "et": (".xls", "xlsx"), "ods": (".ods", "xlsx"),
}


def read_office(path: str, data: bytes) -> Document:
    kind = identify(path, data)
    suffix, target = _CONVERSION[kind]
    converted = convert(data, suffix, target, name=path)
    if target == "docx":
        from .docx import read_docx
        doc = read_docx(path, converted)
    else:
        from .xlsx import read_xlsx
        doc = read_xlsx(path, converted)
    doc.kind = kind
    return doc


def identify(path: str, data: bytes) -> str:
    """The real format of an office file ("doc", "wps", "rtf", "odt", "xls", "et", "ods"), from its
    content; a ReadError in Chinese for an encrypted, damaged or unsupported one."""
    suffix = os.path.splitext(path)[1].lower()
    if data.startswith(OLE_MAGIC):
        return _identify_ole(path, data, suffix)
    if data.lstrip()[:5] == b"{\\rtf":
        return "rtf"
    if data.startswith(b"PK\x03\x04"):
        return _identify_odf(path, data)
    raise ReadError(f"不是有效的{suffix or '办公'}文件：内容既不是 Word/Excel 97-2003 或 WPS 文件，也不是 RTF 或 "
                    "OpenDocument 文件", path)


# ------------------------------------------------------------------------------------------ OLE2

def _identify_ole(path: str, data: bytes, suffix: str) -> str:
    import olefile
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception:  # noqa: BLE001  olefile raises OSError, struct.error, IndexError… on damage
        raise ReadError("文件已损坏，无法读取：它是 OLE 复合文档（.doc/.xls/.wps/.et 以及加密的 .docx/.xlsx 所用的格式），"
                        "但结构无法解析；请重新下载或另存后再检查", path) from None
    with ole:
        streams = {"/".join(entry) for entry in ole.listdir(streams=True, storages=False)}
        if "EncryptedPackage" in streams or "EncryptionInfo" in streams:
            raise ReadError(ENCRYPTED, path)
        kingsoft = _is_kingsoft(ole, streams)
        if "WordDocument" in streams:
            if _word_encrypted(_stream(ole, "WordDocument", 64)):
                raise ReadError(ENCRYPTED, path)
            return "wps" if kingsoft or suffix == ".wps" else "doc"
        book = "Workbook" if "Workbook" in streams else "Book" if "Book" in streams else None
        if book is not None:
            if _workbook_encrypted(_stream(ole, book, 1 << 20)):
                raise ReadError(ENCRYPTED, path)
            return "et" if kingsoft or suffix == ".et" else "xls"
        if "PowerPoint Document" in streams:
            raise ReadError("这是 PowerPoint 演示文稿，不是 Word 或 Excel 文件，无法作为年报读取", path)
    raise ReadError("文件已损坏，或不是 Word、Excel、WPS 文件：OLE 复合文档中找不到正文（WordDocument）或工作簿（Workbook）",
                    path)


def _stream(ole, name: str, limit: int) -> bytes:
    try:
        with ole.openstream(name) as fh:
            return fh.read(limit)
    except Exception:  # noqa: BLE001  a damaged stream: LibreOffice will say whether it can read the file
        return b""


def _is_kingsoft(ole, streams: set[str]) -> bool:
    """Kingsoft WPS/ET write their build number as the custom property KSOProductBuildVer (and may
    name themselves as the application)."""
    for name in ("\x05DocumentSummaryInformation", "\x05SummaryInformation"):
        if name in streams:
            raw = _stream(ole, name, 1 << 16)
            if any(mark in raw for mark in _KINGSOFT):
                return True
    return False


def _word_encrypted(fib: bytes) -> bool:
    """The FIB's fEncrypted (0x0100) or fObfuscated (0x8000) flag, at offset 10 after the magic
    number (0xA5EC Word 97+, 0xA5DC Word 6/95)."""
    if len(fib) < 12:
        return False
    ident, flags = struct.unpack_from("<H", fib, 0)[0], struct.unpack_from("<H", fib, 10)[0]
    return ident in (0xA5EC, 0xA5DC) and bool(flags & 0x8100)


def _workbook_encrypted(stream: bytes) -> bool:
    """A FILEPASS record (0x002F) in the workbook globals, i.e. before their EOF record (0x000A)."""
    pos = 0
    for _ in range(10000):
        if pos + 4 > len(stream):
            return False
        rtype, size = struct.unpack_from("<HH", stream, pos)
        if rtype == 0x002F:
            return True
        if rtype == 0x000A:
            return False
        pos += 4 + size
    return False


# ------------------------------------------------------------------------------------------ ODF

def _identify_odf(path: str, data: bytes) -> str:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        with zf:
            names = set(zf.namelist())
            mimetype = zf.read("mimetype")[:200].decode("ascii", "replace").strip() if "mimetype" in names else ""
            manifest = zf.read("META-INF/manifest.xml")[: 1 << 20] if "META-INF/manifest.xml" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        raise ReadError("OpenDocument 文件已损坏（zip 压缩包无法打开），请重新下载或另存后再检查", path) from None
    if b"encryption-data" in manifest:
        raise ReadError(ENCRYPTED, path)
    kind = _ODF.get(mimetype)
    if kind is None:
        what = f"（{mimetype}）" if mimetype else ""
        raise ReadError(f"不是 OpenDocument 文字文档或电子表格{what}，无法作为年报读取", path)
    return kind
