"""Which device trains, and in which numeric format: decided once, said out loud.

The Plan states `precision`; the machine may not honour it. accelerate silently drops fp16
on CPU (no GradScaler there), so a run that asked for fp16 on CPU would report fp16 and train
fp32. The runner makes that choice itself and tells the user.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tunelint.runner.errors import RunnerError

if TYPE_CHECKING:
    import torch

    from tunelint.config.plan import Plan


@dataclass(frozen=True)
class PrecisionChoice:
    """The resolved precision: trainer flags, weight dtype, and notes for the user."""

    requested: str | None
    name: str  # bf16 | fp16 | fp32: what actually runs
    device: str  # cuda | mps | cpu
    bf16: bool
    fp16: bool
    use_cpu: bool
    notes: tuple[str, ...] = field(default_factory=tuple)

    def model_dtype(self, peft_kind: str) -> torch.dtype:
        """Weight dtype to load the base model in.

        With adapters the frozen base is held in the training dtype (that is the memory
        saving); PEFT keeps the adapter weights in fp32. Full fine-tuning keeps fp32 master
        weights and lets autocast compute in bf16/fp16 (pure half-precision AdamW updates
        lose small steps, and fp16 weights cannot be unscaled by the GradScaler).
        """
        import torch

        if peft_kind == "full" or self.name == "fp32":
            return torch.float32
        return torch.bfloat16 if self.name == "bf16" else torch.float16

    def compute_dtype(self) -> torch.dtype:
        """Dtype that 4-bit layers compute in (bnb_4bit_compute_dtype)."""
        import torch

        return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.name, torch.float32)


def detect_device() -> str:
    """The accelerator torch can use here: cuda, mps or cpu."""
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def _cuda_has_bf16() -> bool:
    import torch

    return bool(torch.cuda.is_bf16_supported())


def resolve_precision(plan: Plan, device: str | None = None) -> PrecisionChoice:
    """Map `plan.precision` onto what this machine can run; never pretend."""
    device = device or detect_device()
    requested = plan.precision
    notes: list[str] = []
    use_cpu = device == "cpu"
    if requested is None:
        name = "bf16" if device == "cuda" and _cuda_has_bf16() else "fp32"
        notes.append(f"precision not set: using {name} on {device}")
    elif requested == "fp16" and device == "cpu":
        # accelerate ignores fp16 on CPU without a word; say it and run what really runs.
        name = "fp32"
        notes.append(
            "precision fp16 is not available on CPU (accelerate would silently ignore it): "
            "running fp32"
        )
    elif requested == "bf16" and device == "cuda" and not _cuda_has_bf16():
        raise RunnerError(
            "precision bf16 requested but this GPU has no bf16 support (compute capability "
            "< 8.0): set precision: fp16 (or fp32)"
        )
    elif requested == "bf16" and device == "mps":
        name = "fp32"
        notes.append("precision bf16 is not reliable on Apple MPS: running fp32")
    else:
        name = requested
    return PrecisionChoice(
        requested=requested,
        name=name,
        device=device,
        bf16=name == "bf16",
        fp16=name == "fp16",
        use_cpu=use_cpu,
        notes=tuple(notes),
    )
