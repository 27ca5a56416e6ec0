"""How many worker processes a run launches."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tunelint.runner.options import RunOptions

if TYPE_CHECKING:
    from tunelint.config.plan import Plan


def process_count(plan: Plan, options: RunOptions, device: str) -> tuple[int, list[str]]:
    """How many worker processes, and notes on the choice."""
    notes: list[str] = []
    if options.num_processes is not None:
        return options.num_processes * plan.hardware.nodes, notes
    wanted = plan.hardware.count * plan.hardware.nodes
    if wanted > 1 and device == "cpu":
        notes.append(
            f"hardware.count is {plan.hardware.count} but no GPU is visible: training in one "
            "CPU process (pass --num-processes N for CPU data parallelism)"
        )
        return 1, notes
    return wanted, notes
