"""Answers of whole-corpus queries, reused while the store has not changed.

Statistics, roll-ups and chart data scan every current report (0.5–0.8 s at 100,000 reports). Each
answer is kept under (the store's generation, what was asked); every change that can alter one bumps
the generation (store/generation.py), so a kept answer is never stale. Reading the generation is
one primary-key lookup. The cache lives in the app (one per server process), bounded, LRU.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from ..store.generation import generation


class QueryCache:
    def __init__(self, size: int = 128):
        self.size = size
        self._items: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()  # sync endpoints run in a thread pool

    def get(self, engine, key: tuple, compute: Callable[[], Any]) -> Any:
        with engine.connect() as conn:
            full = (generation(conn), *key)
        with self._lock:
            if full in self._items:
                self._items.move_to_end(full)
                return self._items[full]
        value = compute()
        with self._lock:
            self._items[full] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


def cached(request, key: tuple, compute: Callable[[], Any]) -> Any:
    return request.app.state.query_cache.get(request.app.state.engine, key, compute)
