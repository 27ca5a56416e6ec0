"""The shipped example configs: lint-clean (no errors), valid Plans, data that checks out."""

from __future__ import annotations

from pathlib import Path

import pytest
from runner_support import REPO

from tunelint.lint import lint_file
from tunelint.runner import data as data_module
from tunelint.runner.peft_configs import task_names

CONFIGS = [
    *sorted((REPO / "examples" / "train").glob("*.tune.yaml")),
    REPO / "examples" / "quickstart.tune.yaml",
]


def test_every_method_has_an_example() -> None:
    names = {path.name.split("-")[0] for path in CONFIGS}
    assert {"sft", "dpo", "orpo", "kto", "reward", "grpo", "rloo"} <= names


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_example_is_runnable_as_far_as_data(path: Path) -> None:
    result = lint_file(path)
    assert result.plan is not None
    assert not result.has_errors, [d.message for d in result.diagnostics]
    plan = result.plan
    assert plan.model.name == "tunelint/tiny"
    loaded = data_module.load_training_data(plan, path.parent, task_names(plan))
    assert len(loaded.train) > 0
