"""`tunelint check` over many files: worker processes (forked after `preload`) give exactly
the report one process gives."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tunelint.commands.check import PARALLEL_FROM

REPO = Path(__file__).resolve().parents[1]


def _check(folder: Path, jobs: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "tunelint.cli",
            "check",
            "--format",
            "concise",
            "--verbose",
            "-j",
            str(jobs),
            str(folder),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )


def test_workers_report_what_one_process_reports(tmp_path: Path) -> None:
    seeds = sorted((REPO / "examples").rglob("*.yaml")) + sorted((REPO / "examples").rglob("*.yml"))
    assert len(seeds) >= 10
    copies = 0
    while copies < PARALLEL_FROM + 16:
        for seed in seeds:
            target = tmp_path / f"c{copies:03d}" / seed.relative_to(REPO / "examples")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(seed, target)
        # Files that are not configs, spread through the set: each is named on stderr, in
        # the files' order, whichever process linted it (the sample or a worker).
        (tmp_path / f"c{copies:03d}" / "notes.yaml").write_text("title: notes\nitems: [1, 2]\n")
        copies += 1
    one, two = _check(tmp_path, 1), _check(tmp_path, 2)
    assert one.returncode == two.returncode == 1
    assert one.stdout == two.stdout and one.stdout.count("\n") > len(seeds)
    skipped = [line for line in one.stderr.splitlines() if "not a fine-tuning config" in line]
    assert len(skipped) == copies and skipped == sorted(skipped)
    assert one.stderr == two.stderr


def test_preload_loads_what_linting_loads_lazily() -> None:
    probe = (
        "import sys\n"
        "from tunelint.lint import preload\n"
        "preload()\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    loaded = set(out.stdout.split())
    dialects = {p.stem for p in (REPO / "tunelint" / "config" / "dialects").glob("*.py")}
    rules = {p.stem for p in (REPO / "tunelint" / "checks" / "rules").glob("*.py")} - {"__init__"}
    assert {"axolotl", "trl", "torchtune", "native"} <= dialects and len(rules) > 5
    for name in (
        "accelerate",
        "axolotl",
        "deepspeed",
        "llamafactory",
        "native",
        "torchtune",
        "trl",
    ):
        assert f"tunelint.config.dialects.{name}" in loaded
    assert {f"tunelint.checks.rules.{r}" for r in rules} <= loaded
    assert "tunelint.knowledge.memory_plan" in loaded
