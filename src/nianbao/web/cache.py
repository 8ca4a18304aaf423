"""Answers of whole-corpus queries, reused while the store has not changed, and kept ready after a change.

Statistics, roll-ups and chart data scan every current report: 0.4–0.8 s of SQL at 100,000 reports,
plus 0.3–1 s of matplotlib for a chart. Each answer is kept under (the store's generation, what was
asked); every change that can alter one bumps the generation (store/generation.py), so a kept answer is
never stale. Reading the generation is one primary-key lookup. The cache lives in the app (one per
server process), bounded, LRU.

A cache alone leaves the first visitor after every ingest paying the full price. So the cache also
remembers which questions were asked lately (the *hot* keys, with how to compute them), and a
``Refresher`` thread of ``nianbao serve`` watches the generation: once the store has been quiet for a
moment after a change (a bulk ingest bumps it at every batch), it recomputes the hot answers for the
new generation, the way a materialized view is refreshed. Visitors then find them ready. Two requests
asking the same uncached question wait for one computation instead of running two.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from ..store.generation import generation

HOT_KEYS = 32               # questions kept warm after a change
HOT_FOR = 6 * 3600.0        # … when asked within this many seconds


class QueryCache:
    def __init__(self, size: int = 128, hot_keys: int = HOT_KEYS, hot_for: float = HOT_FOR):
        self.size = size
        self.hot_keys = hot_keys
        self.hot_for = hot_for
        self._items: OrderedDict[tuple, Any] = OrderedDict()
        self._pending: dict[tuple, Future] = {}
        self._hot: OrderedDict[tuple, tuple[Callable[[], Any], float]] = OrderedDict()
        self._lock = threading.Lock()  # sync endpoints run in a thread pool

    def get(self, engine, key: tuple, compute: Callable[[], Any], keep_fresh: bool = True) -> Any:
        """The answer to ``key`` for the store as it is now; ``compute`` must read the store afresh
        (it is kept and called again by ``refresh`` after a change, so it must not hold a request).
        ``keep_fresh=False`` for cheap or one-off questions: cached, but not recomputed by ``refresh``
        (nor pushing the dashboard's questions out of the hot list)."""
        full = (_generation(engine), *key)
        with self._lock:
            if keep_fresh:
                self._remember(key, compute)
            if full in self._items:
                self._items.move_to_end(full)
                return self._items[full]
            pending = self._pending.get(full)
            owner = pending is None
            if owner:
                pending = self._pending[full] = Future()
        if not owner:
            return pending.result()  # the other request's answer, or its exception
        try:
            value = compute()
        except BaseException as exc:
            with self._lock:
                del self._pending[full]
            pending.set_exception(exc)
            raise
        with self._lock:
            del self._pending[full]
            self._items[full] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        pending.set_result(value)
        return value

    def remember(self, key: tuple, compute: Callable[[], Any]) -> None:
        """Count ``key`` as asked now without computing it (``refresh`` will)."""
        with self._lock:
            self._remember(key, compute)

    def _remember(self, key: tuple, compute: Callable[[], Any]) -> None:
        self._hot[key] = (compute, time.monotonic())
        self._hot.move_to_end(key)
        while len(self._hot) > self.hot_keys:
            self._hot.popitem(last=False)

    def cached(self, engine, key: tuple) -> bool:
        """Whether ``key`` is answered from the cache for the store as it is now."""
        full = (_generation(engine), *key)
        with self._lock:
            return full in self._items

    def refresh(self, engine) -> int:
        """Compute the hot answers the current generation lacks, most recently asked first; how many.
        A question that fails (a region that no longer exists…) is dropped from the hot list."""
        now = time.monotonic()
        with self._lock:
            hot = [(k, fn) for k, (fn, at) in reversed(self._hot.items()) if now - at <= self.hot_for]
            for k in [k for k, (_, at) in self._hot.items() if now - at > self.hot_for]:
                del self._hot[k]
        done = 0
        for key, compute in hot:
            if self.cached(engine, key):
                continue
            try:
                self._fill(engine, key, compute)
                done += 1
            except Exception:
                with self._lock:
                    self._hot.pop(key, None)
        return done

    def _fill(self, engine, key: tuple, compute: Callable[[], Any]) -> None:
        """Like ``get`` but without counting the question as asked again (keeps its age)."""
        with self._lock:
            asked = self._hot.get(key)
        self.get(engine, key, compute)
        if asked is not None:
            with self._lock:
                if key in self._hot:
                    self._hot[key] = asked


def _generation(engine) -> int:
    with engine.connect() as conn:
        return generation(conn)


class Refresher:
    """A daemon thread that polls the store's generation every ``interval`` seconds and, when it has
    changed and then stayed the same for ``quiet`` seconds, calls ``cache.refresh``. It refreshes once
    at start, which is what warms a freshly started server."""

    def __init__(self, cache: QueryCache, engine, interval: float = 1.0, quiet: float = 2.0):
        self.cache, self.engine, self.interval, self.quiet = cache, engine, interval, quiet
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="nianbao-refresh", daemon=True)
        self.refreshed = threading.Event()   # set after each refresh (tests and benchmarks wait on it)
        self.generation: int | None = None   # the generation last refreshed

    def start(self) -> "Refresher":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        seen, since = None, 0.0
        while True:
            try:
                gen = _generation(self.engine)
            except Exception:  # the database is briefly unavailable: try again next tick
                gen = seen
            now = time.monotonic()
            if gen != seen:
                seen, since = gen, now
            if gen is not None and gen != self.generation and (self.generation is None or now - since >= self.quiet):
                try:
                    self.cache.refresh(self.engine)
                except Exception:  # a cache that stays cold is only slower
                    pass
                self.generation = gen
                self.refreshed.set()
            if self._stop.wait(self.interval):
                return


def cached(request, key: tuple, compute: Callable[[], Any], keep_fresh: bool = True) -> Any:
    return request.app.state.query_cache.get(request.app.state.engine, key, compute, keep_fresh)
