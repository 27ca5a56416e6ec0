"""The interactive questions of `tunelint init` (questionary, on a terminal only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tunelint.init.answers import FORMATS, PRIORITIES
from tunelint.init.formats import format_caps
from tunelint.knowledge.gpus import gpu_names, resolve_gpu
from tunelint.knowledge.models import lookup_model, model_names

GOAL_CHOICES = (
    ("improve-existing", "improve existing behaviour (steadier, more consistent output)"),
    ("new-capability", "teach a new capability (change behaviour at the root)"),
)
PRIORITY_TEXT = {
    "quality": "quality (LoRA, the default)",
    "inference-speed": "inference speed (IA3 adds no latency)",
    "memory": "memory (QLoRA)",
    "time": "training time",
    "prompt-strengthening": "strengthening an existing prompt (prefix tuning)",
}


class Interrupted(Exception):
    """The user left the questions (Ctrl-C / Ctrl-D)."""


def _number(kind: Callable[[str], Any], low: float) -> Callable[[str], bool | str]:
    def check(text: str) -> bool | str:
        try:
            return kind(text) >= low or f"at least {low:g}"
        except ValueError:
            return "a number, please"

    return check


def _known_model(text: str) -> bool | str:
    lookup = lookup_model(text.strip())
    return lookup.spec is not None or f"cannot size it: {lookup.reason}"


def _known_gpu(text: str) -> bool | str:
    return resolve_gpu(text.strip()) is not None or "not in the GPU catalog"


def ask_missing(given: dict[str, Any]) -> dict[str, Any]:
    """Ask every question `given` does not answer (None values); returns all answers."""
    import questionary

    def ask(question: Any) -> Any:
        answer = question.ask()
        if answer is None:
            raise Interrupted
        return answer

    out = dict(given)
    if out.get("goal") is None:
        out["goal"] = ask(
            questionary.select(
                "What is the fine-tuning for?",
                choices=[questionary.Choice(text, value=value) for value, text in GOAL_CHOICES],
            )
        )
    if out.get("model") is None:
        out["model"] = ask(
            questionary.autocomplete(
                "Base model (hub id, local folder or catalog name):",
                choices=model_names(),
                validate=_known_model,
            )
        ).strip()
    if out.get("gpu") is None:
        out["gpu"] = ask(
            questionary.autocomplete("GPU:", choices=gpu_names(), validate=_known_gpu)
        ).strip()
    if out.get("gpu_count") is None:
        out["gpu_count"] = int(
            ask(questionary.text("How many GPUs?", default="1", validate=_number(int, 1)))
        )
    if out.get("days") is None:
        out["days"] = float(
            ask(
                questionary.text(
                    "Days available for the project?", default="30", validate=_number(float, 0.1)
                )
            )
        )
    if out.get("tasks") is None:
        out["tasks"] = int(
            ask(
                questionary.text(
                    "How many tasks must one model serve?", default="1", validate=_number(int, 1)
                )
            )
        )
    if out.get("priority") is None:
        out["priority"] = ask(
            questionary.select(
                "What matters most?",
                choices=[questionary.Choice(PRIORITY_TEXT[p], value=p) for p in PRIORITIES],
            )
        )
    if out.get("data") is None:
        out["data"] = ask(questionary.text("Training data file:", default="data/train.jsonl"))
    if out.get("format") is None:
        out["format"] = ask(
            questionary.select(
                "Config format:",
                choices=[questionary.Choice(format_caps(f).label, value=f) for f in FORMATS],
            )
        )
    return out


def ask_output(default: str) -> str:
    import questionary

    answer = questionary.text("Write the config to:", default=default).ask()
    if answer is None:
        raise Interrupted
    return answer.strip() or default
