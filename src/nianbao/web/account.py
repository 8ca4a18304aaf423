"""Logging in and out, one's own password, and the admin's user management (pages and JSON API)."""
from __future__ import annotations

from typing import Literal, Optional
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from . import auth
from .auth import ROLES, User, require
from .templating import page

router = APIRouter()


class UserOut(BaseModel):
    id: int
    username: str
    display_name: Optional[str]
    role: str
    active: bool

    @classmethod
    def of(cls, u: User) -> "UserOut":
        return cls(id=u.id, username=u.username, display_name=u.display_name, role=u.role, active=u.active)


class LoginIn(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=256)


class LoginOut(BaseModel):
    user: UserOut
    csrf_token: str


class NewUser(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=256)
    role: Literal["viewer", "reviewer", "admin"] = "viewer"
    display_name: Optional[str] = Field(None, max_length=100)


class UserChange(BaseModel):
    role: Optional[Literal["viewer", "reviewer", "admin"]] = None
    active: Optional[bool] = None
    password: Optional[str] = Field(None, max_length=256)
    display_name: Optional[str] = Field(None, max_length=100)


class PasswordChange(BaseModel):
    old_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would let a link log users in and send them elsewhere."""
    if not target:
        return "/"
    parts = urlparse(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


# ----------------------------------------------------------------------------------------- pages

@router.get("/", include_in_schema=False)
def home(request: Request):
    return page(request, "index.html")


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str = "/"):
    return page(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login", include_in_schema=False)
def login_form(request: Request, username: str = Form(""), password: str = Form(""), next: str = Form("/")):
    user = auth.authenticate(request.app.state.engine, username, password)
    if user is None:
        return page(request, "login.html", status_code=401, next=_safe_next(next), error="用户名或密码不正确",
                    username=username)
    auth.login_session(request, user)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", include_in_schema=False)
def logout_form(request: Request):
    auth.logout_session(request)
    return RedirectResponse("/", status_code=303)


@router.get("/account", include_in_schema=False)
def account_page(request: Request, user: User = Depends(require("viewer"))):
    return page(request, "account.html", message=None, error=None)


@router.post("/account", include_in_schema=False)
def account_form(request: Request, old_password: str = Form(""), new_password: str = Form(""),
                 user: User = Depends(require("viewer"))):
    try:
        _change_password(request, user, old_password, new_password)
    except HTTPException as exc:
        return page(request, "account.html", status_code=exc.status_code, message=None, error=exc.detail)
    return page(request, "account.html", message="密码已修改", error=None)


@router.get("/admin/users", include_in_schema=False)
def users_page(request: Request, user: User = Depends(require("admin"))):
    return page(request, "admin_users.html", users=auth.list_users(request.app.state.engine), roles=ROLES,
                message=None, error=None)


@router.post("/admin/users", include_in_schema=False)
def users_form(request: Request, username: str = Form(""), password: str = Form(""), role: str = Form("viewer"),
               display_name: str = Form(""), user: User = Depends(require("admin"))):
    engine = request.app.state.engine
    try:
        made = auth.create_user(engine, username, password, role, display_name or None)
        message, error, status = f"已添加用户“{made.username}”", None, 200
    except HTTPException as exc:
        message, error, status = None, exc.detail, exc.status_code
    return page(request, "admin_users.html", status_code=status, users=auth.list_users(engine), roles=ROLES,
                message=message, error=error)


@router.post("/admin/users/{user_id}", include_in_schema=False)
def user_form(request: Request, user_id: int, role: str = Form(""), active: str = Form(""), password: str = Form(""),
              user: User = Depends(require("admin"))):
    engine = request.app.state.engine
    try:
        changed = _change_user(engine, user, user_id, UserChange(
            role=role or None, active={"1": True, "0": False}.get(active), password=password or None))
        message, error, status = f"已更新用户“{changed.username}”", None, 200
    except HTTPException as exc:
        message, error, status = None, exc.detail, exc.status_code
    return page(request, "admin_users.html", status_code=status, users=auth.list_users(engine), roles=ROLES,
                message=message, error=error)


# ------------------------------------------------------------------------------------------- API

@router.post("/api/login", response_model=LoginOut, tags=["账户"], summary="登录，返回用户和 CSRF 令牌")
def api_login(request: Request, body: LoginIn):
    user = auth.authenticate(request.app.state.engine, body.username, body.password)
    if user is None:
        raise HTTPException(401, "用户名或密码不正确")
    auth.login_session(request, user)
    return LoginOut(user=UserOut.of(user), csrf_token=request.session["csrf"])


@router.post("/api/logout", tags=["账户"], summary="退出登录")
def api_logout(request: Request):
    auth.logout_session(request)
    return {"ok": True}


@router.get("/api/me", response_model=UserOut, tags=["账户"], summary="当前登录的用户")
def api_me(user: User = Depends(require("viewer"))):
    return UserOut.of(user)


@router.post("/api/me/password", tags=["账户"], summary="修改自己的密码（之后需重新登录）")
def api_password(request: Request, body: PasswordChange, user: User = Depends(require("viewer"))):
    _change_password(request, user, body.old_password, body.new_password)
    return {"ok": True}


@router.get("/api/users", response_model=list[UserOut], tags=["账户"], summary="用户列表（管理员）")
def api_users(request: Request, user: User = Depends(require("admin"))):
    return [UserOut.of(u) for u in auth.list_users(request.app.state.engine)]


@router.post("/api/users", response_model=UserOut, status_code=201, tags=["账户"], summary="添加用户（管理员）")
def api_add_user(request: Request, body: NewUser, user: User = Depends(require("admin"))):
    return UserOut.of(auth.create_user(request.app.state.engine, body.username, body.password, body.role,
                                       body.display_name))


@router.patch("/api/users/{user_id}", response_model=UserOut, tags=["账户"], summary="修改用户的角色、状态或密码（管理员）")
def api_change_user(request: Request, user_id: int, body: UserChange, user: User = Depends(require("admin"))):
    return UserOut.of(_change_user(request.app.state.engine, user, user_id, body))


def _change_user(engine, admin: User, user_id: int, change: UserChange) -> User:
    if user_id == admin.id and (change.active is False or (change.role and change.role != "admin")):
        raise HTTPException(400, "不能停用自己或取消自己的管理员权限（请让另一位管理员操作）")
    return auth.update_user(engine, user_id, role=change.role, active=change.active, password=change.password,
                            display_name=change.display_name)


def _change_password(request: Request, user: User, old: str, new: str) -> None:
    engine = request.app.state.engine
    _, stored = auth.get_user(engine, user_id=user.id)
    if not auth.verify_password(stored, old):
        raise HTTPException(400, "原密码不正确")
    changed = auth.update_user(engine, user.id, password=new)
    auth.login_session(request, changed)  # this session goes on; every other one ends
