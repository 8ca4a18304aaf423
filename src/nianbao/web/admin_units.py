"""The admin's unit mapping: upload the mapping CSV, fix one unit's level/region/parent, merge two units.

Every write here is an admin's (checked on the server by ``require("admin")``) and goes through the
store's own functions — ``regions.load_mapping`` + ``store.units.store_mapping``, ``set_unit``,
``merge_units`` (which re-runs the cross-year rules) — so the web and `nianbao units` cannot disagree.
A bad mapping file is answered with load_mapping's Chinese message (file name and line), never a 500.
"""
from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from .. import regions
from ..errors import UsageError
from ..store.tables import reports, units
from . import uploads
from .auth import User, require
from .corpus import TAGS
from .corpus_views import UNIT_PAGE, search_units
from .templating import page

router = APIRouter()
MAPPING_SUFFIXES = {".csv", ".txt", ".tsv"}


class UnitChange(BaseModel):
    level: Optional[str] = Field(None, max_length=16, description="层级：省、市、县、乡镇、街道、部门（或英文键）")
    region: Optional[str] = Field(None, max_length=500, description="区划路径，用“/”分隔，如 江原省/桃河市/玉乐县")
    parent: Optional[str] = Field(None, max_length=200, description="上级单位的名称")


class UnitMerge(BaseModel):
    into: int = Field(description="并入的单位编号：本单位的报告全部移到该单位，本单位删除")


# ------------------------------------------------------------------------------------ operations

async def apply_mapping(request: Request, file: UploadFile) -> dict:
    """Read, check and store an uploaded mapping; the result for the page and the API."""
    settings = request.app.state.settings
    folder = uploads.workdir()
    try:
        [up] = await uploads.receive([file], settings.max_upload_bytes, 1, folder, MAPPING_SUFFIXES)
        try:
            mapping = regions.load_mapping(up.path)
        except UsageError as exc:
            raise HTTPException(400, str(exc).replace(up.path, up.name)) from None
        if not len(mapping):
            raise HTTPException(400, f"映射文件 {up.name}：只有表头，没有任何单位")
        with request.app.state.engine.begin() as conn:
            changed = _store(conn, mapping)
        return {"file": up.name, "entries": len(mapping), "changed_units": changed}
    finally:
        uploads.discard(folder)


def _store(conn, mapping) -> int:
    from ..store.units import store_mapping
    return store_mapping(conn, mapping)


def _unit(conn, unit_id: int):
    row = conn.execute(select(units).where(units.c.id == unit_id)).first()
    if row is None:
        raise HTTPException(404, f"库中没有编号为 {unit_id} 的单位")
    return row


def change_unit(engine, unit_id: int, change: UnitChange) -> dict:
    from ..store.units import set_unit
    level = None
    if change.level:
        try:
            level = regions.parse_level(change.level)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
    region = None
    if change.region is not None and change.region.strip():
        parts = [p.strip() for p in change.region.replace("／", "/").split("/") if p.strip()]
        region = "/".join(parts)
    parent = regions.normalize_unit(change.parent) if change.parent and change.parent.strip() else None
    if level is None and region is None and parent is None:
        raise HTTPException(400, "没有要修改的内容：请给出层级、区划或上级")
    with engine.begin() as conn:
        _unit(conn, unit_id)
        set_unit(conn, unit_id, level=level, region=region, parent=parent)
        row = _unit(conn, unit_id)
    return {**row._asdict(), "level_name": regions.LEVELS.get(row.level, row.level or "")}


def merge(request: Request, source_id: int, target_id: int) -> dict:
    from ..store.units import merge_units
    if source_id == target_id:
        raise HTTPException(400, "不能把单位并入它自己")
    with request.app.state.engine.begin() as conn:
        source, target = _unit(conn, source_id), _unit(conn, target_id)
        moved = merge_units(conn, source_id, target_id, request.app.state.config)
    return {"moved_reports": moved, "source": source.name, "target_id": target_id, "target": target.name}


def _target_id(conn, into: str) -> int:
    """A merge target as typed on the page: a unit number, or a name find_unit resolves."""
    from ..store.units import find_unit
    into = (into or "").strip()
    if not into:
        raise HTTPException(400, "请填写要并入的单位（名称或编号）")
    if into.isdigit():
        return _unit(conn, int(into)).id
    row = find_unit(conn, into)
    if row is None:
        raise HTTPException(404, f"库中没有名为“{into}”的单位")
    return row.id


# ----------------------------------------------------------------------------------------- pages

def _page(request: Request, status_code: int = 200, message: str | None = None, error: str | None = None,
          confirm: dict | None = None):
    q = request.query_params.get("q", "").strip()
    try:
        page_no = max(1, int(request.query_params.get("page_no") or 1))
    except ValueError:
        page_no = 1
    with request.app.state.engine.connect() as conn:
        found, total = search_units(conn, q, None, None, UNIT_PAGE, (page_no - 1) * UNIT_PAGE)
        from ..store.tables import unit_mapping
        mapped = conn.execute(select(func.count()).select_from(unit_mapping)).scalar_one()
    return page(request, "admin_units.html", status_code=status_code, units=found, total=total, q=q, page_no=page_no,
                pages=max(1, -(-total // UNIT_PAGE)), levels=regions.LEVELS, mapped=mapped, message=message,
                error=error, confirm=confirm)


@router.get("/admin/units", include_in_schema=False)
def admin_units_page(request: Request, user: User = Depends(require("admin"))):
    return _page(request)


@router.post("/admin/units/mapping", include_in_schema=False)
async def admin_mapping_form(request: Request, file: UploadFile = File(None), user: User = Depends(require("admin"))):
    if file is None or not file.filename:
        return _page(request, 400, error="请选择单位对照表文件（CSV）")
    try:
        done = await apply_mapping(request, file)
    except HTTPException as exc:
        return _page(request, exc.status_code, error=exc.detail)
    return _page(request, message=f"已载入 {done['file']}：{done['entries']} 个单位，库中 {done['changed_units']} 个单位的层级或区划随之更新")


@router.post("/admin/units/{unit_id}", include_in_schema=False)
def admin_unit_form(request: Request, unit_id: int, level: str = Form(""), region: str = Form(""),
                    parent: str = Form(""), user: User = Depends(require("admin"))):
    try:
        row = change_unit(request.app.state.engine, unit_id, UnitChange(level=level or None, region=region or None,
                                                                        parent=parent or None))
    except HTTPException as exc:
        return _page(request, exc.status_code, error=exc.detail)
    return _page(request, message=f"已修改“{row['name']}”：{row['level_name'] or '层级未知'}，{row['region'] or '区划未知'}")


@router.post("/admin/units/{unit_id}/merge", include_in_schema=False)
def admin_merge_form(request: Request, unit_id: int, into: str = Form(""), confirm: str = Form(""),
                     user: User = Depends(require("admin"))):
    engine = request.app.state.engine
    try:
        with engine.connect() as conn:
            target_id = _target_id(conn, into)
            source, target = _unit(conn, unit_id), _unit(conn, target_id)
            if source.id == target.id:
                raise HTTPException(400, "不能把单位并入它自己")
            n = dict(conn.execute(select(reports.c.unit_id, func.count()).where(
                reports.c.unit_id.in_([source.id, target.id])).group_by(reports.c.unit_id)).all())
        if confirm != "1":
            return _page(request, confirm={"source": source._asdict(), "target": target._asdict(),
                                           "source_reports": n.get(source.id, 0), "target_reports": n.get(target.id, 0)})
        done = merge(request, unit_id, target_id)
    except HTTPException as exc:
        return _page(request, exc.status_code, error=exc.detail)
    return _page(request, message=f"已把“{done['source']}”的 {done['moved_reports']} 份报告并入“{done['target']}”，并重新做了跨年度检查")


# ------------------------------------------------------------------------------------------- API

@router.post("/api/units/mapping", tags=TAGS, summary="上传单位对照表（CSV），应用到库中的单位（管理员）")
async def api_mapping(request: Request, file: UploadFile = File(..., description="单位对照表：单位,区划,层级,上级"),
                      user: User = Depends(require("admin"))):
    return await apply_mapping(request, file)


@router.patch("/api/units/{unit_id}", tags=TAGS, summary="修改单位的层级、区划或上级（管理员）")
def api_change_unit(request: Request, unit_id: int, body: UnitChange, user: User = Depends(require("admin"))):
    return change_unit(request.app.state.engine, unit_id, body)


@router.post("/api/units/{unit_id}/merge", tags=TAGS, summary="把一个单位并入另一个（同一单位的两种写法；管理员）")
def api_merge(request: Request, unit_id: int, body: UnitMerge, user: User = Depends(require("admin"))):
    return merge(request, unit_id, body.into)


__all__ = ["router", "apply_mapping", "change_unit", "merge"]
