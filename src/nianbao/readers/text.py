"""Plain-text and Markdown reports (.txt, .md): lines of prose and table rows.

Text reports are what websites and converters leave of a Word table, so the row layout varies:
cells separated by tabs; one cell per line with blank lines between rows (Word's "convert table to
text"); Markdown pipe tables; or a label followed by space-separated numbers (text pulled out of a
PDF). This reader only finds rows and cells and records their line numbers; deciding which cell is
which is the recognizer's job, so the damage in the rows is kept as it was printed.
"""
from __future__ import annotations

import re

from ..document import Cell, Document, Paragraph, Row, Source, Table
from ..errors import ReadError
from .encoding import decode

MAX_BYTES = 50 * 1024 * 1024
_new = tuple.__new__

_LINE_SPLIT = re.compile(r"\r\n|\r|\n")
_PIPE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
# A value token in a space-separated row: a number (full- or half-width, thousands separators,
# optional unit) or an explicit "not applicable" mark.
_VALUE_TOKEN = re.compile(
    r"^(?:[-+－]?[0-9０-９][0-9０-９,，.．]*(?:%|％|件|个|条|项|次|份|人|家|万元|元)?|/|／|—+|－+|-+|无)$")
_VALUE_END = set("0123456789０１２３４５６７８９/／—－-无%％件个条项次份人家元")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")


def _md_inline(text: str) -> str:
    """Markdown's inline syntax is not part of the printed text: **加粗** → 加粗, \\* → *."""
    if "*" not in text and "_" not in text and "\\" not in text:
        return text  # the common case, and this runs on every cell
    return _MD_ESCAPE.sub(r"\1", _MD_EMPHASIS.sub(r"\2", text))


def read_text(path: str, data: bytes | None = None) -> Document:
    if data is None:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ReadError(f"文件过大（超过 {MAX_BYTES // (1024 * 1024)} MB），不像一份年度报告", path)
    if not data.strip():
        raise ReadError("文件为空", path)
    try:
        text, encoding = decode(data)
    except ReadError as exc:
        exc.path = path
        raise
    if not text.strip():
        raise ReadError("文件为空（只有空白字符）", path)
    return parse_lines(path, _LINE_SPLIT.split(text), encoding, markdown=path.lower().endswith(".md"))


def _is_pipe_row(line: str) -> bool:
    s = line.strip()
    return s.startswith("|") and s.count("|") >= 2


def _spaced_cells(line: str, lineno: int) -> list[Cell] | None:
    """Split “标签 1 0 0 …” (or a line of bare numbers) into cells; None if it is prose."""
    if not line or line[-1] not in _VALUE_END:
        return None  # most lines are prose: decided by their last character
    tokens = line.split()
    if not tokens:
        return None
    k = len(tokens)
    while k > 0 and _VALUE_TOKEN.match(tokens[k - 1]):
        k -= 1
    n_values = len(tokens) - k
    label = " ".join(tokens[:k])
    if n_values == 0 or (label and len(label) > 60):
        return None
    if label and n_values == 1 and (len(label) > 24 or not re.match(r"^[-+－]?[0-9０-９]", tokens[-1])
                                     or re.search(r"[。，；;：:,]", label)):
        return None  # “标签 5” is a row; a sentence ending in a number is prose
    if not label and n_values == 1 and not re.match(r"^[0-9０-９]", tokens[0]):
        return None
    cells = [Cell(label, Source(line=lineno, col=1))] if label else []
    cells += [Cell(t, Source(line=lineno, col=len(cells) + 1)) for t in tokens[k:]]
    return cells


def parse_lines(path: str, lines: list[str], encoding: str | None = None, markdown: bool = False) -> Document:
    doc = Document(path=path, encoding=encoding, kind="text")
    blocks = doc.blocks
    n = len(lines)
    i = 0
    while i < n:
        line = lines[i]
        if "\t" in line or _is_pipe_row(line):
            j, table = _collect_table(lines, i, len(doc.tables) + 1)
            if table.rows:
                blocks.append(table)
            i = j
            continue
        stripped = line.strip()
        if not stripped:
            i += 1
            continue
        spaced = _spaced_cells(stripped, i + 1)
        if spaced is not None:
            rows = []
            while i < n and (cells := _spaced_cells(lines[i].strip(), i + 1)) is not None:
                rows.append(Row(cells, Source(line=i + 1)))
                i += 1
            blocks.append(Table(rows, len(doc.tables) + 1, layout="spaced"))
            continue
        level = 0
        m = _HEADING.match(line)
        if m and (markdown or True):
            level, stripped = len(m.group(1)), m.group(2)
        blocks.append(Paragraph(_md_inline(stripped), Source(line=i + 1), heading=level))
        i += 1
    return doc


def _collect_table(lines: list[str], start: int, index: int) -> tuple[int, Table]:
    """Gather the table rows starting at `start`; blank lines may separate rows."""
    pipe = _is_pipe_row(lines[start])
    member = _is_pipe_row if pipe else (lambda s: "\t" in s)
    j = start
    last = start
    n = len(lines)
    while j < n:
        if member(lines[j]):
            last = j
            j += 1
            continue
        if not pipe and _continuation(lines, j, member):
            j += 1
            continue
        if not lines[j].strip():
            k = j
            while k < n and not lines[k].strip() and k - j < 3:
                k += 1
            if k < n and member(lines[k]):
                j = k
                continue
        break
    span = range(start, last + 1)
    if pipe:
        rows = [_pipe_row(lines[k], k + 1) for k in span if lines[k].strip() and not _PIPE_SEP.match(lines[k])]
        return last + 1, Table(rows, index, layout="pipe")
    body = [k for k in span if lines[k].strip() and "\t" in lines[k]]
    single = [k for k in body if lines[k].startswith("\t") and lines[k].count("\t") == 1]
    if len(body) >= 6 and len(single) >= 0.8 * len(body):
        return last + 1, Table(_cell_per_line_rows(lines, span), index, layout="cell-per-line")
    rows = []
    for k in span:
        if not lines[k].strip():
            continue
        line = k + 1
        # tuple.__new__ skips NamedTuple's Python-level constructor: a report has hundreds of cells.
        cells = [_new(Cell, (t.strip(), _new(Source, (line, None, None, None, c + 1, None, None)), False))
                 for c, t in enumerate(lines[k].split("\t"))]
        rows.append(Row(cells, Source(line)))
    return last + 1, Table(rows, index, layout="tsv")


def _continuation(lines: list[str], j: int, member) -> bool:
    """A short line without a tab between two table lines: the wrapped rest of a cell."""
    t = lines[j].strip()
    return (bool(t) and len(t) <= 40 and j > 0 and j + 1 < len(lines) and member(lines[j - 1])
            and lines[j - 1].strip() != "" and member(lines[j + 1]) and not re.search(r"[。；;：:]", t))


def _cell_per_line_rows(lines: list[str], span: range) -> list[Row]:
    """Word's table-to-text export: each cell on its own line after a tab, rows between blank lines."""
    rows: list[Row] = []
    current: list[Cell] = []
    for k in span:
        line = lines[k]
        if not line.strip() and not line.startswith("\t"):
            if current:
                rows.append(Row(current, current[0].source))
                current = []
            continue
        src = Source(k + 1)  # each cell is its own line: the line says where it is
        if not line.startswith("\t") and current:
            # The wrapped rest of the previous cell's text.
            current[-1] = Cell(current[-1].text + line.strip(), current[-1].source)
            continue
        for t in line.split("\t")[1:] if line.startswith("\t") else [line]:
            current.append(Cell(t.strip(), src))
    if current:
        rows.append(Row(current, current[0].source))
    return rows


def _pipe_row(line: str, lineno: int) -> Row:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|") and not s.endswith("\\|"):
        s = s[:-1]
    parts = re.split(r"(?<!\\)\|", s)
    cells = [Cell(_md_inline(p.strip()).replace("<br>", "").replace("&nbsp;", ""),
                  Source(line=lineno, col=c + 1)) for c, p in enumerate(parts)]
    return Row(cells, Source(line=lineno))
