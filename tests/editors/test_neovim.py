"""A real editor against the real server: headless Neovim (0.7.2 in Debian) opens a config,
gets the diagnostic, applies the quick-fix and sees the diagnostic clear."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
CONFIG = (
    "# tunelint\n"
    "model:\n"
    "  name: Qwen/Qwen2.5-0.5B  # base\n"
    "precision: fp16  # inherited from an old V100 recipe\n"
    "hardware:\n"
    "  gpu: A100-80GB\n"
)


@pytest.mark.skipif(shutil.which("nvim") is None, reason="nvim not installed (apt-get install neovim)")
def test_neovim_applies_the_quick_fix(tmp_path: Path) -> None:
    (tmp_path / "tunelint.toml").write_text("")  # no settings from outside the test
    config = tmp_path / "train.tune.yaml"
    config.write_text(CONFIG)
    out = tmp_path / "result.json"
    env = {
        **os.environ,
        "TUNELINT_CMD": json.dumps([sys.executable, "-m", "tunelint.cli", "server"]),
        "TUNELINT_FILE": str(config),
        "TUNELINT_OUT": str(out),
        "HOME": str(tmp_path),  # no user init files, no shada
    }
    subprocess.run(
        ["nvim", "--headless", "-u", "NONE", "-i", "NONE", "-n",
         "-c", f"luafile {HERE / 'nvim_quickfix.lua'}"],
        env=env, cwd=tmp_path, capture_output=True, timeout=180, check=False,
    )
    result = json.loads(out.read_text())
    assert "error" not in result, result
    assert result["diagnostic"]["code"] == "TL101"
    assert (result["diagnostic"]["lnum"], result["diagnostic"]["col"]) == (3, 11)
    assert any("bf16" in title for title in result["actions"])
    assert any("ignore" in title.lower() for title in result["actions"])
    assert result["cleared"] is True
    assert result["lines"][3] == "precision: bf16  # inherited from an old V100 recipe"
    assert result["lines"][2] == "  name: Qwen/Qwen2.5-0.5B  # base"
