"""`tunelint run` trains, unchanged, the native config `tunelint init` wrote (the built-in tiny
model, on CPU): SFT for a new capability, DPO to improve existing behaviour."""

from __future__ import annotations

from pathlib import Path

import pytest

for _module in ("torch", "transformers", "peft", "trl", "datasets", "accelerate"):
    pytest.importorskip(_module)

from tunelint.cli import main  # noqa: E402

pytestmark = [pytest.mark.train, pytest.mark.usefixtures("private_tiny_model")]
REPO = Path(__file__).resolve().parents[2]
DATA = {"new-capability": "sft_chat.jsonl", "improve-existing": "preference.jsonl"}


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
