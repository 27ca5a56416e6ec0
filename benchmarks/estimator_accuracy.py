"""Estimator accuracy: tunelint's memory estimate next to every usable published figure.

Reads ../shared/data/memory-measurements.tsv (relative to the repository root; columns:
model, method, precision, batch, seq_len, grad_ckpt, gpus, reported, kind, source, unit,
gpu_type, notes), maps each row to a `MemoryScenario` from what its source states (and the
source's own code where the row points to it), and prints estimate vs published, the error,
a table per source, the torchtune memory-saver rows and the LoRA-with-embeddings rows on
their own, and a summary split into measured rows and rows the source itself estimated.
Each row is compared in the view its figure is (nvidia-smi, torch reserved, or
max_memory_allocated); rows the source reports only as out of memory are checked against
that limit and listed apart, outside the error statistics.

No per-row tuning: a row's scenario only encodes facts of its setup (batch, sequence, PEFT
method, optimizer, attention kernel, what the figure counts). The estimator's constants are
global (tunelint/knowledge/memory_*.py). Rows that cannot be mapped are listed with the
reason: each is a model or a fact the estimator cannot state yet.

    .venv/bin/python benchmarks/estimator_accuracy.py [--json] [--tsv PATH]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import statistics
import sys
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tunelint.knowledge.memory import (  # noqa: E402
    GIB,
    MemoryScenario,
    cuda_context_gib,
    estimate_memory,
    weight_bytes,
)
from tunelint.knowledge.models import ModelSpec, resolve_model, spec_from_hf_config  # noqa: E402

DEFAULT_TSV = REPO.parent / "shared" / "data" / "memory-measurements.tsv"
GB = 1e9
MIB = 1024**2
COLUMNS = (
    "model",
    "method",
    "precision",
    "batch",
    "seq",
    "gc",
    "gpus",
    "reported",
    "kind",
    "source",
    "unit",
    "gpu_type",
    "notes",
)


@dataclass(frozen=True)
class Row:
    line: int
    model: str
    method: str
    precision: str
    batch: str
    seq: str
    gc: str
    gpus: str
    reported: str
    kind: str
    source: str
    unit: str
    gpu_type: str
    notes: str

    @property
    def measured(self) -> bool:
        return self.kind.startswith("measured")


@dataclass(frozen=True)
class Mapped:
    """A row's scenario, how to read its figure, and how many GPUs the figure sums."""

    scenario: MemoryScenario | None
    published_bytes: float
    gpus_summed: int = 1
    fixed_bytes: float | None = None  # rows that check one component, not a training peak
    label: str = ""
    view: str = "nvidia_smi"  # which view the figure is: allocated | reserved | nvidia_smi
    oom_above: float | None = None  # the source reports OOM above this many bytes


class Skip(Exception):
    """A row this benchmark cannot map; the message says why."""


def read_rows(path: Path) -> list[Row]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for n, fields in enumerate(csv.reader(fh, delimiter="\t"), start=1):
            if len(fields) != len(COLUMNS) or fields[0] == "model":
                continue
            rows.append(Row(n, *fields))
    return rows


def _model(name: str) -> ModelSpec:
    spec = resolve_model(name)
    if spec is None:
        raise Skip(f"model {name!r} not in the catalog")
    return spec


def _trainable(notes: str) -> int | None:
    m = re.search(r"trainable=([\d,]+)/", notes)
    return int(m.group(1).replace(",", "")) if m else None


def _lazy_loading(row: Row) -> bool:
    """Whether the row's stack loads CUDA kernels lazily (memory_scenario.cuda_context_gib):
    the transformers docs' V100 runs state CUDA 11 on PyTorch 1.x (transformers 4.2x), before
    PyTorch 1.13 turned lazy loading on; their 1343 MiB context is an eager one (lazy: ~0.3
    GB, pytorch PR #86509). Rows from other sources ran PyTorch 2 on CUDA 12."""
    return not ("perf_train_gpu_one" in row.source or "model_memory_anatomy" in row.source)


# --- transformers docs: bert-large on a V100 (NVML used memory, CUDA context measured) ----------
def map_bert(row: Row) -> Mapped:
    spec = _model("bert-large-uncased")
    used_mib = float(re.match(r"([\d.]+) MiB", row.unit).group(1))  # type: ignore[union-attr]
    # The docs' stack: V100, CUDA 11, transformers 4.2x on PyTorch 1.x: eager kernel loading.
    context_gib = cuda_context_gib(lazy_loading=_lazy_loading(row))
    if row.method.startswith("weights only"):
        weights = weight_bytes(spec, "fp32")
        return Mapped(
            None,
            used_mib * MIB,
            fixed_bytes=weights + context_gib * GIB,
            label="weights fp32 + CUDA context",
        )
    optimizer = "adamw_torch_fused"  # adamw_hf: per-parameter loop, no all-parameter temporaries
    if "Adafactor" in row.method:
        optimizer = "adafactor"
    elif "Adam8bit" in row.method:
        optimizer = "adamw_8bit"
    ga = re.search(r"grad accum (\d+)", row.notes)
    scn = MemoryScenario(
        model=spec,
        micro_batch_size=int(row.batch),
        seq_len=int(row.seq),
        peft="full",
        weight_dtype="fp32",
        autocast="fp16" in row.precision,
        gradient_checkpointing=row.gc == "yes",
        attention="eager",  # BERT in transformers 4.2x: eager attention with dropout
        padded_batch=False,  # 512-token random sequences, no padding
        optimizer=optimizer,
        gradient_accumulation_steps=int(ga.group(1)) if ga else 1,
        include_cuda_context=True,
        cuda_context_gib=context_gib,
        grads_persist=True,  # transformers 4.2x on PyTorch 1.x: model.zero_grad() keeps grads
    )
    return Mapped(scn, used_mib * MIB)


# --- PEFT method comparison: Llama-3.2-3B on MetaMathQA (torch reserved, GiB) ----------------
_OTHER = (
    "ADALORA",
    "ADAPTION_PROMPT",
    "LN_TUNING",
    "VERA",
    "LOKR",
    "LOHA",
    "OFT",
    "BOFT",
    "FOURIERFT",
    "TRAINABLE_TOKENS",
    "OSF",
)


def map_peft_bench(row: Row) -> Mapped:
    spec = _model("Llama-3.2-3B")
    base = MemoryScenario(
        model=spec,
        micro_batch_size=4,
        seq_len=768,  # max_seq_length; length-bucketed batches reach it at the 99th percentile
        weight_dtype="bf16",
        attention="sdpa",  # attn_implementation null -> transformers' default
        padded_batch=True,  # tokenizer.pad over variable-length samples
        optimizer="adamw_torch",  # torch.optim.AdamW, foreach on CUDA
        lora_dropout=0.0,
        logits_held=True,  # run.py keeps `outputs` alive through loss.backward()
        include_cuda_context=False,  # memory_reserved() minus the reserved memory at init
    )
    method = row.method
    targets = re.search(r"targets=([\w,.]+)", method)
    target_list = tuple(targets.group(1).split(",")) if targets else None
    rank = re.search(r"r=(\d+)", method)
    tokens = re.search(r"num_virtual_tokens=(\d+)", method)
    trainable = _trainable(row.notes)
    if method.startswith("full FT"):
        scn = replace(base, peft="full")
    elif method.startswith("LORA") and "lorafa" in row.source:
        # LoRA-FA freezes lora_A: only B trains and lora_A keeps no input for its gradient.
        scn = replace(base, peft="other", trainable_params=trainable)
    elif method.startswith("LORA"):
        kind = "dora" if "use_dora" in method else "lora"
        scn = replace(base, peft=kind, lora_r=int(rank.group(1)), target_modules=target_list)  # type: ignore[union-attr]
    elif method.startswith("IA3"):
        # The all-modules experiment's adapter_config lists down/gate/up as feed-forward.
        ff = ("down_proj", "gate_proj", "up_proj") if "all-attn" in row.source else None
        scn = replace(base, peft="ia3", target_modules=target_list, ia3_feedforward=ff)
    elif method.startswith("PREFIX_TUNING"):
        scn = replace(base, peft="prefix-tuning", num_virtual_tokens=int(tokens.group(1)))  # type: ignore[union-attr]
    elif method.startswith(("PROMPT_TUNING", "P_TUNING")):
        scn = replace(
            base,
            peft="prompt-tuning",
            num_virtual_tokens=int(tokens.group(1)),  # type: ignore[union-attr]
            trainable_params=trainable,
        )
    elif method.startswith(_OTHER):
        scn = replace(base, peft="other", trainable_params=trainable)
    else:
        raise Skip(f"PEFT method {method!r} not mapped")
    return Mapped(scn, float(row.reported) * GIB, label=method.split(" ")[0])


# --- Qwen README profile (Qwen-1, A100 80GB, FlashAttention-2, batch 1, grad accum 8) -----------
def map_qwen(row: Row) -> Mapped:
    spec = _model(row.model)
    base = MemoryScenario(
        model=spec,
        micro_batch_size=int(row.batch),
        seq_len=int(row.seq),  # finetune.py pads every sample to model_max_length
        gradient_checkpointing=True,
        attention="flash",
        padded_batch=False,  # FlashAttention-2 unpads
        gradient_accumulation_steps=8,
        optimizer="adamw_torch",
        # finetune.py LoraArguments defaults
        lora_r=64,
        target_modules=("c_attn", "c_proj", "w1", "w2"),
        lora_dropout=0.05,
        weight_dtype="bf16",  # Qwen-1 remote code loads bf16 where supported; --bf16 autocast
        # The README does not say how memory was read; compared as a torch-level figure.
        include_cuda_context=False,
        zero_bucket_elements=200_000_000,  # finetune/ds_config_zero2.json
        zero_overlap_comm=True,
    )
    method = row.method
    gpus = int(row.gpus)
    if method.startswith("LoRA (emb"):
        # finetune.py: LoraConfig(modules_to_save=["wte", "lm_head"]) for base models.
        scn = replace(base, peft="lora", modules_to_save=("wte", "lm_head"))
    elif method.startswith("LoRA (multinode"):
        scn = replace(base, peft="lora", gpu_count=gpus, distributed="deepspeed-zero2")
    elif method.startswith("LoRA"):
        scn = replace(base, peft="lora")
    elif method.startswith("QLoRA"):
        # finetune_qlora_single_gpu.sh: GPTQ Int4 chat model, --fp16, DeepSpeed ZeRO-2 (which
        # runs the module in fp16 without autocast, so the loss is computed in fp16).
        scn = replace(
            base,
            peft="lora",
            quantization="gptq-int4",
            weight_dtype="fp16",
            distributed="deepspeed-zero2",
            loss_upcast=False,
        )
    elif method.startswith("full FT"):
        scn = replace(base, peft="full", gpu_count=gpus, distributed="deepspeed-zero2")
    else:
        raise Skip(f"Qwen method {method!r} not mapped")
    # Multi-GPU figures: the notes say the magnitude suggests a total over all GPUs.
    summed = gpus if gpus > 1 else 1
    return Mapped(scn, float(row.reported) * GB, gpus_summed=summed, label=method)


# --- estimated-by-source rows ------------------------------------------------------------------
_GENERIC = {
    "3B": "Llama-3.2-3B",
    "7B": "Qwen2.5-7B",
    "8B": "Llama-3.1-8B",
    "9B": "Gemma-2-9B",
    "14B": "Qwen2.5-14B",
    "27B": "Gemma-2-27B",
    "30B": "Qwen2.5-32B",
    "32B": "Qwen2.5-32B",
    "70B": "Llama-3.1-70B",
    "405B": "Llama-3.1-405B",
}


# Llama-3.2-11B-Vision's language model: transformers 5 MllamaTextConfig defaults are that
# model's (configuration_mllama.py); the ~0.9B-parameter vision tower is not counted.
_LLAMA_32_11B_TEXT = {
    "model_type": "mllama_text_model",
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_hidden_layers": 40,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "vocab_size": 128256,
}


# Llama-3.2-90B-Vision's language model (transformers 5 configuration_mllama.py and the hub
# config.json's text_config): 100 layers, 20 of them cross-attention; counted as self-attention
# layers of the same width. The vision tower is not counted.
_LLAMA_32_90B_TEXT = {
    **_LLAMA_32_11B_TEXT,
    "hidden_size": 8192,
    "intermediate_size": 28672,
    "num_hidden_layers": 100,
    "num_attention_heads": 64,
}


def _sized_like_70b(params_b: float) -> ModelSpec:
    """A dense model of the stated size where the source names none (40B, 81B): Llama-3.1-70B's
    layer shape with as many layers as that size holds (no model of that size is stated)."""
    big = _model("Llama-3.1-70B")
    outside = big.param_count() - big.num_layers * big.layer_params
    layers = round((params_b * 1e9 - outside) / big.layer_params)
    return replace(big, name=f"dense {params_b:g}B (Llama-3.1-70B layers x {layers})",
                   num_layers=layers, aliases=(), expected_params=None)  # fmt: skip


def _generic_model(row: Row) -> ModelSpec:
    size = row.model.split()[-1]
    if size in ("11B", "90B"):
        config = _LLAMA_32_11B_TEXT if size == "11B" else _LLAMA_32_90B_TEXT
        spec = spec_from_hf_config(config, f"Llama-3.2-{size}-Vision (text)", "benchmark")
        assert not isinstance(spec, str), spec
        return spec
    if size not in _GENERIC:
        return _sized_like_70b(float(size.rstrip("B")))
    return _model(_GENERIC[size])


def map_unsloth(row: Row) -> Mapped:
    spec = _generic_model(row)
    # Unsloth's defaults: r=16 on all linear layers, gradient checkpointing, batch 2 x 2048
    # in its notebooks; the page gives no batch or length ("absolute minimum"): batch 1.
    scn = MemoryScenario(
        model=spec,
        micro_batch_size=1,
        seq_len=2048,
        peft="lora",
        lora_r=16,
        target_modules="all-linear",
        gradient_checkpointing=True,
        quantization="nf4" if "QLoRA" in row.method else "none",
        adapter_dtype="bf16" if "QLoRA" in row.method else "fp32",
        optimizer="adamw_8bit",
    )
    return Mapped(scn, float(row.reported) * GB, label=f"{spec.name} {row.method}")


def map_llamafactory(row: Row) -> Mapped:
    spec = _generic_model(row)
    base = MemoryScenario(
        model=spec,
        micro_batch_size=1,
        seq_len=1024,  # not stated; LLaMA-Factory's examples use cutoff_len 1024 or 2048
        gradient_checkpointing=True,
        lora_r=8,  # LLaMA-Factory's default lora_rank
        target_modules="all-linear",
    )
    m = row.method
    if m.startswith("Full (bf16 or fp16 mixed"):
        scn = replace(base, peft="full", weight_dtype="fp32", autocast=True)
    elif m.startswith("Full (pure_bf16)"):
        scn = replace(base, peft="full", weight_dtype="bf16")
    elif m.startswith("Freeze/LoRA"):
        scn = replace(base, peft="lora")
    elif "8-bit" in m:
        scn = replace(base, peft="lora", quantization="int8")
    elif "4-bit" in m:
        scn = replace(base, peft="lora", quantization="nf4")
    elif "2-bit" in m:
        # LLaMA-Factory quantizes to 2 bits with HQQ (bitsandbytes has no 2-bit mode).
        scn = replace(base, peft="lora", quantization="hqq-int2")
    else:
        raise Skip(f"LLaMA-Factory method {m!r} not mapped")
    return Mapped(scn, float(row.reported) * GB, label=f"{spec.name} {m.split(' ')[0]}")


# --- PEFT README table (A100 80GB; the examples' own scripts state the setup) ------------------
# examples/conditional_generation/peft_lora_seq2seq_accelerate_ds_zero3_offload.py (T0_3B,
# mt0-xxl) and examples/causal_language_modeling/peft_lora_clm_accelerate_ds_zero3_offload.py
# (bloomz-7b1) @026d1e01: batch 8, LoRA r=8 dropout 0.1 on PEFT's default targets, fp32
# weights (from_pretrained's default then), torch AdamW, no mixed precision; the CLM script
# pads to max_length 64, the seq2seq one pads to the longest tweet (the same data: <= 64
# tokens) with 2-3 label tokens. Figures are TorchTracemalloc's max_memory_allocated.
_PEFT_README_MODELS = {"bigscience/T0_3B": "T0_3B", "bigscience/mt0-xxl": "mt0-xxl"}


def map_peft_readme(row: Row) -> Mapped:
    name = next((v for k, v in _PEFT_README_MODELS.items() if row.model.startswith(k)), None)
    spec = _model(name or "bloomz-7b1")
    base = MemoryScenario(
        model=spec,
        micro_batch_size=8,
        seq_len=64,
        weight_dtype="fp32",
        attention="eager",  # T5 and BLOOM attention are eager-only in transformers 4.x
        padded_batch=True,
        optimizer="adamw_torch",
        lora_r=8,
        target_modules=None,  # PEFT's per-model default (q, v / query_key_value)
        lora_dropout=0.1,
        include_cuda_context=False,
    )
    method = row.method
    if method.startswith("full FT"):
        scn = replace(base, peft="full")
    elif "ZeRO-3 CPU offload" in method:
        # accelerate's ds_zero3_cpu config: ZeRO-3, parameters and optimizer on the CPU.
        scn = replace(
            base,
            peft="lora",
            distributed="deepspeed-zero3",
            offload_optimizer=True,
            offload_params=True,
        )
    else:
        scn = replace(base, peft="lora")
    oom = 80 * GB if row.reported.startswith("OOM") else None
    published = oom if oom is not None else float(row.reported) * GIB
    return Mapped(scn, published, label=method, view="allocated", oom_above=oom)


# --- DeepSpeed memory estimator docs: t5-3b model states per GPU (bytes / 2**30) -------------
def map_deepspeed_docs(row: Row) -> Mapped:
    spec = _model("t5-3b")
    m = row.method
    zero3 = m.startswith("ZeRO-3")
    scn = MemoryScenario(
        model=spec,
        peft="full",
        weight_dtype="fp16",
        gpu_count=int(row.gpus),
        distributed="deepspeed-zero3" if zero3 else "deepspeed-zero2",
        offload_optimizer="offload_optimizer=cpu" in m or "param+optimizer=cpu" in m,
        offload_params="offload_param+optimizer=cpu" in m,
        model_states_only=True,
        include_cuda_context=False,
    )
    return Mapped(scn, float(row.reported) * GIB, label=f"t5-3b {m}", view="allocated")


def map_row(row: Row) -> Mapped:
    source = row.source
    if row.model == "(none)":
        # The estimator's CUDA context for the row's stack against the one measured.
        return Mapped(
            None,
            float(row.unit.split()[0]) * MIB,
            fixed_bytes=cuda_context_gib(lazy_loading=_lazy_loading(row)) * GIB,
            label="CUDA context for the row's stack",
        )
    if row.model.startswith("bert-large"):
        return map_bert(row)
    if "huggingface/peft README" in source:
        return map_peft_readme(row)
    if "method_comparison" in source:
        return map_peft_bench(row)
    if "QwenLM/Qwen" in source:
        return map_qwen(row)
    if "unsloth" in source:
        return map_unsloth(row)
    if "LLaMA-Factory" in source:
        return map_llamafactory(row)
    if "DeepSpeed" in source:
        return map_deepspeed_docs(row)
    raise Skip("source not mapped")


_SOURCES = (
    ("model_memory_anatomy", "transformers docs (CUDA context, weights)"),
    ("perf_train_gpu_one", "transformers docs (bert-large)"),
    ("method_comparison", "PEFT method comparison (Llama-3.2-3B)"),
    ("huggingface/peft README", "PEFT README"),
    ("QwenLM/Qwen", "Qwen README profile"),
    ("unsloth", "Unsloth requirements"),
    ("LLaMA-Factory", "LLaMA-Factory hardware table"),
    ("DeepSpeed", "DeepSpeed memory estimator docs"),
)


def source_group(row: Row) -> str:
    return next((label for key, label in _SOURCES if key in row.source), "other")


def is_torchtune_saver(row: Row) -> bool:
    """torchtune runs with its memory savers (chunked loss, optimizer in backward,
    activation offloading, compile)."""
    return "torchtune" in (row.source + row.method + row.notes).lower()


def is_lora_with_embeddings(row: Row) -> bool:
    """LoRA that also trains the embedding and output layers in full (modules_to_save)."""
    method = row.method.lower()
    return "lora" in method and ("emb" in method or "modules_to_save" in method)


def evaluate(rows: list[Row]) -> tuple[list[dict], list[dict], list[dict]]:
    """(rows with a figure, rows skipped, rows the source reports as out of memory)."""
    results: list[dict] = []
    skipped: list[dict] = []
    oom: list[dict] = []
    for row in rows:
        try:
            mapped = map_row(row)
        except Skip as why:
            skipped.append(
                {
                    "line": row.line,
                    "model": row.model,
                    "method": row.method,
                    "kind": "measured" if row.measured else "estimated",
                    "source": source_group(row),
                    "reason": str(why),
                }
            )
            continue
        if mapped.fixed_bytes is not None:
            est = mapped.fixed_bytes
            phase = "-"
        else:
            assert mapped.scenario is not None
            estimate = estimate_memory(mapped.scenario)
            view = {
                "allocated": estimate.allocated_bytes,
                "reserved": estimate.reserved_bytes,
                "nvidia_smi": estimate.per_gpu_bytes,
            }[mapped.view]
            est = view * mapped.gpus_summed
            phase = estimate.peak_phase
        pub = mapped.published_bytes
        if mapped.oom_above is not None:
            oom.append(
                {
                    "line": row.line,
                    "model": row.model,
                    "method": mapped.label or row.method,
                    "kind": "measured" if row.measured else "estimated",
                    "oom_above_gib": mapped.oom_above / GIB,
                    "estimate_gib": est / GIB,
                    "agrees": est > mapped.oom_above,
                }
            )
            continue
        results.append(
            {
                "line": row.line,
                "model": row.model,
                "method": mapped.label or row.method,
                "batch": row.batch,
                "seq": row.seq,
                "gpus": row.gpus,
                "kind": "measured" if row.measured else "estimated",
                "published_gib": pub / GIB,
                "estimate_gib": est / GIB,
                "error_pct": 100 * (est - pub) / pub,
                "phase": phase,
                "unit": row.unit,
                "source": source_group(row),
                "torchtune_saver": is_torchtune_saver(row),
                "lora_with_embeddings": is_lora_with_embeddings(row),
            }
        )
    return results, skipped, oom


def summary(results: list[dict], kind: str | None) -> dict:
    """Error statistics of the rows of one kind (None: all rows given)."""
    chosen = [r for r in results if kind is None or r["kind"] == kind]
    errs = [abs(r["error_pct"]) for r in chosen]
    if not errs:
        return {"kind": kind, "rows": 0}
    return {
        "kind": kind or "all",
        "rows": len(errs),
        "median_abs_error_pct": round(statistics.median(errs), 1),
        "mean_abs_error_pct": round(statistics.mean(errs), 1),
        "within_15_pct": round(sum(e <= 15 for e in errs) / len(errs), 3),
        "within_25_pct": round(sum(e <= 25 for e in errs) / len(errs), 3),
        "signed_median_pct": round(statistics.median(r["error_pct"] for r in chosen), 1),
    }


def per_source(results: list[dict]) -> list[dict]:
    """One summary per source and kind, in the order the sources first appear."""
    out = []
    for source in dict.fromkeys(r["source"] for r in results):
        for kind in ("measured", "estimated"):
            rows = [r for r in results if r["source"] == source and r["kind"] == kind]
            if rows:
                out.append({"source": source, **summary(rows, kind)})
    return out


def _print_rows(title: str, rows: list[dict]) -> None:
    print(f"{title}: {len(rows)} rows")
    for r in rows:
        print(
            f"  {r['line']:>4}  {r['model'][:22]:22} {r['method'][:44]:44} "
            f"{r['seq'][:5]:>5} {r['published_gib']:8.2f}G {r['estimate_gib']:7.2f}G "
            f"{r['error_pct']:+6.1f}%"
        )
    if rows:
        s = summary(rows, None)
        print(
            f"  median |error| {s['median_abs_error_pct']}%, signed median "
            f"{s['signed_median_pct']}%, within 25%: {s['within_25_pct']:.0%}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tsv", type=Path, default=DEFAULT_TSV)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    if not args.tsv.exists():
        print(f"no measurements file at {args.tsv}", file=sys.stderr)
        return 2
    rows = read_rows(args.tsv)
    results, skipped, oom = evaluate(rows)
    sums = [summary(results, "measured"), summary(results, "estimated")]
    sources = per_source(results)
    if args.json:
        data = {
            "rows": results,
            "skipped": skipped,
            "oom": oom,
            "summary": sums,
            "per_source": sources,
        }
        print(json.dumps(data, indent=2))
        return 0
    print(
        f"{'line':>4}  {'kind':9} {'model':22} {'method':44} {'b':>2} {'seq':>5} "
        f"{'gpu':>3} {'published':>9} {'estimate':>8} {'error':>7}  phase"
    )
    for r in results:
        print(
            f"{r['line']:>4}  {r['kind']:9} {r['model'][:22]:22} {r['method'][:44]:44} "
            f"{r['batch'][:2]:>2} {r['seq'][:5]:>5} {r['gpus'][:3]:>3} "
            f"{r['published_gib']:8.2f}G {r['estimate_gib']:7.2f}G {r['error_pct']:+6.1f}%  "
            f"{r['phase']}"
        )
    print()
    print(f"skipped {len(skipped)} rows:")
    reasons: dict[str, list[int]] = {}
    for s in skipped:
        reasons.setdefault(f"[{s['kind']}] {s['reason']}", []).append(s["line"])
    for reason, lines in reasons.items():
        print(f"  {len(lines):>3} x {reason} (lines {', '.join(map(str, lines))})")
    print()
    print(f"rows the source reports as out of memory: {len(oom)}")
    for o in oom:
        verdict = "agrees" if o["agrees"] else "DISAGREES"
        print(
            f"  {o['line']:>4}  {o['model'][:22]:22} {o['method'][:30]:30} OOM above "
            f"{o['oom_above_gib']:.1f}G, estimate {o['estimate_gib']:.1f}G: {verdict}"
        )
    print()
    print("per source:")
    print(f"  {'source':44} {'kind':9} {'rows':>4} {'median |err|':>12} {'within 25%':>10}")
    for src in sources:
        print(
            f"  {src['source'][:44]:44} {src['kind']:9} {src['rows']:>4} "
            f"{src['median_abs_error_pct']:>11}% {src['within_25_pct']:>10.0%}"
        )
    print()
    _print_rows("torchtune memory-saver rows", [r for r in results if r["torchtune_saver"]])
    if not any(is_torchtune_saver(row) for row in rows):
        print("  (the measurements file holds no torchtune run)")
    _print_rows("LoRA-with-embeddings rows", [r for r in results if r["lora_with_embeddings"]])
    print()
    print("summary (GiB throughout; error = estimate vs published):")
    for s in sums:
        if not s["rows"]:
            continue
        print(
            f"  {s['kind']:9}: {s['rows']} rows, median |error| {s['median_abs_error_pct']}%, "
            f"mean |error| {s['mean_abs_error_pct']}%, signed median {s['signed_median_pct']}%, "
            f"within 15%: {s['within_15_pct']:.0%}, within 25%: {s['within_25_pct']:.0%}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
