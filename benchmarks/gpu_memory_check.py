"""On a GPU machine: train a matrix of native configs for a few steps and compare what CUDA
measured with tunelint's estimate (issue 12's device check). Prints a table and, with
`--out DIR` (default: `$OUT` when set), writes DIR/gpu_memory_check.json after every row;
asserts nothing. Without CUDA it says so and exits 0.

The machine reaches no hub, so the models are randomly initialised Llamas built locally at
real shapes (TinyLlama-1.1B's and Llama-3-8B's, vocabulary included) with the tiny model's
tokenizer copied beside them, and the data is generated so that every sequence reaches
`max_seq_len`: what is compared is memory, not learning. Each row is one native YAML config,
read exactly as `tunelint run CONFIG --gpu H200` reads it: `lint_file` gives the Plan and its
memory report (the estimate `tunelint estimate --gpu H200` prints), and that same Plan is
trained in process by `run_plan` for `--steps` steps.

- measured: `torch.cuda.max_memory_allocated()` / `max_memory_reserved()` over the row
  (peak stats reset before it, the previous row's memory freed), and as the nvidia-smi view
  the peak reserved plus what the device held outside PyTorch at the row's end (the CUDA
  context and the libraries' own memory)
- estimated: the report's allocated, reserved and nvidia-smi views

Each row runs in its own try (a failure is that row's line), and rows stop being started once
`--budget-s` seconds have passed, so one command always ends with a table.

    python benchmarks/gpu_memory_check.py [--steps 4] [--budget-s 240] [--only 1.1B,8B]
    python benchmarks/gpu_memory_check.py --smoke   # CPU: the machinery at a toy shape
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import os
import random
import shutil
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

GPU = "H200"
GIB = 1024**3
JSON_NAME = "gpu_memory_check.json"
EXAMPLES = 32  # more than steps x micro-batch of any row, so no row runs out of data
# A new shape is built (random init, save, reload) only with this much budget left.
BUILD_RESERVE_S = 60


@dataclass(frozen=True)
class Shape:
    """A Llama shape (the published config.json values of the model it is named after)."""

    vocab: int
    hidden: int
    intermediate: int
    layers: int
    heads: int
    kv_heads: int


SHAPES = {
    # TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T config.json
    "1.1B": Shape(32000, 2048, 5632, 22, 32, 4),
    # meta-llama/Meta-Llama-3-8B config.json
    "8B": Shape(128256, 4096, 14336, 32, 32, 8),
    # --smoke only: the machinery on CPU in seconds
    "toy": Shape(1024, 64, 176, 2, 4, 4),
}


@dataclass(frozen=True)
class Row:
    name: str
    shape: str
    peft: str  # lora | qlora | full
    seq: int
    batch: int
    checkpointing: bool
    method: str = "sft"
    optimizer: str = "adamw_torch"

    @property
    def needs_cuda(self) -> bool:
        """bitsandbytes' 4-bit weights and 8-bit optimizers run on CUDA only."""
        return self.peft == "qlora" or "8bit" in self.optimizer


# Cheap rows first: a run that hits the time budget still has the most rows.
MATRIX: tuple[Row, ...] = (
    Row("1.1B lora s512 b4", "1.1B", "lora", 512, 4, False),
    Row("1.1B lora s2048 b2 ckpt", "1.1B", "lora", 2048, 2, True),
    Row("1.1B qlora s1024 b4", "1.1B", "qlora", 1024, 4, False),
    Row("1.1B full s512 b2", "1.1B", "full", 512, 2, False),
    Row("1.1B full s1024 b2 ckpt", "1.1B", "full", 1024, 2, True),
    Row("1.1B full s512 b2 adam8bit", "1.1B", "full", 512, 2, False, optimizer="adamw_8bit"),
    Row("1.1B dpo lora s512 b2", "1.1B", "lora", 512, 2, False, method="dpo"),
    Row("8B lora s1024 b2", "8B", "lora", 1024, 2, False),
    Row("8B lora s4096 b1 ckpt", "8B", "lora", 4096, 1, True),
    Row("8B qlora s2048 b2 ckpt", "8B", "qlora", 2048, 2, True),
)
SMOKE_ROWS: tuple[Row, ...] = (
    Row("toy lora s128 b2", "toy", "lora", 128, 2, False),
    Row("toy dpo lora s128 b2", "toy", "lora", 128, 2, False, method="dpo"),
    Row("toy qlora s128 b2", "toy", "qlora", 128, 2, False),
)


def build_model(folder: Path, shape: Shape, device: str) -> Path:
    """A random-init bf16 Llama of `shape` with the tiny model's tokenizer beside it."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from tunelint.runner.tiny_model import ensure_tiny_model

    tokenizer = AutoTokenizer.from_pretrained(ensure_tiny_model())
    config = LlamaConfig(
        vocab_size=shape.vocab,  # larger than the tokenizer's: the logits are the real size
        hidden_size=shape.hidden,
        intermediate_size=shape.intermediate,
        num_hidden_layers=shape.layers,
        num_attention_heads=shape.heads,
        num_key_value_heads=shape.kv_heads,
        max_position_embeddings=8192,
        tie_word_embeddings=False,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
    )
    torch.manual_seed(0)
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)  # built in bf16: no fp32 copy of 8B
    try:
        with torch.device(device):  # initialised where it is fast; on a GPU 8B takes seconds
            model = LlamaForCausalLM(config)
    finally:
        torch.set_default_dtype(default)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    del model
    _free_memory()
    return folder


def _words() -> list[str]:
    from importlib import resources

    text = resources.files("tunelint.runner.resources").joinpath("tiny_corpus.txt")
    return text.read_text("utf-8").split()


def write_data(folder: Path, tokens: int) -> dict[str, Path]:
    """Chat and preference JSONL whose answers are each over `tokens` tokens long (so every
    sequence is truncated at max_seq_len, and the estimate's data lengths are the run's)."""
    words, rng = _words(), random.Random(0)

    # The tiny BPE tokenizer spends at least one token per word.
    def long_text() -> str:
        return " ".join(rng.choice(words) for _ in range(tokens + 64))

    folder.mkdir(parents=True, exist_ok=True)
    chat, preference = folder / "chat.jsonl", folder / "preference.jsonl"
    with chat.open("w", encoding="utf-8") as out:
        for _ in range(EXAMPLES):
            messages = [
                {"role": "user", "content": "Write a long text."},
                {"role": "assistant", "content": long_text()},
            ]
            out.write(json.dumps({"messages": messages}) + "\n")
    with preference.open("w", encoding="utf-8") as out:
        for _ in range(EXAMPLES):
            record = {
                "prompt": [{"role": "user", "content": "Write a long text."}],
                "chosen": [{"role": "assistant", "content": long_text()}],
                "rejected": [{"role": "assistant", "content": long_text()}],
            }
            out.write(json.dumps(record) + "\n")
    return {"sft": chat, "dpo": preference}


def config_text(row: Row, model: Path, data: Path, out: Path, steps: int) -> str:
    """The row's native tunelint config, as a user would write it."""
    import yaml

    config: dict[str, Any] = {
        "model": {"name": str(model), "max_seq_len": row.seq},
        "method": {"kind": row.method},
        "peft": {"kind": row.peft},
        "precision": "bf16",
        "hardware": {"gpu": GPU},
        "training": {
            "max_steps": steps,
            "micro_batch_size": row.batch,
            "gradient_accumulation_steps": 1,
            "gradient_checkpointing": row.checkpointing,
            "optimizer": row.optimizer,
            "logging_steps": 1,
        },
        "data": {"train": str(data), "format": "preference" if row.method == "dpo" else "chat"},
        "output": {"dir": str(out)},
    }
    if row.peft == "full":
        config["peft"]["reason"] = "device check: full fine-tuning memory"
    return yaml.safe_dump(config, sort_keys=False)


def _free_memory() -> None:
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
        torch.cuda.empty_cache()


def _outside_pytorch_gib() -> float:
    """What the device holds beyond PyTorch's reserved memory now: the CUDA context and the
    libraries' own allocations (cuBLAS, bitsandbytes) -- nvidia-smi counts them, PyTorch not."""
    import torch

    torch.empty(1, device="cuda")
    free, total = torch.cuda.mem_get_info()
    return (total - free - torch.cuda.memory_reserved()) / GIB


def estimate_and_plan(path: Path) -> tuple[Any, Any, list[str]]:
    """What `tunelint run PATH --gpu H200` reads: the Plan, its memory report, lint errors."""
    from tunelint.lint import LintOptions, lint_file

    result = lint_file(path, LintOptions(gpu=GPU))
    errors = sorted({d.code for d in result.diagnostics if d.severity == "error"})
    report = result.context.estimate if result.context is not None else None
    return result.plan, report, errors


def run_row(row: Row, config: Path, cuda: bool) -> dict[str, Any]:
    """Estimate and train one row; every outcome is a dict (never raises)."""
    import torch

    from tunelint.runner.options import RunOptions
    from tunelint.runner.session import run_plan

    record: dict[str, Any] = {"row": row.name, "config": asdict(row)}
    started = time.monotonic()
    log = io.StringIO()
    said: list[str] = []  # the runner's own messages: notes on what it changed or resolved
    try:
        plan, report, errors = estimate_and_plan(config)
        record["lint_errors"] = errors
        if plan is None:
            raise RuntimeError(f"not read as a Plan (lint errors: {errors})")
        est = report.estimate if report is not None else None
        if est is None:
            record["estimate_reason"] = getattr(report, "reason", "no report")
        else:
            record["estimate_gib"] = est.views_gib
            record["estimate_per_gpu_gib"] = round(est.per_gpu_gib, 3)
            record["estimate_peak_phase"] = est.peak_phase
            record["estimate_components_gib"] = {
                c.name: round(c.gib, 3) for c in est.components if c.bytes
            }
            record["estimate_assumptions"] = list(est.assumptions)
        if cuda:
            _free_memory()
            record["start_allocated_gib"] = round(torch.cuda.memory_allocated() / GIB, 3)
            torch.cuda.reset_peak_memory_stats()
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            result = run_plan(plan, config.parent, RunOptions(), say=said.append)
        record["trainer"] = result.resolved.get("trainer")
        record["final_loss"] = next(
            (e["loss"] for e in reversed(result.log_history) if "loss" in e), None
        )
        del result
        if cuda:
            torch.cuda.synchronize()
            reserved = torch.cuda.max_memory_reserved() / GIB
            outside = _outside_pytorch_gib()  # before freeing: the libraries this row loaded
            record["measured_gib"] = {
                "allocated": round(torch.cuda.max_memory_allocated() / GIB, 3),
                "reserved": round(reserved, 3),
                "nvidia_smi": round(reserved + outside, 3),
            }
            record["outside_pytorch_gib"] = round(outside, 3)
    except Exception as exc:  # one row's failure is that row's line
        record["error"] = f"{type(exc).__name__}: {exc}"[:500]
        record["traceback"] = traceback.format_exc()[-4000:]
        record["log_tail"] = log.getvalue()[-2000:]
    finally:
        record["runner_messages"] = [m[:300] for m in said[-30:]]
        _free_memory()
        if cuda:
            record["end_allocated_gib"] = round(torch.cuda.memory_allocated() / GIB, 3)
        record["seconds"] = round(time.monotonic() - started, 1)
    return record


def error_pct(estimated: float, measured: float) -> str:
    return f"{100 * (estimated - measured) / measured:+.0f}%" if measured else "-"


def print_table(records: list[dict[str, Any]]) -> None:
    head = f"{'config':<28}"
    for view in ("allocated", "reserved", "nvidia-smi"):
        head += f" {view + ' GiB':>15} {'est':>7} {'err':>6}"
    print("\n" + head + f" {'s':>6}")
    for rec in records:
        line = f"{rec['row']:<28}"
        measured, est = rec.get("measured_gib"), rec.get("estimate_gib")
        if "error" in rec or "skipped" in rec or measured is None or est is None:
            why = (
                rec.get("skipped")
                or rec.get("error")
                or rec.get("estimate_reason")
                or "trained; not measured (no CUDA)"
            )
            if measured is not None:
                why = f"measured alloc {measured['allocated']:.2f} GiB; {why}"
            elif est is not None:
                why = f"est alloc {est['allocated']:.2f} GiB; {why}"
            print(f"{line} {why}"[:220])
            continue
        for key in ("allocated", "reserved", "nvidia_smi"):
            line += (
                f" {measured[key]:>15.2f} {est[key]:>7.2f} {error_pct(est[key], measured[key]):>6}"
            )
        print(line + f" {rec['seconds']:>6.0f}")
    errors = [
        abs(r["estimate_gib"]["allocated"] - r["measured_gib"]["allocated"])
        / r["measured_gib"]["allocated"]
        for r in records
        if r.get("measured_gib") and r.get("estimate_gib") and "error" not in r
    ]
    if errors:
        errors.sort()
        print(
            f"\nallocated: {len(errors)} rows, median |error| {100 * errors[len(errors) // 2]:.1f}%, "
            f"max {100 * errors[-1]:.1f}%, within 25%: {sum(e <= 0.25 for e in errors)}/{len(errors)}"
        )


def versions() -> dict[str, str]:
    from importlib import metadata

    found = {}
    # The training stack, then what the device image brings that the carried wheels need.
    names = ("torch", "transformers", "trl", "peft", "accelerate", "datasets", "bitsandbytes")
    for name in (*names, "huggingface_hub", "tokenizers", "pyarrow", "fsspec", "tqdm"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "missing"
    return found


def write_json(out: Path | None, payload: dict[str, Any]) -> None:
    if out is None:
        return
    out.mkdir(parents=True, exist_ok=True)
    (out / JSON_NAME).write_text(json.dumps(payload, indent=2), encoding="utf-8")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=4, help="optimizer steps per row")
    parser.add_argument(
        "--budget-s", type=float, default=240, help="start no row after this many seconds"
    )
    parser.add_argument("--only", default="", help="comma-separated row-name substrings")
    parser.add_argument("--out", default=os.environ.get("OUT") or None, help="JSON folder")
    parser.add_argument(
        "--smoke", action="store_true", help="CPU: run toy rows to check the script itself"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    begun = time.monotonic()
    try:
        import torch
    except ImportError:
        print("no CUDA device: torch is not installed (run this on a GPU machine)")
        return 0
    cuda = torch.cuda.is_available()
    if not cuda and not args.smoke:
        print("no CUDA device: nothing to measure (run this on a GPU machine)")
        return 0
    rows = SMOKE_ROWS if args.smoke else MATRIX
    wanted = [w for w in args.only.split(",") if w]
    rows = tuple(r for r in rows if not wanted or any(w in r.name for w in wanted))
    out = Path(args.out) if args.out else None
    device = torch.cuda.get_device_name(0) if cuda else "cpu"
    context = _outside_pytorch_gib() if cuda else 0.0
    payload: dict[str, Any] = {
        "device": device,
        "estimated_for": GPU,
        "versions": versions(),
        "steps": args.steps,
        "cuda_context_gib": round(context, 3),
        "rows": [],
    }
    print(f"device: {device}; estimates for {GPU}; CUDA context {context:.2f} GiB")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in payload["versions"].items()))
    with tempfile.TemporaryDirectory(prefix="gpu-memory-check-") as scratch:
        root = Path(scratch)
        data = write_data(root / "data", max(r.seq for r in rows) if rows else 0)
        models: dict[str, Path] = {}
        for row in rows:
            record: dict[str, Any] = {"row": row.name, "config": asdict(row)}
            elapsed = time.monotonic() - begun
            if elapsed > args.budget_s:
                record["skipped"] = f"time budget: {elapsed:.0f} s of {args.budget_s:.0f} s used"
            elif row.needs_cuda and not cuda:
                record["skipped"] = "bitsandbytes needs CUDA"
            elif row.shape not in models and elapsed > args.budget_s - BUILD_RESERVE_S:
                record["skipped"] = f"time budget: no time left to build the {row.shape} model"
            else:
                try:
                    if row.shape not in models:
                        for old in models.values():  # one shape on disk at a time
                            shutil.rmtree(old, ignore_errors=True)
                        built = time.monotonic()
                        folder = root / f"model-{row.shape}"
                        models[row.shape] = build_model(
                            folder, SHAPES[row.shape], "cuda" if cuda else "cpu"
                        )
                        print(f"built {row.shape} model in {time.monotonic() - built:.0f} s")
                    config = root / "configs" / row.name.replace(" ", "_") / "config.yaml"
                    config.parent.mkdir(parents=True, exist_ok=True)
                    config.write_text(
                        config_text(
                            row,
                            models[row.shape],
                            data[row.method],
                            config.parent / "run",
                            args.steps,
                        ),
                        encoding="utf-8",
                    )
                    record = run_row(row, config, cuda)
                    shutil.rmtree(config.parent / "run", ignore_errors=True)
                except Exception as exc:  # building the model failed: this row's line
                    record["error"] = f"{type(exc).__name__}: {exc}"[:500]
                    record["traceback"] = traceback.format_exc()[-4000:]
            payload["rows"].append(record)
            write_json(out, payload)
            status = record.get("skipped") or record.get("error") or "ok"
            print(f"[{time.monotonic() - begun:5.0f} s] {row.name}: {status}"[:300], flush=True)
            if "traceback" in record:
                print(record["traceback"][-1500:], flush=True)
    print_table(payload["rows"])
    payload["seconds"] = round(time.monotonic() - begun, 1)
    write_json(out, payload)
    if out is not None:
        print(f"\nwrote {out / JSON_NAME}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
