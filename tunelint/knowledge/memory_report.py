"""The memory report of one linted config: what the memory rules, hover, `tunelint run` and
`tunelint estimate` read. Computed from the Plan and the resolved GPU (plain data in, plain
data out); the rule engine passes it to rules, rules never compute it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunelint.config.dialects.facts import DialectFacts
from tunelint.config.versions import ResolvedVersion, resolve_version
from tunelint.knowledge.gpus import GpuSpec

if TYPE_CHECKING:
    from tunelint.config.plan import Plan
    from tunelint.knowledge.memory_plan import MemoryReport

# The package whose version decides the stack's behaviour, per DialectFacts.trainer.
_PACKAGES = {"trl": "trl", "axolotl": "axolotl", "llamafactory": "llamafactory"}


def memory_report(
    plan: Plan,
    gpu: GpuSpec | None,
    gpu_count: int,
    file: Path | None,
    facts: DialectFacts,
    settings: Any = None,
) -> MemoryReport | None:
    """The report (an estimate, or the reason there is none); None for a fragment such as a
    DeepSpeed JSON, which names no model. `settings`: the project settings, whose pinned
    framework versions decide what the training stack upcasts."""
    if facts.fragment:
        return None
    # Imported here: the estimator and model catalog load only when a report is asked for.
    from tunelint.knowledge.memory_plan import plan_report

    search = (file.parent,) if file is not None else ()
    count = max(1, gpu_count) * plan.hardware.nodes
    return plan_report(
        plan,
        gpu,
        count,
        search_paths=search,
        facts=facts,
        config_file=file,
        trainer_version=trainer_version(facts, file, settings),
    )


def trainer_version(
    facts: DialectFacts, file: Path | None, settings: Any = None
) -> ResolvedVersion | None:
    """The version of the framework that trains (settings, requirements, else the newest)."""
    package = _PACKAGES.get(facts.trainer or "trl")
    return resolve_version(package, file, settings) if package else None
