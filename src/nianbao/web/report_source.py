""""Show me where": the source of one cell of a report, for checked uploads and stored reports alike.

The cell path names a value of the report; the value's provenance (Value.source) names the place in
the file; outputs.sources turns that into lines around the focus line or a PDF page image with the region
marked. Only a cell path comes from the client, never a file path: the file is the one the server
holds for this check or stored report.
"""
from __future__ import annotations

import os
from urllib.parse import quote

from fastapi import HTTPException, Request
from fastapi.responses import Response

from .. import schema
from ..errors import ReadError
from ..model import Report
from .templating import page


def _label(path: str) -> str:
    try:
        return schema.label_of(path)
    except (KeyError, IndexError, StopIteration):
        return path


def source_response(request: Request, file_path: str | None, kind: str | None, report: Report | None,
                    cell: str, base: str):
    """The _source.html fragment for `cell` of `report` read from `file_path` (`base` is the URL the
    page images hang under: /check/{token}/{i} or /reports/{id})."""
    from ..outputs.sources import source_view
    if report is None:
        raise HTTPException(404, "该文件没有识别出年报，无法显示原文位置")
    value = report.cells.get(cell) or report.extra_cells.get(cell)
    if value is None:
        raise HTTPException(404, f"报告中没有单元格“{cell}”")
    label = _label(cell)
    note, view, image = None, None, None
    if not file_path or not os.path.exists(file_path):
        note = "原始文件已不在服务器上，无法显示原文位置"
    elif value.source is None:
        note = "这一格在文件中没有位置（文件中没有这一格，或由表格结构推定）"
    else:
        try:
            view = source_view(file_path, kind, value.source)
        except (ReadError, OSError, ValueError) as exc:
            note = f"无法显示原文：{getattr(exc, 'message', None) or exc}"
        if view is not None and view.kind == "page" and view.page:
            image = f"{base}/page/{view.page}.png"
            if view.bbox:
                image += "?bbox=" + quote(",".join(f"{x:g}" for x in view.bbox))
        if view is not None and view.kind == "none":
            note, view = view.title or "文件中没有可显示的原文", None
    return page(request, "_source.html", view=view, note=note, image=image, label=label, cell=cell,
                value=value)


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        parts = tuple(float(x) for x in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 4:
        raise HTTPException(400, "区域参数 bbox 应为 4 个用逗号分隔的数字")
    return parts  # type: ignore[return-value]


def page_response(file_path: str | None, number: int, bbox: str | None) -> Response:
    """One page of a PDF as PNG with the region marked (outputs.sources.page_png)."""
    from ..outputs.sources import page_png
    box = parse_bbox(bbox)
    if not file_path or not os.path.exists(file_path):
        raise HTTPException(404, "原始文件已不在服务器上")
    if number < 1 or number > 2000:
        raise HTTPException(404, f"没有第 {number} 页")
    try:
        data = page_png(file_path, number, box)
    except (ReadError, OSError, ValueError, IndexError) as exc:
        raise HTTPException(404, f"无法显示第 {number} 页：{getattr(exc, 'message', None) or exc}")
    return Response(data, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})


__all__ = ["source_response", "page_response", "parse_bbox"]
