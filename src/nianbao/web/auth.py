"""Accounts, sessions and CSRF: who may do what, decided on the server for every request.

- Passwords are hashed with argon2id (argon2-cffi); a hash made with older parameters is rehashed at
  the next login.
- The session is Starlette's signed cookie holding the user id, the user's `auth_epoch` and a CSRF
  token. Changing a password or disabling a user bumps the epoch, which ends every old session.
- Every unsafe request (POST/PUT/PATCH/DELETE) made with a session must carry the session's CSRF token,
  in the `X-CSRF-Token` header (htmx and fetch send it, see base.html) or a `csrf_token` form field.
  Only the endpoints that need no login and store nothing (`CSRF_EXEMPT`) are exempt, and `POST /api/login`
  with a JSON body (a cross-site page cannot send JSON without a CORS preflight, which this app never
  grants), so that scripts can log in and get their token.
- Roles are ordered: viewer < reviewer < admin. `require("reviewer")` is a dependency.
"""
from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine

from ..store.tables import users

ROLES = ("viewer", "reviewer", "admin")
ROLE_NAMES = {"viewer": "查看者", "reviewer": "审核人", "admin": "管理员"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Endpoints that need no login and store nothing: a cross-site POST could at most make a browser check
# or render a report for itself, so they take no token (scripts call them without a session).
CSRF_EXEMPT = {"/api/check", "/api/compose/check", "/api/compose/render", "/api/compose/template"}


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    display_name: str | None
    role: str
    active: bool
    auth_epoch: int

    @property
    def shown(self) -> str:
        return self.display_name or self.username

    def can(self, role: str) -> bool:
        return self.active and ROLES.index(self.role) >= ROLES.index(role)


# ------------------------------------------------------------------------------------ passwords

def _hasher():
    try:
        from argon2 import PasswordHasher
    except ImportError as exc:  # pragma: no cover - the [web] extra is installed with the app
        raise RuntimeError("缺少 argon2-cffi：请安装 nianbao[web]") from exc
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
    try:
        return _hasher().verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_new_password(password: str) -> None:
    """A password a user may choose: at least 8 characters (checked on the server)."""
    if len(password or "") < 8:
        raise HTTPException(400, "密码至少需要 8 个字符")


# ---------------------------------------------------------------------------------------- users

def _user(row) -> User:
    return User(row.id, row.username, row.display_name, row.role, bool(row.active), row.auth_epoch)


def get_user(engine: Engine, *, user_id: int | None = None, username: str | None = None) -> tuple[User, str] | None:
    """(User, password hash) by id or name, or None."""
    q = select(users)
    q = q.where(users.c.id == user_id) if user_id is not None else q.where(users.c.username == username)
    with engine.connect() as conn:
        row = conn.execute(q).first()
    return (_user(row), row.password_hash) if row else None


def list_users(engine: Engine) -> list[User]:
    with engine.connect() as conn:
        return [_user(r) for r in conn.execute(select(users).order_by(users.c.id))]


def count_users(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(users)).scalar_one()


def create_user(engine: Engine, username: str, password: str, role: str = "viewer",
                display_name: str | None = None) -> User:
    username = (username or "").strip()
    if not username or len(username) > 64:
        raise HTTPException(400, "用户名不能为空，且不超过 64 个字符")
    if role not in ROLES:
        raise HTTPException(400, f"无法识别的角色“{role}”，可用：" + "、".join(f"{r}（{ROLE_NAMES[r]}）" for r in ROLES))
    check_new_password(password)
    with engine.begin() as conn:
        if conn.execute(select(users.c.id).where(users.c.username == username)).first():
            raise HTTPException(409, f"用户名“{username}”已存在")
        uid = conn.execute(insert(users).values(
            username=username, display_name=display_name or None, password_hash=hash_password(password), role=role,
            active=True, auth_epoch=0, created_at=dt.datetime.now(dt.timezone.utc)).returning(users.c.id)).scalar_one()
    return get_user(engine, user_id=uid)[0]


def update_user(engine: Engine, user_id: int, *, role: str | None = None, active: bool | None = None,
                password: str | None = None, display_name: str | None = None) -> User:
    """Change a user; a new password or disabling ends the user's sessions (auth_epoch + 1)."""
    found = get_user(engine, user_id=user_id)
    if found is None:
        raise HTTPException(404, f"没有编号为 {user_id} 的用户")
    values: dict = {}
    if role is not None:
        if role not in ROLES:
            raise HTTPException(400, f"无法识别的角色“{role}”")
        values["role"] = role
    if display_name is not None:
        values["display_name"] = display_name or None
    if password is not None:
        check_new_password(password)
        values["password_hash"] = hash_password(password)
    if active is not None:
        values["active"] = active
    if password is not None or active is False:
        values["auth_epoch"] = users.c.auth_epoch + 1
    if values:
        with engine.begin() as conn:
            conn.execute(update(users).where(users.c.id == user_id).values(**values))
    return get_user(engine, user_id=user_id)[0]


def authenticate(engine: Engine, username: str, password: str) -> User | None:
    found = get_user(engine, username=(username or "").strip())
    if found is None:
        _hasher().hash(password or "x")  # same time as a wrong password: do not reveal which names exist
        return None
    user, stored = found
    if not user.active or not verify_password(stored, password):
        return None
    if _hasher().check_needs_rehash(stored):
        with engine.begin() as conn:
            conn.execute(update(users).where(users.c.id == user.id).values(password_hash=hash_password(password)))
    return user


def ensure_admin(engine: Engine) -> str | None:
    """On a store without users, create `admin` with a random password and return that password (printed
    once by `nianbao serve`); None when users exist."""
    if count_users(engine):
        return None
    password = secrets.token_urlsafe(9)
    create_user(engine, "admin", password, "admin", "管理员")
    return password


# ------------------------------------------------------------------------------------- sessions

def login_session(request: Request, user: User) -> None:
    request.session.clear()
    request.session.update({"uid": user.id, "epoch": user.auth_epoch, "csrf": secrets.token_urlsafe(24)})


def logout_session(request: Request) -> None:
    request.session.clear()


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use, also for anonymous visitors: the login form needs it)."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def current_user(request: Request) -> User | None:
    """The logged-in user, or None; cached on the request. A session from before a password change,
    of a disabled user, or of a deleted user counts as logged out."""
    if hasattr(request.state, "user"):
        return request.state.user
    user = None
    uid = request.session.get("uid")
    if uid is not None:
        found = get_user(request.app.state.engine, user_id=uid)
        if found and found[0].active and found[0].auth_epoch == request.session.get("epoch"):
            user = found[0]
        else:
            request.session.pop("uid", None)
    request.state.user = user
    return user


def require(role: str = "viewer"):
    """A dependency: the current user with at least `role`, else 401 (not logged in) or 403."""
    def dependency(request: Request) -> User:
        user = current_user(request)
        if user is None:
            raise HTTPException(401, "请先登录")
        if not user.can(role):
            raise HTTPException(403, f"需要“{ROLE_NAMES[role]}”或更高权限")
        return user
    return dependency


async def csrf_protect(request: Request) -> None:
    """A dependency on every router: unsafe methods must send the session's CSRF token."""
    if request.method in SAFE_METHODS or request.url.path in CSRF_EXEMPT:
        return
    if request.url.path == "/api/login" and request.headers.get("content-type", "").startswith("application/json"):
        return
    expected = request.session.get("csrf")
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # cached by Starlette: the endpoint reads the same form
        sent = form.get("csrf_token")
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        raise HTTPException(403, "页面已过期或请求来源不明（CSRF 校验失败），请刷新页面后重试")


CurrentUser = Depends(current_user)
