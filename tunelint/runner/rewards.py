"""Rewards for online RL (grpo/rloo): a reward model and/or reward functions.

RLHF as the source article means it is a reward model plus online RL of the policy. TRL
removed PPO in 1.13, so the runner does the RL half with GRPO or RLOO, scoring completions
with `method.reward_model` (any 1-label sequence classifier: a folder written by
`tunelint run` with `method.kind: reward`, adapter or full, or a hub id). Reward functions
(`--reward-func`) add rule-based rewards: TRL's built-ins by name (`think_format_reward`,
`accuracy_reward`, ...) or `module:function` / `path/to/file.py:function` written against
TRL's signature `f(prompts, completions, **columns) -> list[float]`.

A `file.py` path given on the command line is read from the working directory, as any
command-line path is (not from the config's folder, unlike the paths inside the config);
the run prints which file it loaded. The reward model is trusted on its own flag,
`method.reward_model_trust_remote_code`, never on the policy's.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunelint.runner.errors import ModelLoadError, RunnerError
from tunelint.runner.models import (
    ModelSource,
    adapter_base,
    check_reachable,
    remote_code_error,
    resolve_model_source,
)

if TYPE_CHECKING:
    from tunelint.config.plan import Plan
    from tunelint.runner.precision import PrecisionChoice

TRL_BUILTIN_REWARDS = (
    "accuracy_reward",
    "reasoning_accuracy_reward",
    "think_format_reward",
)


def reward_file(target: str, cwd: Path | None = None) -> Path:
    """The file of a `file.py:function` spec: relative paths are read from the working folder."""
    path = Path(target).expanduser()
    return path if path.is_absolute() else (cwd or Path.cwd()) / path


def load_reward_function(spec: str, say: Callable[[str], None]) -> Callable[..., Any]:
    """Resolve one `--reward-func`: a TRL built-in name, `module:function` or `file.py:function`."""
    if ":" not in spec:
        if spec in TRL_BUILTIN_REWARDS:
            import trl.rewards

            return getattr(trl.rewards, spec)
        raise RunnerError(
            f"reward function {spec!r}: use a TRL built-in ({', '.join(TRL_BUILTIN_REWARDS)}), "
            "`module:function` or `path/to/file.py:function`"
        )
    target, _, name = spec.rpartition(":")
    if target.endswith(".py"):
        path = reward_file(target).resolve()
        if not path.is_file():
            raise RunnerError(
                f"reward function {spec!r}: no such file {path} (a --reward-func path is read "
                "from the working directory)"
            )
        say(f"reward function {name} from {path}")
        module_spec = importlib.util.spec_from_file_location(f"tunelint_reward_{path.stem}", path)
        assert module_spec is not None and module_spec.loader is not None
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as exc:
            raise RunnerError(f"reward function {spec!r}: cannot import {target} ({exc})") from None
    function = getattr(module, name, None)
    if not callable(function):
        raise RunnerError(f"reward function {spec!r}: {target} has no function {name}")
    return function


def load_reward_model(
    plan: Plan, precision: PrecisionChoice, base_dir: Path, *, dry_run: bool = False
) -> tuple[Any, Any]:
    """The reward model (merged when it is a saved adapter) and its tokenizer.

    Trust comes from `method.reward_model_trust_remote_code` alone (never on a dry run); a
    saved reward adapter's base model is part of the reward model and shares its flag.
    """
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    name = plan.method.reward_model
    assert name is not None
    trust = plan.method.reward_model_trust_remote_code and not dry_run
    source = resolve_model_source(name, base_dir, trust_remote_code=trust)
    check_reachable(source)
    dtype = precision.model_dtype("lora")
    base = adapter_base(source.location) if source.is_local else None
    try:
        if base is not None:
            # A LoRA reward model from `tunelint run` (method.kind: reward): merge the adapter
            # (and its trained score head) into its base so scoring costs no adapter overhead.
            from peft import PeftModel

            base_source = resolve_model_source(base, base_dir, trust_remote_code=trust)
            base_model = AutoModelForSequenceClassification.from_pretrained(
                base_source.location,
                num_labels=1,
                dtype=dtype,
                trust_remote_code=trust,
                **_eager_if_tiny(base_source),
            )
            model = PeftModel.from_pretrained(base_model, source.location).merge_and_unload()
        else:
            model = AutoModelForSequenceClassification.from_pretrained(
                source.location,
                num_labels=1,
                dtype=dtype,
                revision=source.revision,
                trust_remote_code=trust,
                **_eager_if_tiny(source),
            )
        tokenizer = AutoTokenizer.from_pretrained(
            source.location, revision=source.revision, trust_remote_code=trust
        )
    except (OSError, ValueError) as exc:
        refused = remote_code_error(source, exc)
        if refused is None and isinstance(exc, ValueError):
            raise
        raise refused or ModelLoadError(f"reward model {name}: cannot load ({exc})") from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.config.pad_token_id = tokenizer.pad_token_id
    model.eval()
    return model, tokenizer


def _eager_if_tiny(source: ModelSource) -> dict[str, Any]:
    return {"attn_implementation": "eager"} if source.is_tiny else {}


def build_rewards(
    plan: Plan,
    precision: PrecisionChoice,
    base_dir: Path,
    reward_funcs: Sequence[str],
    *,
    say: Callable[[str], None],
    dry_run: bool = False,
) -> tuple[list[Any], list[Any]]:
    """Reward sources for GRPO/RLOO and their processing classes (None for functions)."""
    funcs: list[Any] = []
    processing: list[Any] = []
    if plan.method.reward_model:
        model, tokenizer = load_reward_model(plan, precision, base_dir, dry_run=dry_run)
        funcs.append(model)
        processing.append(tokenizer)
    for spec in reward_funcs:
        funcs.append(load_reward_function(spec, say))
        processing.append(None)
    if not funcs:
        raise RunnerError(
            f"method.kind {plan.method.kind} needs something to score completions: set "
            "method.reward_model (a reward model, e.g. the output of a method.kind: reward "
            "run) or pass --reward-func"
        )
    return funcs, processing
