"""Every rule: fires at the exact position, stays silent on the clean config, fixes exactly."""

from __future__ import annotations

from dataclasses import replace
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


def _only(case: dict[str, Any]) -> LintOptions:
    """The case's rule alone (and any rule it is about, e.g. an unused ignore's), as
    yamllint's tests enable only the rule under test."""
    return replace(OPTIONS, select=tuple(case.get("select", [case["rule"]])))


def _found(text: str, case: dict[str, Any]) -> list[tuple[str, int, int]]:
    result = lint_text(text, case.get("filename", "case.tune.yaml"), _only(case))
    return [(d.code, d.range.start.line + 1, d.range.start.column + 1) for d in result.diagnostics]


@pytest.mark.parametrize("case", CASES, ids=_name)
def test_fires_at_position(case: dict[str, Any]) -> None:
    # The whole list of findings for the case: an extra or a missing one fails.
    assert _found(case["fires"], case) == [(case["rule"], *case["at"])]


@pytest.mark.parametrize("case", CASES, ids=_name)
def test_silent_on_clean(case: dict[str, Any]) -> None:
    assert _found(case["clean"], case) == []


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
