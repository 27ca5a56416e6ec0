"""The article's decision as code: goal, schedule and GPU -> method (§2, TL201-TL204); intent
-> PEFT kind (§3, TL303's own matrix); GPU -> precision (§4, TL101-TL104); the estimate ->
memory strategy, sequence length and micro-batch (§5, TL401/TL402). Every choice carries the
rule behind it, which the writers turn into comments."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from tunelint.checks.context import Context
from tunelint.checks.rules.method import RLHF_MIN_GB, SHORT_SCHEDULE_DAYS, WEAK_GPU_GB
from tunelint.checks.rules.peft import intent_choice
from tunelint.config.plan import Plan
from tunelint.init.answers import InitAnswers, InitError
from tunelint.init.fit import HEADROOM, MIN_SEQ, Fit, Strategy, budget_gib, find_fit
from tunelint.init.formats import format_caps
from tunelint.knowledge.gpus import GpuSpec, resolve_gpu, suggest_gpu
from tunelint.knowledge.memory_plan import MemoryReport, plan_report
from tunelint.knowledge.models import ModelSpec, catalog, lookup_model

PlanPath = tuple[str, ...]
# The data layout each method trains on (TRL 1.16: SFTTrainer reads conversational
# "messages"; DPOTrainer prompt/chosen/rejected).
DATA_FOR_METHOD = {"sft": ("chat", "prompt-completion", "text"), "dpo": ("preference",)}
LEARNING_RATE = {"lora": 2e-4, "qlora": 2e-4, "adapters": 2e-4, "ia3": 3e-3, "prefix-tuning": 1e-2}
DPO_LEARNING_RATE = 5e-6  # preference tuning moves the policy gently (TRL's DPO examples)
MORE_GPUS = (2, 4, 8, 16)


@dataclass(frozen=True)
class Decision:
    """A config that fits: the Plan, why each choice, and what the writers must add."""

    answers: InitAnswers
    plan: Plan
    gpu: GpuSpec
    model: ModelSpec
    report: MemoryReport
    why: dict[PlanPath, str] = field(default_factory=dict)
    # A finding the decision knowingly accepts, as (code, reason) at that path: written as a
    # `# tunelint: ignore[CODE] reason` comment (the way formats without `reason` state it).
    accepted: dict[PlanPath, tuple[str, str]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    rlhf_possible: bool = False

    @property
    def per_gpu_gib(self) -> float:
        assert self.report.estimate is not None
        return self.report.estimate.per_gpu_gib


@dataclass(frozen=True)
class NoFit:
    """Nothing fits: why, and what would."""

    answers: InitAnswers
    reason: str
    suggestions: tuple[str, ...]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().rsplit("/", 1)[-1]).strip("-") or "model"


def _method(answers: InitAnswers, gpu: GpuSpec) -> tuple[str, str, bool, tuple[str, ...]]:
    """(method, why, RLHF possible, notes) by article §2 and §5."""
    if answers.goal == "improve-existing":
        return "dpo", "TL202: improving existing behaviour is DPO's job (article §2)", False, ()
    short = answers.days < SHORT_SCHEDULE_DAYS
    if gpu.memory_gb >= RLHF_MIN_GB and not short:
        note = (
            f"RLHF becomes possible on {gpu.name} (article §5, TL201): after this SFT stage, "
            "train a reward model (method.kind: reward) on preference pairs, then grpo with "
            "method.reward_model"
        )
        why = "TL203: a new capability starts from demonstrations; RLHF possible next"
        return "sft", why, True, (note,)
    if short:
        cause = f"a {answers.days:g}-day schedule (TL204: under {SHORT_SCHEDULE_DAYS})"
    elif gpu.memory_gb < WEAK_GPU_GB:
        cause = f"{gpu.name} ({gpu.memory_gb:g} GB, TL204: weak GPU)"
    else:
        cause = f"{gpu.name} ({gpu.memory_gb:g} GB < {RLHF_MIN_GB} GB, TL201)"
    note = (
        f"no RLHF on {cause} (article §2): SFT teaches the capability from demonstrations; "
        "refine it later with DPO on preference pairs"
    )
    return "sft", "TL203: a new capability needs demonstrations (SFT); no RLHF here", False, (note,)


def _precision(gpu: GpuSpec) -> tuple[str, str | None, tuple[str, str] | None]:
    """(precision, why, accepted finding) by article §4."""
    cc = f", compute capability {gpu.compute_capability:g}" if gpu.compute_capability else ""
    if gpu.bf16:
        return "bf16", f"TL101/TL104: {gpu.name} has bf16{cc}", None
    return "fp16", None, ("TL103", f"{gpu.name} has no bf16 (TL102{cc}): fp16 with loss scaling")


def _plan_data(
    answers: InitAnswers,
    method: str,
    data_format: str,
    precision: str,
    strategy: Strategy,
    seq: int,
    mbs: int,
    accumulation: int,
    reason: str | None,
) -> dict[str, Any]:
    kind = strategy.peft
    peft: dict[str, Any] = {"kind": kind}
    if kind in ("lora", "qlora", "adapters"):
        peft.update(r=16, alpha=32, dropout=0.05, target_modules="all-linear")
    if reason:
        peft["reason"] = reason
    method_data: dict[str, Any] = {"kind": method}
    if method == "dpo":
        method_data["beta"] = 0.1
    rate = DPO_LEARNING_RATE if method == "dpo" else LEARNING_RATE[kind]
    hardware: dict[str, Any] = {"gpu": answers.gpu, "count": answers.gpu_count}
    if strategy.distributed != "none":
        hardware["distributed"] = strategy.distributed
    return {
        "model": {"name": answers.model, "max_seq_len": seq},
        "intent": {
            "goal": answers.goal,
            "tasks": answers.tasks,
            "priority": answers.priority,
            "schedule_days": answers.days,
        },
        "method": method_data,
        "peft": peft,
        "precision": precision,
        "hardware": hardware,
        "training": {
            "epochs": 1 if method == "dpo" else 3,
            "learning_rate": rate,
            "micro_batch_size": mbs,
            "gradient_accumulation_steps": accumulation,
            "gradient_checkpointing": strategy.gradient_checkpointing,
            "optimizer": "adamw_torch",
            "lr_scheduler": "cosine",
            "warmup_ratio": 0.03,
            "logging_steps": 10,
        },
        "data": {"train": answers.data, "format": data_format},
        "output": {"dir": f"runs/{_slug(answers.model)}-{method}"},
    }


def resolve(answers: InitAnswers) -> tuple[GpuSpec, ModelSpec]:
    """The GPU and model the answers name, or InitError with a did-you-mean."""
    answers.validate()
    gpu = resolve_gpu(answers.gpu)
    if gpu is None:
        hint = suggest_gpu(answers.gpu)
        more = f" (did you mean {hint}?)" if hint else " (`tunelint rules` docs list GPUs)"
        raise InitError(f"unknown GPU {answers.gpu!r}{more}")
    lookup = lookup_model(answers.model)
    if lookup.spec is None:
        raise InitError(f"cannot size model {answers.model!r}: {lookup.reason}")
    if lookup.spec.estimate_unsupported:  # Mamba, Qwen3.5: no activation formula
        raise InitError(f"cannot size model {answers.model!r}: {lookup.spec.estimate_unsupported}")
    return gpu, lookup.spec


def decide(answers: InitAnswers) -> Decision | NoFit:
    """The config the article's rules and the memory estimate choose for these answers.

    Raises InitError for answers that cannot be used (unknown GPU or model, bad values)."""
    return _decide(answers, suggest=True)


def _decide(answers: InitAnswers, *, suggest: bool) -> Decision | NoFit:
    gpu, spec = resolve(answers)
    # A bare catalog alias (`Llama-3.1-8B`) is written as its hub id, which every framework
    # loads; a hub id or path as given (`...-Instruct` sizes as its base but is not it).
    if spec.source == "catalog" and "/" not in answers.model and "\\" not in answers.model:
        answers = replace(answers, model=spec.display_name)
    caps = format_caps(answers.format)
    method, method_why, rlhf, notes = _method(answers, gpu)
    layouts = DATA_FOR_METHOD[method]
    data_format = answers.data_format or layouts[0]
    if data_format not in layouts:
        raise InitError(
            f"--data-format {data_format} does not suit {method} ({', '.join(layouts)})"
        )
    precision, precision_why, precision_accepted = _precision(gpu)
    why: dict[PlanPath, str] = {("method", "kind"): method_why}
    accepted: dict[PlanPath, tuple[str, str]] = {}
    if precision_why:
        why[("precision",)] = precision_why
    if precision_accepted:
        accepted[("precision",)] = precision_accepted

    # The PEFT kind by TL303's own matrix, asked with the Plan and GPU the rule will see.
    probe = Plan.model_validate(
        _plan_data(
            answers,
            method,
            data_format,
            precision,
            Strategy("lora", False, "none"),
            MIN_SEQ,
            1,
            1,
            None,
        )
    )
    wanted = intent_choice(probe, Context(plan=probe, gpu=gpu, gpu_count=answers.gpu_count))
    kind, reason = ("lora", None) if wanted is None else wanted
    if kind not in caps.peft:
        accepted[("peft", "kind")] = (
            "TL303",
            f"{caps.label} cannot train {kind} ({reason}): LoRA instead",
        )
        kind, reason = "lora", None
    peft_why = f"TL303: {reason}" if reason else "TL302/TL303: LoRA, the default (article §3)"

    def build(strategy: Strategy, seq: int, mbs: int, accumulation: int) -> Plan:
        own_reason = reason if strategy.peft == kind and kind not in ("lora", "qlora") else None
        data = _plan_data(
            answers, method, data_format, precision, strategy, seq, mbs, accumulation, own_reason
        )
        return Plan.model_validate(data)

    fit = find_fit(build, gpu, answers.gpu_count, kind, spec.max_position_embeddings)
    if fit is None:
        return _no_fit(answers, gpu, spec, kind, build, suggest=suggest)
    if fit.strategy.peft != kind:
        lora_gib = _gib(
            build(Strategy(kind, True, fit.strategy.distributed), MIN_SEQ, 1, 1),
            gpu,
            answers.gpu_count,
        )
        peft_why = f"TL402: {kind} needs {lora_gib:.1f} GiB even at {MIN_SEQ} tokens; QLoRA's 4-bit base fits"
    why[("peft", "kind")] = peft_why
    why.update(_fit_why(fit, gpu, answers.gpu_count))
    return Decision(
        answers=answers,
        plan=fit.plan,
        gpu=gpu,
        model=spec,
        report=fit.report,
        why=why,
        accepted=accepted,
        notes=notes,
        rlhf_possible=rlhf,
    )


def _gib(plan: Plan, gpu: GpuSpec, count: int) -> float:
    report = plan_report(plan, gpu, count)
    return report.estimate.per_gpu_gib if report.estimate is not None else float("inf")


def _fit_why(fit: Fit, gpu: GpuSpec, count: int) -> dict[PlanPath, str]:
    est = fit.report.estimate
    assert est is not None
    on = f"est. {est.per_gpu_gib:.1f} of {gpu.memory_gib:g} GiB"
    why: dict[PlanPath, str] = {
        ("model", "max_seq_len"): f"TL402: longest that fits with {HEADROOM:.0%} headroom",
        ("training", "micro_batch_size"): f"TL402: largest that fits: {on}",
        ("training", "gradient_checkpointing"): (
            "TL402: needed to fit"
            if fit.strategy.gradient_checkpointing
            else "TL402: fits without it (no recompute, ~30% faster)"
        ),
    }
    if fit.strategy.distributed == "deepspeed-zero3":
        why[("hardware", "distributed")] = (
            f"TL402: the model does not fit one {gpu.name}; ZeRO-3 shards it over {count}"
        )
    elif fit.strategy.distributed == "ddp":
        why[("hardware", "distributed")] = "TL402: the model fits one GPU: plain data parallel"
    return why


def _no_fit(
    answers: InitAnswers, gpu: GpuSpec, spec: ModelSpec, kind: str, build: Any, *, suggest: bool
) -> NoFit:
    """Why nothing fits, with what would: QLoRA, more GPUs, a smaller model."""
    count = answers.gpu_count
    cap = f"{gpu.name}" + (f" x {count}" if count > 1 else "")
    budget = budget_gib(gpu)
    smallest = _gib(
        build(Strategy(kind, True, "deepspeed-zero3" if count > 1 else "none"), MIN_SEQ, 1, 1),
        gpu,
        count,
    )
    reason = (
        f"{spec.display_name} does not fit {cap}: {kind} with gradient checkpointing at "
        f"{MIN_SEQ} tokens needs {smallest:.1f} GiB per GPU; {budget:.1f} of "
        f"{gpu.memory_gib:g} GiB leaves {HEADROOM:.0%} headroom"
    )
    suggestions: list[str] = []
    if not suggest:
        return NoFit(answers, reason, ())
    multi = "ddp" if count > 1 else "none"
    qlora = _gib(build(Strategy("qlora", True, multi), MIN_SEQ, 1, 1), gpu, count)
    verdict = "fits" if qlora <= budget else "does not fit either"
    if kind != "qlora":
        suggestions.append(f"QLoRA (4-bit base): {qlora:.1f} GiB per GPU, {verdict}")
    for more in MORE_GPUS:
        if more <= count:
            continue
        sharded = _gib(build(Strategy(kind, True, "deepspeed-zero3"), MIN_SEQ, 1, 1), gpu, more)
        if sharded <= budget:
            suggestions.append(
                f"{more} x {gpu.name} with ZeRO-3 ({kind}): {sharded:.1f} GiB per GPU "
                f"(--gpu-count {more})"
            )
            break
    smaller = _smaller_model(answers, spec)
    if smaller:
        suggestions.append(f"a smaller model that fits {cap}: {smaller} (--model {smaller})")
    return NoFit(answers, reason, tuple(suggestions))


def _smaller_model(answers: InitAnswers, spec: ModelSpec) -> str | None:
    """The largest catalog model smaller than `spec` for which `decide` finds a fit."""
    size = spec.param_count()
    candidates = sorted(
        (
            m
            for m in catalog()
            if m.model_type != "bert"
            and not m.estimate_unsupported  # Mamba, Qwen3.5: cannot be sized
            and 1e8 < m.param_count() < size
        ),
        key=lambda m: m.param_count(),
        reverse=True,
    )
    for model in candidates:
        name = model.hf_repo or model.name
        if isinstance(_decide(replace(answers, model=name), suggest=False), Decision):
            return name
    return None
