"""表二 (主动公开政府信息情况): items and their fields onto the schema, 2021 or 2019.

Each sub-table has a header row (信息内容 | 本年制发件数 | …) naming its fields, then one row per
item. Merged cells leave repeated or blank trailing cells (“行政处罚 0 0 0”): extra cells that
repeat the first value are the merged cell printed again; differing ones are reported.
"""
from __future__ import annotations

from .. import schema
from ..model import Finding, PrintedLabel, Report, Value
from . import labels as L
from .rows import Item, UsualOffsets, align, cell_value
from .values import NUMBER, parse_cell


def read_active(items: list[Item], report: Report, fmt: str) -> bool:
    is_2019 = fmt == schema.FORMAT_2019
    report.table_formats["active"] = fmt
    defs = {i.key: i for i in (schema.ACTIVE_ITEMS_2019 if is_2019 else schema.ACTIVE_ITEMS)}
    found: set[str] = set()
    first_source = None
    rows: list[tuple[str, object, object]] = []
    headers = []
    for it in items:
        if it.row is None:
            continue
        v = it.view
        if v.last_label is None:
            continue
        _check_header_labels(v, report)
        if v.n_filled == 0:
            headers.append(v)
        m = L.ACTIVE_ITEMS.match(v.last_label.text) or (L.ACTIVE_ITEMS.match(v.labels[0].text) if v.labels else None)
        if m is None or m.target.kind == "header":
            continue
        key = m.target.key
        if key not in defs or key in found:
            continue
        found.add(key)
        rows.append((key, m, v))
    # Rows of the same sub-table share their value columns (see UsualOffsets).
    usual = {n: UsualOffsets([v for k, _, v in rows if len(defs[k].fields) == n], n, _first_field_columns(headers))
             for n in {len(i.fields) for i in defs.values()}}
    for key, m, v in rows:
        item = defs[key]
        first_source = first_source or v.last_label.source
        if L.differs(m, v.last_label.text):
            for path in schema.active_item_paths(key, is_2019):
                report.labels.append(PrintedLabel(path, v.last_label.text, item.label, v.last_label.source, m.score))
        n = len(item.fields)
        al = align(v, n, usual[n] if n > 1 else None)
        if al.ambiguous and n > 1:
            report.notes.append(Finding(
                "IN-07", "warning", "input",
                f"表二“{v.last_label.text}”行的数字可以有两种对齐方式（整行右移一格，或末尾多一格），读法不同；"
                f"已按同类行的位置读取，请核对该行", schema.active_item_paths(key, is_2019),
                v.last_label.source.english()))
        for f, cell in zip(item.fields, al.cells):
            path = (f"extra_2019.active.{key}.{f.key}" if is_2019 else schema.active_path(key, f.key))
            value = cell_value(cell, "单元格缺失")
            if f.key == "amount_wan_yuan" and value.unit == "元" and value.value is not None:
                value.value, value.how = round(value.value / 10000, 6), "单元格写明“元”，按元换算为万元"
            report.cells[path] = value
        _extra_cells(al.extra, al.cells, v.last_label, schema.active_item_paths(key, is_2019), report)
    if is_2019:
        for item in schema.ACTIVE_ITEMS_2019:
            for f in item.fields:
                report.cells.setdefault(f"extra_2019.active.{item.key}.{f.key}", Value())
        for src, dst in schema.ACTIVE_2019_TO_2021.items():
            v = report.cells.get("extra_2019." + src)
            if v is not None and v.state != "absent":
                report.cells[dst] = Value(v.value, v.state, v.raw, v.source, v.unit, "2019年格式对应单元格")
    if not found:
        return False
    report.tables_found["active"] = first_source
    for key, item in defs.items():
        if key not in found:
            report.missing.append(f"active.{key}" if not is_2019 else f"extra_2019.active.{key}")
    return True


def _first_field_columns(headers) -> dict[int, int]:
    """Row width → cell index of the first field label (本年制发件数 / 本年新制作数量) in a header row."""
    out: dict[int, int] = {}
    for v in headers:
        for i, c in enumerate(v.row.cells):
            m = L.ACTIVE_FIELDS.match(c.text) if c.text else None
            if m is not None and m.target.key in ("issued", "new_made", "previous_count"):
                out.setdefault(len(v.row.cells), i)
    return out


def _extra_cells(extra, cells, label, paths: list[str], report: Report) -> None:
    if not extra:
        return
    first = next((c for c in cells if c is not None), None)
    firstv = parse_cell(first.text).value if first is not None else None
    if all(parse_cell(c.text).kind != NUMBER or parse_cell(c.text).value == firstv for c in extra):
        return  # a merged cell printed once per grid column
    report.notes.append(Finding(
        "IN-03", "warning", "input",
        f"表二“{label.text}”行多出 {len(extra)} 个不同的数字（{'、'.join(c.text for c in extra)}），只采用第一个",
        paths, label.source.english()))


def _check_header_labels(v, report: Report) -> None:
    """Field labels printed with typos (本年度止件数) are kept for FMT-06."""
    if v.n_numbers:
        return
    for c in v.labels:
        m = L.ACTIVE_FIELDS.match(c.text)
        if m is not None and L.differs(m, c.text):
            items = [i.key for i in schema.ACTIVE_ITEMS if any(f.key == m.target.key for f in i.fields)]
            for key in items or ["fees"]:
                report.labels.append(PrintedLabel(schema.active_path(key, m.target.key), c.text, m.target.label,
                                                  c.source, m.score))
