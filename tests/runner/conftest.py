"""Runner tests: real training of the built-in tiny model on CPU, no hub.

The tiny model is built once per session into a temporary cache; every test trains a few
steps. Torch runs one thread per process: on a small shared CI box, two OpenMP threads
contending for two cores make each tiny matmul ~10x slower, and one thread loses nothing
at this model size.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# The suite runs with --import-mode=importlib: make runner_support importable.
sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

for _module in ("torch", "transformers", "peft", "trl", "datasets", "accelerate"):
    pytest.importorskip(_module)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.train)


@pytest.fixture(scope="session", autouse=True)
def tiny_model(private_tiny_model: Path) -> Path:
    """Every runner test trains `tunelint/tiny` from the session's private cache."""
    return private_tiny_model
