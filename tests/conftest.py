"""Shared fixtures: the real-data root (tests that need it skip when it is unset)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The real third-party rollouts (``CODEREASON_REALDATA``), or skip."""
    root = os.environ.get("CODEREASON_REALDATA")
    if not root or not Path(root).is_dir():
        pytest.skip("CODEREASON_REALDATA is not set to the shared real-data folder")
    return Path(root)


@pytest.fixture(scope="session")
def spurious_results(realdata) -> Path:
    """The Spurious Rewards 1.5B checkpoints' eval outputs."""
    return realdata / "spurious-1p5b-gt-steps" / "results"
