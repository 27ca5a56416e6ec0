"""`tunelint init`: ask the article's questions (or take them as flags), decide method, PEFT,
precision and memory strategy, and write a config that `tunelint check` passes with zero
findings.

Exit 0: written; 1: nothing fits, the file exists (use --force), or the written config would
have findings; 2: a missing or unusable answer.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_NOT_WRITTEN, EXIT_USAGE = 0, 1, 2
REQUIRED = ("goal", "model", "gpu")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from tunelint.init.answers import DATA_FORMATS, FORMATS, GOALS, PRIORITIES

    p = sub.add_parser(
        "init",
        help="write a new fine-tuning config by the article's rules",
        description="Ask what the fine-tuning is for, the model and the GPU, and write a "
        "config whose method, PEFT kind, precision, sequence length and micro-batch follow the "
        "source article's rules and the memory estimate. On a terminal, missing answers are "
        "asked; elsewhere --goal, --model and --gpu are required. Exit 0: written; 1: nothing "
        "fits or the file exists; 2: a missing or unusable answer.",
    )
    p.add_argument("--goal", choices=GOALS, help="new-capability or improve-existing (required)")
    p.add_argument("--model", metavar="NAME", help="base model: hub id, folder, catalog name")
    p.add_argument("--gpu", metavar="NAME", help="GPU as the catalog names it (e.g. 'RTX 4090')")
    p.add_argument("--gpu-count", type=int, metavar="N", help="GPUs per node (default 1)")
    p.add_argument("--days", type=float, metavar="D", help="days available (default 30)")
    p.add_argument("--tasks", type=int, metavar="N", help="tasks one model serves (default 1)")
    p.add_argument("--priority", choices=PRIORITIES, help="what matters most (default quality)")
    p.add_argument("--data", metavar="PATH", help="training data (default data/train.jsonl)")
    p.add_argument(
        "--data-format", choices=DATA_FORMATS, help="record layout (default: the method's)"
    )
    p.add_argument("--format", choices=FORMATS, help="config format (default native)")
    p.add_argument("--output", "-o", metavar="PATH", help="file to write (default by model)")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.add_argument(
        "--choices",
        action="store_true",
        help="print the accepted answers as JSON (for editors) and exit",
    )
    p.set_defaults(func=run)


def _given(args: argparse.Namespace) -> dict[str, Any]:
    keys = ("goal", "model", "gpu", "gpu_count", "days", "tasks", "priority", "data", "format")
    return {key: getattr(args, key) for key in keys}


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value  # 0 is an answer (and an invalid one)


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def run(args: argparse.Namespace) -> int:
    from tunelint.init import Decision, InitAnswers, InitError, decide
    from tunelint.init.answers import DEFAULT_DATA, DEFAULT_DAYS
    from tunelint.init.formats import format_caps
    from tunelint.init.prompts import Interrupted, ask_missing, ask_output

    if args.choices:
        _print_choices()
        return EXIT_OK
    given = _given(args)
    missing = [key for key in REQUIRED if given[key] is None]
    asking = bool(missing) and _interactive()
    if missing and not asking:
        flags = ", ".join(f"--{key}" for key in missing)
        print(f"tunelint init: missing {flags} (stdin is not a terminal)", file=sys.stderr)
        return EXIT_USAGE
    try:
        if asking:
            given = ask_missing(given)
        answers = InitAnswers(
            goal=given["goal"],
            model=given["model"],
            gpu=given["gpu"],
            gpu_count=_or(given["gpu_count"], 1),
            days=_or(given["days"], DEFAULT_DAYS),
            tasks=_or(given["tasks"], 1),
            priority=given["priority"] or "quality",
            data=given["data"] or DEFAULT_DATA,
            data_format=args.data_format,
            format=given["format"] or "native",
        )
        result = decide(answers)
    except Interrupted:
        print("tunelint init: interrupted", file=sys.stderr)
        return 130
    except InitError as exc:
        print(f"tunelint init: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not isinstance(result, Decision):
        print(f"tunelint init: nothing written: {result.reason}", file=sys.stderr)
        if result.suggestions:
            print("what would fit:", file=sys.stderr)
            for line in result.suggestions:
                print(f"  - {line}", file=sys.stderr)
        return EXIT_NOT_WRITTEN
    suffix = format_caps(answers.format).suffix
    default = result.plan.output.dir.rsplit("/", 1)[-1] + suffix
    try:
        output = args.output or (ask_output(default) if asking else default)
    except Interrupted:
        print("tunelint init: interrupted", file=sys.stderr)
        return 130
    return _write(result, Path(output), args.force)


def _print_choices() -> None:
    """The values each question accepts, from the same tables the checks use."""
    import json

    from tunelint.init.answers import DATA_FORMATS, FORMATS, GOALS, PRIORITIES
    from tunelint.init.formats import format_caps
    from tunelint.knowledge.gpus import gpu_names
    from tunelint.knowledge.models import model_names

    choices = {
        "goal": list(GOALS),
        "priority": list(PRIORITIES),
        "format": {name: format_caps(name).label for name in FORMATS},
        "data_format": list(DATA_FORMATS),
        "gpu": gpu_names(),
        "model": [name for name in model_names() if "/" in name],
    }
    json.dump(choices, sys.stdout, indent=2)
    sys.stdout.write("\n")


def _write(decision: Any, output: Path, force: bool) -> int:
    from tunelint.init.verify import NotWritten, write_decision

    try:
        written = write_decision(decision, output, force=force)
    except (NotWritten, OSError) as exc:
        print(f"tunelint init: {exc}", file=sys.stderr)
        return EXIT_NOT_WRITTEN
    _summary(decision, written)
    return EXIT_OK


def _summary(decision: Any, written: list[Path]) -> None:
    plan = decision.plan
    w = sys.stdout.write
    gpus = f" x {decision.answers.gpu_count}" if decision.answers.gpu_count > 1 else ""
    sized = decision.model.display_name
    as_ = "" if sized == plan.model.name else f" (sized as {sized})"
    w(f"{plan.model.name}{as_} on {decision.gpu.name}{gpus}\n")
    for label, path in (
        ("method", ("method", "kind")),
        ("peft", ("peft", "kind")),
        ("precision", ("precision",)),
        ("sequence", ("model", "max_seq_len")),
        ("micro-batch", ("training", "micro_batch_size")),
        ("checkpointing", ("training", "gradient_checkpointing")),
        ("distributed", ("hardware", "distributed")),
    ):
        value: Any = plan
        for key in path:
            value = getattr(value, key)
        if label == "distributed" and value == "none":
            continue
        why = decision.why.get(path) or (decision.accepted.get(path) or ("", ""))[1]
        w(f"  {label:<14}{value!s:<16}{why}\n")
    w(f"  {'estimate':<14}{decision.per_gpu_gib:.1f} of {decision.gpu.memory_gib:g} GiB per GPU\n")
    for note in decision.notes:
        w(f"  note: {note}\n")
    for path in written:
        w(f"wrote {path}\n")
