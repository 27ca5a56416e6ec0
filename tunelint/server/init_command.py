"""`tunelint.init` over LSP: the arguments of `tunelint init`'s flags as one object, the same
decision and the same writer (`write_decision`) as the CLI.

Arguments: `{"goal", "model", "gpu", "gpu_count", "days", "tasks", "priority", "data",
"data_format", "format", "output", "force"}` (also spelt `gpu-count` or `gpuCount`); goal,
model and gpu are required, the rest have the CLI's defaults. A relative `output` is taken
from the workspace folder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tunelint.init import Decision, InitAnswers, InitError, NoFit, NotWritten, decide
from tunelint.init.answers import DEFAULT_DATA, DEFAULT_DAYS
from tunelint.init.formats import format_caps
from tunelint.init.verify import write_decision
from tunelint.knowledge.models import lookup_model

COMMAND = "tunelint.init"
REQUIRED = ("goal", "model", "gpu")
_TEXT = ("goal", "model", "gpu", "priority", "data", "data_format", "format", "output")
_WHOLE = ("gpu_count", "tasks")
_KNOWN = frozenset((*_TEXT, *_WHOLE, "days", "force"))


class InitFailed(Exception):
    """Nothing was written. `usage`: the arguments are at fault (InvalidParams), else the
    answers cannot be met (nothing fits, a file in the way)."""

    def __init__(self, message: str, usage: bool, data: Any = None) -> None:
        super().__init__(message)
        self.usage = usage
        self.data = data


@dataclass(frozen=True, slots=True)
class InitRequest:
    answers: InitAnswers
    output: str | None
    force: bool


@dataclass(frozen=True, slots=True)
class InitDone:
    config: Path
    written: list[Path]
    summary: str

    def to_json(self) -> dict[str, Any]:
        return {
            "config": str(self.config),
            "written": [str(p) for p in self.written],
            "summary": self.summary,
        }


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).replace("-", "_").lower()


def parse_arguments(arguments: Any) -> InitRequest:
    """The command's arguments (an object, or a list holding one) as InitAnswers."""
    if isinstance(arguments, list | tuple) and len(arguments) == 1:
        arguments = arguments[0]
    if not isinstance(arguments, Mapping):
        raise InitFailed(f"{COMMAND} takes one object of answers (goal, model, gpu, …)", True)
    given = {_snake(str(key)): value for key, value in arguments.items()}
    unknown = sorted(set(given) - _KNOWN)
    if unknown:
        raise InitFailed(f"{COMMAND}: unknown argument(s) {', '.join(unknown)}", True)
    missing = [key for key in REQUIRED if given.get(key) in (None, "")]
    if missing:
        raise InitFailed(f"{COMMAND}: missing {', '.join(missing)}", True)
    for key in _TEXT:
        if given.get(key) is not None and not isinstance(given[key], str):
            raise InitFailed(f"{COMMAND}: {key} must be a string", True)
    for key in _WHOLE:
        value = given.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise InitFailed(f"{COMMAND}: {key} must be a whole number", True)
    days = given.get("days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int | float)):
        raise InitFailed(f"{COMMAND}: days must be a number", True)
    force = given.get("force", False)
    if not isinstance(force, bool):
        raise InitFailed(f"{COMMAND}: force must be true or false", True)
    answers = InitAnswers(
        goal=given["goal"],
        model=given["model"],
        gpu=given["gpu"],
        gpu_count=given["gpu_count"] if given.get("gpu_count") is not None else 1,
        days=float(days) if days is not None else DEFAULT_DAYS,
        tasks=given["tasks"] if given.get("tasks") is not None else 1,
        priority=given.get("priority") or "quality",
        data=given.get("data") or DEFAULT_DATA,
        data_format=given.get("data_format"),
        format=given.get("format") or "native",
    )
    return InitRequest(answers, given.get("output"), force)


def run_init(request: InitRequest, root: str | None) -> InitDone:
    """Decide and write, as `tunelint init` does; InitFailed says why nothing was written."""
    answers = request.answers
    # A command may wait for the Hub (the server's look-ups otherwise run in the background).
    lookup_model(answers.model, blocking=True)
    try:
        result = decide(answers)
    except InitError as exc:
        raise InitFailed(f"{COMMAND}: {exc}", True) from exc
    if not isinstance(result, Decision):
        raise _no_fit(result)
    default = result.plan.output.dir.rsplit("/", 1)[-1] + format_caps(answers.format).suffix
    output = Path(request.output or default).expanduser()
    if not output.is_absolute():
        if root is None:
            raise InitFailed(f"{COMMAND}: no workspace folder: give an absolute output", True)
        output = Path(root) / output
    try:
        written = write_decision(result, output, force=request.force)
    except (NotWritten, OSError) as exc:
        raise InitFailed(f"{COMMAND}: {exc}", False) from exc
    return InitDone(output, written, _summary(result))


def _no_fit(result: NoFit) -> InitFailed:
    lines = [f"{COMMAND}: nothing written: {result.reason}"]
    if result.suggestions:
        lines.append("what would fit: " + "; ".join(result.suggestions))
    data = {"reason": result.reason, "suggestions": list(result.suggestions)}
    return InitFailed("\n".join(lines), False, data)


def _summary(decision: Decision) -> str:
    plan = decision.plan
    gpus = f" x {decision.answers.gpu_count}" if decision.answers.gpu_count > 1 else ""
    return (
        f"{plan.method.kind} + {plan.peft.kind}, {plan.precision} on {decision.gpu.name}{gpus}: "
        f"≈ {decision.per_gpu_gib:.1f} of {decision.gpu.memory_gib:g} GiB per GPU"
    )
