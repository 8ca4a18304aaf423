"""Ingest under stress: killed mid-run (kill -9) and resumed, and run on a real Dask cluster."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from nianbao import regions
from nianbao.ingest import ingest
from nianbao.store import db as store_db
from nianbao.store.tables import files, findings, reports, units
from nianbao.synth.corpus import make_corpus

NIANBAO = [sys.executable, "-m", "nianbao"]


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("big")
    corpus = make_corpus(folder, random.Random(11), counties=16, townships=10, departments=3, years=(2022, 2023, 2024),
                         copy_narrative=0.15, carry_mismatch=0.15, identical_tables=0.1, missing=0.05)
    return folder, corpus


def _committed(db_url: str) -> int:
    engine = store_db.open_engine(db_url, migrate=False)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(files)).scalar_one()
    except Exception:  # the store may not exist yet
        return 0
    finally:
        engine.dispose()


def _xy(engine) -> set:
    with engine.connect() as conn:
        q = (select(units.c.key, reports.c.year, findings.c.rule).select_from(findings)
             .join(reports, reports.c.id == findings.c.report_id).join(units, units.c.id == reports.c.unit_id)
             .where(findings.c.rule.like("XY-%"), reports.c.is_current))
        return set(conn.execute(q).all())


def test_killed_ingest_resumes_with_every_report_exactly_once(db_url, big_corpus):
    """kill -9 the whole ingest (main process and workers) after its first commits, then run it
    again: every file is stored exactly once, no unit-year has two current reports, and the
    cross-year findings are exactly those of the corpus truth."""
    folder, corpus = big_corpus
    n = len(corpus.files)
    assert n > 500
    cmd = NIANBAO + ["ingest", str(folder), "--db", db_url, "--map", str(folder / "units.csv"), "--no-progress",
                     "--workers", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while _committed(db_url) == 0 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = _committed(db_url)
    assert 0 < partial < n, f"the kill came too late or too early ({partial} of {n} stored)"

    done = subprocess.run(cmd + ["--format", "json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    actions = [__import__("json").loads(line)["action"] for line in done.stdout.splitlines()]
    assert actions.count("unchanged") == partial and actions.count("new") == n - partial

    engine = store_db.open_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(files)).scalar_one() == n
        assert conn.execute(select(func.count(files.c.sha256.distinct()))).scalar_one() == n
        assert conn.execute(select(func.count()).select_from(reports)).scalar_one() == n
        doubles = conn.execute(select(reports.c.unit_id, reports.c.year).where(reports.c.is_current)
                               .group_by(reports.c.unit_id, reports.c.year).having(func.count() > 1)).all()
        assert doubles == []
        assert conn.execute(select(func.max(reports.c.version))).scalar_one() == 1
    mapping = regions.load_mapping(folder / "units.csv")
    assert _xy(engine) == {(regions.resolve_unit(u, mapping).key, y, c) for u, y, c, _ in corpus.expected_xy}


def test_ingest_on_a_real_dask_cluster_stores_the_same_as_locally(tmp_path, big_corpus):
    distributed = pytest.importorskip("distributed")
    folder, corpus = big_corpus
    paths = corpus.files[:120]
    local = store_db.open_engine(str(tmp_path / "local.db"))
    ingest(paths, local, workers=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster:
        remote = store_db.open_engine(str(tmp_path / "dask.db"))
        summary = ingest(paths, remote, cluster=cluster.scheduler_address)
    assert "Dask" in summary.executor and summary.counts == {"new": len(paths)}

    def content(engine):
        with engine.connect() as conn:
            q = (select(files.c.sha256, reports.c.n_errors, reports.c.n_warnings, units.c.key, reports.c.year)
                 .select_from(files).join(reports, reports.c.file_id == files.c.id)
                 .join(units, units.c.id == reports.c.unit_id))
            return sorted(conn.execute(q).all())
    assert content(remote) == content(local)


def test_an_unreachable_cluster_is_a_chinese_error(tmp_path, big_corpus):
    folder, corpus = big_corpus
    r = subprocess.run(NIANBAO + ["ingest", corpus.files[0], "--db", str(tmp_path / "x.db"),
                                  "--cluster", "tcp://127.0.0.1:1"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "无法连接 Dask 集群" in r.stderr
    assert Path(corpus.files[0]).exists()
