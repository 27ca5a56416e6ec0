"""The VS Code command "tunelint: New fine-tuning config…": its quick picks answered in the
extension's smoke harness (editors/vscode/scripts/smoke.js), the config written by
`tunelint init` and opened. Needs node/npm and editors/vscode/build.sh's node_modules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tunelint.lint import lint_file

REPO = Path(__file__).resolve().parents[2]
EXTENSION = REPO / "editors" / "vscode"
MANIFEST: dict[str, Any] = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))
ANSWERS = [
    "new-capability",
    "meta-llama/Llama-3.2-1B",
    "T4",
    "1",
    "30",
    "1",
    "quality",
    "data/train.jsonl",
    "native",
    "cfg/new.tune.yaml",
]


def test_the_command_is_contributed() -> None:
    titles = {c["command"]: c["title"] for c in MANIFEST["contributes"]["commands"]}
    assert titles["tunelint.newConfig"] == "New fine-tuning config…"


def test_quick_picks_write_and_open_the_config(
    tmp_path: Path, compiled_vscode_extension: str
) -> None:
    node = compiled_vscode_extension
    (tmp_path / "tunelint.toml").write_text("")
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "TUNELINT_SMOKE_SETTINGS": json.dumps({"tunelint.server.python": sys.executable}),
        "TUNELINT_SMOKE_FOLDER": str(tmp_path),
        "TUNELINT_SMOKE_NEW_CONFIG": json.dumps(ANSWERS),
    }
    smoke = subprocess.run(
        [node, "scripts/smoke.js"],
        cwd=EXTENSION,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    out = smoke.stdout + smoke.stderr
    assert smoke.returncode == 0 and "[smoke] done" in out, out
    assert "[quick pick] What is the fine-tuning for?: new-capability" in out
    assert "[quick pick] GPU: T4" in out and "no item" not in out and "rejected" not in out
    assert "[error message]" not in out, out
    written = tmp_path / "cfg" / "new.tune.yaml"
    assert f"[open] {written}" in out
    text = written.read_text()
    assert "goal: new-capability" in text and "precision: fp16  # tunelint: ignore[TL103]" in text
    assert lint_file(written).diagnostics == []
