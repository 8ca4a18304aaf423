"""Unit keys, levels and region paths from printed names, and the user mapping file."""
from __future__ import annotations

import codecs

import pytest

from nianbao import units
from nianbao.errors import UsageError
from nianbao.regions import (CITY, COUNTY, DEPARTMENT, LEVELS, PROVINCE, SUBDISTRICT, TOWNSHIP, Mapping,
                             MappingEntry, UnitInfo, coarse_level, load_mapping, normalize_unit, parse_level,
                             region_from_name, resolve_unit, unit_level)


@pytest.mark.parametrize("printed, key", [
    ("巡镇镇人民政府", "巡镇镇"),
    ("巡镇镇", "巡镇镇"),
    ("巡镇镇政府", "巡镇镇"),
    ("湾光街道办事处", "湾光街道"),
    ("湾光街道办", "湾光街道"),
    ("湾光街道", "湾光街道"),
    ("江庆县湾光街道办事处", "江庆县湾光街道"),
    ("城区街道办事处", "城区街道"),
    ("河曲县人民政府", "河曲县"),
    ("河曲县政府", "河曲县"),
    ("内蒙古自治区人民政府", "内蒙古自治区"),
    ("阿克苏地区行政公署", "阿克苏地区"),
    ("锡林郭勒盟行政公署", "锡林郭勒盟"),
    ("山西省阳泉市城区人民政府", "山西省阳泉市城区"),
    ("济南市市中区人民政府", "济南市市中区"),
    # the 办公室 of a government is a department, never the government itself
    ("忻州市人民政府办公室", "忻州市人民政府办公室"),
    ("忻州市政府办公室", "忻州市人民政府办公室"),
    ("忻州市政府办", "忻州市人民政府办公室"),
    ("瑞原区卫生健康委员会", "瑞原区卫生健康委员会"),
    ("忻州市市场监督管理局", "忻州市市场监督管理局"),
    # NFKC, whitespace, brackets; traditional characters are kept as printed
    ("河曲县 人民政府", "河曲县"),
    ("巡镇镇\u3000人民政府\n", "巡镇镇"),
    ("ＡＢ区卫生局", "AB区卫生局"),
    ("瑞原区(县)卫生局", "瑞原区（县）卫生局"),
    ("瑞原区（县）卫生局", "瑞原区（县）卫生局"),
    ("《巡镇镇人民政府》", "巡镇镇"),
    ("臺北縣政府", "臺北縣政府"),
    # too short or not a division: nothing is stripped
    ("镇人民政府", "镇人民政府"),
    ("人民政府", "人民政府"),
    ("街道办事处", "街道办事处"),
    ("中关村开发区人民政府", "中关村开发区人民政府"),
    ("", ""),
])
def test_normalize_unit(printed, key):
    assert normalize_unit(printed) == key


def test_normalize_never_merges_government_and_its_office():
    assert normalize_unit("河曲县人民政府") != normalize_unit("河曲县人民政府办公室")
    assert normalize_unit("湾光街道办事处") != normalize_unit("湾光街道办事处党政办公室")


@pytest.mark.parametrize("name, level", [
    ("山西省", PROVINCE), ("山西省人民政府", PROVINCE), ("内蒙古自治区", PROVINCE),
    ("广西壮族自治区人民政府", PROVINCE), ("香港特别行政区", PROVINCE), ("北京市人民政府", PROVINCE),
    ("重庆市", PROVINCE),
    ("忻州市", CITY), ("镇江市人民政府", CITY), ("恩施土家族苗族自治州", CITY), ("锡林郭勒盟", CITY),
    ("阿克苏地区", CITY), ("湖北省仙桃市", CITY),
    ("河曲县", COUNTY), ("易县人民政府", COUNTY), ("瑞原区人民政府", COUNTY), ("伊金霍洛旗", COUNTY),
    ("东乡族自治县", COUNTY), ("济南市市中区", COUNTY), ("阳泉市城区", COUNTY), ("乡宁县", COUNTY),
    ("恩施州恩施市", COUNTY),  # a 市 under a 州 is a 县级市
    ("吉林省延边朝鲜族自治州延吉市", COUNTY),
    ("巡镇镇人民政府", TOWNSHIP), ("金乐镇", TOWNSHIP), ("新店乡", TOWNSHIP), ("城关镇人民政府", TOWNSHIP),
    ("乌兰木伦镇", TOWNSHIP), ("巴彦苏木", TOWNSHIP), ("广东省东莞市虎门镇", TOWNSHIP),
    ("湾光街道办事处", SUBDISTRICT), ("城区街道办", SUBDISTRICT), ("新区街道", SUBDISTRICT),
    ("市桥街道", SUBDISTRICT), ("人民路街道办事处", SUBDISTRICT),
    ("瑞原区卫生健康委员会", DEPARTMENT), ("河曲县人民政府办公室", DEPARTMENT),
    ("北京市朝阳区市场监督管理局", DEPARTMENT), ("山西省教育厅", DEPARTMENT), ("国家统计局", DEPARTMENT),
    ("巡镇镇人民政府办公室", DEPARTMENT), ("湾光街道办事处党政办公室", DEPARTMENT), ("忻州市档案馆", DEPARTMENT),
    ("中关村开发区", None), ("朝阳区社区", None), ("镇", None), ("", None), ("张三", None),
])
def test_unit_level(name, level):
    assert unit_level(name) == level


@pytest.mark.parametrize("name, region", [
    ("山西省忻州市河曲县巡镇镇人民政府", ("山西省", "忻州市", "河曲县", "巡镇镇")),
    ("巡镇镇人民政府", ("巡镇镇",)),
    ("河曲县巡镇镇", ("河曲县", "巡镇镇")),
    ("瑞原区卫生健康委员会", ("瑞原区",)),
    ("河曲县人民政府办公室", ("河曲县",)),
    ("巡镇镇人民政府办公室", ("巡镇镇",)),
    ("北京市朝阳区市场监督管理局", ("北京市", "朝阳区")),
    ("忻州市市场监督管理局", ("忻州市",)),
    ("河曲县城市管理局", ("河曲县",)),
    ("河曲县乡村振兴局", ("河曲县",)),
    ("临汾市乡宁县乡镇企业局", ("临汾市", "乡宁县")),
    ("内蒙古自治区", ("内蒙古自治区",)),
    ("内蒙古自治区鄂尔多斯市伊金霍洛旗乌兰木伦镇", ("内蒙古自治区", "鄂尔多斯市", "伊金霍洛旗", "乌兰木伦镇")),
    ("新疆维吾尔自治区乌鲁木齐市新市区", ("新疆维吾尔自治区", "乌鲁木齐市", "新市区")),
    ("吉林省延边朝鲜族自治州延吉市", ("吉林省", "延边朝鲜族自治州", "延吉市")),
    ("甘肃省临夏回族自治州东乡族自治县", ("甘肃省", "临夏回族自治州", "东乡族自治县")),
    ("恩施州恩施市", ("恩施州", "恩施市")),
    ("江苏省镇江市", ("江苏省", "镇江市")),
    ("镇江市人民政府", ("镇江市",)),
    ("宁波市镇海区", ("宁波市", "镇海区")),
    ("广州市天河区", ("广州市", "天河区")),
    ("江苏省泰州市海陵区", ("江苏省", "泰州市", "海陵区")),
    ("济南市市中区", ("济南市", "市中区")),
    ("济南市市中区教育局", ("济南市", "市中区")),
    ("山西省阳泉市城区人民政府", ("山西省", "阳泉市", "城区")),
    ("山西省临汾市乡宁县", ("山西省", "临汾市", "乡宁县")),
    ("新区街道", ("新区街道",)),
    ("城区街道办事处", ("城区街道",)),
    ("江庆县湾光街道办事处", ("江庆县", "湾光街道")),
    ("番禺区市桥街道", ("番禺区", "市桥街道")),
    ("海淀区学院路街道办事处", ("海淀区", "学院路街道")),
    ("上海市浦东新区人民政府", ("上海市", "浦东新区")),
    ("湖北省神农架林区", ("湖北省", "神农架林区")),
    ("香港特别行政区", ("香港特别行政区",)),
    ("易县人民政府", ("易县",)),
    ("山西省教育厅", ("山西省",)),
    ("中共河曲县委办公室", ("河曲县",)),
    # no region rather than a wrong one
    ("国家统计局", ()),
    ("省教育厅", ()),
    ("县人民政府办公室", ()),
    ("苏州工业园区管理委员会", ()),
    ("中国人民银行河曲县支行", ()),
    ("镇", ()),
    ("", ()),
])
def test_region_from_name(name, region):
    assert region_from_name(name) == region


def test_division_path_ends_with_the_unit_and_department_path_does_not():
    assert region_from_name("河曲县巡镇镇")[-1] == "巡镇镇"
    assert "卫生健康委员会" not in "".join(region_from_name("瑞原区卫生健康委员会"))


def test_levels_and_parser():
    assert LEVELS == {"province": "省", "city": "市", "county": "县", "township": "乡镇",
                      "subdistrict": "街道", "department": "部门"}
    for key, label in LEVELS.items():
        assert parse_level(key) == key
        assert parse_level(label) == key
    for text, key in [("镇", TOWNSHIP), ("乡", TOWNSHIP), ("Township", TOWNSHIP), (" 街道办 ", SUBDISTRICT),
                      ("区", COUNTY), ("县级市", COUNTY), ("旗", COUNTY), ("地级市", CITY), ("自治州", CITY),
                      ("自治区", PROVINCE), ("政府部门", DEPARTMENT), ("ＤＥＰＴ", DEPARTMENT)]:
        assert parse_level(text) == key
    assert parse_level("") is None and parse_level(None) is None
    with pytest.raises(ValueError, match="无法识别的层级“村”"):
        parse_level("村")


@pytest.mark.parametrize("name", ["巡镇镇人民政府", "湾光街道办事处", "河曲县人民政府", "瑞原区卫生健康委员会",
                                  "河曲县人民政府办公室", "山西省人民政府"])
def test_coarse_level_agrees_with_units(name):
    assert coarse_level(unit_level(name)) == units.unit_level(name)


# ---------------------------------------------------------------- mapping file

ROWS = [
    ("巡镇镇", "山西省/忻州市/河曲县/巡镇镇", "乡镇", "河曲县"),
    ("河曲县卫生健康局", "山西省＞忻州市＞河曲县", "部门", ""),
    ("恩施市", "湖北省>恩施土家族苗族自治州>恩施市", "县级市", ""),
    ("湾光街道办事处", "某省-某市-江庆县", "subdistrict", ""),
]


def write(tmp_path, text: str, encoding: str = "utf-8", name: str = "map.csv", bom: bytes = b""):
    path = tmp_path / name
    path.write_bytes(bom + text.encode(encoding))
    return path


def csv_text(header, rows=ROWS, newline="\n"):
    return newline.join([",".join(header)] + [",".join(r) for r in rows]) + newline


@pytest.mark.parametrize("encoding, bom, newline", [
    ("utf-8", b"", "\n"), ("utf-8", codecs.BOM_UTF8, "\r\n"), ("gbk", b"", "\r\n"), ("gb18030", b"", "\n"),
    ("utf-16", b"", "\r\n"),  # Python's utf-16 writes its BOM
])
@pytest.mark.parametrize("header", [
    ("unit", "region", "level", "parent"), ("Unit", "Region", "LEVEL", "Parent"),
    ("单位", "区划", "层级", "上级"), ("单位名称", "区划路径", "级别", "上级单位"), ("单位", "地区", "层级", "上级单位"),
])
def test_load_mapping_encodings_and_headers(tmp_path, encoding, bom, newline, header):
    m = load_mapping(write(tmp_path, csv_text(header, newline=newline), encoding, bom=bom))
    assert len(m) == 4
    e = m.lookup("巡镇镇人民政府")
    assert e == MappingEntry("巡镇镇", ("山西省", "忻州市", "河曲县", "巡镇镇"), TOWNSHIP, "河曲县")
    assert m.lookup("河曲县卫生健康局").region == ("山西省", "忻州市", "河曲县")
    assert m.lookup("恩施市").level == COUNTY
    # a division's own name is appended when the region path stops at its parent
    assert m.lookup("湾光街道办").region == ("某省", "某市", "江庆县", "湾光街道")


def test_load_mapping_columns_in_any_order_extra_columns_comments_and_blank_lines(tmp_path):
    text = ("备注,层级,单位\n"
            "\n"
            "# 县级市要手工标出\n"
            "随便写,县级市,恩施市\n"
            ",,\n"
            "\"带,逗号\",乡镇,\"巡镇镇\"\n")
    m = load_mapping(write(tmp_path, text))
    assert [e.unit for e in m] == ["恩施市", "巡镇镇"]
    assert m.lookup("恩施市") == MappingEntry("恩施市", (), COUNTY, None)


def test_load_mapping_tab_separated(tmp_path):
    m = load_mapping(write(tmp_path, "单位\t层级\n恩施市\t县\n", "utf-16"))
    assert m.lookup("恩施市人民政府").level == COUNTY


def test_load_mapping_full_width_commas(tmp_path):
    m = load_mapping(write(tmp_path, "单位，区划，层级\n巡镇镇，山西省／忻州市／河曲县，镇\n", "gbk"))
    assert m.lookup("巡镇镇").region == ("山西省", "忻州市", "河曲县", "巡镇镇")


def test_identical_duplicate_rows_are_accepted(tmp_path):
    m = load_mapping(write(tmp_path, "单位,层级\n巡镇镇,乡镇\n巡镇镇人民政府,镇\n"))
    assert len(m) == 1


def entry(unit, region=(), level=None, parent=None):
    return MappingEntry(unit, tuple(region), level, parent)


def test_lookup_exact_then_unique_suffix():
    m = Mapping([entry("巡镇镇", ("山西省", "忻州市", "河曲县", "巡镇镇"), TOWNSHIP),
                 entry("河曲县卫生健康局", ("河曲县",), DEPARTMENT)])
    assert m.lookup("巡镇镇人民政府").unit == "巡镇镇"
    assert m.lookup("河曲县巡镇镇人民政府").unit == "巡镇镇"
    assert m.lookup("山西省忻州市河曲县巡镇镇人民政府").unit == "巡镇镇"
    assert m.lookup("保德县巡镇镇人民政府") is None  # the entry's region says 河曲县
    assert m.lookup("河曲县某某镇") is None
    assert m.lookup("卫生健康局") is None  # a department name alone names no particular government
    assert m.lookup("") is None


def test_lookup_reverse_suffix_for_divisions_only():
    m = Mapping([entry("河曲县巡镇镇", ("河曲县", "巡镇镇"), TOWNSHIP), entry("瑞原区卫生健康委员会")])
    assert m.lookup("巡镇镇人民政府").unit == "河曲县巡镇镇"
    assert m.lookup("卫生健康委员会") is None


def test_lookup_ambiguous_suffix_gives_none():
    m = Mapping([entry("河曲县巡镇镇", level=TOWNSHIP), entry("保德县巡镇镇", level=TOWNSHIP)])
    assert m.lookup("巡镇镇") is None
    assert m.lookup("河曲县巡镇镇人民政府").unit == "河曲县巡镇镇"


def test_lookup_department_needs_region_to_confirm_prefix():
    assert Mapping([entry("卫生健康委员会", level=DEPARTMENT)]).lookup("瑞原区卫生健康委员会") is None
    m = Mapping([entry("卫生健康委员会", ("瑞原区",), DEPARTMENT)])
    assert m.lookup("瑞原区卫生健康委员会").unit == "卫生健康委员会"
    assert m.lookup("川屯区卫生健康委员会") is None
    # a division without a region matches by suffix when unique
    assert Mapping([entry("巡镇镇", level=TOWNSHIP)]).lookup("河曲县巡镇镇人民政府").unit == "巡镇镇"


@pytest.mark.parametrize("text, line, fragment", [
    ("区划,层级\n山西省,省\n", 1, "缺少“单位”列"),
    ("\n\n名称,区划\n巡镇镇,河曲县\n", 3, "缺少“单位”列"),
    ("单位,备注\n巡镇镇,无\n", 1, "至少还需要"),
    ("单位,单位名称,层级\n巡镇镇,巡镇镇,乡镇\n", 1, "“单位名称”列重复"),
    ("单位,层级\n巡镇镇,乡镇\n河曲县,村\n", 3, "无法识别的层级“村”"),
    ("单位,层级\n巡镇镇,乡镇\n\n,乡镇\n", 4, "缺少单位名称"),
    ("单位,层级\n巡镇镇,乡镇,多余\n", 2, "列数多于表头"),
    ("单位,层级\n巡镇镇,乡镇\n巡镇镇人民政府,县\n", 3, "与第 2 行重复"),
    ("单位,层级\n巡镇镇,\"乡镇\n", 2, "CSV 格式错误"),
    ("", 1, "文件是空的"),
    ("\n \r\n\ufeff", 1, "文件是空的"),
    ("# 只有注释\n", 1, "文件是空的"),
    ("这只是一段说明文字，不是表格。\n第二行\n", 1, "缺少“单位”列"),
])
def test_bad_mapping_files(tmp_path, text, line, fragment):
    path = write(tmp_path, text, name="坏的映射.csv")
    with pytest.raises(UsageError) as exc:
        load_mapping(path)
    msg = str(exc.value)
    assert str(path) in msg and f"第 {line} 行" in msg and fragment in msg, msg


@pytest.mark.parametrize("data, line, fragment", [
    ("单位,层级\n巡镇镇,乡镇\n".encode() + b"\xff\xfe\x80\n", 3, "无法识别文件编码"),
    (b"\x80" + "单位,层级\n".encode("gbk"), 1, "无法识别文件编码"),
    (b"PK\x03\x04\x14\x00\x06\x00" + bytes(40), 1, "另存为 CSV"),
    ("单位,层级\n巡镇".encode() + b"\x00\x00\x01\n", 1, "不是 CSV 文本文件"),
])
def test_bad_mapping_bytes(tmp_path, data, line, fragment):
    path = tmp_path / "映射.csv"
    path.write_bytes(data)
    with pytest.raises(UsageError) as exc:
        load_mapping(path)
    msg = str(exc.value)
    assert str(path) in msg and f"第 {line} 行" in msg and fragment in msg, msg


def test_missing_mapping_file(tmp_path):
    with pytest.raises(UsageError, match="无法读取映射文件 .*不存在.csv"):
        load_mapping(tmp_path / "不存在.csv")


# ---------------------------------------------------------------- resolve_unit

@pytest.mark.parametrize("printed, info", [
    ("山西省忻州市河曲县巡镇镇人民政府",
     UnitInfo("山西省忻州市河曲县巡镇镇", "山西省忻州市河曲县巡镇镇人民政府", TOWNSHIP,
              ("山西省", "忻州市", "河曲县", "巡镇镇"), "河曲县")),
    ("巡镇镇人民政府", UnitInfo("巡镇镇", "巡镇镇人民政府", TOWNSHIP, ("巡镇镇",), None)),
    ("瑞原区卫生健康委员会", UnitInfo("瑞原区卫生健康委员会", "瑞原区卫生健康委员会", DEPARTMENT, ("瑞原区",), "瑞原区")),
    ("河曲县 人民政府 办公室", UnitInfo("河曲县人民政府办公室", "河曲县人民政府办公室", DEPARTMENT, ("河曲县",), "河曲县")),
    ("江庆县湾光街道办事处", UnitInfo("江庆县湾光街道", "江庆县湾光街道办事处", SUBDISTRICT, ("江庆县", "湾光街道"), "江庆县")),
    ("吉林省延边朝鲜族自治州延吉市",
     UnitInfo("吉林省延边朝鲜族自治州延吉市", "吉林省延边朝鲜族自治州延吉市", COUNTY,
              ("吉林省", "延边朝鲜族自治州", "延吉市"), "延边朝鲜族自治州")),
    ("国家统计局", UnitInfo("国家统计局", "国家统计局", DEPARTMENT, (), None)),
    ("某某", UnitInfo("某某", "某某", None, (), None)),
])
def test_resolve_unit_from_name(printed, info):
    assert resolve_unit(printed) == info


def test_resolve_unit_mapping_wins_field_by_field(tmp_path):
    m = load_mapping(write(tmp_path, csv_text(("单位", "区划", "层级", "上级"))))
    info = resolve_unit("巡镇镇人民政府", m)
    assert info == UnitInfo("巡镇镇", "巡镇镇人民政府", TOWNSHIP, ("山西省", "忻州市", "河曲县", "巡镇镇"), "河曲县")
    # printed with its county, grouped under the same key
    assert resolve_unit("河曲县巡镇镇人民政府", m).key == "巡镇镇"
    # the mapping turns a 市 into a 县级市 and supplies the region the name lacks
    enshi = resolve_unit("恩施市人民政府", m)
    assert (enshi.level, enshi.region, enshi.parent) == (COUNTY, ("湖北省", "恩施土家族苗族自治州", "恩施市"),
                                                          "恩施土家族苗族自治州")
    # a department's default parent is the last element of its mapped region
    assert resolve_unit("河曲县卫生健康局", m).parent == "河曲县"
    # an unmapped unit falls back to its name
    assert resolve_unit("瑞原区卫生健康委员会", m).region == ("瑞原区",)


def test_resolve_unit_mapping_without_region_keeps_name_region():
    m = Mapping([entry("河曲县巡镇镇", level=TOWNSHIP, parent="河曲县人民政府")])
    info = resolve_unit("巡镇镇", m)
    assert (info.key, info.region, info.parent) == ("河曲县巡镇镇", ("河曲县", "巡镇镇"), "河曲县人民政府")
