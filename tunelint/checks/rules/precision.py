"""Numeric format × GPU (source article §4: bf16 on new GPUs, no exceptions; fp16 only with a
reason; fp32 for early development and old GPUs)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from tunelint.checks.context import Context
from tunelint.checks.finding import Finding, Fix
from tunelint.checks.registry import rule
from tunelint.checks.rule import TRAINING, RuleDocs
from tunelint.config.plan_edits import SetValue

if TYPE_CHECKING:
    from tunelint.config.plan import Plan

ARTICLE = "article §4 (numeric formats)"
PATH = ("precision",)


def _gpu_label(ctx: Context) -> str:
    gpu = ctx.gpu
    assert gpu is not None
    cc = f", compute capability {gpu.compute_capability:.1f}" if gpu.compute_capability else ""
    return f"{gpu.name} ({gpu.architecture}{cc})"


@rule(
    code="TL101",
    name="fp16-on-bf16-gpu",
    severity="warning",
    applies_to=TRAINING,
    source=ARTICLE,
    summary="fp16 on a GPU that has bf16",
    fixable="always",
    needs_gpu=True,
    docs=RuleDocs(
        what="`precision: fp16` when the target GPU supports bf16 (compute capability 8.0 and "
        "newer: A100, H100, L4, L40S, RTX 30xx/40xx...).",
        why="fp16 has a 5-bit exponent: activations and gradients beyond ~65,504 overflow to "
        "inf and the loss turns NaN, so it needs loss scaling. bf16 has fp32's exponent range "
        "at the same memory cost. On Ampere and newer, bf16 is the standard, no exceptions.",
        example="hardware:\n  gpu: A100-80GB\nprecision: fp16",
        fix="Set `precision: bf16`.",
        fix_safety="Safe: bf16 uses the same memory as fp16 and only removes the overflow risk "
        "(loss scaling is no longer needed).",
    ),
)
def fp16_on_bf16_gpu(plan: Plan, ctx: Context) -> Iterator[Finding]:
    if plan.precision == "fp16" and ctx.gpu is not None and ctx.gpu.bf16:
        yield Finding(
            f"fp16 on {_gpu_label(ctx)}, which has bf16: use bf16 (same memory, no overflow)",
            PATH,
            Fix("Use bf16", "safe", (SetValue(PATH, "bf16"),)),
        )


@rule(
    code="TL102",
    name="bf16-without-support",
    severity="error",
    applies_to=TRAINING,
    source=ARTICLE,
    summary="bf16 on a GPU without bf16",
    fixable="always",
    needs_gpu=True,
    docs=RuleDocs(
        what="`precision: bf16` on a GPU without native bf16 (T4, V100, P100: compute "
        "capability below 8.0).",
        why="Those GPUs have no bf16 tensor cores: PyTorch either refuses (`bf16 mixed "
        "precision requires ... Ampere`) or emulates it far slower than fp16.",
        example="hardware:\n  gpu: T4\nprecision: bf16",
        fix="Set `precision: fp16` (mixed precision with loss scaling, the usual choice on "
        "these GPUs) — or `fp32` if memory allows.",
        fix_safety="Unsafe: fp16 brings back the overflow risk (watch for NaN losses), and fp32 "
        "would double activation memory.",
    ),
)
def bf16_without_support(plan: Plan, ctx: Context) -> Iterator[Finding]:
    gpu = ctx.gpu
    if plan.precision == "bf16" and gpu is not None and not gpu.bf16:
        yield Finding(
            f"bf16 on {_gpu_label(ctx)}, which has no bf16: use fp16 (or fp32 if it fits)",
            PATH,
            Fix("Use fp16", "unsafe", (SetValue(PATH, "fp16"),)),
        )


@rule(
    code="TL103",
    name="fp16-without-reason",
    severity="info",
    applies_to=TRAINING,
    source=ARTICLE,
    summary="fp16 with no stated reason",
    fixable="always",
    docs=RuleDocs(
        what="`precision: fp16` where TL101 does not already apply: the GPU is unknown, or it "
        "has no bf16.",
        why="fp16 overflows beyond ~65,504; the source article's advice is not to use it "
        "without a specific reason. On a GPU without bf16 that reason exists — say so with a "
        "suppression comment, or train in fp32 if memory allows.",
        example="precision: fp16",
        fix="Unknown GPU: `precision: bf16`. GPU without bf16: `precision: fp32`. Or keep fp16 "
        "and record why: `# tunelint: ignore[TL103] T4 has no bf16`.",
        fix_safety="Unsafe: bf16 fails on GPUs without it; fp32 doubles activation memory.",
    ),
)
def fp16_without_reason(plan: Plan, ctx: Context) -> Iterator[Finding]:
    if plan.precision != "fp16" or (ctx.gpu is not None and ctx.gpu.bf16):
        return
    if ctx.gpu is None:
        yield Finding(
            "fp16 overflows beyond ~65,504 and needs loss scaling; prefer bf16 (or state why)",
            PATH,
            Fix("Use bf16", "unsafe", (SetValue(PATH, "bf16"),)),
        )
    else:
        yield Finding(
            f"fp16 on {ctx.gpu.name} risks overflow; fp32 avoids it if memory allows "
            "(or state the reason with a suppression comment)",
            PATH,
            Fix("Use fp32", "unsafe", (SetValue(PATH, "fp32"),)),
        )


@rule(
    code="TL104",
    name="fp32-on-bf16-gpu",
    severity="info",
    applies_to=TRAINING,
    source=ARTICLE,
    summary="fp32 training on a GPU that has bf16",
    fixable="always",
    needs_gpu=True,
    docs=RuleDocs(
        what="`precision: fp32` on a GPU with bf16.",
        why="fp32 doubles weight and activation memory and runs several times slower on tensor "
        "cores; bf16 keeps fp32's range. fp32 suits early debugging or old GPUs.",
        example="hardware:\n  gpu: H100\nprecision: fp32",
        fix="Set `precision: bf16`.",
        fix_safety="Unsafe: numerics change (lower mantissa precision); keep fp32 when you are "
        "debugging a numerical problem.",
    ),
)
def fp32_on_bf16_gpu(plan: Plan, ctx: Context) -> Iterator[Finding]:
    if plan.precision == "fp32" and ctx.gpu is not None and ctx.gpu.bf16:
        yield Finding(
            f"fp32 on {ctx.gpu.name}, which has bf16: bf16 halves memory with fp32's range",
            PATH,
            Fix("Use bf16", "unsafe", (SetValue(PATH, "bf16"),)),
        )
