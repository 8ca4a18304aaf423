"""Each recognizer mechanism on a small hand-written report: sections among sub-headings, header
analysis, shifted and short rows, wrapped labels, subtotal rows, the 2019 format, 表四 layouts."""
from __future__ import annotations

import nianbao
from nianbao.readers.text import parse_lines
from nianbao.recognize import recognize
from nianbao.rules import run_rules

T = "\t"
HEADER3 = [
    "(本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和)\t\t申请人情况\t\t\t\t\t\t总计",
    "\t\t自然人\t法人或其他组织\t\t\t\t\t",
    "\t\t\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t",
]
ROWS3 = [
    ("一、本年新收政府信息公开申请数量", ""), ("二、上年结转政府信息公开申请数量", ""),
    ("(一) 予以公开", "三、本年度办理结果"), ("(二) 部分公开（区分处理的，只计这一情形，不计其他情形）", ""),
    ("1.属于国家秘密", "(三) 不予公开"), ("2.其他法律行政法规禁止公开", ""), ("3.危及“三安全一稳定”", ""),
    ("4.保护第三方合法权益", ""), ("5.属于三类内部事务信息", ""), ("6.属于四类过程性信息", ""), ("7.属于行政执法案卷", ""),
    ("8.属于行政查询事项", ""), ("1.本机关不掌握相关政府信息", "(四) 无法提供"), ("2.没有现成信息需要另行制作", ""),
    ("3.补正后申请内容仍不明确", ""), ("1.信访举报投诉类申请", "(五) 不予处理"), ("2.重复申请", ""), ("3.要求提供公开出版物", ""),
    ("4.无正当理由大量反复申请", ""), ("5.要求行政机关确认或重新出具已获取信息", ""),
    ("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "(六) 其他处理"),
    ("2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", ""), ("3.其他", ""),
    ("(七) 总计", ""), ("四、结转下年度继续办理", ""),
]
KEYS = ["new_received", "carried_over", "granted", "partially_granted", "denied_state_secret", "denied_prohibited_by_law",
        "denied_security_stability", "denied_third_party", "denied_internal_affairs", "denied_process_info",
        "denied_enforcement_file", "denied_query_matter", "unable_not_held", "unable_needs_creation", "unable_unclear",
        "rejected_petition", "rejected_duplicate", "rejected_publication", "rejected_excessive",
        "rejected_confirm_or_reissue", "other_no_correction", "other_fee_unpaid", "other_other", "handled_total",
        "carried_forward"]
TABLE2 = ["第二十条第（一）项\t\t\t", "信息内容\t本年制发件数\t本年废止件数\t现行有效件数", "规章\t0\t0\t0", "行政规范性文件\t2\t1\t9",
          "第二十条第（五）项\t\t\t", "信息内容\t本年处理决定数量\t\t", "行政许可\t35\t\t", "第二十条第（六）项\t\t\t",
          "信息内容\t本年处理决定数量\t\t", "行政处罚\t3\t\t", "行政强制\t0\t\t", "第二十条第（八）项\t\t\t",
          "信息内容\t本年收费金额（单位：万元）\t\t", "行政事业性收费\t1.5\t\t"]
TABLE4 = ["行政复议\t\t\t\t\t行政诉讼\t\t\t\t\t\t\t\t\t",
          "结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t未经复议直接起诉\t\t\t\t\t复议后起诉\t\t\t\t",
          "\t\t\t\t\t结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t结果维持\t结果纠正\t其他结果\t尚未审结\t总计",
          "1\t0\t0\t0\t1\t0\t0\t0\t0\t0\t0\t0\t0\t0\t0"]


def values3() -> dict[str, list[int]]:
    """A consistent 表三: 3 new (2 natural persons, 1 company) → 2 granted, 1 not held."""
    v = {k: [0] * 7 for k in KEYS}
    v["new_received"] = [2, 1, 0, 0, 0, 0, 3]
    v["granted"] = [2, 0, 0, 0, 0, 0, 2]
    v["unable_not_held"] = [0, 1, 0, 0, 0, 0, 1]
    v["handled_total"] = [2, 1, 0, 0, 0, 0, 3]
    return v


def table3(v=None, row_hook=None) -> list[str]:
    v = v or values3()
    out = list(HEADER3)
    for key, (label, group) in zip(KEYS, ROWS3):
        cells = [group, label] + [str(x) for x in v[key]]
        line = T.join(cells)
        out.append(row_hook(key, line) if row_hook else line)
    return out


def doc(t3=None, t2=None, t4=None, title="某某镇人民政府2024年政府信息公开工作年度报告", extra_sections=True, tail=None):
    lines = [title, "", "一、总体情况", "本年度主动公开信息，依申请公开工作规范。全年共收到政府信息公开申请3件。", "",
             "二、主动公开政府信息情况"] + (t2 if t2 is not None else TABLE2) + ["", "三、收到和处理政府信息公开申请情况"]
    lines += (t3 if t3 is not None else table3()) + ["", "四、政府信息公开行政复议、行政诉讼情况"] + (t4 if t4 is not None else TABLE4)
    if extra_sections:
        lines += ["", "五、存在的主要问题及改进情况", "问题与改进。", "六、其他需要报告的事项", "无。"]
    lines += tail or ["某某镇人民政府", "2025年1月20日"]
    return lines


def load(lines, name="x.txt"):
    return recognize(parse_lines(name, lines))


def test_clean_report_reads_exactly():
    r = load(doc())
    assert r.status == "ok" and r.format == "2021" and r.year == 2024 and r.report_date == "2025-01-20"
    assert r.unit == "某某镇人民政府"
    for key, vals in values3().items():
        assert [r.app(key, c.key) for c in nianbao.schema.APP_COLUMNS] == vals, key
    assert r.get("active.normative_documents.in_force") == 9 and r.get("active.fees.amount_wan_yuan") == 1.5
    assert r.get("review_litigation.review.upheld") == 1 and r.get("review_litigation.review.total") == 1
    assert not [f for f in run_rules(r) if f.severity == "error"]


def test_sub_headings_with_section_numbers_are_not_sections():
    lines = doc()
    lines[3:3] = ["### 三、政务公开程序规范化举措", "内容。", "### 四、复议、诉讼和申诉情况", "无。"]
    r = load(lines)
    assert r.sections["applications"].heading == "三、收到和处理政府信息公开申请情况"
    assert r.sections["review_litigation"].heading == "四、政府信息公开行政复议、行政诉讼情况"


def test_numbering_drift_in_headings():
    lines = [("6、 其他需要报告的事项" if l == "六、其他需要报告的事项" else l) for l in doc()]
    assert load(lines).sections["other"].heading == "6、 其他需要报告的事项"


def test_row_shifted_right_by_group_label_is_read_in_order():
    # The seeds' layout: "\t(三) 不予公开\t1.属于国家秘密\t0…" pushes the numbers one cell right.
    def hook(key, line):
        return ("\t" + line) if key == "granted" else line
    r = load(doc(table3(row_hook=hook)))
    assert [r.app("granted", c.key) for c in nianbao.schema.APP_COLUMNS] == [2, 0, 0, 0, 0, 0, 2]


def test_short_row_gap_placed_by_arithmetic():
    """A row one number short: the equations say which column is missing (here 商业企业)."""
    def hook(key, line):
        if key == "unable_not_held":
            return "\t(四) 无法提供\t1.本机关不掌握相关政府信息\t0\t0\t0\t0\t0\t1"  # 商业企业's 1 missing
        return line
    r = load(doc(table3(row_hook=hook)))
    got = [r.app("unable_not_held", c.key) for c in nianbao.schema.APP_COLUMNS]
    notes = [n for n in r.notes if n.rule == "IN-02"]
    assert notes and "勾稽" in notes[0].message
    assert got[-1] == 1 and None in got
    assert not [f for f in run_rules(r) if f.severity == "error" and f.category == "arithmetic"]


def test_short_row_without_evidence_truncated_at_end():
    def hook(key, line):
        return "\t(五) 不予处理\t1.信访举报投诉类申请\t0\t0\t0\t0\t0\t0" if key == "rejected_petition" else line
    r = load(doc(table3(row_hook=hook)))
    assert r.app("rejected_petition", "total") is None and r.app("rejected_petition", "other") == 0


def test_wrapped_label_continuation_is_ignored():
    def hook(key, line):
        if key == "partially_granted":
            return "\t(二) 部分公开（区分处理的，只\t0\t0\t0\t0\t0\t0\t0\n\n理结果\t记这一情形，不计其他情形)\t\t\t\t\t\t\t"
        return line
    lines = "\n".join(doc(table3(row_hook=hook))).split("\n")
    r = load(lines)
    assert r.app("partially_granted", "total") == 0 and r.app("denied_state_secret", "total") == 0
    assert not [l for l in r.labels if l.path == "applications.row.partially_granted"]


def test_missing_column_is_structure_error_and_null():
    def drop_other(key, line):
        cells = line.split(T)
        return T.join(cells[:7] + cells[8:])
    header = [HEADER3[0], HEADER3[1], "\t\t\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t"]
    rows = table3(row_hook=drop_other)[3:]
    r = load(doc(header + rows))
    assert "applications.column.other" in r.missing
    assert r.app("granted", "other") is None and r.app("granted", "total") == 2
    fs = run_rules(r)
    assert any(f.rule == "FMT-03" and "applications.column.other" in f.cells for f in fs)


def test_blank_and_dash_cells_are_null_not_zero():
    def hook(key, line):
        return line.replace("\t0\t0\t0\t0\t0\t0\t0", "\t\t/\t—\t-\t无\t\t") if key == "denied_query_matter" else line
    r = load(doc(table3(row_hook=hook)))
    assert all(r.app("denied_query_matter", c.key) is None for c in nianbao.schema.APP_COLUMNS)
    fs = run_rules(r)
    assert any(f.rule == "IN-01" and "applications.denied_query_matter.research" in f.cells for f in fs)
    assert not [f for f in fs if f.severity == "error" and f.category == "arithmetic"]


def test_traditional_fullwidth_and_thousands():
    import opencc
    s2t = opencc.OpenCC("s2t")
    v = values3()
    v["new_received"] = [1200, 34, 0, 0, 0, 0, 1234]
    v["granted"] = [1200, 33, 0, 0, 0, 0, 1233]
    v["handled_total"] = [1200, 34, 0, 0, 0, 0, 1234]
    lines = [s2t.convert(l).replace("1234", "１,２３４").replace("1233", "1，233") for l in table3(v)]
    r = load(doc(lines))
    assert r.app("new_received", "total") == 1234 and r.app("granted", "total") == 1233


def test_subtotal_row_is_extra_and_checked():
    def hook(key, line):
        if key == "denied_state_secret":
            return "\t(三) 不予公开\t0\t0\t0\t0\t0\t0\t5\n" + line
        return line
    lines = "\n".join(doc(table3(row_hook=hook))).split("\n")
    r = load(lines)
    assert "applications.row.subtotal_denied" in r.extra
    fs = run_rules(r)
    assert any(f.rule == "FMT-03" and f.severity == "notice" for f in fs)
    assert any(f.rule == "T3-04" and f.severity == "error" for f in fs)
    assert r.app("denied_state_secret", "total") == 0


def test_label_row_then_value_row():
    def hook(key, line):
        if key == "granted":
            cells = line.split(T)
            return T.join(cells[:2]) + "\n" + "\t\t" + T.join(cells[2:])
        return line
    lines = "\n".join(doc(table3(row_hook=hook))).split("\n")
    r = load(lines)
    assert r.app("granted", "natural_person") == 2 and r.app("granted", "total") == 2


def test_review_table_one_row_per_group():
    t4 = ["\t结果维持\t结果纠正\t其他结果\t尚未审结\t总计", "行政复议\t1\t0\t0\t0\t1", "未经复议直接起诉\t0\t1\t0\t0\t1",
          "复议后起诉\t0\t0\t0\t2\t2"]
    r = load(doc(t4=t4))
    assert r.get("review_litigation.litigation_direct.corrected") == 1
    assert r.get("review_litigation.litigation_after_review.pending") == 2


def test_review_flattened_to_bare_numbers():
    t4 = ["行政复议行政诉讼", "1 0 0 0 1 0 0 0 0 0 0 0 0 0 0"]
    r = load(doc(t4=t4))
    assert r.get("review_litigation.review.total") == 1 and r.has_table("review_litigation")


def test_pipe_tables_and_markdown_headings():
    lines = ["# 某某市生态环境局2024年政府信息公开工作年度报告", "## 一、总体情况", "内容。", "## 二、主动公开政府信息情况"]
    lines += ["| " + " | ".join(l.split(T)) + " |" for l in TABLE2[:1]] + ["|---|---|---|---|"]
    lines += ["| " + " | ".join(l.split(T)) + " |" for l in TABLE2[1:]]
    lines += ["## 三、收到和处理政府信息公开申请情况", "| 项目 | | 自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 总计 |",
              "|---|---|---|---|---|---|---|---|---|"]
    for key, (label, group) in zip(KEYS, ROWS3):
        lines.append("| " + " | ".join([group, label] + [str(x) for x in values3()[key]]) + " |")
    lines += ["## 四、政府信息公开行政复议、行政诉讼情况"] + ["| " + " | ".join(l.split(T)) + " |" for l in TABLE4]
    r = load(lines, "x.md")
    assert r.status == "ok" and r.unit == "某某市生态环境局"
    assert r.app("granted", "total") == 2 and r.get("active.licensing.decisions") == 35


def test_2019_format_detected_and_kept():
    t2 = ["第二十条第（一）项\t\t\t", "信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量", "规章\t0\t0\t0",
          "规范性文件\t3\t3\t20", "第二十条第（五）项\t\t\t", "信息内容\t上一年项目数量\t本年增/减\t处理决定数量",
          "行政许可\t12\t-2\t40", "其他对外管理服务事项\t1\t0\t2", "第二十条第（六）项\t\t\t",
          "信息内容\t上一年项目数量\t本年增/减\t处理决定数量", "行政处罚\t5\t1\t7", "行政强制\t0\t0\t0",
          "第二十条第（八）项\t\t\t", "信息内容\t上一年项目数量\t本年增/减\t", "行政事业性收费\t2\t0\t",
          "第二十条第（九）项\t\t\t", "信息内容\t采购项目数量\t采购总金额\t", "政府集中采购\t4\t120000\t"]
    rows = [(l, g) for l, g in ROWS3 if not l.startswith(("1.申请人无正当", "2.申请人逾期", "3.其他"))]
    rows.insert(20, ("(六) 其他处理", ""))
    keys = [k for k in KEYS if not k.startswith("other_")]
    keys.insert(20, "other_processing")
    v = values3()
    v["other_processing"] = [0] * 7
    t3 = list(HEADER3) + [T.join([g, l] + [str(x) for x in v[k]]) for k, (l, g) in zip(keys, rows)]
    r = load(doc(t3, t2, title="某某县人民政府2020年政府信息公开工作年度报告"))
    assert r.format == "2019" and r.year == 2020
    d = r.to_dict()
    assert d["extra_2019"]["active"]["licensing"] == {"previous_count": 12, "change": -2, "decisions": 40}
    assert d["extra_2019"]["applications"]["other_processing"]["total"] == 0
    assert d["active"]["licensing"]["decisions"] == 40 and d["active"]["fees"]["amount_wan_yuan"] is None
    assert d["applications"]["other_no_correction"]["total"] is None
    fs = run_rules(r)
    assert not [f for f in fs if f.severity == "error"], [f.message for f in fs if f.severity == "error"]


def test_fee_in_yuan_converted_with_warning():
    t2 = [l.replace("行政事业性收费\t1.5", "行政事业性收费\t251000元") for l in TABLE2]
    r = load(doc(t2=t2))
    assert r.get("active.fees.amount_wan_yuan") == 25.1
    assert any(f.rule == "NUM-02" and f.severity == "warning" for f in run_rules(r))


def test_not_a_report_is_refused(tmp_path):
    p = tmp_path / "news.txt"
    p.write_text("今天天气很好。\n我们去公园散步。\n", encoding="utf-8")
    try:
        nianbao.load(p)
    except nianbao.ReadError as e:
        assert "不是政府信息公开工作年度报告" in str(e)
    else:
        raise AssertionError("a news text was taken for a report")


def test_report_without_tables_is_partial():
    lines = ["某某镇人民政府2024年政府信息公开工作年度报告", "一、总体情况", "内容。", "二、主动公开政府信息情况", "无。"]
    r = load(lines)
    assert r.status == "partial"
    fs = run_rules(r)
    assert any(f.rule == "FMT-01" and f.severity == "error" for f in fs)


def test_section_out_of_order_is_reported_as_misplaced():
    lines = doc()
    i5 = lines.index("五、存在的主要问题及改进情况")
    five = lines[i5:i5 + 2]
    del lines[i5:i5 + 2]
    lines[4:4] = five  # 五 printed right after 一
    r = load(lines)
    fs = [f for f in run_rules(r) if f.rule == "FMT-01"]
    assert r.sections["problems"].misplaced
    assert [f.severity for f in fs] == ["warning"] and "顺序" in fs[0].message


def test_mixed_formats_2021_tables_with_2019_other_row():
    """表二 in the 2021 format but 表三 with the 2019 single （六）其他处理 row: each table is read
    in its own format, the equations use 表三's rows, and FMT-02 says the formats are mixed."""
    rows = [(l, g) for l, g in ROWS3 if not l.startswith(("1.申请人无正当", "2.申请人逾期", "3.其他"))]
    rows.insert(20, ("(六) 其他处理", ""))
    keys = [k for k in KEYS if not k.startswith("other_")]
    keys.insert(20, "other_processing")
    v = values3()
    v["other_processing"] = [0, 0, 0, 0, 0, 0, 0]
    v["granted"] = [1, 0, 0, 0, 0, 0, 1]
    v["other_processing"] = [1, 0, 0, 0, 0, 0, 1]
    t3 = list(HEADER3) + [T.join([g, l] + [str(x) for x in v[k]]) for k, (l, g) in zip(keys, rows)]
    r = load(doc(t3))
    assert r.format == "2021" and r.apps_is_2019
    assert r.to_dict()["extra_2019"]["applications"]["other_processing"]["natural_person"] == 1
    fs = run_rules(r)
    assert not [f for f in fs if f.category == "arithmetic" and f.severity == "error"]
    assert any(f.rule == "FMT-02" and "混用" in f.message for f in fs)


def test_label_row_with_all_cells_blank_is_a_blank_row():
    """Units that leave zeros blank print a label with empty cells: that row is there, all null."""
    def hook(key, line):
        return "\t(七) 总计\t\t\t\t\t\t\t" if key == "handled_total" else line
    r = load(doc(table3(row_hook=hook)))
    assert "applications.row.handled_total" not in r.missing
    assert all(r.app("handled_total", c.key) is None for c in nianbao.schema.APP_COLUMNS)
    assert r.value("applications.handled_total.total").state == "blank"


def test_ambiguous_alignment_is_flagged_not_hidden():
    """A row one cell wider than its neighbours whose reading differs by where it starts, with
    nothing printed in full to tell (zeros and blanks only): read by habit, and say so (IN-07)."""
    def hook(key, line):
        if key == "denied_prohibited_by_law":
            return "\t\t2.其他法律行政法规禁止公开\t\t0\t\t\t0\t0\t—\t"
        return line
    r = load(doc(table3(row_hook=hook)))
    assert any(n.rule == "IN-07" for n in r.notes)


def test_a_title_wrapped_over_two_lines_is_the_title():
    """A long centred title in a PDF comes out as two lines; it is still the title (PUB-02 once fired)."""
    from nianbao.document import Source
    from nianbao.recognize.meta import find_title
    paras = [(Source(line=1), "江庆县湾光街道办事处2025年政府信息公"), (Source(line=2), "开工作年度报告"),
             (Source(line=3), "一、总体情况")]
    assert find_title(paras) == (0, "江庆县湾光街道办事处2025年政府信息公开工作年度报告")
    # a name line above a one-line title stays a separate line
    paras = [(Source(line=1), "某镇人民政府"), (Source(line=2), "2024年政府信息公开工作年度报告")]
    assert find_title(paras) == (1, "2024年政府信息公开工作年度报告")


def test_a_flat_glyph_stays_on_its_line_in_a_pdf_cell():
    """“一” can get a box half as tall as its neighbours'; “（一）予以公开” was read as “一（）予以公开”."""
    from nianbao.readers.pdf import Char, _cell_text
    chars = [Char("（", 116.3, 677.7, 126.8, 687.5), Char("一", 126.8, 678.0, 137.3, 682.4),
             Char("）", 137.3, 677.7, 147.8, 687.5), Char("予", 147.8, 678.0, 158.3, 687.4)]
    assert _cell_text(chars) == "（一）予"
