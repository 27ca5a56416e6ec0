"""Every method x LoRA trains a few steps on the tiny model with a finite loss."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from runner_support import DATA, config, losses, train

from tunelint.runner.errors import RunnerError, UnsupportedPlanError
from tunelint.runner.session import RunResult

PREFERENCE_DATA = {"train": str(DATA / "preference.jsonl"), "format": "preference"}
UNPAIRED_DATA = {"train": str(DATA / "unpaired_preference.jsonl"), "format": None}
PROMPTS = {"train": str(DATA / "prompts.jsonl"), "format": None}


@pytest.fixture(scope="module")
def reward_model(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    """A LoRA reward model trained by the runner: the first half of RLHF."""
    tmp_path = tmp_path_factory.mktemp("reward")
    return train(tmp_path, config(tmp_path, method={"kind": "reward"}, data=PREFERENCE_DATA))


def _assert_trained(result: RunResult, steps: int = 3) -> None:
    values = losses(result)
    assert values, "no loss was logged"
    assert all(math.isfinite(v) for v in values), values
    assert result.trainer.state.global_step == steps
    assert (result.output_dir / "adapter_model.safetensors").is_file()


@pytest.mark.parametrize(
    ("method", "data", "trainer_class"),
    [
        ("sft", None, "SFTTrainer"),
        ("dpo", PREFERENCE_DATA, "DPOTrainer"),
        ("orpo", PREFERENCE_DATA, "ORPOTrainer"),
        ("kto", UNPAIRED_DATA, "KTOTrainer"),
    ],
)
def test_offline_methods_train_with_lora(
    tmp_path: Path, method: str, data: dict[str, object] | None, trainer_class: str
) -> None:
    sections: dict[str, object] = {"method": {"kind": method}}
    if data is not None:
        sections["data"] = data
    result = train(tmp_path, config(tmp_path, **sections))
    assert type(result.trainer).__name__ == trainer_class
    assert result.resolved["trainer"].endswith(trainer_class)
    _assert_trained(result)


def test_reward_model_trains_a_scalar_head(reward_model: RunResult) -> None:
    assert type(reward_model.trainer).__name__ == "RewardTrainer"
    _assert_trained(reward_model)
    assert reward_model.model.base_model.model.config.num_labels == 1
    # The score head is saved with the adapter, so the reward model can be reloaded.
    from safetensors import safe_open

    with safe_open(str(reward_model.output_dir / "adapter_model.safetensors"), "pt") as f:
        assert any("score" in key for key in f.keys())  # noqa: SIM118


@pytest.mark.parametrize("method", ["grpo", "rloo"])
def test_online_rl_against_the_trained_reward_model(
    tmp_path: Path, method: str, reward_model: RunResult
) -> None:
    cfg = config(
        tmp_path,
        method={
            "kind": method,
            "reward_model": str(reward_model.output_dir),
            "num_generations": 2,
        },
        training={"max_steps": 2, "micro_batch_size": 2},
        data=PROMPTS,
    )
    result = train(tmp_path, cfg)
    assert type(result.trainer).__name__ == f"{method.upper()}Trainer"
    # The reward model is the merged LoRA reward model, a sequence classifier.
    scorer = result.trainer.reward_funcs[0]
    assert type(scorer).__name__ == "LlamaForSequenceClassification"
    _assert_trained(result, steps=2)
    assert any("reward" in key for entry in result.log_history for key in entry)


def test_grpo_with_a_reward_function_file(tmp_path: Path) -> None:
    rewards = tmp_path / "rewards.py"
    rewards.write_text(
        "def short(prompts, completions, **kwargs):\n"
        "    return [-float(len(str(c))) for c in completions]\n",
        encoding="utf-8",
    )
    cfg = config(
        tmp_path,
        method={"kind": "grpo", "num_generations": 2},
        training={"max_steps": 1, "micro_batch_size": 2},
        data=PROMPTS,
    )
    result = train(tmp_path, cfg, reward_funcs=(f"{rewards}:short",))
    assert result.trainer.reward_func_names == ["short"]
    _assert_trained(result, steps=1)


def test_online_rl_without_any_reward_is_refused(tmp_path: Path) -> None:
    cfg = config(tmp_path, method={"kind": "rloo", "num_generations": 2}, data=PROMPTS)
    with pytest.raises(RunnerError, match="needs something to score completions"):
        train(tmp_path, cfg)


def test_ppo_is_refused_with_a_pointer_to_grpo_and_rloo(tmp_path: Path) -> None:
    cfg = config(tmp_path, method={"kind": "ppo", "reward_model": "tunelint/tiny"})
    with pytest.raises(UnsupportedPlanError) as caught:
        train(tmp_path, cfg)
    message = str(caught.value)
    assert "removed from TRL" in message
    assert "grpo" in message and "rloo" in message
    assert not (tmp_path / "out").exists()
