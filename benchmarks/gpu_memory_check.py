"""On a GPU machine: train a small matrix of real configs for a few steps and compare what
CUDA measured with tunelint's estimate (issue 12's device check). Prints a table; asserts
nothing. Without CUDA it says so and exits 0.

The machine reaches no hub, so the model is a randomly initialised Llama built locally at a
realistic width (hidden 2048, 16 layers: ~1.1B parameters with the tiny model's tokenizer
copied beside it); what is compared is memory, not learning. Each row is one native config
trained with `tunelint run`'s code path (in process) for `--steps` steps:

- measured: `torch.cuda.max_memory_allocated()` and `max_memory_reserved()` after the steps
- estimated: the estimate's allocated and reserved views (`tunelint estimate` JSON)

    python benchmarks/gpu_memory_check.py [--steps 4] [--hidden 2048] [--layers 16]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# (name, peft kind, max_seq_len, micro-batch, gradient checkpointing, method)
MATRIX: tuple[tuple[str, str, int, int, bool, str], ...] = (
    ("lora seq512 mb4", "lora", 512, 4, False, "sft"),
    ("lora seq2048 mb2 ckpt", "lora", 2048, 2, True, "sft"),
    ("qlora seq1024 mb4", "qlora", 1024, 4, False, "sft"),
    ("full seq512 mb2", "full", 512, 2, False, "sft"),
    ("full seq1024 mb2 ckpt", "full", 1024, 2, True, "sft"),
    ("dpo lora seq512 mb2", "lora", 512, 2, False, "dpo"),
)


def build_model(folder: Path, hidden: int, layers: int) -> Path:
    """A random-init Llama of the given width with the tiny model's tokenizer."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from tunelint.runner.tiny_model import ensure_tiny_model

    tiny = ensure_tiny_model()
    config = LlamaConfig(
        vocab_size=1024,
        hidden_size=hidden,
        intermediate_size=int(hidden * 2.6875),
        num_hidden_layers=layers,
        num_attention_heads=hidden // 128,
        num_key_value_heads=max(1, hidden // 512),
        max_position_embeddings=4096,
    )
    model = LlamaForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(folder)
    for item in tiny.iterdir():
        if "token" in item.name or item.name in ("special_tokens_map.json", "chat_template.jinja"):
            shutil.copy(item, folder / item.name)
    return folder


def plan_for(model: Path, data: Path, out: Path, row: tuple[Any, ...], steps: int) -> dict:
    _, kind, seq, batch, ckpt, method = row
    return {
        "model": {"name": str(model), "max_seq_len": seq},
        "method": {"kind": method},
        "peft": {"kind": kind, **({"reason": "device check"} if kind == "full" else {})},
        "precision": "bf16",
        "hardware": {"gpu": "auto"},
        "training": {
            "max_steps": steps,
            "micro_batch_size": batch,
            "gradient_checkpointing": ckpt,
            "logging_steps": 1,
        },
        "data": {"train": str(data), "format": "preference" if method == "dpo" else "chat"},
        "output": {"dir": str(out)},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--hidden", type=int, default=2048)
    parser.add_argument("--layers", type=int, default=16)
    args = parser.parse_args()
    import torch

    if not torch.cuda.is_available():
        print("no CUDA device: nothing to measure (run this on a GPU machine)")
        return 0
    from tunelint.config.plan import Plan
    from tunelint.knowledge.gpus import resolve_gpu
    from tunelint.knowledge.memory_plan import plan_report
    from tunelint.runner.options import RunOptions
    from tunelint.runner.session import run_plan

    gpu = resolve_gpu(torch.cuda.get_device_name(0))
    print(f"device: {torch.cuda.get_device_name(0)} -> catalog {gpu.name if gpu else '?'}")
    gib = 1024**3
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        model = build_model(root / "model", args.hidden, args.layers)
        for row in MATRIX:
            data = (
                REPO
                / "examples"
                / "data"
                / ("preference.jsonl" if row[5] == "dpo" else "sft_chat.jsonl")
            )
            cfg = plan_for(model, data, root / row[0].replace(" ", "_"), row, args.steps)
            plan = Plan.model_validate(cfg)
            report = plan_report(plan, gpu, 1)
            est = report.estimate
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
            try:
                run_plan(plan, root, RunOptions(), say=lambda _m: None)
            except Exception as exc:  # one row's failure is that row's line
                rows.append((row[0], None, None, est, f"{type(exc).__name__}: {exc}"[:80]))
                continue
            allocated = torch.cuda.max_memory_allocated() / gib
            reserved = torch.cuda.max_memory_reserved() / gib
            rows.append((row[0], allocated, reserved, est, ""))
    print(
        f"\n{'config':<26} {'alloc GiB':>9} {'est':>7} {'err':>6} {'reserved':>9} {'est':>7} {'err':>6}"
    )
    for name, allocated, reserved, est, note in rows:
        if allocated is None or est is None:
            print(f"{name:<26} {note}")
            continue
        ea = est.allocated_bytes / gib
        er = est.reserved_bytes / gib
        print(
            f"{name:<26} {allocated:>9.2f} {ea:>7.2f} {100 * (ea - allocated) / allocated:>5.0f}% "
            f"{reserved:>9.2f} {er:>7.2f} {100 * (er - reserved) / reserved:>5.0f}%"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
