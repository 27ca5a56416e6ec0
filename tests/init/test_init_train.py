"""`tunelint run` trains, unchanged, the native config `tunelint init` wrote (the built-in tiny
model, on CPU): SFT for a new capability, DPO to improve existing behaviour."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

for _module in ("torch", "transformers", "peft", "trl", "datasets", "accelerate"):
    pytest.importorskip(_module)

from tunelint.cli import main  # noqa: E402

pytestmark = pytest.mark.train
REPO = Path(__file__).resolve().parents[2]
DATA = {"new-capability": "sft_chat.jsonl", "improve-existing": "preference.jsonl"}


@pytest.fixture(scope="module", autouse=True)
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Build `tunelint/tiny` into a private cache (no hub, no user cache)."""
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


@pytest.mark.parametrize("goal", sorted(DATA))
def test_run_trains_the_written_config(
    tmp_path: Path, goal: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "tunelint.toml").write_text("")
    (tmp_path / "data").mkdir()
    source = REPO / "examples" / "data" / DATA[goal]
    (tmp_path / "data" / "train.jsonl").write_text(source.read_text(encoding="utf-8"))
    config = tmp_path / "tiny.tune.yaml"
    args = ["init", "--goal", goal, "--model", "tunelint/tiny", "--gpu", "RTX 4090"]
    assert main([*args, "--output", str(config)]) == 0
    written = config.read_text()
    assert main(["run", str(config), "--max-steps", "2"]) == 0
    assert config.read_text() == written  # trained as written
    method = "dpo" if goal == "improve-existing" else "sft"
    assert f"kind: {method}" in written
    out = tmp_path / "runs" / f"tiny-{method}"
    assert (out / "adapter_model.safetensors").is_file(), capsys.readouterr()
