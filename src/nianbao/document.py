"""The format-neutral document every reader produces and the recognizer consumes.

A Document is the text of a report as printed, in reading order: lines of prose and table rows.
Readers for every format (text, HTML, DOCX, PDF, OCR…) produce the same shape, so nothing after
the readers knows which format a report came from. Every cell and line carries a `Source` so that
each value in a Report can say where it was printed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class Source(NamedTuple):
    """Where something was printed: a line of a text file, or a page/table/row/col of a document.
    (A NamedTuple: a report has thousands of these and they are built in the hot path.)

    `bbox` is where on the page, for readers that know it (PDF text layer, OCR of scanned PDF pages):
    (x0, top, x1, bottom) in PDF points with the origin at the page's top left — pdfplumber's
    coordinates — rounded to 0.1 pt; for a page image (PNG, TIFF…) in the image's pixels. It powers
    the web page's "show me where" (the page image with the cell marked) and is not part of
    `english()`, so the JSON contract does not change. Readers that build Sources with
    `tuple.__new__` must pass all seven fields."""
    line: int | None = None
    page: int | None = None
    table: int | None = None
    row: int | None = None
    col: int | None = None
    confidence: float | None = None  # set by OCR readers
    bbox: tuple[float, float, float, float] | None = None  # (x0, top, x1, bottom), see above

    def english(self) -> str:
        """The `location` string of the JSON contract: “line 52”, “page 4, table 2, row 7, col 3”
        (outputs.human.location_zh renders it in Chinese)."""
        parts = []
        if self.page is not None:
            parts.append(f"page {self.page}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.table is not None:
            parts.append(f"table {self.table}")
        if self.row is not None and self.line is None:
            parts.append(f"row {self.row}")
        if self.col is not None:
            parts.append(f"col {self.col}")
        return ", ".join(parts)


class Cell(NamedTuple):
    """One grid position. Structured readers (HTML, DOCX, XLSX) repeat a merged cell's text in every
    position it covers and set `spanned` on all but the first: a merged value is one value."""
    text: str
    source: Source
    spanned: bool = False


@dataclass(slots=True)
class Row:
    """One row of a table as the reader saw it. `cells` may be ragged: damage is kept, not fixed."""
    cells: list[Cell]
    source: Source

    @property
    def texts(self) -> list[str]:
        return [c.text for c in self.cells]


@dataclass(slots=True)
class Table:
    rows: list[Row]
    index: int  # 1-based, in document order
    layout: str = "grid"  # grid | tsv | cell-per-line | pipe | spaced: how the reader found it


@dataclass(slots=True)
class Paragraph:
    text: str
    source: Source
    heading: int = 0  # markdown heading level, 0 if none


Block = Paragraph | Table


@dataclass(slots=True)
class Document:
    path: str
    blocks: list[Block] = field(default_factory=list)
    encoding: str | None = None
    kind: str = "text"  # the reader that produced it
    notes: list[str] = field(default_factory=list)  # what the reader had to guess, in Chinese

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    @property
    def paragraphs(self) -> list[Paragraph]:
        return [b for b in self.blocks if isinstance(b, Paragraph)]
