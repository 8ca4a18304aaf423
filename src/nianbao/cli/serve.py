"""`nianbao serve`: the web app for clerks and reviewers, on the embedded SQLite store by default."""
from __future__ import annotations

from typing import Optional

import typer

from ..errors import UsageError
from . import ZhCommand, _err, _fail, _out, app


@app.command(cls=ZhCommand)
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址；对外提供服务时用 0.0.0.0（请放在 HTTPS 反向代理之后）"),
    port: int = typer.Option(8000, "--port", "-p", help="端口"),
    db: Optional[str] = typer.Option(None, "--db", help="年报库：SQLite 文件路径或 postgresql:// 地址（默认 nianbao.db）"),
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
    from ..store.db import open_engine
    try:
        engine = open_engine(db)  # a new store is fine here: reviewers fill it through the web app
    except UsageError as exc:
        _fail(str(exc))
    settings = WebSettings(db=db, data_dir=data_dir, max_upload_bytes=max_upload_mb * 1024 * 1024,
                           max_files=max_files, check_rate=check_rate, secure_cookies=https, config_path=config)
    try:
        application = create_app(settings, engine)
    except UsageError as exc:
        _fail(str(exc))
    password = ensure_admin(engine)
    if password:
        _err().print(f"首次启动：已创建管理员账户 [bold]admin[/]，初始密码 [bold]{password}[/]（只显示这一次，请登录后在“我的账户”中修改）。",
                     highlight=False, soft_wrap=True)
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    _out().print(f"nianbao 网页版已启动：http://{shown}:{port}/  （按 Ctrl+C 停止）", highlight=False, soft_wrap=True)
    uvicorn.run(application, host=host, port=port, log_level="warning")
