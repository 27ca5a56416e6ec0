"""`tunelint estimate --plot FILE`: the memory estimate as a picture. Peak memory per GPU
against sequence length and against micro-batch, stacked by component, with the GPU's
capacity as a line and the config's own point marked. matplotlib is an optional extra
(`pip install 'tunelint[plot]'`); nothing on the lint path imports this module."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from tunelint.knowledge.memory import GIB, MemoryScenario, estimate_memory

FORMATS = (".png", ".svg")
CAPACITY_ID = "capacity"  # the SVG element id of the capacity line (tests and styling)


class PlotError(ValueError):
    """The plot cannot be made (unsupported file type, matplotlib missing)."""


def check_plot_path(path: str) -> None:
    """Fail early, before any estimating, on a file type the plot cannot be written as."""
    if Path(path).suffix.lower() not in FORMATS:
        raise PlotError(f"--plot {path}: write .png or .svg")


def _powers(base: int, limit: int | None, floor: int, span: int) -> list[int]:
    """Powers of two from `floor` up to twice `base` (at least `span` x floor)."""
    top = max(base * 2, floor * span)
    if limit:
        top = min(top, max(limit, floor))
    values = []
    value = floor
    while value <= top:
        values.append(value)
        value *= 2
    return values


def _series(scn: MemoryScenario, field: str, xs: list[int]) -> tuple[list[str], list[list[float]]]:
    """Component names (stack order) and their GiB at each x."""
    estimates = [estimate_memory(replace(scn, **{field: x})) for x in xs]
    names: list[str] = []
    for est in estimates:
        for c in est.components:
            if c.bytes and c.name not in names:
                names.append(c.name)
    rows = [[est.component(name) / GIB for est in estimates] for name in names]
    return names, rows


def plot_memory(
    scn: MemoryScenario,
    path: str,
    *,
    capacity_gib: float | None,
    gpu_name: str | None,
    title: str,
    max_seq_len: int | None = None,
) -> None:
    """Write the two-panel plot of `scn` to `path` (.png or .svg)."""
    check_plot_path(path)
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise PlotError("--plot needs matplotlib: pip install 'tunelint[plot]'") from None
    import matplotlib

    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text in the SVG
    figure = Figure(figsize=(14, 5), layout="constrained")
    axes = figure.subplots(1, 2)
    panels: list[tuple[Any, str, str, list[int], int]] = [
        (
            axes[0],
            "seq_len",
            "sequence length (tokens)",
            _powers(scn.seq_len, max_seq_len, 256, 32),
            scn.seq_len,
        ),
        (
            axes[1],
            "micro_batch_size",
            "micro-batch size (sequences per GPU)",
            _powers(scn.micro_batch_size, None, 1, 16),
            scn.micro_batch_size,
        ),
    ]
    own = estimate_memory(scn).per_gpu_gib
    # The interesting range is around the capacity: taller stacks are cut off at the top.
    top = max(capacity_gib or 0.0, own) * 1.6
    for ax, field, label, ticks, mine in panels:
        xs = sorted({*ticks, mine})
        names, rows = _series(scn, field, xs)
        ax.stackplot(xs, rows, labels=[n.replace("_", " ") for n in names], alpha=0.85)
        ax.set_xscale("log", base=2)
        ax.set_xlabel(label)
        ax.set_ylabel("peak memory per GPU (GiB)")
        ax.set_ylim(0, top)
        ax.set_xticks(ticks, [str(x) for x in ticks])
        if capacity_gib is not None:
            ax.axhline(
                capacity_gib,
                color="crimson",
                linewidth=2,
                linestyle="--",
                label=f"{gpu_name} capacity ({capacity_gib:g} GiB)",
                gid=CAPACITY_ID,
            )
        ax.plot(
            [mine],
            [own],
            marker="o",
            markersize=10,
            color="black",
            linestyle="none",
            label=f"this config: {own:.1f} GiB",
            gid="config-point",
        )
        ax.annotate(f"{own:.1f} GiB", (mine, own), textcoords="offset points", xytext=(8, 8))
        ax.grid(True, alpha=0.3)
    axes[0].set_title("against sequence length (at this micro-batch)")
    axes[1].set_title("against micro-batch (at this sequence length)")
    handles, labels = axes[1].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside right upper", fontsize="small")
    figure.suptitle(title)
    figure.savefig(path)
