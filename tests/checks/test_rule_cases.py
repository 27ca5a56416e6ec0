"""Every rule: fires at the exact position, stays silent on the clean config, fixes exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tunelint.checks.registry import all_rules
from tunelint.config.settings import Settings
from tunelint.lint import LintOptions, fix_text, lint_text

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "rule_cases.yaml").read_text(encoding="utf-8")
)
# No project settings leak in from the folder the tests run in.
OPTIONS = LintOptions(settings=Settings())
# Rules the pipeline cannot trigger from text alone, or that other modules' tests cover.
NOT_TEXT_TRIGGERED = {"TL905", "TL900", "TL999"}


def _name(case: dict[str, Any]) -> str:
    return case["rule"]


@pytest.mark.parametrize("case", CASES, ids=_name)
def test_fires_at_position(case: dict[str, Any]) -> None:
    filename = case.get("filename", "case.tune.yaml")
    result = lint_text(case["fires"], filename, OPTIONS)
    positions = [
        (d.range.start.line + 1, d.range.start.column + 1)
        for d in result.diagnostics
        if d.code == case["rule"]
    ]
    # The rule's whole list of findings for the case, not "one of them is there".
    assert positions == [tuple(case["at"])], result.diagnostics


@pytest.mark.parametrize("case", CASES, ids=_name)
def test_silent_on_clean(case: dict[str, Any]) -> None:
    filename = case.get("filename", "case.tune.yaml")
    result = lint_text(case["clean"], filename, OPTIONS)
    assert [d for d in result.diagnostics if d.code == case["rule"]] == []


@pytest.mark.parametrize("case", [c for c in CASES if "fixed" in c], ids=_name)
def test_fix_gives_exact_text(case: dict[str, Any]) -> None:
    filename = case.get("filename", "case.tune.yaml")
    fixed = fix_text(case["fires"], filename, OPTIONS, unsafe=True, codes={case["rule"]})
    assert fixed.text == case["fixed"]
    assert case["rule"] not in {d.code for d in fixed.result.diagnostics}


def test_every_rule_has_a_case() -> None:
    covered = {c["rule"] for c in CASES}
    # Rules owned by other modules have their own case files next to their tests.
    local = {
        r.code
        for r in all_rules()
        if r.code.startswith(("TL1", "TL2", "TL3", "TL6", "TL9"))
        and r.code not in NOT_TEXT_TRIGGERED
    }
    assert local - covered == set()
