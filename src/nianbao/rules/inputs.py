"""Input findings (IN): what the reader and recognizer had to guess, and blank cells.

The recognizer records its guesses as findings in ``report.notes``; these entries give each kind
a code and documentation, and IN-01 lists each table's blank cells once (spec/output.md)."""
from __future__ import annotations

from .. import schema
from ..model import BLANK, NULL_MARK, Finding, Report
from .base import Context, rule

TABLE_NAMES = {"active": "表二", "applications": "表三", "review_litigation": "表四"}


@rule("IN-01", "空白单元格按空值处理", severity="notice", category="input", basis="F",
      doc="""单元格空白或填“/”“—”“无”的，按“未填写”（null）处理，不当作 0。每张表列出一次空白单元格；
含空白单元格的等式如果不成立，由相应算术规则给出“无法核对”的警告。""")
def in_01(report: Report, ctx: Context):
    by_table: dict[str, list[str]] = {}
    for cells in (report.cells, report.extra_cells):
        for p, v in cells.items():
            if v.state in (BLANK, NULL_MARK):
                table = p.split(".")[1] if p.startswith("extra_2019.") else p.split(".", 1)[0]
                by_table.setdefault(table, []).append(p)
    for table in schema.TABLE_SECTIONS:
        blank = by_table.get(table)
        if blank:
            shown = "、".join(schema.label_of(p) for p in blank[:4]) + ("等" if len(blank) > 4 else "")
            first = report.value(blank[0]).source
            yield Finding("IN-01", "notice", "input",
                          f"{TABLE_NAMES[table]}有 {len(blank)} 个单元格空白或填“/”“—”，按未填写处理（不计为 0）：{shown}",
                          blank, first.english() if first else "")


def _passthrough(code: str):
    def check(report: Report, ctx: Context):
        return [n for n in report.notes if n.rule == code]
    return check


for _code, _title, _sev, _doc in (
    ("IN-02", "某行的数字少于列数", "warning",
     "某行印出的数字比表头列数少（常见于合并单元格转换时数字被挤出行外）。nianbao 先用表内勾稽关系判断缺的是哪一列，"
     "判断不了时按“行末被截断”处理，缺的单元格按未填写处理，并在此说明推定的依据。"),
    ("IN-03", "某行的单元格多于列数", "warning",
     "某行在表头列数之外还有单元格（合并单元格转换时重复印出的数字、多余的空格列）。与第一格相同的重复数字不提示；"
     "不同的数字给出警告，只采用对应列的数字。"),
    ("IN-05", "同一行重复出现", "notice", "表三中同一官方行出现两次时，只采用第一次出现的数据，并提示核对。"),
    ("IN-06", "报告年度由正文推定", "notice", "标题中没有写明年度时，按正文中最常出现的年份推定，并提示核对。"),
    ("IN-08", "读取文件时的说明", "warning",
     "读取文件本身时发现的情况，例如 Excel 单元格是公式但文件中没有保存计算结果（按空白读取，不当作 0）。"),
    ("IN-10", "连在一起的数字按勾稽关系拆分", "warning",
     "网页抓取或转换时表格单元格粘连成一串数字（如“一、本年新收政府信息公开申请数量801000081”，即 80、1、0、0、0、0、81）。"
     "nianbao 列出把这串数字拆成该行列数的所有拆法（每格是不以 0 开头的非负整数，“0”单独占一格），再用表内关系筛选："
     "表三每行总计等于各申请人列之和，各列“一＋二＝（七）总计＋四”、（七）总计等于各办理结果行之和、自行添加的小计行等于其各项之和；"
     "表四各组总计等于结果维持、结果纠正、其他结果、尚未审结之和。只有一种拆法说得通时采用它，并逐行说明拆成了哪些数；"
     "有不止一种拆法（或一种也没有、拆法过多无法穷举）时不作猜测，该行单元格按未填写处理并提示核对原件。"
     "拆分不修正数字：某种拆法只能满足部分关系时，其余关系不成立由相应算术规则报告。"),
    ("IN-07", "某行的对齐方式不唯一", "warning",
     "某行（表三的一行或表四的数据行）的数字有两种同样说得通的对齐方式（整行右移一格，或末尾多一格），两种读法的数值不同，"
     "而表内勾稽关系也无法区分（例如差别只在 0 与空白之间）。nianbao 按同一表中排版相同的行的位置读取（表四按末尾多一格），"
     "并提示人工核对。"),
):
    rule(_code, _title, severity=_sev, category="input", basis="F", doc=_doc)(_passthrough(_code))


OCR_LOW_CONFIDENCE = 0.9


@rule("IN-09", "数字由 OCR 识别", severity="warning", category="input", basis="F",
      doc="""扫描件或图片中的数字由文字识别（OCR）读出，可能有误读。每张表列出一次由 OCR 读出的单元格，
并单独指出识别置信度低于 0.9 的单元格；这些数字参与全部算术核对，算术不平时请先对照原件核对这些单元格。""")
def in_09(report: Report, ctx: Context):
    by_table: dict[str, list[tuple[str, float]]] = {}
    for cells in (report.cells, report.extra_cells):
        for p, v in cells.items():
            if v.source is not None and v.source.confidence is not None:
                table = p.split(".")[1] if p.startswith("extra_2019.") else p.split(".", 1)[0]
                by_table.setdefault(table, []).append((p, v.source.confidence))
    for table in schema.TABLE_SECTIONS:
        read = by_table.get(table)
        if not read:
            continue
        low = [p for p, c in read if c < OCR_LOW_CONFIDENCE]
        msg = f"{TABLE_NAMES[table]}的 {len(read)} 个单元格由 OCR 从扫描图像识别，请对照原件核对"
        if low:
            msg += f"；其中 {len(low)} 个识别置信度较低：" + "、".join(schema.label_of(p) for p in low[:4]) + \
                ("等" if len(low) > 4 else "")
        first = report.value((low or [read[0][0]])[0]).source
        yield Finding("IN-09", "warning", "input", msg, low or [p for p, _ in read], first.english() if first else "")
