"""benchmarks/gpu_memory_check.py on CPU: without CUDA it says so and exits 0; `--smoke` runs
the script's own machinery (model build, data, config, lint_file's estimate, run_plan, JSON)
at a toy shape, so the one-shot GPU run does not fail on the script itself."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_memory_check.py"


@pytest.fixture
def check() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gpu_memory_check", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def no_cuda() -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the no-CUDA path is not taken")


@pytest.mark.usefixtures("no_cuda")
def test_without_cuda_it_says_so_and_exits_0(check, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert check.main(["--out", str(tmp_path)]) == 0
    assert "no CUDA device: nothing to measure" in capsys.readouterr().out
    assert not (tmp_path / check.JSON_NAME).exists()


@pytest.mark.usefixtures("no_cuda")
def test_smoke_estimates_and_trains_the_same_plan(check, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = check.main(
        ["--smoke", "--steps", "2", "--only", "toy lora,toy qlora", "--out", str(tmp_path)]
    )
    assert code == 0
    payload = json.loads((tmp_path / check.JSON_NAME).read_text(encoding="utf-8"))
    rows = {row["row"]: row for row in payload["rows"]}
    assert set(rows) == {"toy lora s128 b2", "toy qlora s128 b2"}
    trained = rows["toy lora s128 b2"]
    assert "error" not in trained, trained.get("traceback")
    assert trained["lint_errors"] == []
    assert trained["final_loss"] is not None
    # The estimate is the H200's, of the trained Plan's data: sequences truncated at 128.
    assert payload["estimated_for"] == "H200"
    assert 0 < trained["estimate_gib"]["allocated"] < trained["estimate_gib"]["nvidia_smi"]
    assert any("truncated at max_seq_len 128" in a for a in trained["estimate_assumptions"])
    assert "measured_gib" not in trained
    assert rows["toy qlora s128 b2"]["skipped"] == "bitsandbytes needs CUDA"
    out = capsys.readouterr().out
    assert "toy lora s128 b2" in out and "trained; not measured (no CUDA)" in out
