"""What kind of body a unit is, from its printed name: the deadline and the expected content of
section 一 depend on it (条例 art. 49, 50)."""
from __future__ import annotations

import re

TOWNSHIP = "township"      # 乡镇、街道
GOVERNMENT = "government"  # 县级以上地方人民政府（本级政府报告）
DEPARTMENT = "department"  # 县级以上人民政府部门
LEVEL_NAMES = {TOWNSHIP: "乡镇（街道）", GOVERNMENT: "县级以上人民政府", DEPARTMENT: "政府部门"}

_TOWNSHIP = re.compile(r"(镇|乡|街道|苏木)(人民政府|政府|办事处|街道办事处)?$|街道办事处$|街道办$")
_GOV = re.compile(r"(省|市|县|区|州|盟|旗|自治区|自治州|自治县)(人民政府|政府)$")
_DEPT = re.compile(r"(局|委员会|委|办公室|办公厅|厅|中心|院|所|站|署|办|部|处|队|会|管委会|管理委员会|分局)$")


def unit_level(name: str | None) -> str | None:
    if not name:
        return None
    n = re.sub(r"\s+", "", name)
    if _TOWNSHIP.search(n):
        return TOWNSHIP
    if _GOV.search(n):
        return GOVERNMENT
    if _DEPT.search(n):
        return DEPARTMENT
    return None
