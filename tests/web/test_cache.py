"""Cached corpus answers are reused only while the store is unchanged: every write bumps its generation."""
from __future__ import annotations

from nianbao.store.generation import generation
from nianbao.store.tables import units
from nianbao.store.units import merge_units, set_unit
from sqlalchemy import select

from ..store_fixtures import EXAMPLE_FILES, ingest_into
from .conftest import login


def test_every_write_bumps_the_generation(tmp_path):
    engine, _ = ingest_into(str(tmp_path / "g.db"), EXAMPLE_FILES[:2])
    with engine.connect() as conn:
        g1 = generation(conn)
    assert g1 >= 1
    ingest_into(str(tmp_path / "g.db"), EXAMPLE_FILES[:2])  # nothing new: no bump
    with engine.connect() as conn:
        assert generation(conn) == g1
    with engine.begin() as conn:
        a, b = conn.execute(select(units.c.id).order_by(units.c.id)).scalars().all()[:2]
        set_unit(conn, a, region="甲省/乙市")
    with engine.connect() as conn:
        assert generation(conn) == g1 + 1
    with engine.begin() as conn:
        merge_units(conn, b, a)
    with engine.connect() as conn:
        assert generation(conn) == g1 + 2


def test_dashboard_follows_a_change_of_region(client, app):
    engine, _ = ingest_into(str(app.state.engine.url.database), EXAMPLE_FILES)
    login(client, "admin")
    before = client.get("/api/stats", params={"by": "region"}).json()
    with engine.begin() as conn:
        uid = conn.execute(select(units.c.id).order_by(units.c.id)).scalars().first()
        set_unit(conn, uid, region="测试省/测试市")
    after = client.get("/api/stats", params={"by": "region"}).json()
    assert "测试省" in str(after) and "测试省" not in str(before)


def test_warmed_dashboard_is_answered_from_the_cache(corpus_app):
    """warm_dashboard fills exactly the keys the dashboard pages ask for: after it, they add nothing."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    from nianbao.web.corpus_views import CHARTS, warm_dashboard
    warm_dashboard(corpus_app)
    cache = corpus_app.state.query_cache
    assert cache.refresh(corpus_app.state.engine) >= 0
    n = len(cache._items)
    with TestClient(corpus_app) as c:
        login(c, "viewer")
        assert c.get("/dashboard").status_code == 200
        for kind in CHARTS:
            assert c.get(f"/dashboard/chart/{kind}.svg").status_code == 200
    assert len(cache._items) == n


def test_a_refresher_recomputes_the_asked_answers_after_a_change(tmp_path):
    """After an ingest, the Refresher recomputes what was asked (once the store is quiet), so the next
    visitor is answered from the cache; an answer is never reused across generations."""
    from nianbao.store.query import Filter
    from nianbao.store.stats import corpus_stats
    from nianbao.web.cache import QueryCache, Refresher
    engine, _ = ingest_into(str(tmp_path / "r.db"), EXAMPLE_FILES[:2])
    cache, flt = QueryCache(), Filter.of()
    key = ("stats", repr(flt), "year")
    calls = []

    def compute():
        calls.append(1)
        return corpus_stats(engine, flt, by="year")
    before = cache.get(engine, key, compute)
    refresher = Refresher(cache, engine, interval=0.05, quiet=0.2).start()
    try:
        assert refresher.refreshed.wait(10) and len(calls) == 1  # at start: nothing missing
        refresher.refreshed.clear()
        ingest_into(str(tmp_path / "r.db"), EXAMPLE_FILES[2:4])
        assert refresher.refreshed.wait(10)
        assert len(calls) == 2 and cache.cached(engine, key)
        after = cache.get(engine, key, compute)
        assert len(calls) == 2  # answered from the cache
        assert after.total.counts["reports"] == before.total.counts["reports"] + 2
    finally:
        refresher.stop()


def test_concurrent_askers_share_one_computation(tmp_path):
    import threading
    import time

    from nianbao.web.cache import QueryCache
    engine, _ = ingest_into(str(tmp_path / "c.db"), EXAMPLE_FILES[:1])
    cache, calls = QueryCache(), []

    def slow():
        calls.append(1)
        time.sleep(0.3)
        return len(calls)
    out = []
    threads = [threading.Thread(target=lambda: out.append(cache.get(engine, ("k",), slow))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [1] and out == [1, 1, 1, 1]


def test_a_failing_question_is_not_kept_hot(tmp_path):
    import pytest

    from nianbao.web.cache import QueryCache
    engine, _ = ingest_into(str(tmp_path / "f.db"), EXAMPLE_FILES[:1])
    cache = QueryCache()

    def bad():
        raise ValueError("区划不存在")
    with pytest.raises(ValueError):
        cache.get(engine, ("bad",), bad)
    with pytest.raises(ValueError):  # not cached: asked again, computed again
        cache.get(engine, ("bad",), bad)
    assert cache.refresh(engine) == 0 and ("bad",) not in cache._hot
