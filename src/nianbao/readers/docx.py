"""Word/WPS documents (.docx): the body's paragraphs and tables, in document order.

The XML is parsed with lxml straight from the zip (python-docx objects are not built: ~10× slower
and `row.cells` repeats merged cells without saying so). Merged cells are expanded into a true grid:
the text of a merged cell (w:gridSpan horizontally, w:vMerge restart/continue vertically) is repeated
in every grid position it covers, with `Cell.spanned` set on all but its top-left position (a merged
value is one value), so every row of a table has the grid's number of cells and a cell's
`Source.col` is its 1-based grid column.

Choices a reader has to make, stated once:
- headers, footers, footnotes and comments are not read (page numbers must not become table cells);
- a nested table is not joined into its cell's text: its rows follow the outer table as a table
  block of their own (its own index), so its numbers keep their grid;
- paragraphs of text boxes (w:txbxContent) become Paragraphs right after the paragraph anchoring
  them (the mc:Fallback copy of a text box is skipped, else it would be read twice);
- a cell's paragraphs are joined without a separator, except a space between two Latin letters or
  digits (no space is ever invented between CJK characters); line breaks inside a paragraph split a
  body paragraph into several Paragraphs with the same line number;
- `Source.line` of a paragraph is its 1-based number among the body's paragraphs (empty ones count;
  text-box paragraphs are numbered after the paragraph anchoring them);
- a tab inside a paragraph is a space (tabs align signatures; a tabbed line is not a table row here);
- heading levels come from the paragraph's outline level or its style's name (Heading N, 标题 N) or
  the style's outline level; `basedOn` chains are not followed.
"""
from __future__ import annotations

import io
import re
import zipfile
import zlib

from lxml import etree

from ..document import Cell, Document, Paragraph, Row, Source, Table
from ..errors import ReadError

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_w = f"{{{W}}}"
T_P, T_TBL, T_TR, T_TC, T_R, T_T, T_TAB, T_BR, T_CR = (_w + x for x in ("p", "tbl", "tr", "tc", "r", "t", "tab",
                                                                      "br", "cr"))
T_SDT, T_SDTCONTENT, T_TXBX, T_PPR, T_TRPR = (_w + x for x in ("sdt", "sdtContent", "txbxContent", "pPr", "trPr"))
T_DEL, T_MOVEFROM, T_TCPR, T_VAL = _w + "del", _w + "moveFrom", _w + "tcPr", _w + "val"
T_NOBR, T_SYM = _w + "noBreakHyphen", _w + "sym"
T_FALLBACK = f"{{{MC}}}Fallback"
# Containers of runs inside a paragraph (hyperlinks, tracked insertions, smart tags, fields…).
_RUN_CONTAINERS = {_w + x for x in ("hyperlink", "ins", "smartTag", "fldSimple", "customXml", "moveTo", "dir",
                                    "bdo", "sdt", "sdtContent")}

MAX_UNCOMPRESSED = 100 * 1024 * 1024  # total of all members
MAX_RATIO = 200                       # per member, compressed → uncompressed
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True,
                          remove_pis=True)
_new = tuple.__new__
_EMPTY = ("", False)
_HEADING_NAME = re.compile(r"^(?:heading|标题)\s*([1-9])$", re.IGNORECASE)
_LATIN = re.compile(r"[A-Za-z0-9]")


# ------------------------------------------------------------------------------------------ zip

def _open_zip(path: str, data: bytes) -> zipfile.ZipFile:
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ReadError("文件已加密（受密码保护），或是旧版 Word 97-2003（.doc）格式而非 .docx：请解除密码或另存为 .docx 后再检查",
                        path)
    if not data.startswith(b"PK"):
        raise ReadError("不是有效的 Word 文档（.docx 应是 zip 压缩包，此文件不是）", path)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError):
        raise ReadError("Word 文档已损坏（zip 压缩包无法打开），请重新下载或另存后再检查", path) from None
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(1, info.compress_size):
            raise ReadError(f"Word 文档内容异常（{info.filename} 压缩比超过 {MAX_RATIO} 倍，疑似压缩炸弹），已拒绝读取", path)
    if total > MAX_UNCOMPRESSED:
        raise ReadError(f"Word 文档解压后过大（{total // (1024 * 1024)} MB，上限 {MAX_UNCOMPRESSED // (1024 * 1024)} MB），"
                        "疑似压缩炸弹，已拒绝读取", path)
    return zf


def _member(zf: zipfile.ZipFile, name: str, path: str) -> bytes | None:
    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    try:
        with zf.open(info) as fh:
            raw = fh.read(MAX_UNCOMPRESSED + 1)  # the sizes in the directory may lie
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
        if "encrypted" in str(exc) or "password" in str(exc):
            raise ReadError("Word 文档已加密（受密码保护），请解除密码后再检查", path) from None
        raise ReadError(f"Word 文档已损坏（{name} 无法解压），请重新下载或另存后再检查", path) from None
    except zlib.error:
        raise ReadError(f"Word 文档已损坏（{name} 无法解压），请重新下载或另存后再检查", path) from None
    if len(raw) > MAX_UNCOMPRESSED:
        raise ReadError("Word 文档解压后过大，疑似压缩炸弹，已拒绝读取", path)
    return raw


def _main_part(zf: zipfile.ZipFile, path: str) -> str:
    """word/document.xml, or wherever _rels/.rels says the main document is (some tools rename it)."""
    names = set(zf.namelist())
    if "word/document.xml" in names:
        return "word/document.xml"
    rels = _member(zf, "_rels/.rels", path)
    if rels:
        try:
            root = etree.fromstring(rels, _PARSER)
            for rel in root:
                if (rel.get("Type") or "").endswith("/officeDocument"):
                    target = rel.get("Target", "").lstrip("/")
                    if target in names:
                        return target
        except etree.XMLSyntaxError:
            pass
    raise ReadError("不是 Word 文档（压缩包中没有 word/document.xml）", path)


def _parse(raw: bytes, name: str, path: str):
    try:
        return etree.fromstring(raw, _PARSER)
    except etree.XMLSyntaxError:
        raise ReadError(f"Word 文档已损坏（{name} 不是有效的 XML）", path) from None


# ------------------------------------------------------------------------------------------ styles

def _heading_styles(zf: zipfile.ZipFile, main: str, path: str, used: set[str]) -> dict[str, int]:
    """styleId → heading level for the paragraph styles the body uses, from the style's name
    (Heading 1, 标题 1) or its outline level.

    styles.xml is often several hundred KB of latent styles (15 ms to parse, more than the body), so
    only the <w:style> elements of the used ids are cut out and parsed."""
    if not used:
        return {}
    name = main.rsplit("/", 1)[0] + "/styles.xml" if "/" in main else "styles.xml"
    try:
        raw = _member(zf, name, path)
    except ReadError:
        return {}  # styles only give heading levels: the body is still read
    if not raw:
        return {}
    out: dict[str, int] = {}
    for sid in used:
        m = re.search(rb'<w:style\b[^>]*\bw:styleId="' + re.escape(sid.encode("utf-8")) + rb'"[^>]*>.*?</w:style>',
                      raw, re.DOTALL)
        if m is None:
            continue
        try:
            st = etree.fromstring(b'<w:style xmlns:w="' + W.encode() + b'"' + m.group(0)[8:], _PARSER)
        except etree.XMLSyntaxError:
            continue  # styles only give heading levels: a broken style is not fatal
        n = st.find(_w + "name")
        hm = _HEADING_NAME.match((n.get(T_VAL) or "").strip()) if n is not None else None
        if hm:
            out[sid] = int(hm.group(1))
            continue
        ol = st.find(f"{_w}pPr/{_w}outlineLvl")
        if ol is not None and (ol.get(T_VAL) or "").isdigit() and int(ol.get(T_VAL)) < 9:
            out[sid] = int(ol.get(T_VAL)) + 1
    return out


# ------------------------------------------------------------------------------------------ text

def _runs_text(el, out: list[str], boxes: list) -> None:
    """Text of a paragraph's runs; text boxes met on the way are collected in `boxes`."""
    for child in el:
        tag = child.tag
        if tag == T_R:
            for x in child:
                t = x.tag
                if t == T_T:
                    if x.text:
                        out.append(x.text)
                elif t == T_TAB:
                    out.append("\t")
                elif t == T_BR or t == T_CR:
                    if x.get(_w + "type") in (None, "textWrapping"):
                        out.append("\n")
                elif t == T_NOBR:
                    out.append("-")
                elif t == T_PPR or t == T_DEL:
                    continue
                elif isinstance(t, str) and not t.startswith(_w):
                    _boxes(x, boxes)  # mc:AlternateContent, w:drawing's DrawingML, VML w:pict
                elif t in (_w + "drawing", _w + "pict", _w + "object"):
                    _boxes(x, boxes)
        elif tag in _RUN_CONTAINERS:
            _runs_text(child, out, boxes)
        elif tag == T_DEL or tag == T_MOVEFROM or tag == T_PPR:
            continue
        elif isinstance(tag, str) and not tag.startswith(_w):
            _boxes(child, boxes)


def _boxes(el, boxes: list) -> None:
    """w:txbxContent below `el`, skipping mc:Fallback (a second copy of the same text box)."""
    for child in el:
        if child.tag == T_FALLBACK:
            continue
        if child.tag == T_TXBX:
            boxes.append(child)
        else:
            _boxes(child, boxes)


def _join(parts: list[str]) -> str:
    """A cell's paragraphs as one text: no separator, except a space between two Latin letters/digits."""
    parts = [p for p in parts if p]
    if not parts:
        return ""
    out = parts[0]
    for p in parts[1:]:
        if _LATIN.match(out[-1]) and _LATIN.match(p[0]):
            out += " "
        out += p
    return out


# ------------------------------------------------------------------------------------------ reader

class _Reader:
    def __init__(self, path: str, styles: dict[str, int]):
        self.doc = Document(path=path, kind="docx")
        self.styles = styles
        self.n_para = 0
        self.n_table = 0

    # Body-level content: paragraphs, tables, content controls.
    def blocks(self, parent) -> None:
        for el in parent:
            tag = el.tag
            if tag == T_P:
                self.paragraph(el)
            elif tag == T_TBL:
                self.table(el)
            elif tag == T_SDT:
                content = el.find(T_SDTCONTENT)
                if content is not None:
                    self.blocks(content)
            elif tag == _w + "customXml":
                self.blocks(el)

    def paragraph(self, p) -> None:
        self.n_para += 1
        line = self.n_para
        parts: list[str] = []
        boxes: list = []
        _runs_text(p, parts, boxes)
        text = "".join(parts)
        if text.strip():
            level = self._level(p)
            src = _new(Source, (line, None, None, None, None, None, None))
            for piece in text.split("\n"):
                piece = piece.replace("\t", " ").strip()  # tabs align a signature: not a table row
                if piece:
                    self.doc.blocks.append(Paragraph(piece, src, level))
        for box in boxes:
            self.blocks(box)

    def _level(self, p) -> int:
        ppr = p.find(T_PPR)
        if ppr is None:
            return 0
        ol = ppr.find(_w + "outlineLvl")
        if ol is not None and (ol.get(T_VAL) or "").isdigit() and int(ol.get(T_VAL)) < 9:
            return int(ol.get(T_VAL)) + 1
        ps = ppr.find(_w + "pStyle")
        if ps is not None:
            return self.styles.get(ps.get(T_VAL), 0)
        return 0

    def _cell_text(self, tc, nested: list) -> str:
        parts: list[str] = []
        for el in tc:
            tag = el.tag
            if tag == T_P:
                out: list[str] = []
                boxes: list = []
                _runs_text(el, out, boxes)
                for box in boxes:
                    out.append(self._cell_text(box, nested))
                parts.append("".join(out).replace("\n", "").replace("\t", " ").strip())
            elif tag == T_TBL:
                nested.append(el)
            elif tag in (T_SDT, T_SDTCONTENT, _w + "customXml"):
                inner = el.find(T_SDTCONTENT) if tag == T_SDT else el
                if inner is not None:
                    parts.append(self._cell_text(inner, nested))
        return _join(parts)

    def table(self, tbl) -> None:
        self.n_table += 1
        index = self.n_table
        nested: list = []
        grid = tbl.find(_w + "tblGrid")
        width = len(grid.findall(_w + "gridCol")) if grid is not None else 0
        texts: list[list[tuple[str, bool]]] = []  # per row, per grid column: (text, spanned)
        above: list[tuple[str, bool]] = []        # the previous row
        for tr in _children(tbl, T_TR):
            row: list[tuple[str, bool]] = []
            trpr = tr.find(T_TRPR)
            before = _int(trpr, "gridBefore") if trpr is not None else 0
            row.extend([_EMPTY] * before)
            for tc in _children(tr, T_TC):
                tcpr = tc.find(T_TCPR)
                span, vmerge = 1, None
                if tcpr is not None:
                    gs = tcpr.find(_w + "gridSpan")
                    if gs is not None and (gs.get(T_VAL) or "").isdigit():
                        span = max(1, int(gs.get(T_VAL)))
                    vm = tcpr.find(_w + "vMerge")
                    if vm is not None:
                        vmerge = vm.get(T_VAL) or "continue"
                col = len(row)
                if vmerge == "continue":
                    for k in range(span):
                        row.append((above[col + k][0], True) if col + k < len(above) else _EMPTY)
                    # A continued cell's own content is normally empty; nested tables still count.
                    self._cell_text(tc, nested)
                else:
                    text = self._cell_text(tc, nested)
                    row.append((text, False))
                    row.extend([(text, True)] * (span - 1))
            after = _int(trpr, "gridAfter") if trpr is not None else 0
            row.extend([_EMPTY] * after)
            texts.append(row)
            above = row
        width = max([width] + [len(r) for r in texts])
        rows = []
        for r, row in enumerate(texts, start=1):
            row = row + [_EMPTY] * (width - len(row))
            cells = [_new(Cell, (t, _new(Source, (None, None, index, r, c, None, None)), spanned))
                     for c, (t, spanned) in enumerate(row, 1)]
            rows.append(Row(cells, _new(Source, (None, None, index, r, None, None, None))))
        if rows:
            self.doc.blocks.append(Table(rows, index, layout="grid"))
        for sub in nested:
            self.table(sub)


def _children(parent, tag: str):
    """The `tag` children of a table or row, looking through content controls and custom XML
    (Word wraps rows and cells in them) — so _children(tbl, T_TR) are the rows, (tr, T_TC) the cells."""
    for el in parent:
        if el.tag == tag:
            yield el
        elif el.tag in (T_SDT, T_SDTCONTENT, _w + "customXml"):
            inner = el.find(T_SDTCONTENT) if el.tag == T_SDT else None
            yield from _children(inner if inner is not None else el, tag)


def _int(parent, name: str) -> int:
    el = parent.find(_w + name)
    v = el.get(T_VAL) if el is not None else None
    return int(v) if v and v.isdigit() else 0


def read_docx(path: str, data: bytes) -> Document:
    zf = _open_zip(path, data)
    with zf:
        main = _main_part(zf, path)
        raw = _member(zf, main, path)
        root = _parse(raw, main, path)
        used = {el.get(T_VAL) for el in root.iter(_w + "pStyle")} - {None}
        styles = _heading_styles(zf, main, path, used)
    body = root.find(_w + "body")
    if body is None:
        raise ReadError("Word 文档没有正文（document.xml 中没有 w:body）", path)
    reader = _Reader(path, styles)
    reader.blocks(body)
    if not reader.doc.blocks:
        raise ReadError("Word 文档没有文字内容（可能是扫描图片，需要 OCR）", path)
    return reader.doc
