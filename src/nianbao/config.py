"""Configuration: report deadlines by unit level and region (PUB-01).

The 条例 (art. 49) fixes 1月31日 for 县级以上人民政府部门 and 3月31日 for a 本级政府 report; it sets
no date for 乡镇/街道, whose deadline comes from local notices — so the built-in township date is a
common local default and its finding is only a notice until a config file says otherwise:

    [deadlines]
    department = "01-31"
    government = "03-31"
    township = "01-31"

    [[deadlines.region]]       # first match wins; `match` is a part of the unit name
    match = "河曲县"
    level = "township"         # optional: only units of this level
    date = "01-20"
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field

from .errors import UsageError
from .units import DEPARTMENT, GOVERNMENT, TOWNSHIP


@dataclass(frozen=True, slots=True)
class Deadline:
    month: int
    day: int
    basis: str        # 条例 / 本地规定 / 常见做法
    configured: bool  # set by the user rather than built in

    def text(self) -> str:
        return f"{self.month}月{self.day}日"


@dataclass(frozen=True, slots=True)
class RegionDeadline:
    match: str
    level: str | None
    deadline: Deadline


@dataclass(slots=True)
class Config:
    deadlines: dict[str, Deadline] = field(default_factory=lambda: {
        DEPARTMENT: Deadline(1, 31, "《条例》第四十九条", False),
        GOVERNMENT: Deadline(3, 31, "《条例》第四十九条", False),
        TOWNSHIP: Deadline(1, 31, "常见的地方规定（可在配置文件中修改）", False),
    })
    regions: list[RegionDeadline] = field(default_factory=list)

    def deadline_for(self, unit: str | None, level: str | None) -> Deadline | None:
        for r in self.regions:
            if unit and r.match in unit and (r.level is None or r.level == level):
                return r.deadline
        return self.deadlines.get(level) if level else None

    @classmethod
    def load(cls, path: str | None) -> "Config":
        cfg = cls()
        if not path:
            return cfg
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except OSError as exc:
            raise UsageError(f"无法读取配置文件 {path}：{exc.strerror or exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"配置文件 {path} 格式错误：{exc}") from None
        d = data.get("deadlines", {})
        for level in (DEPARTMENT, GOVERNMENT, TOWNSHIP):
            if level in d:
                cfg.deadlines[level] = _parse(d[level], path, "本地规定")
        for r in d.get("region", []):
            if "match" not in r or "date" not in r:
                raise UsageError(f"配置文件 {path}：[[deadlines.region]] 需要 match 和 date 两项")
            cfg.regions.append(RegionDeadline(r["match"], r.get("level"), _parse(r["date"], path, "本地规定")))
        return cfg


def _parse(text: str, path: str, basis: str) -> Deadline:
    try:
        m, d = (int(x) for x in str(text).split("-"))
        if not (1 <= m <= 12 and 1 <= d <= 31):
            raise ValueError
    except ValueError:
        raise UsageError(f"配置文件 {path}：截止日期“{text}”应写成 MM-DD，如 01-31") from None
    return Deadline(m, d, basis, True)
