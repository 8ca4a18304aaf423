"""`nianbao serve` and `nianbao users` as a user runs them: real processes, a real port."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

from .e2e import free_port

NIANBAO = [sys.executable, "-m", "nianbao"]


def run(args, **kw):
    return subprocess.run(NIANBAO + args, capture_output=True, text=True, timeout=60, **kw)


def test_serve_creates_the_admin_once_and_answers(tmp_path):
    db = str(tmp_path / "s.db")
    port = free_port()
    proc = subprocess.Popen(NIANBAO + ["serve", "--db", db, "--port", str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        body = None
        for _ in range(100):
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).read().decode()
                break
            except OSError:
                time.sleep(0.2)
        assert body is not None and "检查报告" in body
        taken = run(["serve", "--db", db, "--port", str(port)])
        assert taken.returncode == 2 and "端口已被占用" in taken.stderr
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert f"http://localhost:{port}/" in out
    password = re.search(r"初始密码 (\S+)（", err).group(1)
    # the password works, and a second start does not make another admin
    from nianbao.store.db import open_engine
    from nianbao.web.auth import authenticate, ensure_admin
    engine = open_engine(db)
    assert authenticate(engine, "admin", password) is not None
    assert ensure_admin(engine) is None


def test_users_commands(tmp_path):
    db = str(tmp_path / "u.db")
    r = run(["users", "add", "李四", "--role", "reviewer", "--password-stdin", "--db", db], input="secret-pass-1\n")
    assert r.returncode == 0 and "审核人" in r.stdout
    r = run(["users", "add", "李四", "--password-stdin", "--db", db], input="secret-pass-1\n")
    assert r.returncode == 2 and "已存在" in r.stderr
    r = run(["users", "passwd", "李四", "--password-stdin", "--db", db], input="short\n")
    assert r.returncode == 2 and "8 个字符" in r.stderr
    r = run(["users", "passwd", "王五", "--password-stdin", "--db", db], input="secret-pass-2\n")
    assert r.returncode == 2 and "没有用户“王五”" in r.stderr
    r = run(["users", "passwd", "李四", "--password-stdin", "--role", "admin", "--db", db], input="secret-pass-2\n")
    assert r.returncode == 0
    listed = run(["users", "list", "--db", db]).stdout
    assert "李四" in listed and "管理员" in listed
    from nianbao.store.db import open_engine
    from nianbao.web.auth import authenticate
    assert authenticate(open_engine(db), "李四", "secret-pass-2") is not None
