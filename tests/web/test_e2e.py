"""The web app in a real browser: the paths a clerk and a reviewer take, start to finish.

One server over a store holding the examples, one chromium for the module; each test gets a fresh
browser context (its own cookies). Screenshots are saved for a human look (see e2e.py).
"""
from __future__ import annotations

import pytest

from .conftest import PASSWORD
from .e2e import LiveServer, launch_browser, shot


@pytest.fixture(scope="module")
def server(corpus_app):
    with LiveServer(corpus_app) as live:
        yield live


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = launch_browser(p)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(base_url=server.url, locale="zh-CN", viewport={"width": 1400, "height": 900},
                                  accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def log_in(page, role: str) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(role)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/")


def test_home_and_login(page):
    page.goto("/")
    assert page.title().startswith("首页")
    shot(page, "01-首页")
    log_in(page, "admin")
    assert "管理员" in page.locator(".who").inner_text()
    page.goto("/admin/users")
    assert page.locator("table.list").inner_text().count("查看者") >= 1
    shot(page, "02-用户管理")


def test_wrong_password_is_refused(page):
    page.goto("/login")
    page.get_by_label("用户名").fill("viewer")
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    assert "用户名或密码不正确" in page.locator(".alert.error").inner_text()
