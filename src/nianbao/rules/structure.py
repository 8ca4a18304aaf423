"""Structure rules (FMT): the report against the official format — sections, tables, rows, columns,
labels. Missing parts that carry data are errors; additions and re-wordings are notices."""
from __future__ import annotations

from .. import schema
from ..model import Finding, Report
from .base import Context, rule

TABLE_NAME = {"active": "表二（主动公开政府信息情况）", "applications": "表三（收到和处理政府信息公开申请情况）",
              "review_litigation": "表四（政府信息公开行政复议、行政诉讼情况）"}


@rule("FMT-01", "六个部分齐全且顺序正确", severity="error", category="structure", basis="L",
      doc="""《条例》第五十条和年报格式规定报告由六部分组成：一、总体情况；二、主动公开政府信息情况；
三、收到和处理政府信息公开申请情况；四、政府信息公开行政复议、行政诉讼情况；五、存在的主要问题及改进情况；
六、其他需要报告的事项。含统计表的部分（二、三、四）连标题带表格都找不到时为错误；只缺标题或缺其他部分时为警告。""")
def fmt_01(report: Report, ctx: Context):
    for s in schema.SECTIONS:
        sec = report.sections.get(s.key)
        title = f"第{s.no}部分“{s.title}”"
        if sec is not None and sec.misplaced:
            yield Finding("FMT-01", "warning", "structure", f"{title}的位置与官方顺序不符（应为第{s.no}部分）",
                          [f"section.{s.key}"], sec.source.english() if sec.source else "")
            continue
        if sec is not None and sec.heading is not None:
            continue
        if s.key in schema.TABLE_SECTIONS:
            if report.has_table(s.key):
                yield Finding("FMT-01", "warning", "structure", f"缺少{title}的标题（表格已找到）", [f"section.{s.key}"], "")
            else:
                yield Finding("FMT-01", "error", "structure", f"缺少{title}：标题和统计表都没有找到", [f"section.{s.key}"], "")
        else:
            yield Finding("FMT-01", "warning", "structure", f"缺少{title}", [f"section.{s.key}"], "")


@rule("FMT-02", "报告格式与年度相符", severity="warning", category="structure", basis="F",
      doc="""2021 年及以后的年报应使用国办公开办函〔2021〕30号格式，2019、2020 年度使用〔2019〕60号试行格式；
2018 年及以前的年报没有统一表格。格式与年度不符时提示。""")
def fmt_02(report: Report, ctx: Context):
    y = report.year
    if y is None or report.format == schema.FORMAT_UNKNOWN:
        return
    # (a report whose tables disagree is flagged below whatever the year)
    if y >= 2021 and report.format == schema.FORMAT_2019:
        yield Finding("FMT-02", "warning", "structure",
                      f"{y} 年度报告仍使用 2019 年试行格式（国办公开办函〔2019〕60号）的统计表，应使用 2021 年格式（国办公开办函〔2021〕30号）",
                      ["table.active"], "")
    elif y <= 2020 and report.format == schema.FORMAT_2021:
        yield Finding("FMT-02", "warning", "structure",
                      f"{y} 年度报告使用了 2021 年格式的统计表；该年度适用的是 2019 年试行格式（国办公开办函〔2019〕60号）",
                      ["table.active"], "")
    fmts = {k: v for k, v in report.table_formats.items() if v != schema.FORMAT_UNKNOWN}
    if len(set(fmts.values())) > 1:
        yield Finding("FMT-02", "warning", "structure",
                      "新旧格式混用：" + "，".join(f"{ {'active': '表二', 'applications': '表三'}[k] }为 {v} 年格式" for k, v in fmts.items()),
                      [f"table.{k}" for k in fmts], "")
    if y <= 2018:
        yield Finding("FMT-02", "notice", "structure", f"{y} 年度报告早于统一格式（2019 年起施行），按自由格式处理", [], "")


def _missing_table(report: Report, key: str):
    if f"table.{key}" in report.missing:
        sec = report.sections.get(key)
        if sec is not None and sec.heading is not None:
            return Finding(f"FMT-0{ {'applications': 3, 'review_litigation': 4, 'active': 5}[key] }", "error", "structure",
                           f"第{schema.SECTION_BY_KEY[key].no}部分有标题，但没有找到{TABLE_NAME[key]}", [f"table.{key}"],
                           sec.source.english() if sec.source else "")
    return None


@rule("FMT-03", "表三的 25 行（2019 年格式 23 行）和 7 列齐全", severity="error", category="structure", basis="F",
      doc="""表三应有官方格式的全部行（2021 年格式 25 行，2019 年格式 23 行）和 7 列（自然人；商业企业、科研机构、
社会公益组织、法律服务机构、其他；总计）。缺行缺列为错误，逐一指出；自行添加的小计行或小计列为提示。""")
def fmt_03(report: Report, ctx: Context):
    f = _missing_table(report, "applications")
    if f:
        yield f
        return
    if not report.has_table("applications"):
        return
    for m in report.missing:
        if m.startswith("applications.row."):
            key = m.rsplit(".", 1)[1]
            yield Finding("FMT-03", "error", "structure", f"表三缺少“{schema.row_title(key)}”行", [m], "")
        elif m.startswith("applications.column."):
            key = m.rsplit(".", 1)[1]
            yield Finding("FMT-03", "error", "structure", f"表三缺少“{schema.APP_COLUMN_BY_KEY[key].label}”列，该列数据按空白处理", [m], "")
    for e in report.extra:
        if e.startswith("applications.row.subtotal_"):
            group = e.split("subtotal_")[1]
            label = next((lbl for k, _, lbl in schema.OUTCOME_GROUPS_2021 if k == group), group)
            yield Finding("FMT-03", "notice", "structure", f"表三自行添加了“{label}”小计行，官方格式没有此行", [e], "")
        elif e == "applications.column.legal_subtotal":
            yield Finding("FMT-03", "notice", "structure", "表三自行添加了“法人或其他组织”小计列，官方格式没有此列", [e], "")


@rule("FMT-04", "表四 15 个单元格齐全且顺序正确", severity="error", category="structure", basis="F",
      doc="""表四应有行政复议、行政诉讼·未经复议直接起诉、行政诉讼·复议后起诉三组，每组结果维持、结果纠正、其他结果、
尚未审结、总计五项，共 15 个数。缺少的单元格逐一指出。""")
def fmt_04(report: Report, ctx: Context):
    f = _missing_table(report, "review_litigation")
    if f:
        yield f
        return
    missing = [m for m in report.missing if m.startswith("review_litigation.")]
    if missing and report.has_table("review_litigation"):
        yield Finding("FMT-04", "error", "structure", f"表四只找到 {15 - len(missing)} 个数，缺少 {len(missing)} 个："
                      + "、".join(schema.label_of(m).replace("表四", "") for m in missing[:5]) + ("等" if len(missing) > 5 else ""),
                      missing, "")


@rule("FMT-05", "表二的分表和行齐全", severity="error", category="structure", basis="F",
      doc="""表二应有第二十条第（一）项（规章、行政规范性文件）、第（五）项（行政许可）、第（六）项（行政处罚、行政强制）、
第（八）项（行政事业性收费）各行；2019 年格式另有其他对外管理服务事项、第（九）项政府集中采购。""")
def fmt_05(report: Report, ctx: Context):
    f = _missing_table(report, "active")
    if f:
        yield f
        return
    is_2019 = report.active_is_2019
    items = schema.ACTIVE_2019_BY_KEY if is_2019 else schema.ACTIVE_BY_KEY
    for m in report.missing:
        if m.startswith("active.") or m.startswith("extra_2019.active."):
            key = m.rsplit(".", 1)[1]
            yield Finding("FMT-05", "error", "structure", f"表二缺少“{items[key].label}”行（{items[key].group}）",
                          schema.active_item_paths(key, is_2019), "")


@rule("FMT-06", "栏目名称与官方格式不一致", severity="notice", category="structure", basis="F",
      doc="""行名、列名与官方格式的措辞不同（错别字如“本年度止件数”、改写的行名）。识别按相似度进行，
此处列出印出的名称和官方名称，便于更正。""")
def fmt_06(report: Report, ctx: Context):
    # One finding per wording, at its first place, naming every cell it labels.
    by_label: dict[tuple[str, str], tuple[object, list[str]]] = {}
    for lbl in report.labels:
        source, paths = by_label.setdefault((lbl.printed, lbl.official), (lbl.source, []))
        if lbl.path not in paths:
            paths.append(lbl.path)
    for (printed, official), (source, paths) in by_label.items():
        yield Finding("FMT-06", "notice", "structure", f"栏目名称“{printed}”与官方格式“{official}”不一致", paths,
                      source.english())
