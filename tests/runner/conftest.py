"""Runner tests: real training of the built-in tiny model on CPU, no hub.

The tiny model is built once per session into a temporary cache; every test trains a few
steps. Torch runs one thread per process: on a small shared CI box, two OpenMP threads
contending for two cores make each tiny matmul ~10x slower, and one thread loses nothing
at this model size.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
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
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Build `tunelint/tiny` once into a session cache (no hub, no user cache)."""
    import torch

    from tunelint.runner.tiny_model import CACHE_ENV_VAR, ensure_tiny_model

    torch.set_num_threads(1)
    previous = os.environ.get(CACHE_ENV_VAR)
    os.environ[CACHE_ENV_VAR] = str(tmp_path_factory.mktemp("tunelint-cache"))
    try:
        yield ensure_tiny_model()
    finally:
        if previous is None:
            os.environ.pop(CACHE_ENV_VAR, None)
        else:
            os.environ[CACHE_ENV_VAR] = previous
