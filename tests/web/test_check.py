"""Checking in the browser and through POST /api/check: uploads, limits, the report view, sources,
downloads, storing. Real app, real store, real files (the 巡镇镇 seed has one wrong cell:
表三（一）予以公开·自然人 printed 2 where the total column says 0)."""
from __future__ import annotations

import io
import json
import os
import re
import tempfile
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from nianbao.batch import check_file
from nianbao.web import check as check_module
from nianbao.web import uploads

from ..store_fixtures import EXAMPLES
from .conftest import login, make_app

ROOT = Path(__file__).resolve().parents[2]
SEEDS = Path(__file__).resolve().parents[3] / "shared" / "data" / "seeds"
XUNZHEN = next((p for p in sorted(SEEDS.glob("*.txt")) if "巡镇镇" in p.read_text(encoding="utf-8")), None) \
    if SEEDS.is_dir() else None
CORRECT = EXAMPLES / "示例-湾光街道2024年报.txt"
PDF5 = ROOT / "tests" / "data" / "pdf" / "merged-cells-2021.pdf"
ENCRYPTED = ROOT / "tests" / "data" / "pdf" / "encrypted.pdf"
WRONG_CELL = "applications.granted.natural_person"

needs_seed = pytest.mark.skipif(XUNZHEN is None, reason="the 巡镇镇 seed is not on this machine")


@pytest.fixture(autouse=True)
def own_tempdir(tmp_path, monkeypatch):
    """Uploads go to a temp folder of this test, so the test can see that nothing is left behind."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def page_token(client: TestClient, url: str = "/check") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text).group(1)


def part(path: Path, name: str | None = None):
    return ("files", (name or path.name, path.read_bytes(), "application/octet-stream"))


def cell_classes(html: str, path: str) -> list[str]:
    return re.findall(rf'<td[^>]*class="([^"]*)"[^>]*data-path="{re.escape(path)}"', html)


def expected(path: Path) -> dict:
    d = check_file(str(path)).to_dict()
    d.pop("file")
    return d


# ----------------------------------------------------------------------------------------- pages

def test_check_page_has_dropzone_and_file_input(client):
    r = client.get("/check")
    assert r.status_code == 200
    assert 'class="dropzone"' in r.text and re.search(r'<input type="file" name="files"[^>]* multiple', r.text)
    assert ".pdf" in r.text and ".wps" in r.text and "检查年报" in r.text


@needs_seed
def test_page_check_highlights_the_wrong_cell_and_shows_its_source(client, own_tempdir):
    token = page_token(client)
    r = client.post("/check", files=[part(XUNZHEN, "巡镇镇.txt"), part(CORRECT)], data={"csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303
    url = r.headers["location"]
    html = client.get(url).text
    assert "巡镇镇.txt" in html and CORRECT.name in html
    classes = cell_classes(html, WRONG_CELL)
    assert classes and "sev-error" in classes[0].split()
    assert "T3-03" in html and "最可能出错的单元格" in html
    # a cell nobody complains about is not marked
    assert all("sev-" not in c for c in cell_classes(html, "applications.new_received.total"))
    # the finding links to the source of its likeliest cell
    assert f'data-source="{url}/0/source?path={WRONG_CELL}"' in html
    src = client.get(f"{url}/0/source", params={"path": WRONG_CELL})
    assert src.status_code == 200 and "focus-line" in src.text and "第39行" in src.text
    assert client.get(f"{url}/0/source", params={"path": "no.such.cell"}).status_code == 404
    assert client.get(f"{url}/7/source", params={"path": WRONG_CELL}).status_code == 404
    assert os.listdir(own_tempdir)  # the check keeps its files for the source view


def test_page_check_of_a_pdf_gives_a_page_image(client):
    token = page_token(client)
    url = client.post("/check", files=[part(PDF5)], data={"csrf_token": token}, follow_redirects=False).headers["location"]
    html = client.get(url).text
    cell = "applications.new_received.total"
    assert cell_classes(html, cell)
    src = client.get(f"{url}/0/source", params={"path": cell}).text
    img = re.search(r'<img class="page-image" src="([^"]+)"', src).group(1).replace("&amp;", "&")
    assert img.startswith(f"{url}/0/page/")
    png = client.get(img)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert client.get(f"{url}/0/page/99.png").status_code == 404
    assert client.get(f"{url}/0/page/1.png?bbox=1,2").status_code == 400


def test_page_refusals_are_chinese_pages(client):
    token = page_token(client)
    r = client.post("/check", files=[("files", ("报告.exe", b"MZ", "application/octet-stream"))],
                    data={"csrf_token": token})
    assert r.status_code == 415 and "报告.exe" in r.text and "不支持的文件类型" in r.text
    r = client.post("/check", files=[part(CORRECT)])  # no CSRF token
    assert r.status_code == 403
    r = client.get("/check/not-a-token")
    assert r.status_code == 404 and "已过期" in r.text


def test_failed_file_shows_its_reason(client):
    token = page_token(client)
    url = client.post("/check", files=[part(ENCRYPTED), ("files", ("空.txt", b"", "text/plain"))],
                      data={"csrf_token": token}, follow_redirects=False).headers["location"]
    html = client.get(url).text
    assert html.count("无法读取") >= 2
    assert "文件为空" in html


# ---------------------------------------------------------------------------------------- downloads

@needs_seed
def test_downloads_of_a_check(client):
    from openpyxl import load_workbook
    token = page_token(client)
    url = client.post("/check", files=[part(XUNZHEN, "巡镇镇.txt"), part(CORRECT)], data={"csrf_token": token},
                      follow_redirects=False).headers["location"]
    r = client.get(f"{url}/findings.xlsx")
    assert r.status_code == 200 and "spreadsheetml" in r.headers["content-type"]
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.values)
    assert list(rows[0]) == ["文件", "单位", "年度", "严重程度", "规则", "类别", "问题", "单元格", "位置"]
    n = len(check_file(str(XUNZHEN)).findings) + len(check_file(str(CORRECT)).findings)
    assert len(rows) == 1 + n
    t303 = [r for r in rows[1:] if r[4] == "T3-03"]
    assert t303 and t303[0][0] == "巡镇镇.txt" and t303[0][3] == "错误" and WRONG_CELL in t303[0][7]
    pdf = client.get(f"{url}/findings.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


# ------------------------------------------------------------------------------------------ storing

@needs_seed
def test_store_needs_a_reviewer_and_keeps_the_file(app, tmp_path):
    with TestClient(app) as anon, TestClient(app) as viewer, TestClient(app) as reviewer:
        url = anon.post("/check", files=[part(XUNZHEN, "巡镇镇.txt"), part(ENCRYPTED)],
                        data={"csrf_token": page_token(anon)}, follow_redirects=False).headers["location"]
        assert "store-button" not in anon.get(url).text
        r = anon.post(f"{url}/store", data={"csrf_token": page_token(anon)}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        login(viewer, "viewer")
        assert viewer.post(f"{url}/store").status_code == 403
        login(reviewer, "reviewer")
        assert "store-button" in reviewer.get(url).text
        r = reviewer.post(f"{url}/store", follow_redirects=False)
        assert r.status_code == 303
        html = reviewer.get(url).text
        ids = re.findall(r'href="/reports/(\d+)"', html)
        assert len(ids) == 1 and "无法读取" in html
        kept = list((tmp_path / "files").rglob("*.txt"))
        assert len(kept) == 1 and kept[0].read_bytes() == XUNZHEN.read_bytes()
        page = reviewer.get(f"/reports/{ids[0]}").text
        assert "sev-error" in cell_classes(page, WRONG_CELL)[0].split()
        assert "文件：巡镇镇.txt" in page  # the uploaded name, not the content hash it is kept under
        # storing again does nothing new
        reviewer.post(f"{url}/store")
        assert re.findall(r'href="/reports/(\d+)"', reviewer.get(url).text) == ids


# ------------------------------------------------------------------------------------------- API

@needs_seed
def test_api_check_answers_the_cli_json(client, own_tempdir):
    files = [part(XUNZHEN, "巡镇镇.txt"), part(CORRECT)]
    r = client.post("/api/check", files=files)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    got = r.json()
    assert [g["file"] for g in got] == ["巡镇镇.txt", CORRECT.name]
    for g, path in zip(got, (XUNZHEN, CORRECT)):
        g.pop("file")
        assert g == expected(path)
    lines = client.post("/api/check?format=jsonl", files=files)
    assert lines.headers["content-type"].startswith("application/x-ndjson")
    as_lines = [json.loads(x) for x in lines.text.splitlines()]
    assert as_lines == r.json()
    accept = client.post("/api/check", files=files, headers={"Accept": "application/x-ndjson"})
    assert [json.loads(x) for x in accept.text.splitlines()] == as_lines
    assert os.listdir(own_tempdir) == []  # nothing kept


def test_api_check_failed_files_are_per_file(client, own_tempdir):
    r = client.post("/api/check", files=[("files", ("空.pdf", b"", "application/pdf")),
                                         ("files", ("坏.pdf", b"%PDF-1.4 garbage \x00\x01", "application/pdf")),
                                         part(ENCRYPTED), part(CORRECT)])
    assert r.status_code == 200
    got = r.json()
    assert [g["status"] for g in got[:3]] == ["failed"] * 3
    for g in got[:3]:
        assert g["error"] and re.search(r"[\u4e00-\u9fff]", g["error"]) and g["report"] is None
    assert got[3]["status"] == "ok"
    assert os.listdir(own_tempdir) == []


def test_api_check_refuses_bad_uploads(tmp_path, own_tempdir):
    app = make_app(str(tmp_path / "w.db"), max_upload_bytes=2000, max_files=2)
    with TestClient(app) as c:
        r = c.post("/api/check", files=[part(CORRECT, "大文件.txt")])
        assert r.status_code == 413 and "大文件.txt" in r.json()["detail"] and "大小上限" in r.json()["detail"]
        small = ("files", ("a.txt", "一、总体情况".encode(), "text/plain"))
        r = c.post("/api/check", files=[small, small, small])
        assert r.status_code == 413 and "最多上传 2 个文件" in r.json()["detail"]
        r = c.post("/api/check", files=[("files", ("../../etc/passwd.sh", b"x", "text/plain"))])
        assert r.status_code == 415 and "passwd.sh" in r.json()["detail"] and "不支持" in r.json()["detail"]
        r = c.post("/api/check", data={"x": "1"})
        assert r.status_code in (400, 422) and re.search(r"[\u4e00-\u9fff]", r.json()["detail"])
        r = c.post("/api/check?format=xml", files=[small])
        assert r.status_code == 400 and "输出格式" in r.json()["detail"]
    assert os.listdir(own_tempdir) == []


def test_api_check_is_rate_limited(tmp_path):
    app = make_app(str(tmp_path / "w.db"), check_rate=2)
    small = ("files", ("a.txt", "一、总体情况".encode(), "text/plain"))
    with TestClient(app) as c:
        assert c.post("/api/check", files=[small]).status_code == 200
        assert c.post("/api/check", files=[small]).status_code == 200
        r = c.post("/api/check", files=[small])
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1 and "频繁" in r.json()["detail"]


def test_api_check_needs_no_login_and_is_documented(client):
    doc = client.get("/openapi.json").json()
    op = doc["paths"]["/api/check"]["post"]
    assert op["tags"] == ["检查"] and "检查" in op["summary"]
    assert doc["paths"]["/api/reports/{report_id}"]["get"]["tags"] == ["报告"]


# ------------------------------------------------------------------------------------ the check cache

def test_check_cache_evicts_and_deletes_files():
    cache = check_module.CheckCache(size=2, ttl=3600)
    entries = []
    for i in range(3):
        folder = uploads.workdir()
        Path(folder, "0000.txt").write_text("x")
        entries.append(check_module.CheckEntry(f"t{i}", folder, [], []))
        cache.add(entries[-1])
    assert cache.get("t0") is None and not os.path.exists(entries[0].workdir)
    assert cache.get("t1") is not None and os.path.exists(entries[1].workdir)
    cache.ttl = 0
    assert cache.get("t2") is None and not os.path.exists(entries[2].workdir)
    cache.clear()
    assert not os.path.exists(entries[1].workdir)


def test_a_2019_report_is_shown_in_its_own_format(client):
    """A 2019-format report shows its 2019 表二 items and 表三's single （六）其他处理 row, with the values
    the document printed (they live under extra_2019), not the empty 2021 rows."""
    token = page_token(client)
    src = EXAMPLES / "示例-2019格式-福营镇2020年报.txt"
    url = client.post("/check", files=[part(src)], data={"csrf_token": token}, follow_redirects=False).headers["location"]
    html = client.get(url).text
    assert re.search(r'data-path="extra_2019\.active\.normative_documents\.total_published"[^>]*>\s*73\s*<', html)
    assert "本年新制作数量" in html and "第二十条第（九）项" in html
    assert 'data-path="extra_2019.applications.other_processing.total"' in html and "（六）其他处理" in html
    assert 'data-path="applications.other_no_correction.total"' not in html
    assert 'data-path="active.regulations.issued"' not in html


def test_refusals_come_before_the_body_is_read(tmp_path):
    """Over the rate limit or over the upload allowance, the request is refused from its headers
    (web/limits.py UploadGuard): 429 wins over 413, pages get the Chinese error page."""
    app = make_app(str(tmp_path / "w.db"), check_rate=2, max_upload_bytes=2000, max_files=1)
    big = ("files", ("大.txt", b"x" * (1024 * 1024 + 4096), "text/plain"))
    small = ("files", ("a.txt", "一、总体情况".encode(), "text/plain"))
    with TestClient(app) as c:
        r = c.post("/api/check", files=[big])
        assert r.status_code == 413 and "上传内容过大" in r.json()["detail"] and "2000" not in r.json()["detail"]

        def chunks():
            yield b"--x\r\n"
            yield b'Content-Disposition: form-data; name="files"; filename="a.txt"\r\n\r\n1\r\n--x--\r\n'
        r = c.post("/api/check", content=chunks(), headers={"content-type": "multipart/form-data; boundary=x"})
        assert r.status_code == 411 and "Content-Length" in r.json()["detail"]
        r = c.post("/check", files=[big])  # the third public POST of this client: over the limit of 2
        assert r.status_code == 429 and "频繁" in r.text and "<html" in r.text.lower() and r.headers["retry-after"]
        assert c.post("/api/check", files=[small]).status_code == 429
    # a logged-in form post is limited by size too (every multipart POST is)
    app = make_app(str(tmp_path / "w2.db"), max_upload_bytes=2000, max_files=1)
    with TestClient(app) as c:
        login(c, "admin")
        r = c.post("/api/compose/check", files=[big])
        assert r.status_code == 413
