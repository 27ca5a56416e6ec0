"""The memory side of `tunelint init`: the least invasive strategy that fits the GPU with
headroom, then the longest sequence and the largest micro-batch it allows (the estimator of
tunelint.knowledge.memory_plan, the one the memory rules TL401/TL402 use)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from tunelint.checks.rules.memory import TIGHT_HEADROOM
from tunelint.config.plan import Plan
from tunelint.knowledge.gpus import GpuSpec
from tunelint.knowledge.memory import MemoryScenario
from tunelint.knowledge.memory_plan import (
    SEQ_STEP,
    MemoryReport,
    largest_micro_batch,
    longest_sequence,
    plan_report,
)

# Leave this share of the GPU free: TL401 calls a config under 10 % headroom "tight" (a long
# sample or a fragmentation spike tips it over); 15 % keeps written configs clear of that.
HEADROOM = 0.15
assert HEADROOM > TIGHT_HEADROOM
PREFERRED_SEQ = 1024  # TRL's default max_length: a strategy that reaches it is good enough
MAX_SEQ = 4096  # longer only on request: most instruction data is far shorter
MIN_SEQ = 512  # below this few chat samples survive truncation
MAX_MICRO_BATCH = 8  # larger micro-batches buy little once the GPU is busy
EFFECTIVE_BATCH = 16  # micro-batch x accumulation x GPUs the written config aims at


@dataclass(frozen=True, slots=True)
class Strategy:
    """How the weights are held and trained: PEFT kind, checkpointing, distribution."""

    peft: str
    gradient_checkpointing: bool
    distributed: str


@dataclass(frozen=True, slots=True)
class Fit:
    strategy: Strategy
    seq_len: int
    micro_batch_size: int
    gradient_accumulation_steps: int
    plan: Plan
    report: MemoryReport


def budget_gib(gpu: GpuSpec) -> float:
    return gpu.memory_gib * (1 - HEADROOM)


def strategies(kind: str, gpu_count: int) -> list[Strategy]:
    """Least invasive first: as asked; with checkpointing; ZeRO-3 over the GPUs; QLoRA."""
    multi = "ddp" if gpu_count > 1 else "none"
    out = [Strategy(kind, False, multi), Strategy(kind, True, multi)]
    if gpu_count > 1:
        out.append(Strategy(kind, True, "deepspeed-zero3"))
    if kind == "lora":
        out.append(Strategy("qlora", True, multi))
    return out


def find_fit(
    build: Callable[[Strategy, int, int, int], Plan],
    gpu: GpuSpec,
    gpu_count: int,
    kind: str,
    max_positions: int | None,
) -> Fit | None:
    """The first (least invasive) strategy reaching PREFERRED_SEQ tokens, else the one
    reaching the longest sequence of at least MIN_SEQ."""
    limit = min(MAX_SEQ, max_positions or MAX_SEQ)  # None: the config does not say
    tried = [
        (strategy, seq, scn)
        for strategy in strategies(kind, gpu_count)
        for seq, scn in [_longest(build, strategy, gpu, gpu_count, limit)]
        if seq is not None and scn is not None and seq >= min(MIN_SEQ, limit)
    ]
    if not tried:
        return None
    preferred = [t for t in tried if t[1] >= min(PREFERRED_SEQ, limit)]
    strategy, seq, scn = preferred[0] if preferred else max(tried, key=lambda t: t[1])
    return _sized(build, strategy, seq, scn, gpu, gpu_count)


def _longest(
    build: Callable[[Strategy, int, int, int], Plan],
    strategy: Strategy,
    gpu: GpuSpec,
    gpu_count: int,
    limit: int,
) -> tuple[int | None, MemoryScenario | None]:
    accumulation = max(1, EFFECTIVE_BATCH // gpu_count)
    report = plan_report(build(strategy, min(MIN_SEQ, limit), 1, accumulation), gpu, gpu_count)
    if report.scenario is None:
        return None, None
    if limit < 128:  # the estimator steps sequences by 128 tokens
        fits = report.estimate is not None and report.estimate.per_gpu_gib <= budget_gib(gpu)
        return (limit if fits else None), report.scenario
    return longest_sequence(report.scenario, budget_gib(gpu), limit), report.scenario


def _sized(
    build: Callable[[Strategy, int, int, int], Plan],
    strategy: Strategy,
    seq: int,
    scn: MemoryScenario,
    gpu: GpuSpec,
    gpu_count: int,
) -> Fit | None:
    # The search ran on a scenario; the written Plan is checked again (its accumulation
    # differs), stepping down until it fits.
    best = largest_micro_batch(replace(scn, seq_len=seq), budget_gib(gpu)) or 1
    while seq >= SEQ_STEP:
        for mbs in range(min(best, MAX_MICRO_BATCH), 0, -1):
            accumulation = max(1, EFFECTIVE_BATCH // (mbs * gpu_count))
            plan = build(strategy, seq, mbs, accumulation)
            report = plan_report(plan, gpu, gpu_count)
            if report.estimate is not None and report.estimate.per_gpu_gib <= budget_gib(gpu):
                return Fit(strategy, seq, mbs, accumulation, plan, report)
        seq -= SEQ_STEP
    return None
