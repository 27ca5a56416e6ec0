"""Load the base model and tokenizer the Plan names: tiny built-in, local folder or hub id.

A hub id goes through transformers' normal loading (cache, then network). Offline
(`HF_HUB_OFFLINE=1`) or unreachable, the first, cheap call (the config) fails, and the user
gets one sentence instead of a retry loop and a traceback.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunelint.runner.errors import ModelLoadError, RemoteCodeRefusedError
from tunelint.runner.tiny_model import TINY_MODEL_NAME, ensure_tiny_model

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from tunelint.config.plan import Plan
    from tunelint.runner.precision import PrecisionChoice


@dataclass(frozen=True)
class ModelSource:
    """Where a model comes from, resolved: what `from_pretrained` gets."""

    name: str  # as written in the config
    location: str  # local folder or hub id
    is_local: bool
    is_tiny: bool
    revision: str | None = None
    # Each model carries its own trust: the policy's never reaches the reward model.
    trust_remote_code: bool = False


def resolve_model_source(
    name: str, base_dir: Path, revision: str | None = None, *, trust_remote_code: bool = False
) -> ModelSource:
    """Turn a model name into a folder or hub id (building the tiny model if needed)."""
    trust = trust_remote_code
    if name == TINY_MODEL_NAME:
        return ModelSource(name, str(ensure_tiny_model()), True, True, trust_remote_code=trust)
    path = Path(name).expanduser()
    for candidate in [path] if path.is_absolute() else [base_dir / path, Path.cwd() / path]:
        if candidate.is_dir():
            location = str(candidate.resolve())
            return ModelSource(name, location, True, False, trust_remote_code=trust)
    looks_local = name.startswith((".", "/", "~")) or name.count("/") > 1
    if looks_local:
        raise ModelLoadError(f"model {name}: no such folder")
    return ModelSource(name, name, False, False, revision, trust_remote_code=trust)


def adapter_base(location: str) -> str | None:
    """The base model of a saved PEFT adapter folder, or None when it is not an adapter."""
    config = Path(location) / "adapter_config.json"
    if not config.is_file():
        return None
    return json.loads(config.read_text(encoding="utf-8")).get("base_model_name_or_path")


def _fetch_error(source: ModelSource, exc: Exception) -> ModelLoadError:
    import os

    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")
    if offline:
        why = "HF_HUB_OFFLINE is set and it is not in the local Hugging Face cache"
    else:
        why = "it could not be fetched from the Hugging Face Hub (no network, or no access)"
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ModelLoadError(
        f"model {source.name}: not a local folder, and {why}. Download it first "
        f"(`hf download {source.name}`), point model.name at a local folder, or use "
        f"{TINY_MODEL_NAME} for a smoke run. ({first_line})"
    )


def _needs_remote_code(exc: Exception) -> bool:
    return "trust_remote_code" in str(exc)


def remote_code_error(source: ModelSource, exc: Exception) -> ModelLoadError | None:
    """A clear error when `exc` says the model needs its repository's code and we did not
    trust it; None for any other failure."""
    if source.trust_remote_code or not _needs_remote_code(exc):
        return None
    return RemoteCodeRefusedError(
        f"model {source.name} needs Python code from its repository, which was not run: its "
        "trust_remote_code is off (a dry run never runs repository code; each model has its "
        "own flag: model.trust_remote_code, method.reward_model_trust_remote_code)"
    )


def check_reachable(source: ModelSource) -> None:
    """Fail fast and clearly when a hub model is neither cached nor downloadable."""
    if source.is_local:
        return
    from transformers import AutoConfig

    try:
        AutoConfig.from_pretrained(
            source.location, revision=source.revision, trust_remote_code=source.trust_remote_code
        )
    except (OSError, ValueError) as exc:
        raise remote_code_error(source, exc) or _fetch_error(source, exc) from None


def load_tokenizer(source: ModelSource) -> PreTrainedTokenizerBase:
    """The model's tokenizer, with a pad token (the eos token when it has none)."""
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(
            source.location,
            revision=source.revision,
            trust_remote_code=source.trust_remote_code,
        )
    except (OSError, ValueError) as exc:
        raise remote_code_error(source, exc) or _fetch_error(source, exc) from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def quantization_config(plan: Plan, precision: PrecisionChoice) -> Any | None:
    """bitsandbytes settings for `model.quantization` (4-bit NF4 for QLoRA), or None."""
    mode = plan.effective_quantization
    if mode == "none":
        return None
    from transformers import BitsAndBytesConfig

    if mode == "8bit":
        return BitsAndBytesConfig(load_in_8bit=True)
    # FSDP and ZeRO-3 shard parameters by dtype: the packed 4-bit storage must match the
    # compute dtype or sharding fails (QLoRA + FSDP recipe).
    sharded = plan.hardware.distributed in ("fsdp", "deepspeed-zero3")
    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=precision.compute_dtype(),
        bnb_4bit_quant_storage=precision.compute_dtype() if sharded else None,
    )


def attention_implementation(plan: Plan, source: ModelSource) -> str | None:
    """`model.attn_implementation`, else eager for the tiny model (SDPA backward is slow on CPU)."""
    if plan.model.attn_implementation is not None:
        return plan.model.attn_implementation
    return "eager" if source.is_tiny else None


def model_load_kwargs(
    plan: Plan, source: ModelSource, precision: PrecisionChoice, *, num_processes: int = 1
) -> dict[str, Any]:
    """Keyword arguments for `from_pretrained`, all stated explicitly."""
    kwargs: dict[str, Any] = {
        "revision": source.revision,
        "trust_remote_code": source.trust_remote_code,
        "dtype": precision.model_dtype(plan.peft.kind),
    }
    attn = attention_implementation(plan, source)
    if attn is not None:
        kwargs["attn_implementation"] = attn
    quant = quantization_config(plan, precision)
    if quant is not None:
        kwargs["quantization_config"] = quant
        if num_processes == 1 and plan.hardware.distributed == "none":
            # A quantized model must be placed on its device at load time.
            kwargs["device_map"] = {"": 0 if precision.device == "cuda" else precision.device}
        elif precision.device == "cuda":
            import os

            kwargs["device_map"] = {"": int(os.environ.get("LOCAL_RANK", "0"))}
    return kwargs


def load_model(
    plan: Plan,
    source: ModelSource,
    precision: PrecisionChoice,
    *,
    sequence_classification: bool = False,
    num_processes: int = 1,
) -> PreTrainedModel:
    """Load the base model: a causal LM, or a 1-label classifier for reward training."""
    from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification

    kwargs = model_load_kwargs(plan, source, precision, num_processes=num_processes)
    try:
        if sequence_classification:
            model = AutoModelForSequenceClassification.from_pretrained(
                source.location, num_labels=1, **kwargs
            )
        else:
            model = AutoModelForCausalLM.from_pretrained(source.location, **kwargs)
    except (OSError, ValueError) as exc:
        refused = remote_code_error(source, exc)
        if refused is None and isinstance(exc, ValueError):
            raise
        raise refused or _fetch_error(source, exc) from None
    return model
