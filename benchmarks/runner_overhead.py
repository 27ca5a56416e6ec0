"""Runner overhead: `tunelint run` vs a hand-written TRL script, same job, one benchmark run.

The job: SFT + LoRA (r 8, alpha 16, dropout 0.05, all-linear) of the built-in tiny model on
examples/data/sft_chat.jsonl, fp32 on CPU, micro-batch 4, max_length 96, lr 1e-3, cosine,
N steps, log every 10, checkpoint policy identical. Both variants run as fresh processes,
alternating, R rounds each, with one torch thread (OMP_NUM_THREADS=1) so that they do not
fight over cores.

Measurement is the same for both and touches neither: the child process wraps
`transformers.Trainer.training_step` to timestamp every optimizer step (no gradient
accumulation, so one call per step). From that:

- steps/s after start-up: steps [W, N) over their wall time (the first W steps warm up);
- start-up: from process spawn to the first training step (imports, lint for tunelint,
  data, model, trainer), measured by the parent.

    .venv/bin/python benchmarks/runner_overhead.py [--steps 300] [--rounds 3] [--warmup 20]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "examples" / "data" / "sft_chat.jsonl"
SEQ_LEN = 96
MICRO_BATCH = 4
LEARNING_RATE = 1e-3
LOGGING_STEPS = 10


def _install_step_timer(times_path: str) -> None:
    """Timestamp each Trainer.training_step call; write them at exit."""
    import atexit

    import transformers

    stamps: list[float] = []
    original = transformers.Trainer.training_step

    def timed(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        stamps.append(time.time())
        return original(self, *args, **kwargs)

    transformers.Trainer.training_step = timed  # type: ignore[method-assign]
    atexit.register(lambda: Path(times_path).write_text(json.dumps(stamps)))


def _config_text(out_dir: str, steps: int) -> str:
    return f"""
model:
  name: tunelint/tiny
  max_seq_len: {SEQ_LEN}
method:
  kind: sft
peft:
  kind: lora
  r: 8
  alpha: 16
  dropout: 0.05
  target_modules: all-linear
precision: fp32
hardware:
  gpu: A100-80GB
training:
  max_steps: {steps}
  learning_rate: {LEARNING_RATE}
  micro_batch_size: {MICRO_BATCH}
  gradient_checkpointing: false
  logging_steps: {LOGGING_STEPS}
data:
  train: {DATA}
  format: chat
output:
  dir: {out_dir}
"""


def child_tunelint(out_dir: str, steps: int) -> int:
    """The job through the real `tunelint run` command (lint included)."""
    from tunelint.cli import main

    config = Path(out_dir + ".tune.yaml")
    config.write_text(_config_text(out_dir, steps), encoding="utf-8")
    return main(["run", str(config), "--gpu", "A100-80GB"])


def child_trl(out_dir: str, steps: int) -> int:
    """The same job, written by hand against TRL/PEFT/transformers."""
    from datasets import load_dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed
    from trl import SFTConfig, SFTTrainer

    from tunelint.runner.tiny_model import ensure_tiny_model

    model_dir = str(ensure_tiny_model())
    set_seed(42)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(
        model_dir, dtype="float32", attn_implementation="eager"
    )
    dataset = load_dataset("json", data_files=str(DATA), split="train")
    args = SFTConfig(
        output_dir=out_dir,
        max_steps=steps,
        per_device_train_batch_size=MICRO_BATCH,
        learning_rate=LEARNING_RATE,
        lr_scheduler_type="cosine",
        warmup_steps=0,
        weight_decay=0.0,
        max_grad_norm=1.0,
        optim="adamw_torch",
        seed=42,
        bf16=False,
        fp16=False,
        use_cpu=True,
        activation_checkpointing=False,
        gradient_checkpointing=False,
        logging_steps=LOGGING_STEPS,
        logging_first_step=True,
        report_to="none",
        save_strategy="steps",
        save_steps=500,
        save_total_limit=3,
        max_length=SEQ_LEN,
        packing=False,
        assistant_only_loss=False,
    )
    peft_config = LoraConfig(
        r=8, lora_alpha=16, lora_dropout=0.05, target_modules="all-linear", task_type="CAUSAL_LM"
    )
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=peft_config,
    )
    trainer.train()
    trainer.save_model(out_dir)
    return 0


def _child(variant: str, out_dir: str, steps: int, times_path: str) -> int:
    _install_step_timer(times_path)
    if variant == "tunelint":
        return child_tunelint(out_dir, steps)
    return child_trl(out_dir, steps)


def run_variant(variant: str, steps: int, warmup: int, workdir: Path) -> dict[str, float]:
    """One fresh process of a variant; its start-up time and steady steps/s."""
    out_dir = workdir / f"{variant}-{time.monotonic_ns()}"
    times_path = workdir / f"{out_dir.name}.times.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    env.setdefault("HF_HUB_OFFLINE", "1")
    command = [
        sys.executable,
        __file__,
        "--child",
        variant,
        "--out",
        str(out_dir),
        "--steps",
        str(steps),
        "--times",
        str(times_path),
    ]
    spawned = time.time()
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    finished = time.time()
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout[-2000:] + completed.stderr[-4000:])
        raise SystemExit(f"{variant} run failed ({completed.returncode})")
    stamps = json.loads(times_path.read_text())
    if len(stamps) != steps:
        raise SystemExit(f"{variant}: expected {steps} steps, timed {len(stamps)}")
    steady = stamps[warmup:]
    intervals = [b - a for a, b in itertools.pairwise(steady)]
    return {
        "startup_s": stamps[0] - spawned,
        "steps_per_s": (len(steady) - 1) / (steady[-1] - steady[0]),
        # The median step is robust to other processes stealing the CPU for a moment.
        "median_steps_per_s": 1 / statistics.median(intervals),
        "total_s": finished - spawned,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--child", choices=["tunelint", "trl"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--times", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(REPO))
        return _child(args.child, args.out, args.steps, args.times)

    results: dict[str, list[dict[str, float]]] = {"tunelint": [], "trl": []}
    with tempfile.TemporaryDirectory(prefix="tunelint-overhead-") as tmp:
        workdir = Path(tmp)
        # Build the tiny model once outside the timings.
        subprocess.run(
            [sys.executable, "-c", "from tunelint.runner.tiny_model import ensure_tiny_model;"
             "ensure_tiny_model()"],
            check=True, cwd=REPO,
        )  # fmt: skip
        for round_index in range(args.rounds):
            order = ("trl", "tunelint") if round_index % 2 == 0 else ("tunelint", "trl")
            for variant in order:
                measured = run_variant(variant, args.steps, args.warmup, workdir)
                results[variant].append(measured)
                print(
                    f"round {round_index + 1} {variant:8s}: start-up {measured['startup_s']:.2f} s, "
                    f"{measured['steps_per_s']:.2f} steps/s (median step: "
                    f"{measured['median_steps_per_s']:.2f}/s), total {measured['total_s']:.2f} s",
                    flush=True,
                )

    def median(variant: str, key: str) -> float:
        return statistics.median(r[key] for r in results[variant])

    ratio = median("trl", "steps_per_s") / median("tunelint", "steps_per_s")
    median_ratio = median("trl", "median_steps_per_s") / median("tunelint", "median_steps_per_s")
    summary = {
        "steps": args.steps,
        "warmup_steps": args.warmup,
        "rounds": args.rounds,
        "trl_steps_per_s": median("trl", "steps_per_s"),
        "tunelint_steps_per_s": median("tunelint", "steps_per_s"),
        "overhead_after_startup_pct": (ratio - 1) * 100,
        "trl_median_step_per_s": median("trl", "median_steps_per_s"),
        "tunelint_median_step_per_s": median("tunelint", "median_steps_per_s"),
        "overhead_median_step_pct": (median_ratio - 1) * 100,
        "trl_startup_s": median("trl", "startup_s"),
        "tunelint_startup_s": median("tunelint", "startup_s"),
        "startup_difference_s": median("tunelint", "startup_s") - median("trl", "startup_s"),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(
            f"\nmedian of {args.rounds} rounds, {args.steps} steps ({args.warmup} warm-up):\n"
            f"  steps/s      TRL script {summary['trl_steps_per_s']:.2f}   "
            f"tunelint run {summary['tunelint_steps_per_s']:.2f}   "
            f"overhead {summary['overhead_after_startup_pct']:+.2f}% (target <= 2%)\n"
            f"  median step  TRL script {summary['trl_median_step_per_s']:.2f}/s   "
            f"tunelint run {summary['tunelint_median_step_per_s']:.2f}/s   "
            f"overhead {summary['overhead_median_step_pct']:+.2f}%\n"
            f"  start-up s   TRL script {summary['trl_startup_s']:.2f}   "
            f"tunelint run {summary['tunelint_startup_s']:.2f}   "
            f"difference {summary['startup_difference_s']:+.2f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
