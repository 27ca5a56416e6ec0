"""The README is the manual: its generated parts are current and its quick start is true."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def test_generated_sections_are_current() -> None:
    run = subprocess.run(
        [sys.executable, "scripts/render_readme.py", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr


def test_every_rule_is_documented() -> None:
    from tunelint.checks.registry import all_rules

    for rule in all_rules():
        assert f"#### {rule.code} {rule.name}" in README


def test_quick_start_is_two_make_targets_and_ci_runs_the_test_one() -> None:
    block = README.split("## Quick start", 1)[1].split("```console", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci
