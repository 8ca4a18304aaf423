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
    n = len(cache._items)
    with TestClient(corpus_app) as c:
        login(c, "viewer")
        assert c.get("/dashboard").status_code == 200
        for kind in CHARTS:
            assert c.get(f"/dashboard/chart/{kind}.svg").status_code == 200
    assert len(cache._items) == n
