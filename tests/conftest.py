"""Shared test set-up: no hub access, and paths to the repo and the shared corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# A stray hub id must fail in a second, not after network time-outs.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("NO_COLOR", "1")

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture
def repo_root() -> Path:
    return REPO


def shared_or_skip(path: Path) -> Path:
    """A file of ../shared: CI always has it, so there its absence fails the test; a developer
    machine without the shared folder skips with the reason."""
    if path.exists():
        return path
    message = f"{path} is missing (../shared lives beside the repository)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def require_shared():  # type: ignore[no-untyped-def]
    """`require_shared(path)` -> path, or a skip (developer machine) / failure (CI)."""
    return shared_or_skip
