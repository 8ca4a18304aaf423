"""`nianbao serve`: the web app for clerks and reviewers, on the embedded SQLite store by default."""
from __future__ import annotations

from typing import Optional

import typer

from ..errors import UsageError
from . import ZhCommand, _err, _fail, _out, app
from .corpus import DB_HELP, _engine


@app.command(cls=ZhCommand)
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址；对外提供服务时用 0.0.0.0（请放在 HTTPS 反向代理之后）"),
    port: int = typer.Option(8000, "--port", "-p", help="端口"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    data_dir: Optional[str] = typer.Option(None, "--data-dir", help="存放入库原始文件的目录（默认在 SQLite 文件旁）"),
    max_upload_mb: int = typer.Option(50, "--max-upload-mb", help="单个上传文件的大小上限（MB）"),
    max_files: int = typer.Option(50, "--max-files", help="一次最多上传的文件数"),
    check_rate: int = typer.Option(30, "--check-rate", help="免登录检查接口每个客户端每分钟的请求数上限"),
    https: bool = typer.Option(False, "--https-cookies", help="只通过 HTTPS 发送登录 Cookie（在 HTTPS 反向代理之后使用）"),
    config: Optional[str] = typer.Option(None, "--config", "-c", help="配置文件（TOML），如本地发布期限"),
) -> None:
    """启动网页版：检查报告、浏览年报库、在线写年报。首次启动时创建管理员 admin 并显示初始密码。"""
    try:
        import uvicorn

        from ..web import WebSettings, create_app
        from ..web.auth import ensure_admin
    except ImportError as exc:
        _fail(f"缺少网页版所需的组件（{exc.name}）：请安装 nianbao[web]")
    engine = _engine(db)  # a new store is fine here: reviewers fill it through the web app
    settings = WebSettings(db=db, data_dir=data_dir, max_upload_bytes=max_upload_mb * 1024 * 1024,
                           max_files=max_files, check_rate=check_rate, secure_cookies=https, config_path=config)
    try:
        application = create_app(settings, engine)
    except UsageError as exc:
        _fail(str(exc))
    _check_port(host, port)
    _warm(application)
    password = ensure_admin(engine)
    if password:
        _err().print(f"首次启动：已创建管理员账户 [bold]admin[/]，初始密码 [bold]{password}[/]（只显示这一次，请登录后在“我的账户”中修改）。",
                     highlight=False, soft_wrap=True)
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    _out().print(f"nianbao 网页版已启动：http://{shown}:{port}/  （按 Ctrl+C 停止）", highlight=False, soft_wrap=True)
    uvicorn.run(application, host=host, port=port, log_level="warning")


def _warm(application) -> None:
    """Keep the dashboard and the roll-ups' mapping computed in the background, at start and after
    every change to the store (web/cache.py): the server answers at once, and the first visit after a
    start or an ingest does not pay for a whole-corpus scan."""
    from ..web.cache import Refresher
    from ..web.corpus_views import warm_dashboard
    warm_dashboard(application)
    application.state.refresher = Refresher(application.state.query_cache, application.state.engine).start()


def _check_port(host: str, port: int) -> None:
    """Fail in Chinese before uvicorn's English traceback when the address is taken or invalid."""
    import socket
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
    except OSError as exc:
        _fail(f"无法在 {host}:{port} 上启动：{'端口已被占用，请用 --port 换一个端口' if exc.errno == 98 else exc.strerror}")


# --------------------------------------------------------------------------- users
from . import ZhGroup  # noqa: E402

users_app = typer.Typer(cls=ZhGroup, no_args_is_help=True,
                        help="网页版的用户：列出、添加、重设密码、修改角色（管理员忘记密码时在服务器上使用）。")
app.add_typer(users_app, name="users")

def _password(stdin: bool) -> str:
    import sys
    if stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt("密码（至少 8 个字符）", hide_input=True, confirmation_prompt="再输入一次")


def _web_call(fn, *args, **kw):
    """The account functions answer bad input with an HTTP error (they serve the web app first)."""
    from fastapi import HTTPException
    try:
        return fn(*args, **kw)
    except HTTPException as exc:
        _fail(str(exc.detail))


@users_app.command("list", cls=ZhCommand)
def users_list(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """列出网页版的用户和角色。"""
    from ..web.auth import ROLE_NAMES, list_users
    rows = list_users(_engine(db))
    if not rows:
        _out().print("还没有用户：首次运行 nianbao serve 时会创建管理员 admin。")
        return
    for u in rows:
        _out().print(f"{u.username}\t{u.display_name or ''}\t{ROLE_NAMES[u.role]}\t{'正常' if u.active else '已停用'}",
                     highlight=False)


@users_app.command("add", cls=ZhCommand)
def users_add(
    username: str = typer.Argument(..., help="用户名", show_default=False, metavar="用户名"),
    role: str = typer.Option("viewer", "--role", help="角色：viewer（查看者）、reviewer（审核人）、admin（管理员）"),
    name: Optional[str] = typer.Option(None, "--name", help="姓名（显示用）"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="从标准输入读取密码（用于脚本）"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """添加用户。"""
    from ..web.auth import ROLE_NAMES, create_user
    engine = _engine(db)
    user = _web_call(create_user, engine, username, _password(password_stdin), role, name)
    _out().print(f"已添加用户 {user.username}（{ROLE_NAMES[user.role]}）。", highlight=False)


@users_app.command("passwd", cls=ZhCommand)
def users_passwd(
    username: str = typer.Argument(..., help="用户名", show_default=False, metavar="用户名"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="从标准输入读取密码（用于脚本）"),
    role: Optional[str] = typer.Option(None, "--role", help="同时修改角色"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """重设用户的密码（并恢复已停用的账户）；该用户已有的登录全部失效。"""
    from ..web.auth import get_user, update_user
    engine = _engine(db)
    found = get_user(engine, username=username)
    if found is None:
        _fail(f"没有用户“{username}”（nianbao users list 列出全部用户）")
    _web_call(update_user, engine, found[0].id, password=_password(password_stdin), active=True, role=role)
    _out().print(f"已重设 {username} 的密码。", highlight=False)
