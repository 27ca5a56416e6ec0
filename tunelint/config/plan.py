"""The canonical Plan: what a fine-tuning config means, whatever format it was written in.

Every dialect maps its keys onto this model; every rule reads it; the runner turns it into
transformers/PEFT/TRL objects. Field descriptions feed the JSON Schema, hover and docs.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tunelint.config.plan_values import (  # noqa: F401  (re-exported: the Plan's vocabulary)
    PREFERENCE_METHODS,
    RLHF_METHODS,
    Attention,
    DataFormat,
    Distributed,
    Goal,
    MethodKind,
    Optimizer,
    PeftKind,
    Precision,
    Priority,
    Quantization,
    VllmMode,
    effective_quantization,
    gpu_as_text,
)


class Section(BaseModel):
    """Base of every Plan section: unknown keys are errors, so typos surface. Validators
    are built on first use; the lint path validates with this model's core schema, cached
    on disk, without importing pydantic (tunelint.config.plan_validators)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


class ModelSection(Section):
    name: str = Field(
        description="Base model: a Hugging Face hub id (`Qwen/Qwen2.5-7B-Instruct`), a local "
        "folder, or `tunelint/tiny` (a small built-in model for smoke runs)."
    )
    revision: str | None = Field(None, description="Hub revision (branch, tag or commit).")
    max_seq_len: int = Field(
        2048, ge=1, description="Longest training sequence in tokens; longer samples are cut."
    )
    trust_remote_code: bool = Field(
        False,
        description="Run Python code shipped with the model repository. Leave off unless the "
        "architecture is not in transformers and you have read the code.",
    )
    quantization: Quantization | None = Field(
        None,
        description="Load the base weights quantized with bitsandbytes: `4bit` (NF4, what "
        "QLoRA needs) or `8bit`. Default: 4bit for `peft.kind: qlora`, none otherwise.",
    )
    attn_implementation: Attention | None = Field(
        None, description="Attention kernel; default lets transformers choose (sdpa)."
    )


class IntentSection(Section):
    goal: Goal | None = Field(
        None,
        description="What the training is for: `new-capability` (teach something the model "
        "cannot do: RLHF territory) or `improve-existing` (steadier, more consistent "
        "behaviour: DPO territory).",
    )
    tasks: int = Field(1, ge=1, description="How many tasks one model must serve (>1: multi-task).")
    priority: Priority | None = Field(
        None,
        description="What matters most: `quality`, `inference-speed` (IA3 adds no latency), "
        "`memory` (QLoRA), `time`, or `prompt-strengthening` (prefix tuning).",
    )
    schedule_days: float | None = Field(
        None, gt=0, description="Days available for the whole project; a short one favours DPO."
    )


class MethodSection(Section):
    kind: MethodKind = Field(
        "sft",
        description="Training method: `sft`, preference (`dpo`, `orpo`, `kto`), `reward` "
        "(reward-model training), or online RL against a reward model (`grpo`, `rloo`; `ppo` "
        "is gone from TRL >= 1.13).",
    )
    beta: float | None = Field(
        None, gt=0, description="Preference-loss temperature (DPO/ORPO/KTO)."
    )
    reward_model: str | None = Field(
        None, description="Reward model (hub id or folder) for online RL (`grpo`, `rloo`, `ppo`)."
    )
    reward_model_trust_remote_code: bool = Field(
        False,
        description="Run Python code shipped with the reward model's repository. Separate from "
        "`model.trust_remote_code`: trusting the policy's code never trusts the reward model's.",
    )
    num_generations: int | None = Field(
        None, ge=1, description="Completions sampled per prompt in GRPO/RLOO (at least 2)."
    )
    precompute_ref_log_probs: bool = Field(
        False,
        description="DPO: compute reference log-probs once up front (no reference model "
        "in memory during training).",
    )
    teacher_model: str | None = Field(
        None,
        description="Knowledge distillation: the frozen teacher model (hub id, folder or "
        "builder) loaded beside the trained one (torchtune KD recipes, TRL "
        "`teacher_model_name_or_path`).",
    )
    vllm_mode: VllmMode = Field(
        "none",
        description="GRPO/RLOO generation with vLLM: `none` (the trained model generates), "
        "`colocate` (vLLM in the training process, on the training GPUs) or `server` (a "
        "vLLM server on other GPUs).",
    )
    vllm_gpu_memory_utilization: float | None = Field(
        None,
        gt=0,
        le=1,
        description="Colocated vLLM: share of each training GPU's memory vLLM reserves for "
        "its weights and KV cache. Default: the trainer's (TRL 0.3, axolotl 0.9).",
    )


class PeftSection(Section):
    kind: PeftKind = Field(
        "lora",
        description="Parameter-efficient method: `lora` (default choice), `qlora` (LoRA on a "
        "4-bit base), `dora`, `ia3`, `prefix-tuning`, `adapters` (one LoRA adapter per task "
        "on a shared base), or `full` (update every weight).",
    )
    r: int = Field(16, ge=1, description="LoRA rank.")
    alpha: float = Field(32, gt=0, description="LoRA scaling numerator (`lora_alpha`).")
    dropout: float = Field(0.05, ge=0, lt=1, description="Dropout on the LoRA path.")
    target_modules: str | list[str] = Field(
        "all-linear",
        description="Modules that get adapters: `all-linear` or a list such as `[q_proj, v_proj]`.",
    )
    num_virtual_tokens: int = Field(20, ge=1, description="Prefix tuning: virtual tokens.")
    modules_to_save: list[str] | None = Field(
        None,
        description="Modules trained in full beside the adapter (PEFT `modules_to_save`, "
        "e.g. `[embed_tokens, lm_head]`): each gets a trainable copy with gradients and "
        "optimizer states.",
    )
    task_names: list[str] | None = Field(
        None, description="`adapters`: one named adapter per task (default task-1..task-N)."
    )
    reason: str | None = Field(
        None,
        description="Why this choice when it is not LoRA (full fine-tuning, IA3, prefix "
        "tuning...). Silences the matching 'without a stated reason' rules.",
    )


class HardwareSection(Section):
    gpu: str | None = Field(
        None,
        description="GPU the run targets: a catalog name (`A100-80GB`, `RTX 4090`, `T4`) or "
        "`auto` to detect. Drives precision and memory rules.",
    )
    count: int = Field(1, ge=1, description="GPUs per node.")
    nodes: int = Field(1, ge=1, description="Machines.")
    distributed: Distributed = Field(
        "none", description="How several GPUs share the work: DDP, FSDP or DeepSpeed ZeRO."
    )
    cpu_offload: bool = Field(
        False, description="Offload optimizer states (and with ZeRO-3/FSDP, parameters) to CPU."
    )
    deepspeed_config: str | None = Field(None, description="Path to a DeepSpeed JSON config.")

    # A plain function (plan_values), so that the cached schema can name it without pydantic.
    _gpu_as_text = field_validator("gpu", mode="before")(staticmethod(gpu_as_text))


class TrainingSection(Section):
    epochs: float = Field(1, gt=0, description="Passes over the training data.")
    max_steps: int | None = Field(None, ge=1, description="Stop after this many optimizer steps.")
    learning_rate: float = Field(2e-4, gt=0, description="Peak learning rate.")
    micro_batch_size: int = Field(1, ge=1, description="Sequences per GPU per forward pass.")
    gradient_accumulation_steps: int = Field(
        1, ge=1, description="Micro-batches summed before each optimizer step."
    )
    gradient_checkpointing: bool = Field(
        False, description="Recompute activations in the backward pass: less memory, ~30% slower."
    )
    optimizer: Optimizer = Field("adamw_torch", description="Optimizer.")
    lr_scheduler: str = Field("cosine", description="Learning-rate schedule (transformers name).")
    warmup_ratio: float | None = Field(None, ge=0, le=1, description="Warm-up share of steps.")
    warmup_steps: int | None = Field(None, ge=0, description="Warm-up steps.")
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay.")
    max_grad_norm: float = Field(1.0, gt=0, description="Gradient clipping norm.")
    sample_packing: bool = Field(False, description="Pack several samples into one sequence.")
    chunked_loss: bool = Field(
        False,
        description="Chunked or fused linear cross-entropy (Liger, Cut Cross-Entropy, "
        "torchtune's chunked losses): the full-vocabulary logits are never materialised.",
    )
    optimizer_in_backward: bool = Field(
        False,
        description="Step the optimizer per parameter during the backward pass and free each "
        "gradient at once (torchtune `optimizer_in_bwd`); no gradient accumulation.",
    )
    activation_offloading: bool = Field(
        False,
        description="Move saved activations to CPU memory between forward and backward "
        "(torchtune `enable_activation_offloading`).",
    )
    compile: bool = Field(
        False, description="Compile the model with torch.compile (fuses elementwise ops)."
    )
    seed: int = Field(42, description="Random seed.")
    logging_steps: int = Field(10, ge=1, description="Log every N steps.")
    save_steps: int | None = Field(None, ge=1, description="Checkpoint every N steps.")


class DataSection(Section):
    train: str = Field(
        description="Training data: a JSONL/JSON/CSV/Parquet file or a `datasets` folder."
    )
    eval: str | None = Field(None, description="Evaluation data, same formats.")
    format: DataFormat | None = Field(
        None,
        description="Record layout: `text`, `prompt-completion`, `chat` (messages), "
        "`preference` (prompt/chosen/rejected) or `unpaired-preference` (completion + label). "
        "Default: inferred from the method.",
    )


class OutputSection(Section):
    dir: str = Field("runs/tunelint", description="Output folder: adapters, metrics, checkpoints.")
    report_to: list[str] = Field(
        default_factory=list, description="Trackers, e.g. `[tensorboard]`; empty: console only."
    )


class Plan(Section):
    """A fine-tuning run: model, intent, method, PEFT, precision, hardware, training, data."""

    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, title="tunelint fine-tuning config", defer_build=True
    )

    schema_: str | None = Field(
        None, alias="$schema", description="JSON Schema for editors; not used by training."
    )
    model: ModelSection = Field(description="The base model.")
    intent: IntentSection = Field(
        default_factory=IntentSection,
        description="Why you are fine-tuning: the decision axes the rules weigh.",
    )
    method: MethodSection = Field(default_factory=MethodSection, description="Training method.")
    peft: PeftSection = Field(default_factory=PeftSection, description="Which weights train.")
    precision: Precision | None = Field(
        None,
        description="Numeric format for training: `bf16` (the standard on Ampere and newer), "
        "`fp16` (overflow risk), `fp32`. Default: bf16 where the GPU has it, else fp32.",
    )
    hardware: HardwareSection = Field(
        default_factory=HardwareSection, description="Where it trains."
    )
    training: TrainingSection = Field(
        default_factory=TrainingSection, description="Optimisation settings."
    )
    data: DataSection | None = Field(None, description="Training data.")
    output: OutputSection = Field(default_factory=OutputSection, description="Where results go.")

    @property
    def effective_quantization(self) -> str:
        return effective_quantization(self.model.quantization, self.peft.kind)
