"""Exporting the corpus store: one row (CSV, XLSX) or one object (JSON Lines) per stored report.

A store can hold 100,000 reports, so nothing here holds them all: the ids of the selection are read
first (a list of ints), then reports are rebuilt ``CHUNK`` at a time with ``store.writer.load_reports``
and written out before the next chunk is read. XLSX goes through openpyxl's write-only mode, which
streams rows to a temporary file instead of building the sheet in memory.

The cell columns and their Chinese headers are those of ``nianbao extract`` (``outputs.tabular``:
``schema.paths_2021()`` then, when some selected report is in the 2019 format, the 2019-only cells;
header = ``schema.label_of(path)``), so an export and an extract of the same files line up column for
column. The JSON Lines objects are ``nianbao check --format json`` objects (spec/output.md) plus where
the report sits in the store, so a consumer of one reads the other.
"""
from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from typing import IO, Any

from sqlalchemy.engine import Connection

from .. import regions, schema
from ..errors import UsageError
from ..model import Report
from ..store.query import Filter, apply, base_query
from ..store.tables import cell_paths, cells, files, reports, units
from ..store.writer import load_reports, stored_findings

FORMATS = ("csv", "xlsx", "jsonl")
CHUNK = 300
META_COLUMNS = [("file", "文件"), ("unit", "单位"), ("unit_key", "单位（规范名）"), ("level", "层级"), ("region", "区划"),
                ("year", "年份"), ("version", "版本"), ("is_current", "是否当前版本"), ("status", "状态"),
                ("errors", "错误数"), ("warnings", "警告数"), ("late", "逾期")]
_SUFFIX = {".csv": "csv", ".xlsx": "xlsx", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def format_of(path: str, fmt: str | None = None) -> str:
    """The export format: as given, else from the file's suffix (Chinese UsageError otherwise)."""
    if fmt:
        fmt = fmt.lower().lstrip(".")
        if fmt not in FORMATS:
            raise UsageError(f"不支持的导出格式“{fmt}”：可用 csv、xlsx、jsonl")
        return fmt
    ext = os.path.splitext(path)[1].lower()
    if ext not in _SUFFIX:
        raise UsageError(f"无法从文件名“{path}”判断导出格式：请用 .csv、.xlsx 或 .jsonl 结尾，或用 --format 指定")
    return _SUFFIX[ext]


def selected_ids(conn: Connection, flt: Filter) -> list[int]:
    """The selection's report ids in ingest order (stable on SQLite and PostgreSQL alike)."""
    return list(conn.execute(apply(base_query(reports.c.id), flt).order_by(reports.c.id)).scalars())


def cell_columns(conn: Connection, flt: Filter) -> list[str]:
    """Every 2021 cell path, plus the 2019-only ones when a selected report has any (format 2019, or a
    2019 table in a mixed report — then it has a stored extra_2019 cell)."""
    cols = list(schema.paths_2021())
    q2019 = apply(base_query(reports.c.id), flt).where(reports.c.format == schema.FORMAT_2019).limit(1)
    qextra = (apply(base_query(reports.c.id).join(cells, cells.c.report_id == reports.c.id)
                    .join(cell_paths, cell_paths.c.id == cells.c.path_id), flt)
              .where(cell_paths.c.path.startswith("extra_2019.")).limit(1))
    if conn.execute(q2019).first() is not None or conn.execute(qextra).first() is not None:
        cols += list(schema.paths_2019_extra())
    return cols


def _meta_query(ids: list[int]):
    return base_query(reports.c.id, files.c.path, reports.c.unit_printed, units.c.key, units.c.level, units.c.region,
                      reports.c.year, reports.c.version, reports.c.is_current, reports.c.status, reports.c.n_errors,
                      reports.c.n_warnings, reports.c.late).where(reports.c.id.in_(ids))


def iter_reports(conn: Connection, ids: list[int], *, with_findings: bool = False,
                 chunk: int = CHUNK) -> Iterator[tuple[Any, Report, list | None]]:
    """(meta row, Report, findings or None) per id, in the order of ``ids``, ``chunk`` at a time."""
    for i in range(0, len(ids), chunk):
        part = ids[i:i + chunk]
        metas = {row.id: row for row in conn.execute(_meta_query(part))}
        loaded = load_reports(conn, part)
        found = stored_findings(conn, part) if with_findings else {}
        for rid in part:
            if rid in loaded:
                yield metas[rid], loaded[rid], found.get(rid) if with_findings else None
        del metas, loaded, found


def meta_values(meta) -> dict[str, Any]:
    return {"file": meta.path, "unit": meta.unit_printed, "unit_key": meta.key,
            "level": regions.LEVELS.get(meta.level, meta.level) if meta.level else None, "region": meta.region,
            "year": meta.year, "version": meta.version, "is_current": "是" if meta.is_current else "否",
            "status": meta.status, "errors": meta.n_errors, "warnings": meta.n_warnings,
            "late": "是" if meta.late else "否"}


def jsonl_object(meta, report: Report, found) -> dict[str, Any]:
    """A `nianbao check --format json` object plus the report's place in the store."""
    return {"file": meta.path, "status": meta.status, "error": None, "report": report.to_dict(),
            "findings": [f.to_dict() for f in found or ()], "unit_key": meta.key, "region": meta.region,
            "level": meta.level, "version": meta.version}


def headers(cols: list[str]) -> list[str]:
    return [label for _, label in META_COLUMNS] + [schema.label_of(c) for c in cols]


def rows(conn: Connection, ids: list[int], cols: list[str], chunk: int = CHUNK) -> Iterator[list[Any]]:
    keys = [k for k, _ in META_COLUMNS]
    for meta, report, _ in iter_reports(conn, ids, chunk=chunk):
        m = meta_values(meta)
        flat = report.flat()
        yield [m[k] for k in keys] + [flat.get(c) for c in cols]


def export(conn: Connection, flt: Filter, path: str, fmt: str | None = None, *, chunk: int = CHUNK) -> int:
    """Write the filtered corpus to ``path``; returns the number of reports. UsageError (Chinese) for
    a bad format or an empty selection; OSError when the file cannot be written."""
    fmt = format_of(path, fmt)
    ids = selected_ids(conn, flt)
    if not ids:
        hint = ""
        if flt.region:
            from ..store.rollup import close_regions, region_names
            r = flt.region.strip().strip("/").split("/")[-1]
            if r not in region_names(conn):
                near = close_regions(conn, r)
                hint = f"；库中没有区划“{flt.region}”" + ("，相近的区划：" + "、".join(near) if near else "")
        raise UsageError(f"没有符合条件的报告（{flt.describe()}）{hint}，未写出文件")
    with open(path, "w" if fmt != "xlsx" else "wb", **({"encoding": "utf-8-sig" if fmt == "csv" else "utf-8",
                                                       "newline": ""} if fmt != "xlsx" else {})) as fh:
        if fmt == "jsonl":
            for meta, report, found in iter_reports(conn, ids, with_findings=True, chunk=chunk):
                fh.write(json.dumps(jsonl_object(meta, report, found), ensure_ascii=False) + "\n")
        elif fmt == "csv":
            # utf-8-sig: Excel on Chinese Windows opens it with the right encoding (as extract does).
            cols = cell_columns(conn, flt)
            w = csv.writer(fh)
            w.writerow(headers(cols))
            for row in rows(conn, ids, cols, chunk):
                w.writerow(["" if x is None else x for x in row])
        else:
            _write_xlsx(fh, conn, ids, cell_columns(conn, flt), chunk)
    return len(ids)


def _write_xlsx(fh: IO[bytes], conn: Connection, ids: list[int], cols: list[str], chunk: int) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("年报数据")
    keys = [k for k, _ in META_COLUMNS] + cols
    for i, k in enumerate(keys, start=1):  # widths before the first row: write-only sheets stream
        ws.column_dimensions[get_column_letter(i)].width = 28 if k in ("file", "unit", "unit_key", "region") else 12
    ws.freeze_panes = "D2"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    head = []
    for label in headers(cols):
        c = WriteOnlyCell(ws, value=label)
        c.font, c.fill, c.alignment = bold, fill, Alignment(wrap_text=True, vertical="top")
        head.append(c)
    ws.append(head)
    for row in rows(conn, ids, cols, chunk):
        ws.append(row)
    ws2 = wb.create_sheet("字段说明")
    ws2.column_dimensions["A"].width = 60
    ws2.column_dimensions["B"].width = 50
    ws2.append(["列名（中文）", "字段键（schema key）"])
    for (k, label) in META_COLUMNS + [(c, schema.label_of(c)) for c in cols]:
        ws2.append([label, k])
    wb.save(fh)


__all__ = ["FORMATS", "META_COLUMNS", "format_of", "selected_ids", "cell_columns", "iter_reports", "jsonl_object",
           "export", "headers"]
