"""Shared test fixtures: where ../shared is, and the seed reports with their gold files."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NIANBAO_SHARED", ROOT.parent / "shared"))
SEEDS = SHARED / "data" / "seeds"


def seed_files() -> list[Path]:
    return sorted(p for p in SEEDS.glob("*.txt")) if SEEDS.is_dir() else []


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"../shared not found at {SHARED}: set NIANBAO_SHARED")
    return SHARED
