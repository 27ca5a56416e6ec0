"""TL301 reads the reasons configs already state (issue 14 item 5)."""

from __future__ import annotations

import pytest

from tunelint.config.settings import Settings
from tunelint.lint import LintOptions, lint_text

OPTIONS = LintOptions(settings=Settings(), select=("TL301",))
NATIVE = (
    "model:\n  name: {model}\nmethod:\n  kind: {kind}\n  reward_model: r\npeft:\n  kind: full\n"
)
FACTORY = (
    "model_name_or_path: Qwen/Qwen2.5-7B\nstage: {stage}\ndo_train: true\ntemplate: qwen\n"
    "dataset: x\ncutoff_len: 1024\nfinetuning_type: {kind}\n{extra}"
)
AXOLOTL = "base_model: Qwen/Qwen2.5-7B\ndatasets:\n  - path: x\n    type: alpaca\n{extra}"


def _tl301(text: str, name: str) -> list[str]:
    return [d.message for d in lint_text(text, name, OPTIONS).diagnostics if d.code == "TL301"]


def test_fires_on_a_7b_full_sft_and_names_what_it_looked_for() -> None:
    (message,) = _tl301(NATIVE.format(model="Qwen/Qwen2.5-7B", kind="sft"), "a.tune.yaml")
    assert message.startswith("full fine-tuning of Qwen/Qwen2.5-7B (sft) with no reason")
    assert "partial freezing, continued pre-training, QAT or small model" in message
    (axolotl,) = _tl301(AXOLOTL.format(extra=""), "a.yml")
    assert "Qwen/Qwen2.5-7B" in axolotl


@pytest.mark.parametrize("kind", ["reward", "ppo", "grpo", "rloo"])
def test_silent_on_reward_models_and_rl_stages(kind: str) -> None:
    assert _tl301(NATIVE.format(model="Qwen/Qwen2.5-7B", kind=kind), "a.tune.yaml") == []


def test_silent_on_small_models() -> None:
    assert _tl301(NATIVE.format(model="Qwen/Qwen2.5-0.5B", kind="sft"), "a.tune.yaml") == []


@pytest.mark.parametrize(
    ("stage", "kind", "extra"),
    [
        ("sft", "freeze", ""),
        ("sft", "full", "use_badam: true\n"),
        ("sft", "full", "use_galore: true\n"),
        ("sft", "full", "use_apollo: true\n"),
        ("pt", "full", ""),
        ("rm", "full", ""),
    ],
)
def test_silent_on_llamafactory_reasons(stage: str, kind: str, extra: str) -> None:
    assert _tl301(FACTORY.format(stage=stage, kind=kind, extra=extra), "lf.yaml") == []
    # The same file without the reason fires: the reason is what silences it.
    plain = FACTORY.format(stage="sft", kind="full", extra="")
    assert len(_tl301(plain, "lf.yaml")) == 1


@pytest.mark.parametrize(
    "extra",
    [
        "unfrozen_parameters:\n  - ^lm_head.weight$\n",
        "pretraining_dataset: x\n",
        "qat:\n  weight_dtype: int4\n",
        "process_reward_model: true\n",
        "llmcompressor:\n  recipe: {}\n",
    ],
)
def test_silent_on_axolotl_reasons(extra: str) -> None:
    assert _tl301(AXOLOTL.format(extra=extra), "a.yml") == []


def test_learning_rate_range_skips_optimizers_and_methods_it_has_no_range_for() -> None:
    options = LintOptions(settings=Settings(), select=("TL525",))
    base = "base_model: Qwen/Qwen2.5-7B\ndatasets:\n  - path: x\n    type: alpaca\n"
    high = base + "learning_rate: 0.02\n"
    assert [d.code for d in lint_text(high, "a.yml", options).diagnostics] == ["TL525"]
    muon = high + "optimizer: muon\n"  # Muon's usual rate is ~0.02
    assert lint_text(muon, "a.yml", options).diagnostics == []
    ebft = base + "adapter: lora\nrl: ebft\nlearning_rate: 5.0e-7\n"
    assert lint_text(ebft, "a.yml", options).diagnostics == []
    assert lint_text(ebft.replace("rl: ebft\n", ""), "a.yml", options).diagnostics != []
