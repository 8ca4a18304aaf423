"""HTML pages (.html, .htm, and .doc/.txt files that are really web pages).

Government sites publish the annual report as a web page: the article (title, prose, the three
tables) sits inside navigation, scripts, breadcrumbs and a footer whose 版权所有 line carries a date
that is not the report's. This reader keeps the article and drops the page around it, and turns
every data <table> into a true grid: a merged cell (rowspan/colspan) has its text repeated in every
grid position it covers and every row has the same number of cells, so the recognizer sees the
same shape whatever merging the page used. Text outside tables is cut into lines at block elements,
<br> and newlines and handed to the text reader's line parser, so a page whose tables were flattened
into “标签 1 0 0” lines reads like the same text file.

Decoding never trusts the page alone: strict UTF-8 first (it almost never decodes anything else),
then the charset of <meta> (GBK and GB2312 as their superset GB18030), then the text reader's
detection. lxml, not BeautifulSoup: a report must read in milliseconds.
"""
from __future__ import annotations

import re

from ..document import Cell, Document, Paragraph, Row, Source, Table
from ..errors import ReadError
from .encoding import decode
from .text import parse_lines

_new = tuple.__new__

_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,100}?encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_GB = {"gb2312", "gbk", "gb18030", "gb_2312-80", "x-gbk", "cp936", "windows-936", "euc-cn", "x-euc-cn", "hz-gb-2312"}
_HAS_TAG = re.compile(r"<\s*(?:html|body|p|div|table|tr|td|span|br|h[1-6]|meta|head|title)\b", re.IGNORECASE)

# Elements whose content is never part of the article.
_SKIP = frozenset({"script", "style", "noscript", "template", "head", "title", "nav", "select", "option",
                   "button", "iframe", "object", "embed", "svg", "math", "textarea", "map", "audio", "video",
                   "canvas", "input"})
# Page furniture, dropped unless it is the header/footer of the article itself.
_PAGE_PARTS = frozenset({"header", "footer"})
# class/id tokens of page furniture (exact tokens: “article-header” is not “header”).
_FURNITURE = frozenset({"nav", "navbar", "navigation", "menu", "mainmenu", "topmenu", "breadcrumb",
                        "breadcrumbs", "crumb", "crumbs", "bread", "footer", "foot", "header", "topbar",
                        "top-bar", "sidebar", "side-bar", "share", "copyright", "site-footer", "site-header",
                        "skip-link", "toolbar"})
_FURNITURE_ROLES = frozenset({"navigation", "banner", "contentinfo", "search", "menubar", "menu"})
_ARTICLE = frozenset({"article", "main"})
_BLOCK = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd",
                    "section", "article", "main", "aside", "blockquote", "pre", "address", "figure",
                    "figcaption", "center", "form", "fieldset", "legend", "hr", "table", "thead", "tbody",
                    "tfoot", "tr", "td", "th", "caption", "body", "html", "header", "footer", "details",
                    "summary"})
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}

_SPACES = re.compile(r"[ \t\r\f\v\xa0\u3000\u2002\u2003\u2009\u200b\ufeff]+")
_LINE_SPACES = re.compile(r"[ \r\f\v\xa0\u3000\u2002\u2003\u2009\u200b\ufeff]+")
_LINE_TABS = re.compile(r" *\t[ \t]*")
_NEWLINES = re.compile(r"\r\n|\r|\n")
_MAX_SPAN = 1000


def read_html(path: str, data: bytes) -> Document:
    if not data or not data.strip():
        raise ReadError("文件为空", path)
    text, encoding = _decode(path, data)
    if not text.strip():
        raise ReadError("文件为空（只有空白字符）", path)
    if not _HAS_TAG.search(text[:200000]) and not _HAS_TAG.search(text):
        raise ReadError("不是 HTML 网页：内容中没有任何 HTML 标签", path)
    root = _parse(path, text)
    doc = Document(path=path, encoding=encoding, kind="html")
    _Walker(doc).run(root)
    if not doc.blocks:
        raise ReadError("网页中没有正文文字（只有脚本、样式或导航等页面框架）", path)
    return doc


# ------------------------------------------------------------------------------------------ decoding

def _norm_charset(name: bytes) -> str | None:
    n = name.decode("ascii", "ignore").strip().lower()
    if n in _GB:
        return "gb18030"
    if n in ("utf8", "utf-8"):
        return "utf-8"
    if n in ("big5", "big5-hkscs", "x-big5"):
        return "big5hkscs"
    if n.startswith(("utf-16", "unicode")):
        return None  # a meta tag readable as ASCII cannot be in UTF-16: the declaration is wrong
    try:
        import codecs
        return codecs.lookup(n).name
    except LookupError:
        return None


def declared_charset(data: bytes) -> str | None:
    head = data[:8192]
    m = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    return _norm_charset(m.group(1)) if m else None


def _decode(path: str, data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 when it decodes strictly, else the declared charset, else detection."""
    if not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) and b"\x00" not in data[:4096]:
        try:
            return data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
        declared = declared_charset(data)
        if declared and declared != "utf-8":
            try:
                return data.decode(declared), declared
            except (UnicodeDecodeError, LookupError):
                pass
    try:
        return decode(data)
    except ReadError as exc:
        declared = declared_charset(data)
        if declared and b"\x00" not in data[:8000]:
            text = data.decode(declared, errors="replace")
            bad = text.count("\ufffd")
            if bad <= max(3, len(text) // 200):  # a few broken characters: still a page
                return text, declared
        raise ReadError(f"无法解码网页：{exc.message}", path) from None


def _parse(path: str, text: str):
    from lxml import etree
    parser = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True)
    try:
        root = etree.fromstring(text.encode("utf-8", "surrogatepass"), parser)
    except (etree.LxmlError, ValueError) as exc:
        raise ReadError(f"HTML 无法解析（{exc}）", path) from None
    if root is None:
        raise ReadError("HTML 无法解析：页面中没有任何元素", path)
    return root


# ------------------------------------------------------------------------------------------ text

def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return o > 0x2e7f  # CJK, CJK punctuation, full-width forms: no spaces between them in Chinese


def _squash(m: re.Match) -> str:
    """Whitespace in a cell: dropped between two Chinese characters (a line break of the source or of
    a <p> inside the cell), one space elsewhere (“1. 属于”, “1 234”)."""
    s, a, b = m.string, m.start(), m.end()
    if a == 0 or b == len(s):
        return ""
    return "" if _is_cjk(s[a - 1]) and _is_cjk(s[b]) else " "


def _join(pieces: list[str]) -> str:
    """Join the lines of a cell (its <p>, <br>, <div>): no space invented between Chinese characters,
    one kept between two digits or letters (“1<br>234” is not “1234”)."""
    out = ""
    for p in pieces:
        p = _SPACES.sub(_squash, p) if _SPACES.search(p) else p
        if not p:
            continue
        if out and out[-1].isascii() and out[-1].isalnum() and p[0].isascii() and p[0].isalnum():
            out += " "
        out += p
    return out


def _furniture(el, in_article: bool) -> bool:
    tag = el.tag
    if tag in _PAGE_PARTS and not in_article:
        return True
    attrib = el.attrib
    if not attrib:
        return False
    for name in ("class", "id"):
        v = attrib.get(name)
        if v and any(t in _FURNITURE for t in v.lower().split()):
            return True
    role = attrib.get("role")
    if role and role.lower() in _FURNITURE_ROLES:
        return True
    style = attrib.get("style")
    return bool(style and "display" in style and re.search(r"display\s*:\s*none", style, re.IGNORECASE))


class _Walker:
    """Walks the page in reading order: lines of text between the tables, and the tables."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.buf: list[str] = []
        self.buf_line = 0
        self.line = 1
        self.heading = 0
        self.buf_heading = 0
        self.lines: list[tuple[str, int, int]] = []  # (text, source line, heading level)

    def run(self, root) -> None:
        body = root.find("body")
        self._walk(root if body is None else body, False)
        self._flush()
        self._flush_lines()

    # -- text lines
    def _add(self, text: str) -> None:
        parts = _NEWLINES.split(text)
        for i, part in enumerate(parts):
            if i:
                self._flush()
                self.line += 1
            if part:
                if not self.buf:
                    if part.isspace():
                        continue
                    self.buf_line = self.line
                    self.buf_heading = self.heading
                self.buf.append(part)

    def _flush(self) -> None:
        if not self.buf:
            return
        text = "".join(self.buf)
        self.buf = []
        text = _LINE_SPACES.sub(" ", text)
        if "\t" in text:
            text = _LINE_TABS.sub("\t", text)
        text = text.strip(" ")
        if text.strip():
            self.lines.append((text, self.buf_line, self.buf_heading))

    def _flush_lines(self) -> None:
        """Prose and flattened tables between two <table>s, through the text reader's line parser."""
        if not self.lines:
            return
        lines, self.lines = self.lines, []
        parsed = parse_lines(self.doc.path, [t for t, _, _ in lines])
        where = [ln for _, ln, _ in lines]
        levels = [h for _, _, h in lines]
        blocks = self.doc.blocks
        for b in parsed.blocks:
            if isinstance(b, Paragraph):
                i = b.source.line - 1
                blocks.append(Paragraph(b.text, Source(line=where[i]), heading=b.heading or levels[i]))
            else:
                for r in b.rows:
                    r.source = r.source._replace(line=where[r.source.line - 1])
                    r.cells = [Cell(c.text, c.source._replace(line=where[c.source.line - 1])) for c in r.cells]
                b.index = len(self.doc.tables) + 1
                blocks.append(b)

    # -- the tree
    def _walk(self, el, in_article: bool) -> None:
        ln = el.sourceline
        if ln is not None and ln > self.line:
            self.line = ln
        tag = el.tag
        if tag in _ARTICLE:
            in_article = True
        heading = _HEADINGS.get(tag, 0)
        saved = self.heading
        if heading:
            self._flush()
            self.heading = heading
        if el.text:
            self._add(el.text)
        for child in el:
            ctag = child.tag
            if not isinstance(ctag, str) or ctag in _SKIP or _furniture(child, in_article):
                pass  # a comment left by the parser, a script, page furniture: only its tail is text
            elif ctag == "br":
                self._flush()
            elif ctag == "table" and self._table(child, in_article):
                pass
            elif ctag in _BLOCK:
                self._flush()
                self._walk(child, in_article)
                self._flush()
            else:
                self._walk(child, in_article)
            if child.tail:
                self._add(child.tail)
        if heading:
            self._flush()
            self.heading = saved

    def _table(self, el, in_article: bool) -> bool:
        """Emit a data table; False for a layout table (nested tables, or a single column of text),
        whose content is then read as ordinary blocks."""
        if el.find(".//table") is not None:
            return False
        trs = list(el.iter("tr"))
        if not trs:
            return False
        grid = _grid([[c for c in tr if c.tag in ("td", "th")] for tr in trs])
        width = max((len(r) for r in grid), default=0)
        if width <= 1:
            return False
        self._flush()
        caption = el.find("caption")
        if caption is not None:
            self._walk(caption, in_article)
            self._flush()
        self._flush_lines()
        index = len(self.doc.tables) + 1
        rows = []
        for r, texts in enumerate(grid, 1):
            if not any(t for t, _ in texts):
                continue  # an empty row (spacer) carries nothing
            cells = [_new(Cell, (t, _new(Source, (None, None, index, r, c, None, None)), spanned))
                     for c, (t, spanned) in enumerate(texts, 1)]
            rows.append(Row(cells, Source(table=index, row=r)))
        if rows:
            self.doc.blocks.append(Table(rows, index, layout="grid"))
        return True


def _span(cell, name: str) -> int:
    v = cell.get(name)
    if not v:
        return 1
    if v.isdigit():
        n = int(v)
        return n if 0 < n <= _MAX_SPAN else (1 if n > _MAX_SPAN else 0)
    m = re.match(r"\s*(\d+)", v)
    if not m:
        return 1
    n = int(m.group(1))
    return n if 0 < n <= _MAX_SPAN else (1 if n > _MAX_SPAN else 0)


def _grid(rows: list[list]) -> list[list[tuple[str, bool]]]:
    """Expand rowspan/colspan: a merged cell's text in every position it covers, with the positions
    after the first marked as spanned; rows padded to one width."""
    out: list[list[tuple[str, bool]]] = []
    pending: dict[int, list] = {}  # column -> [rows left, text] of a rowspan from above
    n_rows = len(rows)
    for r, cells in enumerate(rows):
        line: list[str] = []
        for cell in cells:
            _fill(line, pending)
            text = cell_text(cell)
            cs = _span(cell, "colspan") or 1
            rs = _span(cell, "rowspan")
            if rs == 0:  # rowspan="0": to the end of the table
                rs = n_rows - r
            rs = min(rs, n_rows - r)
            for k in range(cs):
                if rs > 1:
                    pending[len(line)] = [rs - 1, text]
                line.append((text, k > 0))
        # Cells still covered by rowspans from above, to the right of the last cell of this row.
        while pending and len(line) <= max(pending):
            if len(line) in pending:
                _fill(line, pending)
            else:
                line.append(("", False))
        out.append(line)
    width = max((len(r) for r in out), default=0)
    for line in out:
        if len(line) < width:
            line.extend([("", False)] * (width - len(line)))
    return out


def _fill(line: list[str], pending: dict[int, list]) -> None:
    """Put the rowspans from above that cover the next positions of `line` there."""
    while (col := len(line)) in pending:
        left = pending[col]
        line.append((left[1], True))
        left[0] -= 1
        if left[0] <= 0:
            del pending[col]


def cell_text(cell) -> str:
    """The printed text of a cell: its <p>/<br>/<div> lines joined (see `_join`)."""
    if len(cell) == 0:
        t = cell.text
        if not t:
            return ""
        if _SPACES.search(t) or "\n" in t:
            return _join(_NEWLINES.split(t))
        return t
    parts: list[str] = []
    _collect(cell, parts)
    return _join(_NEWLINES.split("".join(parts)))


def _collect(el, parts: list[str]) -> None:
    if el.text:
        parts.append(el.text)
    for c in el:
        tag = c.tag
        if not isinstance(tag, str) or tag in _SKIP:
            pass
        elif tag == "br":
            parts.append("\n")
        elif tag in _BLOCK:
            parts.append("\n")
            _collect(c, parts)
            parts.append("\n")
        else:
            _collect(c, parts)
        if c.tail:
            parts.append(c.tail)
