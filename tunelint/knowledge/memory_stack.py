"""What the training stack upcasts: which framework (and version) prepares a quantized base,
and whether its non-quantized parameters end up in fp32.

PEFT's `prepare_model_for_kbit_training` (peft/utils/other.py) casts every fp16/bf16
parameter that is not a bitsandbytes-quantized one to fp32: embeddings, norms and lm_head.
The hidden states then leave the embedding in fp32, RMSNorm returns its input dtype, and
bitsandbytes' Linear4bit/Linear8bitLt cast their output back to the input's dtype, so the
residual stream, the layer outputs and the logits are fp32: saved activations take 4 bytes
per value. It skips GPTQ/AQLM/EETQ/HQQ/torchao bases (only bitsandbytes ones are cast).

Who calls it, per framework (each an assumption printed with the estimate):
- TRL SFT/DPO/GRPO before 0.26: PEFT's function when the model is loaded in 4/8 bit and a
  peft_config is given, except for QLoRA under FSDP / ZeRO-3 (trl PR #1416). TRL PR #4335
  and #4457 (Oct-Nov 2025) narrowed the upcast; PR #4577 (merged 2025-11-26, first released
  in 0.26) removed it from the stable trainers.
- axolotl (src/axolotl/utils/models.py @0009f509, load_model): calls it for QLoRA / 8-bit
  LoRA and then casts norms, lm_head and embed_tokens back to `torch_dtype` (needs_fa2_dtype
  is set for every adapter run): nothing stays fp32.
- LLaMA-Factory (model/model_utils/checkpointing.py prepare_model_for_training): its own
  preparation, which upcasts norms only with `upcast_layernorm` (default false): none.
- torchtune: QLoRA recipes keep the base dtype: none.
"""

from __future__ import annotations

from dataclasses import dataclass

from tunelint.config.versions import version_tuple

BNB_QUANT = ("nf4", "int8")  # what prepare_model_for_kbit_training casts around
TRL_UPCAST_UNTIL = (0, 26)  # first TRL release without PEFT's kbit preparation (PR #4577)


@dataclass(frozen=True, slots=True)
class StackUpcast:
    """Whether the non-quantized parameters (and so the activations) are fp32, and why."""

    upcast: bool
    note: str | None


def kbit_upcast(
    trainer: str | None,
    version: str | None,
    quantization: str,
    sharded: bool,
    version_known: bool = True,
) -> StackUpcast:
    """The stack's upcast of a quantized base (module docstring); `sharded`: FSDP or ZeRO-3."""
    if quantization not in BNB_QUANT:
        return StackUpcast(False, None)
    if trainer in (None, "trl", "native"):
        label = f"TRL {version}" if version else "TRL (version not known: the newest)"
        if version and not version_known:
            label += " (assumed: no exact pin)"
        if sharded:
            return StackUpcast(False, f"{label}: sharded QLoRA skips the fp32 upcast")
        if version and version_tuple(version) < TRL_UPCAST_UNTIL:
            return StackUpcast(
                True,
                f"{label}: PEFT prepare_model_for_kbit_training keeps embeddings, lm_head and "
                "norms in fp32, so activations and logits are fp32",
            )
        return StackUpcast(False, f"{label}: quantized base not upcast (TRL >= 0.26)")
    if trainer == "axolotl":
        return StackUpcast(
            False, "axolotl: norms and embeddings cast back to the training dtype after kbit prep"
        )
    if trainer == "llamafactory":
        return StackUpcast(False, "LLaMA-Factory: no fp32 upcast (upcast_layernorm off)")
    return StackUpcast(False, None)
