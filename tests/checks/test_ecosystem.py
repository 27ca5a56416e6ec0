"""Ecosystem rules (TL5xx): each fires at the exact spot in the format it is written in, stays
silent on the corrected config, fixes to the exact text; and its docs cite upstream issues."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from tunelint.checks.registry import all_rules
from tunelint.config.document import parse_document
from tunelint.config.settings import Settings
from tunelint.lint import LintOptions, fix_text, lint_text

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "ecosystem_cases.yaml").read_text(encoding="utf-8")
)
# Placed in a DeepSpeed JSON read with another config: covered by tests/dialects/test_crossfile.py.
COVERED_ELSEWHERE = {"TL504"}


def _options(case: dict[str, Any]) -> LintOptions:
    return LintOptions(settings=Settings(), gpu=case.get("gpu"))


def _id(case: dict[str, Any]) -> str:
    return f"{case['rule']}-{case.get('filename', 'native')}"


def _found(text: str, case: dict[str, Any]) -> tuple[str | None, list[tuple[str, int, int]]]:
    """The dialect and the whole list of findings with the case's rule alone selected (as
    yamllint's tests enable only the rule under test)."""
    options = replace(_options(case), select=(case["rule"],))
    result = lint_text(text, case.get("filename", "case.tune.yaml"), options)
    found = [(d.code, d.range.start.line + 1, d.range.start.column + 1) for d in result.diagnostics]
    return result.dialect, found


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_fires_at_position(case: dict[str, Any]) -> None:
    # An extra or a missing finding fails; `at` is one position or a list of them.
    at = case["at"]
    expected = (
        [(case["rule"], *p) for p in at] if isinstance(at[0], list) else [(case["rule"], *at)]
    )
    assert _found(case["fires"], case)[1] == expected


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_silent_on_clean(case: dict[str, Any]) -> None:
    dialect, found = _found(case["clean"], case)
    assert dialect is not None
    assert found == []


@pytest.mark.parametrize("case", [c for c in CASES if "fixed" in c], ids=_id)
def test_fix_gives_exact_text(case: dict[str, Any]) -> None:
    filename = case.get("filename", "case.tune.yaml")
    fixed = fix_text(case["fires"], filename, _options(case), unsafe=True, codes={case["rule"]})
    assert fixed.text == case["fixed"]
    assert case["rule"] not in {d.code for d in fixed.result.diagnostics}
    # The fixed file is still the same format, and still loads.
    assert fixed.result.dialect == lint_text(case["fires"], filename, _options(case)).dialect
    assert parse_document(fixed.text, filename).errors == []


@pytest.mark.parametrize("case", [c for c in CASES if "fixed" not in c], ids=_id)
def test_no_fix_offered(case: dict[str, Any]) -> None:
    filename = case.get("filename", "case.tune.yaml")
    result = lint_text(case["fires"], filename, _options(case))
    assert all(d.fix is None for d in result.diagnostics if d.code == case["rule"])


def test_every_ecosystem_rule_has_a_case() -> None:
    covered = {c["rule"] for c in CASES} | COVERED_ELSEWHERE
    ecosystem = {r.code for r in all_rules() if r.code.startswith("TL5")}
    assert ecosystem - covered == set()
    assert covered - ecosystem == set()


@pytest.mark.parametrize(
    "rule", [r for r in all_rules() if r.code.startswith("TL5")], ids=lambda r: r.code
)
def test_docs_cite_upstream_issues(rule: Any) -> None:
    refs = rule.docs.references
    assert refs, f"{rule.code} cites no upstream issue"
    assert all(r.startswith("https://github.com/") for r in refs)
    assert any("/issues/" in r or "/pull/" in r for r in refs)
    for text in (rule.docs.what, rule.docs.why, rule.docs.fix, rule.docs.fix_safety):
        assert text.strip()


def test_yaml11_rule_only_where_the_loader_keeps_strings() -> None:
    """axolotl (pydantic), LLaMA-Factory (OmegaConf) and torchtune convert `2e-5` themselves."""
    axolotl = "base_model: x/y\nadapter: lora\nlearning_rate: 2e-5\nbf16: true\n"
    factory = "model_name_or_path: x/y\nstage: sft\nfinetuning_type: lora\nlearning_rate: 2e-5\n"
    for text, name in ((axolotl, "a.yml"), (factory, "b.yaml")):
        result = lint_text(text, name, LintOptions(settings=Settings()))
        assert result.dialect in ("axolotl", "llamafactory")
        assert "TL511" not in {d.code for d in result.diagnostics}
        assert result.plan is not None and result.plan.training.learning_rate == 2e-5


def test_grpo_batch_counts_gpus() -> None:
    """8 generations fit a batch of 2 per GPU x 4 GPUs (from the accelerate launch count)."""
    text = (
        "model_name_or_path: Qwen/Qwen2.5-0.5B\ndataset_name: d\nnum_generations: 8\n"
        "per_device_train_batch_size: 2\ngradient_accumulation_steps: 1\nnum_processes: 4\n"
    )
    result = lint_text(text, "grpo.yaml", LintOptions(settings=Settings()))
    assert "TL509" not in {d.code for d in result.diagnostics}
    one_gpu = text.replace("num_processes: 4\n", "")
    result = lint_text(one_gpu, "grpo.yaml", LintOptions(settings=Settings()))
    assert "TL509" in {d.code for d in result.diagnostics}
