"""End-to-end harness: a real uvicorn server on a free port and Debian's chromium driven by Playwright.

Nothing is downloaded: Playwright launches /usr/bin/chromium (never `playwright install`). A missing
chromium fails the tests (a green run must mean the browser ran) unless NIANBAO_SKIP_BROWSER=1.
Screenshots go to $NIANBAO_SCREENSHOTS (default .screenshots/ in the checkout) for a human look.
"""
from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
SCREENSHOTS = Path(os.environ.get("NIANBAO_SCREENSHOTS", Path(__file__).resolve().parents[2] / ".screenshots"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The app under uvicorn in a thread of this process: real HTTP, real sockets, real browser."""

    def __init__(self, app):
        import uvicorn
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def launch_browser(playwright):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("NIANBAO_SKIP_BROWSER") == "1":
            pytest.skip("NIANBAO_SKIP_BROWSER=1: browser tests skipped")
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make test does)", pytrace=False)
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
