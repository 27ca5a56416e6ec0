"""`tunelint run CONFIG`: lint the config, refuse on errors, then train it with TRL + PEFT.

The ML stack is imported only after the config passed the lint, inside `run()`, so
`tunelint check` and `tunelint --help` never pay for torch.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
TRAIN_PACKAGES = ("torch", "transformers", "peft", "trl", "accelerate", "datasets")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `run` subcommand."""
    from tunelint.commands.check import add_lint_options

    parser = sub.add_parser(
        "run",
        help="train a config (needs the [train] extra)",
        description="Lint CONFIG, refuse it when it has errors, then train it with "
        "transformers + PEFT + TRL: sft, dpo, orpo, kto, reward, and online RL (grpo, rloo) "
        "against a reward model; LoRA, QLoRA, DoRA, IA3, prefix tuning, multi-task adapters "
        "or full fine-tuning. Paths in the config are relative to the config's folder. "
        "Exit 0: trained; 1: refused or failed; 2: usage error or missing [train] extra.",
    )
    parser.add_argument("config", metavar="CONFIG", help="the config file to train")
    add_lint_options(parser)
    parser.add_argument(
        "--force",
        action="store_true",
        help="train even when the lint reports errors (the errors are still printed)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an earlier run's results in output.dir: deletes only what that run "
        "wrote (listed in its .tunelint-run.json); refused when the folder holds other files",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue from the newest complete checkpoint in output.dir (incomplete ones, "
        "e.g. cut short by a full disk, are skipped and named)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="build model, data and trainer and print the resolved plan; train nothing, "
        "write nothing, and run no code from model repositories (trust_remote_code is not "
        "honoured)",
    )
    parser.add_argument(
        "--max-steps", type=int, metavar="N", help="stop after N optimizer steps (smoke runs)"
    )
    parser.add_argument(
        "--num-processes",
        type=int,
        metavar="N",
        help="processes per node through `accelerate launch` (default: hardware.count)",
    )
    parser.add_argument(
        "--reward-func",
        action="append",
        default=[],
        metavar="SPEC",
        help="grpo/rloo reward function: a TRL built-in name, module:function or "
        "file.py:function, the file read from the working directory like any command-line "
        "path (not from the config's folder); the run prints which file it loaded "
        "(repeatable; adds to method.reward_model)",
    )
    parser.add_argument(
        "--accelerate-config",
        metavar="FILE",
        help="accelerate config file for the launch (multi-node, custom FSDP/DeepSpeed)",
    )
    parser.set_defaults(func=run)


def _missing_train_packages() -> list[str]:
    from importlib.util import find_spec

    return [name for name in TRAIN_PACKAGES if find_spec(name) is None]


def format_estimate(report: Any) -> str | None:
    """A few lines from the estimator's MemoryReport; None when there is nothing to say.

    Written against the report's public attributes (estimate.per_gpu_gib, components,
    peak_phase; gpu_name, capacity_gib, fits, headroom_gib; reason), and tolerant of any
    of them missing, so an estimator change cannot stop a run.
    """
    if report is None:
        return None
    estimate = getattr(report, "estimate", None)
    if estimate is None:
        reason = getattr(report, "reason", None)
        return f"no memory estimate: {reason}" if reason else None
    peak = getattr(estimate, "per_gpu_gib", None)
    if peak is None:
        return None
    phase = str(getattr(estimate, "peak_phase", "")).replace("_", " ")
    line = f"{peak:.2f} GiB peak per GPU" + (f" (during {phase})" if phase else "")
    gpu, capacity = getattr(report, "gpu_name", None), getattr(report, "capacity_gib", None)
    if gpu and capacity:
        line += f" on {gpu} ({capacity:g} GiB)"
        headroom = getattr(report, "headroom_gib", None)
        if getattr(report, "fits", None) is True and headroom is not None:
            line += f": fits, {headroom:.2f} GiB headroom"
        elif getattr(report, "fits", None) is False and headroom is not None:
            line += f": DOES NOT FIT, {-headroom:.2f} GiB over"
    components = sorted(
        (c for c in getattr(estimate, "components", ()) if getattr(c, "bytes", 0)),
        key=lambda c: c.bytes,
        reverse=True,
    )[:4]
    if components:
        line += "\n  largest: " + ", ".join(f"{c.name} {c.gib:.2f} GiB" for c in components)
    return line + "\n  (details: tunelint estimate CONFIG)"


def _print_estimate(result: Any) -> None:
    context = getattr(result, "context", None)
    if context is None:
        return
    try:
        text = format_estimate(context.estimate)
    except Exception as exc:  # an estimator bug must not block a run
        text = f"memory estimate unavailable ({type(exc).__name__}: {exc})"
    if text:
        print(f"tunelint: memory estimate: {text}", flush=True)


def run(args: argparse.Namespace) -> int:
    """Lint, then train; the exit status says which step stopped it."""
    from tunelint.commands.check import apply_network_choice

    apply_network_choice(args)
    from tunelint.lint import LintOptions, ReadError, lint_file
    from tunelint.reporters import render_text

    path = Path(args.config)
    options = LintOptions(
        gpu=args.gpu, gpu_count=args.gpu_count, dialect=getattr(args, "dialect", None)
    )
    try:
        result = lint_file(path, options)
    except ReadError as exc:
        print(f"tunelint: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # settings errors and the like: one line, no traceback
        print(f"tunelint: error: {path}: {exc}", file=sys.stderr)
        return EXIT_USAGE

    if result.diagnostics:
        render_text(result.diagnostics, {result.path: result.text}, sys.stdout)
    errors = [d for d in result.diagnostics if d.severity == "error"]
    if result.plan is None:
        print(
            f"tunelint: error: {path} could not be read as a fine-tuning config"
            + (f" ({len(errors)} error(s) above)" if errors else ""),
            file=sys.stderr,
        )
        return EXIT_REFUSED
    if errors and not args.force:
        print(
            f"tunelint: refusing to train {path}: {len(errors)} error(s) above. Fix them, or "
            "pass --force to train anyway.",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    if errors:
        banner = "!" * 72
        print(
            f"{banner}\ntunelint: --force: TRAINING DESPITE {len(errors)} LINT ERROR(S): "
            + ", ".join(sorted({d.code for d in errors}))
            + f"\n{banner}",
            file=sys.stderr,
            flush=True,
        )
    _print_estimate(result)

    missing = _missing_train_packages()
    if missing:
        print(
            f"tunelint: error: `tunelint run` needs the [train] extra (missing: "
            f"{', '.join(missing)}): pip install 'tunelint[train]'",
            file=sys.stderr,
        )
        return EXIT_USAGE

    from tunelint.config.plan_objects import to_model
    from tunelint.runner.errors import RunnerError
    from tunelint.runner.options import RunOptions
    from tunelint.runner.session import run_plan

    run_options = RunOptions(
        overwrite=args.overwrite,
        resume=args.resume,
        dry_run=args.dry_run,
        max_steps=args.max_steps,
        num_processes=args.num_processes,
        reward_funcs=tuple(args.reward_func),
        accelerate_config=args.accelerate_config,
    )
    try:
        # The runner works with the pydantic Plan (lint holds its plain-object form).
        run_plan(to_model(result.plan), path.resolve().parent, run_options)
    except RunnerError as exc:
        print(f"tunelint: error: {exc}", file=sys.stderr, flush=True)
        return EXIT_REFUSED
    return EXIT_OK
