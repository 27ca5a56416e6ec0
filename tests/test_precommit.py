"""The published pre-commit hook, run by pre-commit itself against a temporary repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BAD = "model:\n  name: x\nprecision: bf16\nhardware:\n  gpu: T4\n"
# Only a warning (TL101: fp16 where the GPU has bf16): the article forbids it, the hook blocks it.
WARNING_ONLY = "model:\n  name: x\nprecision: fp16  # tunelint: ignore[TL103] kept\nhardware:\n  gpu: A100-80GB\n"
GOOD = "model:\n  name: x\nprecision: fp16  # tunelint: ignore[TL103] T4 has no bf16\nhardware:\n  gpu: T4\n"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_try_repo(tmp_path: Path) -> None:
    pre_commit = Path(sys.executable).with_name("pre-commit")
    if not pre_commit.exists():
        pytest.skip("pre-commit not installed (the [dev] extra)")
    work = tmp_path / "user-repo"
    work.mkdir()
    _git(work, "init", "-q")
    (work / "bad.tune.yaml").write_text(BAD)
    (work / "good.tune.yaml").write_text(GOOD)
    (work / "compose.yaml").write_text("services:\n  web:\n    image: nginx\n")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}

    def try_repo() -> tuple[int, str]:
        _git(work, "add", ".")
        run = subprocess.run(
            [str(pre_commit), "try-repo", str(REPO), "tunelint", "--all-files", "--color", "never"],
            cwd=work,
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
        )
        return run.returncode, run.stdout + run.stderr

    code, out = try_repo()
    assert code == 1, out
    assert "bad.tune.yaml:3:12: TL102" in out
    assert "good.tune.yaml" not in out.split("TL102")[1]  # the good file has no finding
    (work / "bad.tune.yaml").write_text(GOOD)
    code, out = try_repo()
    assert code == 0, out
    (work / "bad.tune.yaml").write_text(WARNING_ONLY)
    code, out = try_repo()
    assert code == 1, out  # a warning fails the hook (--fail-on warning)
    assert "bad.tune.yaml:3:12: TL101" in out
