"""The interactive `tunelint init` on a real pseudo-terminal (pexpect): questionary's prompts,
arrow-key choices, defaults, a rejected answer asked again, and the file it writes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tunelint.lint import lint_file

pexpect = pytest.importorskip("pexpect")
REPO = Path(__file__).resolve().parents[2]
DOWN = "\x1b[B"


def _spawn(cwd: Path, *args: str) -> pexpect.spawn:
    env = dict(os.environ, PYTHONPATH=str(REPO), HF_HUB_OFFLINE="1", TERM="xterm")
    env.pop("NO_COLOR", None)
    return pexpect.spawn(
        sys.executable,
        ["-m", "tunelint.cli", "init", *args],
        cwd=str(cwd),
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 200),
    )


def test_prompts_ask_the_articles_questions(tmp_path: Path) -> None:
    (tmp_path / "tunelint.toml").write_text("")
    child = _spawn(tmp_path)
    child.expect("What is the fine-tuning for")
    child.send(DOWN + "\r")  # the second choice: a new capability
    child.expect("Base model")
    child.send("meta-llama/Llama-3.2-1B\r")
    child.expect("GPU:")
    child.send("RTX 4091\r")  # not in the catalog: asked again
    child.expect("not in the GPU catalog")
    child.send("\b" * 8 + "A100-80GB\r")
    child.expect("How many GPUs")
    child.send("\r")
    child.expect("Days available")
    child.send("\b\b7\r")
    child.expect("How many tasks")
    child.send("\r")
    child.expect("What matters most")
    child.send(DOWN + "\r")  # inference speed
    child.expect("Training data file")
    child.send("\r")
    child.expect("Config format")
    child.send("\r")  # tunelint's own
    child.expect("Write the config to")
    child.send("\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    written = tmp_path / "llama-3-2-1b-sft.tune.yaml"
    text = written.read_text()
    assert "goal: new-capability" in text and "schedule_days: 7" in text
    assert "kind: ia3  # TL303: inference speed matters most" in text
    assert "no RLHF on a 7-day schedule" in text
    assert lint_file(written).diagnostics == []


def test_flags_skip_their_questions(tmp_path: Path) -> None:
    (tmp_path / "tunelint.toml").write_text("")
    child = _spawn(
        tmp_path,
        "--goal",
        "improve-existing",
        "--gpu",
        "T4",
        "-o",
        "cfg/t.yml",
        "--format",
        "axolotl",
        "--days",
        "30",
        "--tasks",
        "1",
        "--priority",
        "quality",
        "--gpu-count",
        "1",
        "--data",
        "d.jsonl",
    )
    child.expect("Base model")  # the one required answer not given
    child.send("meta-llama/Llama-3.2-1B\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert "fp16: true  # tunelint: ignore[TL103]" in (tmp_path / "cfg" / "t.yml").read_text()
    assert lint_file(tmp_path / "cfg" / "t.yml").diagnostics == []


def test_ctrl_c_leaves_nothing(tmp_path: Path) -> None:
    child = _spawn(tmp_path)
    child.expect("What is the fine-tuning for")
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert list(tmp_path.iterdir()) == []
