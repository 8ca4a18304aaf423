"""Sentences that state the tables' numbers, generated from the tables themselves.

Clerks retype the totals into the prose and get them wrong; generating these sentences makes text
and tables agree by construction. They use the wording the NT rules read (收到…申请 N 件, 办结,
上年结转, 结转下年度, 予以公开…, 被申请行政复议), so `check_composed` verifies them like any
other prose.
"""
from __future__ import annotations

from .. import schema
from ..model import Report
from . import layout as L


def _n(v) -> str:
    if isinstance(v, float):
        return f"{v:.6f}".rstrip("0").rstrip(".")
    return str(v)


def _total(report: Report, row: str) -> int:
    return report.app(row, "total") or 0


def _group(report: Report, prefix: str) -> int:
    return sum(_total(report, r) for r in L.OUTCOME_ROWS if r.startswith(prefix))


def active_sentence(report: Report) -> str:
    g = report.get
    parts = []
    for key, name in (("regulations", "规章"), ("normative_documents", "行政规范性文件")):
        issued, repealed, in_force = (g(schema.active_path(key, f)) or 0 for f in ("issued", "repealed", "in_force"))
        if issued or repealed or in_force:
            parts.append(f"本年制发{name}{issued}件、废止{repealed}件，现行有效{in_force}件")
    decisions = [(name, g(schema.active_path(key, "decisions")) or 0)
                 for key, name in (("licensing", "行政许可"), ("punishment", "行政处罚"), ("coercion", "行政强制"))]
    if any(n for _, n in decisions):
        parts.append("，".join(f"{name}处理决定{n}件" for name, n in decisions))
    fees = g(L.FEES) or 0
    parts.append(f"本年收取行政事业性收费{_n(fees)}万元" if fees else "本年未收取行政事业性收费")
    return "；".join(parts) + "。"


def applications_sentence(report: Report) -> str:
    new, co = _total(report, "new_received"), _total(report, "carried_over")
    handled, cf = _total(report, "handled_total"), _total(report, "carried_forward")
    if not (new or co):
        return "本年度未收到政府信息公开申请，无上年结转申请。"
    out = []
    if new:
        by = [(schema.APP_COLUMN_BY_KEY[c].label, report.app("new_received", c) or 0) for c in schema.APPLICANT_COLUMNS]
        by = [(label, n) for label, n in by if n]
        out.append(f"全年共收到政府信息公开申请{new}件，其中" + "、".join(f"{label}{n}件" for label, n in by))
    else:
        out.append("本年度未收到新的政府信息公开申请")
    if co:
        out.append(f"上年结转政府信息公开申请{co}件")
    text = "；".join(out)
    if handled:
        def share(n: int) -> str:
            return f"（占{100 * n / handled:.1f}%）" if n else ""
        outcomes = [("予以公开", _total(report, "granted")), ("部分公开", _total(report, "partially_granted")),
                    ("不予公开", _group(report, "denied_")), ("无法提供", _group(report, "unable_")),
                    ("不予处理", _group(report, "rejected_")), ("其他处理", _group(report, "other_"))]
        text += (f"；本年度办结{handled}件，其中"
                 + "，".join(f"{name}{n}件{share(n)}" for name, n in outcomes))
    else:
        text += "；本年度没有办结的申请"
    text += f"；结转下年度继续办理{cf}件。" if cf else "；无结转下年度继续办理的申请。"
    return text


def review_sentence(report: Report) -> str:
    tot = {g: report.get(schema.rl_path(g, "total")) or 0 for g, _ in schema.RL_GROUPS}
    litigation = tot["litigation_direct"] + tot["litigation_after_review"]
    if not tot["review"] and not litigation:
        return "本年度未发生因政府信息公开引起的行政复议、行政诉讼。"

    def detail(groups: tuple[str, ...]) -> str:
        parts = []
        for f in L.RL_PARTS:
            n = sum(report.get(schema.rl_path(g, f)) or 0 for g in groups)
            if n:
                parts.append(f"{schema.RL_FIELD_LABEL[f]}{n}件")
        return "，其中" + "、".join(parts) if parts else ""

    out = []
    if tot["review"]:
        out.append(f"本年度因政府信息公开被申请行政复议{tot['review']}件{detail(('review',))}")
    else:
        out.append("本年度未发生因政府信息公开引起的行政复议")
    if litigation:
        out.append(f"被提起行政诉讼{litigation}件{detail(('litigation_direct', 'litigation_after_review'))}")
    else:
        out.append("未发生因政府信息公开引起的行政诉讼")
    return "；".join(out) + "。"


def narrative_sentences(report: Report) -> dict[str, str]:
    """Section key -> the sentence stating that section's table (active, applications, review_litigation)."""
    return {"active": active_sentence(report), "applications": applications_sentence(report),
            "review_litigation": review_sentence(report)}
