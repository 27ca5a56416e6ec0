"""The memory estimate where the model is named: an inlay hint and a hover (issue 13.4).

Shown only when a GPU is known (in the config, the project settings or the editor's
`tunelint.gpu`) and the model resolves. LSP inlay hints carry no colour, so a config past
the GPU's capacity says so in the label (`≈ 31.2 GiB > 24 GiB`) and the tooltip; VS Code
cannot colour one hint differently (its hint colours are per hint kind, not per hint).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tunelint.config.positions import Range
from tunelint.lint import LintResult

if TYPE_CHECKING:
    from tunelint.config.plan import Plan
    from tunelint.knowledge.memory_plan import MemoryReport

MODEL_PATH = ("model", "name")


def model_span(result: LintResult) -> Range | None:
    """Where this file names the model (the value), if it does."""
    location = result.source_map.locations.get(MODEL_PATH)
    if location is None or location.file is not None:
        return None  # not named, or named in another file (a base config)
    return location.value


def shown_report(result: LintResult | None) -> MemoryReport | None:
    """The memory report, when there is an estimate against a known GPU's capacity."""
    if result is None or result.context is None or result.context.gpu is None:
        return None
    report = result.context.estimate
    if report is None or report.estimate is None or report.capacity_gib is None:
        return None
    return report


def label(report: MemoryReport) -> str:
    """`≈ 21.3 GiB of 24 GiB` when it fits, `≈ 31.2 GiB > 24 GiB` past capacity."""
    assert report.estimate is not None and report.capacity_gib is not None
    peak, capacity = report.estimate.per_gpu_gib, report.capacity_gib
    per_gpu = " per GPU" if report.gpu_count > 1 else ""
    if peak > capacity:
        return f"≈ {peak:.1f} GiB > {capacity:g} GiB{per_gpu}"
    return f"≈ {peak:.1f} GiB of {capacity:g} GiB{per_gpu}"


def what_if_lines(report: MemoryReport, plan: Plan) -> list[str]:
    """The largest micro-batch and longest sequence that fit, then the estimator's what-ifs."""
    from tunelint.knowledge.memory_plan import largest_micro_batch, longest_sequence, what_ifs

    scn, capacity = report.scenario, report.capacity_gib
    if scn is None or capacity is None:
        return []
    batch = largest_micro_batch(scn, capacity)
    seq = longest_sequence(scn, capacity)
    lines = [
        f"- largest micro-batch that fits at sequence length {scn.seq_len:,}: "
        + (str(batch) if batch is not None else "none (not even 1)"),
        f"- longest sequence that fits at micro-batch {scn.micro_batch_size}: "
        + (f"{seq:,} tokens" if seq is not None else "none (not even 128)"),
    ]
    for what_if in what_ifs(plan, scn, capacity):
        verdict = "" if what_if.fits is None else (" (fits)" if what_if.fits else " (over)")
        lines.append(f"- {what_if.label}: {what_if.per_gpu_gib:.1f} GiB{verdict}")
    return lines


def hover_markdown(result: LintResult) -> str | None:
    """The component breakdown and the what-ifs, for a hover on the model's name."""
    report = shown_report(result)
    if report is None or result.plan is None:
        return None
    table = report.markdown().rsplit("\n\n`tunelint estimate`", 1)[0]
    lines = what_if_lines(report, result.plan)
    if not lines:
        return table
    return "\n".join([table, "", "**What fits**", "", *lines])
