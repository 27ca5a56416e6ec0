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


# --- the dtype the trained model is loaded in ----------------------------------------------
# TRL PR #4778 (2026-01-12, first released in 0.27): trl/trainer/utils.py
# create_model_from_path loads a model given by name with `dtype` defaulting to float32
# (model_init_kwargs / ModelConfig.dtype); before it, "auto" (the checkpoint's dtype).
TRL_FP32_LOAD_FROM = (0, 27)
HALF = ("bf16", "fp16")


@dataclass(frozen=True, slots=True)
class LoadedWeights:
    """The dtype the base weights are held in, whether the forward runs under autocast
    over fp32 weights, and the assumption to print."""

    dtype: str
    autocast: bool
    note: str | None


def _mixed(precision: str, note: str | None) -> LoadedWeights:
    """fp32 weights; with a half-precision `precision` the Trainer runs autocast over them."""
    return LoadedWeights("fp32", precision in HALF, note)


def loaded_weights(
    trainer: str | None,
    version: str | None,
    *,
    full: bool,
    precision: str,
    stated: str | None,
    deepspeed: bool,
    version_known: bool = True,
) -> LoadedWeights:
    """The dtype the stack loads the trained model in (per framework, from its source).

    `stated`: the dtype the config itself loads in (DialectFacts.weights_dtype: TRL's
    `dtype`/`model_init_kwargs.dtype`, axolotl's bf16/fp16, LLaMA-Factory's pure_bf16,
    torchtune's dtype). `precision`: the Plan's compute precision. DeepSpeed casts the
    module to its own half dtype and keeps fp32 masters itself: the precision's dtype.

    - tunelint's runner (runner/precision.py model_dtype): full fine-tuning in fp32 with
      autocast (fp32 master weights), adapters on a base in the training dtype;
    - TRL >= 0.27: fp32 unless `dtype` is set, for LoRA bases too; before: the checkpoint's
      dtype ("auto"), assumed to be the training precision;
    - LLaMA-Factory (model/adapter.py init_adapter): full/freeze tuning casts the trainable
      parameters to fp32 unless pure_bf16 / BAdam (or ZeRO-3, which keeps fp32 itself); the
      base is loaded in the compute dtype;
    - axolotl, torchtune: the dtype the config states (the precision).
    """
    if deepspeed or precision == "fp32":
        return LoadedWeights(precision, False, None)
    # The HF Trainer (TRL, axolotl, LLaMA-Factory, tunelint's runner) runs the forward under
    # accelerate's autocast whenever bf16/fp16 is on; torchtune casts the model instead.
    amp = trainer != "torchtune"
    if stated in ("fp16", "bf16", "fp32"):
        if stated == "fp32":
            return _mixed(precision, None)
        return LoadedWeights(stated, amp, None)
    if stated == "auto":
        return LoadedWeights(precision, amp, f"dtype auto: the checkpoint's, assumed {precision}")
    if trainer in (None, "native"):
        if full:
            return _mixed(
                precision,
                f"tunelint run loads a full fine-tune in fp32 (master weights, {precision} "
                "autocast)",
            )
        return LoadedWeights(precision, amp, None)
    if trainer == "trl":
        label = f"TRL {version}" if version else "TRL (version not known: the newest)"
        if version and not version_known:
            label += " (assumed: no exact pin)"
        if version is None or version_tuple(version) >= TRL_FP32_LOAD_FROM:
            return _mixed(
                precision,
                f"{label} loads the model in fp32 unless dtype is set "
                f"(model_init_kwargs.dtype); {precision} autocast over fp32 weights",
            )
        return LoadedWeights(
            precision, amp, f"{label} loads the checkpoint's dtype: assumed {precision}"
        )
    if trainer == "llamafactory" and full:
        return _mixed(
            precision,
            "LLaMA-Factory casts the trainable parameters to fp32 for full tuning (pure_bf16 off)",
        )
    return LoadedWeights(precision, amp, None)


# --- the loss head --------------------------------------------------------------------------
# TRL 1.15 (trl/trainer/utils.py add_fused_lm_head, trl/kernels/chunked_logprob.py): the
# SFT, DPO, KTO, GRPO and RLOO trainers patch the model's forward with a fused LM head that
# projects [4096-token x 32768-vocabulary] tiles and keeps online log-sum-exp statistics:
# no (batch, seq, vocab) logits exist. 1.14 still returned full logits (checked in the
# released wheels).
TRL_FUSED_HEAD_FROM = (1, 15)
FUSED_HEAD_METHODS = ("sft", "dpo", "kto", "grpo", "rloo")


@dataclass(frozen=True, slots=True)
class FusedHead:
    """Whether the trainer scores tokens with TRL's fused LM head, and the note to print."""

    fused: bool
    note: str | None


def fused_lm_head(
    trainer: str | None, version: str | None, method: str, chunked_loss: bool
) -> FusedHead:
    """Whether the trainer computes the loss with TRL's fused LM head (see above)."""
    if trainer not in (None, "native", "trl") or method not in FUSED_HEAD_METHODS:
        return FusedHead(False, None)
    if chunked_loss or (version and version_tuple(version) < TRL_FUSED_HEAD_FROM):
        return FusedHead(False, None)
    label = f"TRL {version}" if version else "TRL"
    return FusedHead(
        True, f"fused LM head ({label}): log-probs over vocabulary tiles, no full logits"
    )
