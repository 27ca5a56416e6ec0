"""Ecosystem mistakes, part 2: training methods and trainer arguments (TL506-TL509, TL511,
TL516; TL510 is table-driven, in tunelint.checks.rules.keys).
Each rule cites the upstream issues it prevents; rules read the Plan and dialect facts only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from tunelint.checks.context import Context
from tunelint.checks.finding import Finding, Fix
from tunelint.checks.registry import rule
from tunelint.checks.rule import TRAINING, TRAINING_RUN, Applicability, RuleDocs
from tunelint.checks.rules.ecosystem import ECOSYSTEM
from tunelint.config.dialects.facts import PYYAML
from tunelint.config.plan_edits import RemoveKey, SetValue
from tunelint.config.plan_values import PREFERENCE_METHODS, RLHF_METHODS

if TYPE_CHECKING:
    from tunelint.config.plan import Plan

# Where TRL's trainers run the method: a TRL CLI config or tunelint's own format (the runner
# uses TRL); axolotl's GRPO is TRL's GRPOTrainer (axolotl/core/trainers/grpo).
ON_TRL = Applicability(trainers=("trl",), purposes=("train",))
TRL_GROUPS = Applicability(trainers=("trl", "axolotl"), purposes=("train",))
# Only a loader that passes YAML 1.1 strings on as read (TRL's TrlParser: yaml.safe_load
# into HfArgumentParser); never JSON, OmegaConf (torchtune, LLaMA-Factory) or pydantic
# models that coerce '2e-5' (axolotl, tunelint's own Plan).
YAML11_LOADERS = Applicability(loaders=(PYYAML,), formats=("yaml",))

KIND = ("method", "kind")
PACKING = ("training", "sample_packing")
GENERATIONS = ("method", "num_generations")
TRL_DEFAULT_GENERATIONS = {"grpo": 8, "rloo": 2}  # TRL 1.16 GRPOConfig / RLOOConfig


@rule(
    code="TL506",
    name="packing-with-preference",
    severity="error",
    applies_to=TRAINING,
    source=ECOSYSTEM,
    summary="Sample packing with preference or RL training",
    fixable="always",
    docs=RuleDocs(
        what="`sample_packing` / `packing` / `packed` on with DPO, ORPO, KTO, reward-model "
        "training or online RL (PPO, GRPO, RLOO).",
        why="Packing concatenates unrelated samples into one sequence; preference losses compare "
        "a chosen and a rejected completion of the *same* prompt, and RL scores whole "
        "generations. torchtune refuses it ('Packed is currently not supported for preference "
        "datasets'), TRL's preference trainers have no packing, and LLaMA-Factory ignores it.",
        example="rl: dpo\nsample_packing: true",
        fix="Turn packing off (use padding-free batching where the trainer has it).",
        fix_safety="Safe: only throughput changes.",
        references=(
            "https://github.com/huggingface/trl/issues/1274",
            "https://github.com/meta-pytorch/torchtune/issues/2631",
            "https://github.com/hiyouga/LlamaFactory/issues/6686",
        ),
    ),
)
def packing_with_preference(plan: Plan, ctx: Context) -> Iterator[Finding]:
    kind = plan.method.kind
    if plan.training.sample_packing and (kind in PREFERENCE_METHODS or kind in RLHF_METHODS):
        yield Finding(
            f"sample packing mixes samples into one sequence; {kind} compares completions of one "
            "prompt: turn packing off",
            PACKING,
            Fix("Turn packing off", "safe", (SetValue(PACKING, False),)),
        )


@rule(
    code="TL507",
    name="ppo-without-reward-model",
    severity="error",
    applies_to=TRAINING,
    source=ECOSYSTEM,
    summary="PPO without a reward model",
    fixable="sometimes",
    docs=RuleDocs(
        what="`method.kind: ppo` (LLaMA-Factory `stage: ppo`, TRL `trl ppo`) with no reward "
        "model (`method.reward_model`, LLaMA-Factory `reward_model`, TRL `reward_model_path`).",
        why="PPO optimises the policy against a reward model's scores (and initialises its value "
        "model from it); without one there is nothing to optimise. LLaMA-Factory and TRL's "
        "PPOTrainer stop at start-up.",
        example="stage: ppo\nfinetuning_type: lora",
        fix="Name the reward model trained in the `rm` stage — or, without one, train with DPO on "
        "preference pairs.",
        fix_safety="Unsafe: DPO is a different method and needs preference data.",
        references=(
            "https://github.com/hiyouga/LlamaFactory/issues/1469",
            "https://github.com/sotopia-lab/sotopia-pi/issues/96",
            "https://github.com/modelscope/ms-swift/issues/6889",
        ),
    ),
)
def ppo_without_reward_model(plan: Plan, ctx: Context) -> Iterator[Finding]:
    if plan.method.kind == "ppo" and not plan.method.reward_model:
        yield Finding(
            "PPO needs a reward model to score the policy's generations; none is configured",
            KIND,
            Fix("Switch to DPO", "unsafe", (SetValue(KIND, "dpo"),)),
        )


@rule(
    code="TL508",
    name="ppo-removed-from-trl",
    severity="error",
    applies_to=ON_TRL,
    source=ECOSYSTEM,
    summary="PPO with a TRL that no longer has it",
    fixable="always",
    docs=RuleDocs(
        what="PPO in a config that runs on current TRL: a TRL CLI config, or tunelint's own "
        "format (the runner uses TRL >= 1.13).",
        why="TRL moved PPOTrainer to `trl.experimental` (`from trl import PPOTrainer` fails since "
        "1.10) and then removed it with its value-head models. GRPO and RLOO are the maintained "
        "online-RL trainers: they need no value model, so they also fit on less memory.",
        example="method:\n  kind: ppo\n  reward_model: my-org/rm-7b",
        fix="Use `grpo` (or `rloo`) with the same reward model; or pin an old TRL.",
        fix_safety="Unsafe: a different algorithm with its own hyper-parameters "
        "(`num_generations`).",
        references=(
            "https://github.com/huggingface/trl/pull/4482",
            "https://github.com/huggingface/trl/pull/7020",
            "https://github.com/huggingface/trl/issues/4466",
        ),
    ),
)
def ppo_removed_from_trl(plan: Plan, ctx: Context) -> Iterator[Finding]:
    if plan.method.kind == "ppo":
        yield Finding(
            "PPO is gone from TRL (>= 1.13 has no PPOTrainer): use grpo or rloo",
            KIND,
            Fix("Switch to GRPO", "unsafe", (SetValue(KIND, "grpo"),)),
        )


def _valid_generations(batch: int) -> list[int]:
    return [n for n in range(2, batch + 1) if batch % n == 0]


@rule(
    code="TL509",
    name="grpo-num-generations",
    severity="error",
    applies_to=TRL_GROUPS,
    may_assume=("GPU count",),
    source=ECOSYSTEM,
    summary="GRPO/RLOO num_generations below 2 or not dividing the generation batch",
    fixable="sometimes",
    docs=RuleDocs(
        what="GRPO or RLOO where `num_generations` is below 2, or does not divide the generation "
        "batch: `generation_batch_size`, else per-device batch x GPUs x `steps_per_generation` "
        "(which defaults to `gradient_accumulation_steps`). An unset `num_generations` is TRL's "
        "default (8 for GRPO, 2 for RLOO).",
        why="Advantages are computed within each prompt's group of completions: one completion "
        "has nothing to compare against, and a batch that cuts a group in two is refused — "
        "'The global train batch size ... must be evenly divisible by the number of generations "
        "per prompt'.",
        example="method:\n  kind: grpo\n  num_generations: 8\ntraining:\n  micro_batch_size: 2"
        "\n  gradient_accumulation_steps: 1",
        fix="Pick a `num_generations` that divides the generation batch (the message lists them), "
        "or grow the batch.",
        fix_safety="Unsafe: fewer generations per prompt make the advantage estimate noisier.",
        references=(
            "https://github.com/huggingface/trl/issues/2858",
            "https://github.com/huggingface/trl/pull/3199",
            "https://github.com/huggingface/open-r1/issues/249",
        ),
    ),
)
def grpo_num_generations(plan: Plan, ctx: Context) -> Iterator[Finding]:
    kind = plan.method.kind
    if kind not in ("grpo", "rloo"):
        return
    n = plan.method.num_generations or TRL_DEFAULT_GENERATIONS[kind]
    if n < 2:
        yield Finding(
            f"{kind} needs at least 2 generations per prompt to compare (num_generations = {n})",
            GENERATIONS,
            Fix("Use 2 generations", "unsafe", (SetValue(GENERATIONS, 2),)),
        )
        return
    training = plan.training
    steps = ctx.facts.steps_per_generation or training.gradient_accumulation_steps
    gpus = max(1, ctx.gpu_count) * plan.hardware.nodes
    batch = ctx.facts.generation_batch_size or training.micro_batch_size * gpus * steps
    if batch % n == 0:
        return
    valid = _valid_generations(batch)
    fix = None
    if valid:
        closest = min(valid, key=lambda v: (abs(v - n), -v))
        fix = Fix(f"Use {closest} generations", "unsafe", (SetValue(GENERATIONS, closest),))
    choices = ", ".join(map(str, valid)) if valid else "none: grow the batch"
    # The batch counts GPUs unless generation_batch_size fixes it: an unstated count is assumed.
    counted = ctx.facts.generation_batch_size is None and not ctx.gpu_count_stated
    # Where the file does not name its method, say what the reading took it from.
    read_as = f" (read as {ctx.facts.method_from})" if ctx.facts.method_from else ""
    yield Finding(
        f"the generation batch ({batch}) is not divisible by num_generations ({n}); "
        f"valid values: {choices}{read_as}",
        GENERATIONS,
        fix,
        assumed=(f"{gpus} GPU{'s' if gpus != 1 else ''}",) if counted else (),
    )


@rule(
    code="TL511",
    name="yaml11-number-string",
    severity="warning",
    applies_to=YAML11_LOADERS,
    may_assume=("the loader",),
    source=ECOSYSTEM,
    summary="A number that YAML 1.1 loaders read as a string (`2e-5`)",
    fixable="always",
    docs=RuleDocs(
        what="A number in exponent form without a dot or without a signed exponent (`2e-5`, "
        "`1e5`) in a format loaded with PyYAML and passed on as is (TRL configs read with "
        "`HfArgumentParser.parse_yaml_file`, e.g. alignment-handbook's old H4ArgumentParser). "
        "The `trl` CLI and TrlParser scripts (argparse converts the value with the field's "
        "type), axolotl, LLaMA-Factory (OmegaConf) and torchtune convert such values and are "
        "not checked. Which script reads a TRL file is read from the project's scripts; where "
        "none says, the finding is info and names the loader it assumed.",
        why="YAML 1.1, which PyYAML implements, only reads `2.0e-5` / `2.0e+5` as floats; `2e-5` "
        "becomes the string '2e-5', and the optimizer fails with \"'<=' not supported between "
        "instances of 'float' and 'str'\" — or a string learning rate flows on unchecked.",
        example="learning_rate: 2e-5",
        fix="Write the number with a dot and a signed exponent: `2.0e-5`.",
        fix_safety="Safe: the same number, readable by both YAML versions.",
        references=(
            "https://github.com/hiyouga/LlamaFactory/issues/4014",
            "https://github.com/hiyouga/LlamaFactory/issues/4149",
            "https://github.com/huggingface/trl/pull/1450",
            "https://github.com/h2oai/h2o-llmstudio/pull/699",
        ),
    ),
)
def yaml11_number_string(plan: Plan, ctx: Context) -> Iterator[Finding]:
    # Where no script says which loader reads the file, the string may be converted after
    # all (TrlParser): advice, naming the assumption.
    assumed = ctx.facts.loader_assumed
    for item in ctx.facts.yaml11_strings:
        yield Finding(
            f"`{item.raw}` is the string '{item.raw}' to PyYAML (YAML 1.1): write {item.safe_text}",
            item.ref.path,
            # The same number: the dialect respells it so that both YAML versions agree.
            Fix(f"Write {item.safe_text}", "safe", (SetValue(item.ref.path, item.value),)),
            severity="info" if assumed else None,
            assumed=(assumed,) if assumed else (),
        )


@rule(
    code="TL516",
    name="warmup-steps-and-ratio",
    severity="warning",
    applies_to=TRAINING_RUN,
    source=ECOSYSTEM,
    summary="warmup_steps and warmup_ratio both set",
    fixable="always",
    docs=RuleDocs(
        what="Both a warm-up step count and a warm-up ratio above zero.",
        why="They are alternatives: the HF Trainer silently uses `warmup_steps` and ignores the "
        "ratio; axolotl refuses the pair as mutually exclusive. Whoever edits the ratio later "
        "sees no effect.",
        example="warmup_steps: 100\nwarmup_ratio: 0.1",
        fix="Remove `warmup_ratio` (the value the HF Trainer actually uses stays).",
        fix_safety="Safe: HF-based trainers already ignore the ratio.",
        references=(
            "https://github.com/axolotl-ai-cloud/axolotl/pull/893",
            "https://github.com/axolotl-ai-cloud/axolotl/pull/2897",
            "https://github.com/huggingface/transformers/pull/10229",
        ),
    ),
)
def warmup_steps_and_ratio(plan: Plan, ctx: Context) -> Iterator[Finding]:
    training = plan.training
    if training.warmup_steps and training.warmup_ratio:
        yield Finding(
            f"warmup_steps ({training.warmup_steps}) overrides warmup_ratio "
            f"({training.warmup_ratio:g}): keep one",
            ("training", "warmup_ratio"),
            Fix("Remove warmup_ratio", "safe", (RemoveKey(("training", "warmup_ratio")),)),
        )
