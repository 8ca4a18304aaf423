"""The app factory: one FastAPI app over one store.

Every router gets the CSRF dependency; pages and the JSON API live side by side in one module per
feature (account, check, corpus, compose), so a page and the API call it makes cannot drift apart.
Errors are answered in Chinese: JSON `{"detail": "..."}` under /api/, an error page elsewhere, and a
redirect to the login page when a page needs a login.
"""
from __future__ import annotations

import os
import secrets
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from ..config import Config
from ..store.db import open_engine
from ..store.tables import settings as settings_table
from .auth import csrf_protect
from .cache import QueryCache
from .limits import RateLimiter, UploadGuard
from .settings import WebSettings
from .templating import HERE, page

API_DESCRIPTION = """nianbao 的 JSON 接口：网页能做的事都可以通过接口完成。

- `POST /api/check` 无需登录（有频率限制），检查上传的年报，不保存任何内容；
- 其余接口需要登录（`POST /api/login`），写操作需在 `X-CSRF-Token` 头中带上登录时返回的 `csrf_token`。
"""


def session_secret(engine: Engine) -> str:
    """The store's session secret, made on first use: every server on the same store shares it, so a
    restart or a second worker does not log users out."""
    env = os.environ.get("NIANBAO_SECRET")
    if env:
        return env
    with engine.begin() as conn:
        found = conn.execute(select(settings_table.c.value).where(settings_table.c.key == "session_secret")).scalar()
        if found:
            return found
        value = secrets.token_urlsafe(32)
        conn.execute(insert(settings_table).values(key="session_secret", value=value))
        return value


def create_app(settings: WebSettings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or WebSettings()
    engine = engine or open_engine(settings.db)
    url = engine.url.render_as_string(hide_password=False)
    config = Config.load(settings.config_path)

    app = FastAPI(title="nianbao 政府信息公开年报", description=API_DESCRIPTION, version=_version(),
                  dependencies=[Depends(csrf_protect)], docs_url="/docs", redoc_url=None)
    app.state.engine = engine
    app.state.settings = settings
    app.state.config = config
    app.state.data_dir = settings.resolved_data_dir(url)
    app.state.check_limiter = RateLimiter(settings.check_rate)
    app.state.query_cache = QueryCache()
    app.add_middleware(UploadGuard)  # inside the session middleware: its error page knows the user
    app.add_middleware(SessionMiddleware, secret_key=session_secret(engine), session_cookie="nianbao_session",
                       max_age=settings.session_max_age, same_site="lax", https_only=settings.secure_cookies)
    app.mount("/static", StaticFiles(directory=os.path.join(HERE, "static")), name="static")

    from . import account, admin_units, check, compose, corpus, corpus_views, reports
    for module in (account, check, reports, corpus, corpus_views, admin_units, compose):
        app.include_router(module.router)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else "请求无法处理"
        if exc.status_code == 404 and detail == "Not Found":
            detail = "页面不存在"
        if exc.status_code == 405 and detail == "Method Not Allowed":
            detail = "不支持这种请求方式"
        headers = getattr(exc, "headers", None)
        if _wants_json(request):
            return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=headers)
        if exc.status_code == 401:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        return page(request, "error.html", status_code=exc.status_code, message=detail, status=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        detail = "请求参数有误：" + "；".join(_field_error(e) for e in exc.errors())
        if _wants_json(request):
            return JSONResponse({"detail": detail}, status_code=422)
        return page(request, "error.html", status_code=422, message=detail, status=422)

    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")


def _field_error(err: dict) -> str:
    where = ".".join(str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path", "form"))
    kind = err.get("type", "")
    what = {"missing": "缺少", "int_parsing": "应为整数", "float_parsing": "应为数字", "bool_parsing": "应为是/否",
            "string_too_long": "过长", "enum": "取值不在允许范围内", "literal_error": "取值不在允许范围内",
            "json_invalid": "不是有效的 JSON"}.get(kind, "无效")
    return f"{where or '参数'}{what}"


def _version() -> str:
    from .. import __version__
    return __version__
