"""nianbao — read, check and analyse 政府信息公开工作年度报告.

    >>> import nianbao
    >>> report = nianbao.load("巡镇镇2024.txt")
    >>> findings = nianbao.check(report)
"""
from .api import check, load
from .errors import NianbaoError, ReadError
from .model import Finding, Report, Value

__version__ = "0.1.0"
__all__ = ["load", "check", "Report", "Value", "Finding", "ReadError", "NianbaoError", "__version__"]
