"""Random but consistent report data: the truth a synthetic document is printed from.

The numbers obey every equation the format states (表三 row totals, （七）总计, the 勾稽关系
一＋二＝（七）＋四, 表四 totals), so any arithmetic finding on a faithful rendering is a reader or
rule bug, and `inject_error` can break exactly one equation on purpose. Like real reports, many
tables are all zeros; others carry counts in the hundreds or thousands so that thousands
separators get exercised. The narrative states the table's numbers in the sentences the NT rules
read, so a clean report is also consistent prose-vs-table.
"""
from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from typing import Any

from .. import schema

# Place-name syllables. Chosen to avoid numerals (年份/数字 parsing), organisation suffixes
# (镇、局、委、院、所、站、队、处、会、村…) and characters the title/section finders key on.
SYLLABLES = ("青松柳林泉安平兴华阳宁丰庆清溪龙凤金玉云峰杨梅桃竹望临永乐河石桥湖江坪岭川原塘沟"
             "堡营屯寨港湾洲岗坡田禾谷丘明光德昌盛泰顺福寿康嘉瑞祥")
DEPARTMENTS = ("生态环境局", "自然资源和规划局", "教育局", "卫生健康委员会", "市场监督管理局", "人力资源和社会保障局",
               "住房和城乡建设局", "交通运输局", "农业农村局", "民政局", "司法局", "财政局", "应急管理局", "水利局")

PROFILES = ("zero", "small", "large")

APPLICANTS = schema.APPLICANT_COLUMNS
COLUMNS = tuple(c.key for c in schema.APP_COLUMNS)
OUTCOMES_2021 = tuple(r.key for r in schema.APP_ROWS if r.no.startswith("三（") and r.key != "handled_total")
OUTCOMES_2019 = tuple(r.key for r in schema.APP_ROWS_2019 if r.no.startswith("三（") and r.key != "handled_total")
OTHER_PROCESSING = schema.OTHER_PROCESSING_2019.key

# How often each outcome occurs relative to the others (real reports: mostly 予以公开 and 不掌握).
OUTCOME_WEIGHTS = {
    "granted": 30, "partially_granted": 8, "denied_state_secret": 0.5, "denied_prohibited_by_law": 1,
    "denied_security_stability": 0.5, "denied_third_party": 3, "denied_internal_affairs": 1.5,
    "denied_process_info": 2, "denied_enforcement_file": 1, "denied_query_matter": 1,
    "unable_not_held": 20, "unable_needs_creation": 4, "unable_unclear": 2,
    "rejected_petition": 5, "rejected_duplicate": 4, "rejected_publication": 1, "rejected_excessive": 2,
    "rejected_confirm_or_reissue": 1, "other_no_correction": 3, "other_fee_unpaid": 0.5, "other_other": 6,
    OTHER_PROCESSING: 9,
}
# Probability that an applicant column has any application at all.
COLUMN_ACTIVITY = {"natural_person": 0.9, "commercial": 0.35, "research": 0.05, "social_welfare": 0.06,
                   "legal_service": 0.15, "other": 0.15}


def app_path(row: str, col: str) -> str:
    """Cell path of 表三, including the 2019-only （六）其他处理 row under extra_2019."""
    if row == OTHER_PROCESSING:
        return f"extra_2019.applications.{row}.{col}"
    return schema.app_path(row, col)


def outcome_rows(fmt: str) -> tuple[str, ...]:
    return OUTCOMES_2019 if fmt == schema.FORMAT_2019 else OUTCOMES_2021


def app_rows(fmt: str) -> tuple[str, ...]:
    return tuple(r.key for r in (schema.APP_ROWS_2019 if fmt == schema.FORMAT_2019 else schema.APP_ROWS))


@dataclass
class SynthReport:
    """One synthetic report: what the document states, keyed like `Report.flat()`."""
    fmt: str
    unit: str
    unit_core: str          # the distinctive part of the name a reader must keep (“青松镇”)
    kind: str               # township | department | government
    year: int
    report_date: str        # ISO
    profile: str            # zero | small | large
    cells: dict[str, int | float | None] = field(default_factory=dict)
    sections: dict[str, list[str]] = field(default_factory=dict)  # section key -> paragraphs

    def copy(self) -> "SynthReport":
        return copy.deepcopy(self)

    def app(self, row: str, col: str) -> int | float | None:
        return self.cells[app_path(row, col)]

    def total(self, row: str) -> int:
        return self.app(row, "total") or 0

    @property
    def short_name(self) -> str:
        """The name as a title may print it (“青松镇” for a township, else the full name)."""
        return self.unit_core if self.kind == "township" else self.unit


# ------------------------------------------------------------------------------------------ helpers

def _name(rng: random.Random, n: int = 2) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(n))


def random_unit(rng: random.Random, kind: str | None = None) -> tuple[str, str, str]:
    """(unit, core, kind) for a township, a department or a county-level government."""
    kind = kind or rng.choices(("township", "department", "government"), (6, 3, 1))[0]
    if kind == "township":
        county = _name(rng) + rng.choice(("县", "区", "市"))
        suffix = rng.choice(("镇", "镇", "乡", "街道"))
        core = _name(rng) + suffix
        unit = county + core + ("办事处" if suffix == "街道" else "人民政府")
        return unit, core, kind
    if kind == "department":
        unit = _name(rng) + rng.choice(("市", "县", "区")) + rng.choice(DEPARTMENTS)
        return unit, unit, kind
    county = _name(rng) + rng.choice(("县", "区"))
    return county + "人民政府", county, kind


def _core_of(unit: str) -> str:
    for suffix in ("人民政府", "办事处"):
        if unit.endswith(suffix) and len(unit) > len(suffix):
            return unit[: -len(suffix)]
    return unit


def _kind_of(unit: str) -> str:
    from ..units import DEPARTMENT, TOWNSHIP, unit_level
    level = unit_level(unit)
    return {TOWNSHIP: "township", DEPARTMENT: "department"}.get(level, "government")


def split(rng: random.Random, n: int, keys: tuple[str, ...], weights: dict[str, float]) -> dict[str, int]:
    """Distribute n applications over outcome rows: sparse like real tables, exact sum n."""
    out = dict.fromkeys(keys, 0)
    if n <= 0:
        return out
    # A random subset of plausible outcomes is used at all; the rest stay 0.
    used = [k for k in keys if rng.random() < min(1.0, weights.get(k, 1) / 8)] or [keys[0]]
    w = [weights.get(k, 1) * (0.2 + rng.random()) for k in used]
    if n <= 40:
        for k in rng.choices(used, w, k=n):
            out[k] += 1
        return out
    total = sum(w)
    for k, x in zip(used, w):
        out[k] = int(n * x / total)
    for k in rng.choices(used, w, k=n - sum(out.values())):
        out[k] += 1
    return out


def decimal(rng: random.Random, max_cents: int) -> int | float:
    """A money amount with at most two decimals; integral amounts are ints (as a reader returns them)."""
    cents = rng.randint(1, max_cents)
    return cents // 100 if cents % 100 == 0 else cents / 100


# ------------------------------------------------------------------------------------------ tables

def _applications(rng: random.Random, fmt: str, profile: str) -> dict[str, int]:
    rows = app_rows(fmt)
    outs = outcome_rows(fmt)
    cells: dict[str, int] = {}
    for col in APPLICANTS:
        handled, cf, co = 0, 0, 0
        if profile != "zero" and rng.random() < COLUMN_ACTIVITY[col]:
            if profile == "small":
                handled = rng.randint(1, 9 if col == "natural_person" else 3)
                cf = rng.choice((0, 0, 0, 1, 2))
                co = rng.randint(0, min(2, handled + cf)) if rng.random() < 0.3 else 0
            else:
                top = {"natural_person": 6000, "commercial": 900, "legal_service": 300}.get(col, 40)
                handled = rng.randint(top // 20 + 1, top)
                cf = rng.randint(0, max(1, handled // 15))
                co = rng.randint(0, max(1, handled // 15))
                co = min(co, handled + cf)
        split_ = split(rng, handled, outs, OUTCOME_WEIGHTS)
        for r in outs:
            cells[app_path(r, col)] = split_[r]
        cells[app_path("handled_total", col)] = handled
        cells[app_path("carried_forward", col)] = cf
        cells[app_path("carried_over", col)] = co
        cells[app_path("new_received", col)] = handled + cf - co
    for r in rows:
        cells[app_path(r, "total")] = sum(cells[app_path(r, c)] for c in APPLICANTS)
    if fmt == schema.FORMAT_2019:  # 2021-only rows: the recognizer leaves them null
        for r in schema.ROWS_2021_ONLY:
            for c in COLUMNS:
                cells[app_path(r, c)] = None
    return cells


def _review(rng: random.Random, profile: str) -> dict[str, int]:
    cells: dict[str, int] = {}
    busy = profile != "zero" and rng.random() < (0.4 if profile == "small" else 0.8)
    top = 3 if profile == "small" else 40
    for g, _ in schema.RL_GROUPS:
        parts = {}
        for f in ("upheld", "corrected", "other", "pending"):
            parts[f] = rng.randint(0, top) if busy and rng.random() < 0.5 else 0
        for f, v in parts.items():
            cells[schema.rl_path(g, f)] = v
        cells[schema.rl_path(g, "total")] = sum(parts.values())
    return cells


def _active_2021(rng: random.Random, kind: str, busy: bool) -> dict[str, int | float]:
    c: dict[str, int | float] = dict.fromkeys((p for p in schema.paths_2021() if p.startswith("active.")), 0)
    if not busy:
        return c
    if kind == "government" and rng.random() < 0.3:
        c["active.regulations.issued"] = rng.randint(0, 3)
        c["active.regulations.repealed"] = rng.randint(0, 2)
        c["active.regulations.in_force"] = c["active.regulations.issued"] + rng.randint(0, 40)
    c["active.normative_documents.issued"] = rng.randint(0, 12)
    c["active.normative_documents.repealed"] = rng.randint(0, 6)
    c["active.normative_documents.in_force"] = c["active.normative_documents.issued"] + rng.randint(0, 80)
    big = kind == "department"
    c["active.licensing.decisions"] = rng.randint(0, 25000 if big else 400)
    c["active.punishment.decisions"] = rng.randint(0, 6000 if big else 60)
    c["active.coercion.decisions"] = rng.randint(0, 400 if big else 10)
    if rng.random() < 0.3:
        c["active.fees.amount_wan_yuan"] = decimal(rng, 5_000_000 if big else 50_000)
    return c


def _active_2019(rng: random.Random, kind: str, busy: bool) -> dict[str, int | float | None]:
    c: dict[str, int | float | None] = dict.fromkeys((p for p in schema.paths_2021() if p.startswith("active.")), None)
    extra: dict[str, int | float] = {}
    big = kind == "department"
    for item in schema.ACTIVE_ITEMS_2019:
        for f in item.fields:
            extra[f"extra_2019.active.{item.key}.{f.key}"] = 0
    if busy:
        for key in ("regulations", "normative_documents"):
            if key == "regulations" and not (kind == "government" and rng.random() < 0.3):
                continue
            made = rng.randint(0, 10)
            extra[f"extra_2019.active.{key}.new_made"] = made
            extra[f"extra_2019.active.{key}.new_published"] = rng.randint(0, made)
            extra[f"extra_2019.active.{key}.total_published"] = made + rng.randint(0, 90)
        for key, top in (("licensing", 25000 if big else 300), ("other_services", 3000 if big else 50),
                         ("punishment", 5000 if big else 40), ("coercion", 300 if big else 5)):
            prev = rng.randint(0, 60)
            extra[f"extra_2019.active.{key}.previous_count"] = prev
            extra[f"extra_2019.active.{key}.change"] = rng.randint(-min(prev, 5), 8)
            extra[f"extra_2019.active.{key}.decisions"] = rng.randint(0, top)
        prev = rng.randint(0, 12)
        extra["extra_2019.active.fees.previous_count"] = prev
        extra["extra_2019.active.fees.change"] = rng.randint(-min(prev, 3), 3)
        if rng.random() < 0.5:
            extra["extra_2019.active.procurement.items"] = rng.randint(1, 60)
            extra["extra_2019.active.procurement.amount"] = decimal(rng, 500_000_000 if big else 20_000_000)
    for src, dst in schema.ACTIVE_2019_TO_2021.items():
        c[dst] = extra["extra_2019." + src]
    c.update(extra)
    return c


# ------------------------------------------------------------------------------------------ narrative

_OVERVIEW_OPEN = (
    "{year}年，{me}认真贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态、不公开为例外，"
    "围绕中心工作扎实推进政府信息公开，现将有关情况报告如下。",
    "{year}年，{me}在上级党委、政府的正确领导下，按照“应公开尽公开”原则，持续深化政务公开工作，"
    "切实保障人民群众的知情权、参与权和监督权。",
)
_MANAGE = (
    "严格落实政府信息公开保密审查制度，坚持“先审查、后公开”和“一事一审”，全年未发生泄密事件。",
    "建立健全政府信息发布、审核和归档工作机制，明确专人负责信息的收集、整理和更新。",
)
_PLATFORM = (
    "持续加强政府网站信息公开专栏建设，及时更新各栏目内容，同时利用微信公众号、公开栏等渠道扩大信息覆盖面。",
    "依托政府门户网站和政务新媒体，优化政府信息公开平台栏目设置，提升信息查找的便捷性。",
)
_SUPERVISE = (
    "将政务公开工作纳入年度目标考核，定期开展自查，对发现的问题及时整改",
    "成立政务公开工作领导小组，主要负责同志亲自抓，分管负责同志具体抓，形成一级抓一级的工作格局",
)
_PROBLEMS = (
    ["一是信息公开的及时性有待提高，部分信息更新不够及时；二是政策解读形式较为单一；三是工作人员业务能力有待加强。",
     "下一步，我们将加强业务培训，完善信息发布机制，丰富政策解读形式，进一步提升政务公开工作质量。"],
    ["（一）存在的主要问题", "公开内容的深度和广度还需拓展，主动公开的规范化水平有待提升。",
     "（二）改进措施", "进一步健全工作机制，加强对重点领域信息公开的督促检查，确保公开内容全面、准确、及时。"],
)


def _narrative(rng: random.Random, r: SynthReport) -> dict[str, list[str]]:
    """Section prose whose numbers agree with the tables (the sentences the NT rules parse)."""
    me = r.short_name
    year = r.year
    new, co = r.total("new_received"), r.total("carried_over")
    handled, cf = r.total("handled_total"), r.total("carried_forward")
    active_n = rng.randint(20, 900)

    apps: list[str] = []
    if new == 0 and co == 0:
        apps.append(rng.choice(("本年度未收到政府信息公开申请。", f"{year}年，{me}未收到政府信息公开申请。")))
    else:
        if new == 0:
            apps.append("本年度未收到新的政府信息公开申请。")
        else:
            apps.append(f"全年共收到政府信息公开申请{new}件，办结{handled}件。")
        if co:
            apps.append(f"上年结转政府信息公开申请{co}件。")
        if new == 0:
            apps.append(f"本年度办结{handled}件。")
        if cf:
            apps.append(f"结转下年度继续办理{cf}件。")
        if handled:
            denied = sum(r.total(k) for k in outcome_rows(r.fmt) if k.startswith("denied_"))
            unable = sum(r.total(k) for k in outcome_rows(r.fmt) if k.startswith("unable_"))
            rejected = sum(r.total(k) for k in outcome_rows(r.fmt) if k.startswith("rejected_"))
            apps.append(f"其中，予以公开{r.total('granted')}件，部分公开{r.total('partially_granted')}件，"
                        f"不予公开{denied}件，无法提供{unable}件，不予处理{rejected}件。")
    rl_total = {g: r.cells[schema.rl_path(g, "total")] or 0 for g, _ in schema.RL_GROUPS}
    if not any(rl_total.values()):
        review = "本年度未发生因政府信息公开引起的行政复议、行政诉讼。"
    else:
        review = (f"本年度因政府信息公开被申请行政复议{rl_total['review']}件，"
                  f"被提起行政诉讼{rl_total['litigation_direct'] + rl_total['litigation_after_review']}件。")

    overview = [rng.choice(_OVERVIEW_OPEN).format(year=year, me=me),
                f"（一）主动公开。全年主动公开政府信息{active_n}条，重点公开财政预决算、重大项目建设、社会救助等领域信息。",
                "（二）依申请公开。" + "".join(apps),
                "（三）政府信息管理。" + rng.choice(_MANAGE),
                "（四）政府信息公开平台建设。" + rng.choice(_PLATFORM),
                "（五）监督保障。" + rng.choice(_SUPERVISE) + "。" + review]
    fee_unpaid = r.cells.get(app_path("other_fee_unpaid", "total")) or 0
    if fee_unpaid:
        other = [f"本年度因申请人逾期未缴纳信息处理费而不再处理的申请{fee_unpaid}件，未实际收取信息处理费。"]
    else:
        other = [rng.choice(("本年度未收取政府信息公开信息处理费。", "本年度无其他需要报告的事项，未收取信息处理费。"))]
    return {
        "overview": overview,
        "active": [],
        "applications": [],
        "review_litigation": [],
        "problems": list(rng.choice(_PROBLEMS)),
        "other": other,
    }


# ------------------------------------------------------------------------------------------ public

def random_report(rng: random.Random, *, fmt: str = "2021", year: int | None = None, unit: str | None = None,
                  zero_prob: float = 0.35, profile: str | None = None, kind: str | None = None) -> SynthReport:
    """A consistent random report. `zero_prob` is the chance of an all-zero 表三/表四 (like most
    township reports); otherwise counts are small or, for a third of reports, in the thousands.
    `profile` forces one of "zero", "small", "large"."""
    if fmt not in (schema.FORMAT_2021, schema.FORMAT_2019):
        raise ValueError(f"fmt must be '2021' or '2019', not {fmt!r}")
    if year is None:
        year = rng.randint(2021, 2025) if fmt == schema.FORMAT_2021 else rng.randint(2019, 2020)
    if unit is None:
        unit, core, kind = random_unit(rng, kind)
    else:
        core, kind = _core_of(unit), kind or _kind_of(unit)
    if profile is None:
        profile = "zero" if rng.random() < zero_prob else rng.choices(("small", "large"), (2, 1))[0]
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}")
    date = f"{year + 1}-{rng.randint(1, 3):02d}-{rng.randint(1, 28):02d}"
    busy = profile != "zero" or rng.random() < 0.3
    active = _active_2021(rng, kind, busy) if fmt == schema.FORMAT_2021 else _active_2019(rng, kind, busy)
    cells: dict[str, Any] = {}
    cells.update(active)
    cells.update(_applications(rng, fmt, profile))
    cells.update(_review(rng, profile))
    order = list(schema.paths_2021()) + (list(schema.paths_2019_extra()) if fmt == schema.FORMAT_2019 else [])
    missing = set(order) - set(cells)
    if missing:  # pragma: no cover - a schema change the generator does not know yet
        raise AssertionError(f"generator does not fill {sorted(missing)[:5]}")
    rep = SynthReport(fmt, unit, core, kind, year, date, profile, {p: cells[p] for p in order})
    rep.sections = _narrative(rng, rep)
    return rep


def check_consistent(rep: SynthReport) -> list[str]:
    """The equations that fail in `rep` (empty for every report `random_report` makes)."""
    bad = []
    rows = app_rows(rep.fmt)
    outs = outcome_rows(rep.fmt)
    for r in rows:
        if sum(rep.app(r, c) or 0 for c in APPLICANTS) != (rep.app(r, "total") or 0):
            bad.append(f"T3-03 {r}")
    for c in COLUMNS:
        if sum(rep.app(r, c) or 0 for r in outs) != rep.app("handled_total", c):
            bad.append(f"T3-02 {c}")
        received = rep.app("new_received", c) + rep.app("carried_over", c)
        if received != rep.app("handled_total", c) + rep.app("carried_forward", c):
            bad.append(f"T3-01 {c}")
    for g, _ in schema.RL_GROUPS:
        parts = sum(rep.cells[schema.rl_path(g, f)] for f in ("upheld", "corrected", "other", "pending"))
        if parts != rep.cells[schema.rl_path(g, "total")]:
            bad.append(f"T4 {g}")
    return bad


def inject_error(rng: random.Random, report: SynthReport) -> tuple[SynthReport, list[str]]:
    """A copy with one printed cell changed so that one equation fails.

    Returns the copy and the cells that one error-severity arithmetic finding must name together:
    the changed cell and the other end of its row (or group) equation, e.g. a 表三 cell and its
    row's 总计."""
    rep = report.copy()
    table = rng.choice(("applications", "applications", "applications", "review_litigation"))
    if table == "applications":
        row = rng.choice(app_rows(rep.fmt))
        col = rng.choice(COLUMNS)
        path = app_path(row, col)
        partner = app_path(row, "total") if col != "total" else app_path(row, rng.choice(APPLICANTS))
    else:
        g = rng.choice([g for g, _ in schema.RL_GROUPS])
        f = rng.choice(("upheld", "corrected", "other", "pending", "total"))
        path = schema.rl_path(g, f)
        partner = schema.rl_path(g, "total") if f != "total" else schema.rl_path(g, "upheld")
    old = rep.cells[path]
    assert isinstance(old, int)
    delta = rng.randint(1, 3)
    rep.cells[path] = old - delta if old >= delta and rng.random() < 0.5 else old + delta
    return rep, [path, partner]
