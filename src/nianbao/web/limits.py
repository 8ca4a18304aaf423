"""Per-client rate limiting for the endpoints anyone may call (POST /api/check).

A sliding one-minute window per client address, in the server process. Behind a reverse proxy with
several workers each process counts on its own: the limit is then per worker, which still bounds the
work one client can cause.
"""
from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class RateLimiter:
    def __init__(self, per_minute: int, window: float = 60.0):
        self.per_minute = per_minute
        self.window = window
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, key: str, now: float | None = None) -> bool:
        """Count one request of `key`; False when it is over the limit (and then it is not counted)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits[key]
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return False
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle clients
                for k in [k for k, v in self._hits.items() if not v]:
                    del self._hits[k]
            return True

    def retry_after(self, key: str, now: float | None = None) -> int:
        now = time.monotonic() if now is None else now
        hits = self._hits.get(key)
        return max(1, int(hits[0] + self.window - now) + 1) if hits else 1


# Paths anyone may POST to (checking only), rate-limited per client before their body is read.
PUBLIC_POSTS = ("/check", "/api/check")


class UploadGuard:
    """Refusals that must come before a request's body is read (ASGI middleware).

    FastAPI parses a multipart body — spooling every file to disk — before any dependency or endpoint
    code runs, so a check there comes too late: a client over its rate limit, or one sending gigabytes,
    would already have cost the server the upload. Here, from the headers alone:

    - a POST to a public checking path over the client's rate limit → 429 with Retry-After;
    - a multipart POST larger than the whole allowance (``max_files`` × ``max_upload_bytes`` plus
      room for the form) → 413; one without Content-Length → 411 (browsers and HTTP libraries send it).

    Each file's own size is still checked while it is saved (uploads.receive). Answers are in Chinese:
    JSON under /api/, the error page elsewhere.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        state = scope["app"].state
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = None
        if scope["path"] in PUBLIC_POSTS:
            limiter: RateLimiter = state.check_limiter
            key = scope["client"][0] if scope.get("client") else "unknown"
            if not limiter.allow(key):
                wait = limiter.retry_after(key)
                refusal = (429, f"检查请求过于频繁：每分钟最多 {limiter.per_minute} 次，请 {wait} 秒后再试",
                           {"Retry-After": str(wait)})
        if refusal is None and headers.get("content-type", "").startswith("multipart/"):
            settings = state.settings
            allowance = settings.max_files * settings.max_upload_bytes + 1024 * 1024
            length = headers.get("content-length")
            if length is None:
                refusal = (411, "上传请求缺少 Content-Length（请求体长度），无法受理", None)
            elif not length.isdigit() or int(length) > allowance:
                refusal = (413, f"上传内容过大：一次最多 {settings.max_files} 个文件，每个不超过 "
                                f"{settings.max_upload_bytes // (1024 * 1024)} MB", None)
        if refusal is None:
            return await self.app(scope, receive, send)
        status, message, extra = refusal
        response = _refusal(scope, status, message, extra)
        await response(scope, receive, send)


def _refusal(scope, status: int, message: str, headers: dict | None):
    from fastapi import Request
    from fastapi.responses import JSONResponse
    request = Request(scope)
    if scope["path"].startswith("/api/") or "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    from .templating import page
    response = page(request, "error.html", status_code=status, message=message, status=status)
    response.headers.update(headers or {})
    return response
