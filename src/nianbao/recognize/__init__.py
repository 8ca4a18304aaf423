"""The recognizer: a Document in, a Report out — a chain of small named steps.

flatten → find the sections → detect the format → locate the three tables → read 表二, 表三, 表四
→ read unit, year and date. Each step is a function of what the previous ones found; what a step
had to guess goes into ``report.notes`` (category ``input``) so `nianbao explain` can show it.
"""
from __future__ import annotations

import re
from collections import Counter

from .. import schema
from ..document import Document
from ..errors import ReadError
from ..model import Finding, Report, SectionText, Value
from . import labels as L
from .active import read_active
from .applications import read_applications
from .meta import clean, find_title, org_name, parse_date, parse_year, pick_unit, unit_from_title
from .normalize import fold, fold_once
from .review import read_review
from .rows import Item
from .sections import find_misplaced, find_sections, section_texts

__all__ = ["recognize", "flatten"]


def flatten(doc: Document) -> list[Item]:
    items: list[Item] = []
    for b in doc.blocks:
        if hasattr(b, "rows"):
            for r in b.rows:
                items.append(Item(len(items), row=r, table=b))
        else:
            items.append(Item(len(items), para=b))
    return items


_TELL_19 = tuple(fold(x) for x in schema.TELLTALE_2019)
_TELL_21 = tuple(fold(x) for x in schema.TELLTALE_2021)


def detect_format(items: list[Item], year: int | None) -> tuple[str, str]:
    """(format, how): tell-tale labels first, the year only when no label decides."""
    # One fold of all label cells together (folding drops the separators, which is fine for counting).
    joined = fold_once("|".join(c.text for it in items if it.row is not None for c in it.view.labels if len(c.text) <= 60))
    c19 = sum(joined.count(x) for x in _TELL_19)
    c21 = sum(joined.count(x) for x in _TELL_21)
    if c19 > c21:
        return schema.FORMAT_2019, "表二使用2019年格式的栏目"
    if c21 > c19:
        return schema.FORMAT_2021, "表二使用2021年格式的栏目"
    if year is not None and year <= 2020 and year >= 2019:
        return schema.FORMAT_2019, "按报告年度推定"
    if year is not None and year >= 2021:
        return schema.FORMAT_2021, "按报告年度推定"
    return schema.FORMAT_UNKNOWN, "无法判断"


def _first(items: list[Item], start: int, stop: int, pred) -> int | None:
    for i in range(max(0, start), min(stop, len(items))):
        if pred(items[i]):
            return i
    return None


def _is_apps_anchor(it: Item) -> bool:
    if it.row is None:
        # A header line left as prose (space-separated layout): the note, or column names only.
        t = it.para.text
        return len(t) <= 80 and (L.is_note(t) or (not re.search(r"[。，,；;]", t)
                                                   and sum(w in fold(t) for w in _HEADER_WORDS) >= 2))
    for c in it.row.cells:
        if not c.text:
            continue
        if L.is_note(c.text):
            return True
        f = fold(c.text)
        if f in ("申请人情况", "自然人"):
            return True
    v = it.view
    if v.last_label is not None:
        m = L.APP_ROWS.match(v.last_label.text)
        return m is not None and m.target.key in ("new_received", "carried_over") and m.score >= 85
    return False


_HEADER_WORDS = ("自然人", "法人或其他组织", "商业企业", "申请人情况", "法律服务机构")


def _is_header_prose(it: Item) -> bool:
    return it.para is not None and len(it.para.text) <= 80 and any(w in fold(it.para.text) for w in _HEADER_WORDS)


def _is_carried_forward(it: Item) -> bool:
    if it.row is None:
        return False
    v = it.view
    if v.last_label is None:
        return False
    m = L.APP_ROWS.match(v.last_label.text)
    return m is not None and m.target.key == "carried_forward"


def _is_rl_anchor(it: Item) -> bool:
    texts = [c.text for c in it.row.cells] if it.row is not None else [it.para.text]
    for t in texts:
        f = fold(t)
        if f.startswith("行政复议") and len(f) <= 16:
            return True
    if it.row is not None:
        return sum(1 for c in it.row.cells if c.text and L.RL_FIELDS.match(c.text)) >= 3
    return False


def _is_active_anchor(it: Item) -> bool:
    if it.row is None:
        return False
    for c in it.row.cells:
        f = fold(c.text)
        if f.startswith("第二十条") or f == "信息内容":
            return True
    v = it.view
    return v.last_label is not None and L.ACTIVE_ITEMS.match(v.last_label.text) is not None and v.values != []


def locate(items: list[Item], sections: dict) -> dict[str, tuple[int, int]]:
    """Item ranges of the three tables, anchored on their own labels; section headings bound them."""
    n = len(items)
    heads = {k: i for k, (i, _) in sections.items()}
    out: dict[str, tuple[int, int]] = {}
    a0 = _first(items, heads.get("applications", 0), n, _is_apps_anchor)
    if a0 is None and "applications" in heads:
        a0 = _first(items, 0, n, _is_apps_anchor)
    a1 = None
    if a0 is not None:
        # Header rows sit just above the anchor: rows of the same table, or (space-separated layout)
        # short prose lines naming the columns.
        while a0 > 0 and ((items[a0 - 1].row is not None and items[a0 - 1].table is items[a0].table)
                          or _is_header_prose(items[a0 - 1])):
            a0 -= 1
        stop = min([i for k, i in heads.items() if k in ("review_litigation", "problems", "other") and i > a0] or [n])
        cf = _first(items, a0, stop, _is_carried_forward)
        a1 = cf + 1 if cf is not None else stop
        # The 四 row's numbers may follow its label on the next lines.
        while cf is not None and a1 < stop and items[a1].row is not None and items[a1].view.last_label is None:
            a1 += 1
        out["applications"] = (a0, a1)
    r_from = a1 if a1 is not None else heads.get("review_litigation", 0)
    r0 = _first(items, r_from, n, _is_rl_anchor)
    if r0 is not None:
        r_stop = min([i for k, i in heads.items() if k in ("problems", "other") and i > r0] or [n])
        out["review_litigation"] = (r0, r_stop)
    t0 = _first(items, heads.get("active", 0), a0 if a0 is not None else n, _is_active_anchor)
    if t0 is None and "active" in heads:
        t0 = _first(items, 0, a0 if a0 is not None else n, _is_active_anchor)
    if t0 is not None:
        t_stop = a0 if a0 is not None and a0 > t0 else min(
            [i for k, i in heads.items() if k in ("applications", "review_litigation") and i > t0] or [n])
        out["active"] = (t0, t_stop)
    return out


def read_meta(items: list[Item], report: Report) -> None:
    """Title, unit, year and date. Unit candidates, in order of trust: a name line printed above a
    title that starts with the year, the title's own prefix, the signature — the fullest that agree."""
    paras = [(it.para.source, it.para.text) for it in items if it.para is not None]
    title = find_title(paras)
    candidates: list[tuple[str, object]] = []
    if title is not None:
        n, text = title
        report.title, report.title_source = clean(text), paras[n][0]
        report.year = parse_year(text)
        head = unit_from_title(text)
        above = org_name(paras[n - 1][1]) if n > 0 else None
        if above:
            candidates.append((above, paras[n - 1][0]))
        if head:
            candidates.append((head, paras[n][0]))
    for src, text in reversed(paras[-6:]):
        d = parse_date(text)
        if d and report.report_date is None and len(clean(text)) <= 30:
            report.report_date, report.date_source = d, src
            continue
        name = org_name(text)
        if name:
            candidates.append((name, src))
            break
    report.unit = pick_unit([c for c, _ in candidates])
    report.unit_source = next((src for c, src in candidates if c == report.unit), None)
    if report.year is None:
        years = Counter(y for _, t in paras[:40] if (y := parse_year(t)))
        if years:
            report.year = years.most_common(1)[0][0]
            report.notes.append(Finding("IN-06", "notice", "input",
                                        f"标题中未找到报告年度，按正文中最常出现的年份推定为 {report.year} 年", [], ""))


def _drop_signature(report: Report) -> None:
    """The unit and date printed at the end belong to the report, not to the last section's text."""
    last = max((s for s in report.sections.values() if s.order is not None), key=lambda s: s.order, default=None)
    if last is None:
        return
    paras = list(last.paragraphs)
    while paras and (org_name(paras[-1][1]) or (parse_date(paras[-1][1]) and len(clean(paras[-1][1])) <= 30)):
        paras.pop()
    if len(paras) != len(last.paragraphs):
        last.paragraphs = paras
        last.text = "\n".join(t for _, t in paras)


def recognize(doc: Document) -> Report:
    items = flatten(doc)
    report = Report(path=doc.path)
    # What the reader had to note (a formula without a saved result, …) is told like any other guess.
    report.notes += [Finding("IN-08", "warning", "input", note, [], "") for note in doc.notes]
    paragraphs = [(it.index, it.para) for it in items if it.para is not None]
    found = find_sections(paragraphs, len(items))
    report.sections = section_texts(items, found)
    report.paragraphs = [(p.source, p.text) for _, p in paragraphs]
    for key, (idx, para) in find_misplaced(paragraphs, found).items():
        report.sections[key] = SectionText(key, para.text, "", para.source, None, misplaced=True)
    read_meta(items, report)
    _drop_signature(report)
    fmt, how = detect_format(items, report.year)
    report.format, report.format_how = fmt, how
    regions = locate(items, found)
    ok = {}
    if "active" in regions:
        a, b = regions["active"]
        ok["active"] = read_active(items[a:b], report, fmt)
    if "applications" in regions:
        a, b = regions["applications"]
        ok["applications"] = read_applications(items[a:b], report, fmt)
    if "review_litigation" in regions:
        a, b = regions["review_litigation"]
        ok["review_litigation"] = read_review(items[a:b], report)
    for key in schema.TABLE_SECTIONS:
        if not ok.get(key):
            report.tables_found.setdefault(key, None)
            report.missing.append(f"table.{key}")
    if fmt == schema.FORMAT_2019:
        for p in schema.paths_2019_extra():
            report.cells.setdefault(p, Value())
    n_tables = sum(1 for k in schema.TABLE_SECTIONS if ok.get(k))
    if n_tables == 0:
        report.format, report.format_how = schema.FORMAT_UNKNOWN, "没有找到统计表，无法判断格式"
    if n_tables == 3:
        report.status = "ok"
    elif n_tables or found or report.title:
        report.status = "partial"
    else:
        raise ReadError("未找到年度报告的内容（没有报告标题、六个部分的标题或统计表），可能不是政府信息公开工作年度报告",
                        doc.path)
    return report
