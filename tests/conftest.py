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


@pytest.fixture(scope="session")
def private_tiny_model(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Build `tunelint/tiny` once per session into a private cache (no hub, no user cache);
    torch on one thread (two OpenMP threads on a 2-core box make tiny matmuls ~10x slower)."""
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


@pytest.fixture(scope="session")
def compiled_vscode_extension() -> str:
    """Compile editors/vscode once (npm run compile) and return the `node` to run it with;
    skips with the reason where node/npm or the extension's node_modules are missing (CI
    builds the extension first, so its tests run there)."""
    import shutil
    import subprocess

    extension = REPO / "editors" / "vscode"
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        pytest.skip("npm/node not installed: the VS Code extension is not built")
    if not (extension / "node_modules" / "vscode-languageclient").is_dir():
        pytest.skip("editors/vscode/node_modules missing: run editors/vscode/build.sh")
    compiled = subprocess.run(
        [npm, "run", "--silent", "compile"],
        cwd=extension,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    return node
