"""`tunelint estimate CONFIG [--gpu NAME] [--format text|json]`: peak GPU memory, per
component, whether it fits, and what would make it fit.

Exit 0: fits (or no GPU to compare with); 1: does not fit; 2: the config or its model could
not be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from tunelint.cli import dialect_name

EXIT_FITS, EXIT_DOES_NOT_FIT, EXIT_ERROR = 0, 1, 2


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "estimate",
        help="estimate peak GPU memory of a config",
        description="Estimate the peak GPU memory of a fine-tuning config: the breakdown per "
        "component, the total per GPU, whether it fits the GPU, and what-ifs. Exit 0: fits "
        "(or no GPU known); 1: does not fit; 2: unreadable config or unknown model.",
    )
    p.add_argument("config", metavar="CONFIG", help="config file (any supported format)")
    p.add_argument("--gpu", metavar="NAME", help="target GPU (e.g. A100-80GB, 'RTX 4090', T4)")
    p.add_argument(
        "--gpu-count",
        type=int,
        metavar="N",
        help="GPUs per node (default: the config's; a sharded run without one is estimated "
        "at the fewest GPUs that fit)",
    )
    p.add_argument("--dialect", type=dialect_name, metavar="NAME", help="force the config format")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    p.add_argument(
        "--offline", action="store_true", help="never ask the Hugging Face Hub for config.json"
    )
    p.add_argument(
        "--plot", metavar="FILE", help="also draw the estimate (.png or .svg; needs [plot])"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tunelint.commands.check import apply_network_choice

    apply_network_choice(args)
    from tunelint.knowledge.memory_plan import (
        largest_micro_batch,
        longest_sequence,
        plan_report,
        what_ifs,
    )
    from tunelint.knowledge.memory_report import trainer_version
    from tunelint.lint import LintOptions, lint_file

    if args.plot:
        from tunelint.plot import PlotError, check_plot_path

        try:
            check_plot_path(args.plot)
        except PlotError as exc:
            print(f"tunelint: {exc}", file=sys.stderr)
            return EXIT_ERROR
    try:
        result = lint_file(
            args.config,
            LintOptions(gpu=args.gpu, gpu_count=args.gpu_count, dialect=args.dialect),
        )
    except (OSError, UnicodeError, ValueError) as exc:
        print(f"tunelint: {args.config}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    plan, ctx = result.plan, result.context
    if plan is None or ctx is None:
        errors = [d for d in result.diagnostics if d.severity == "error"]
        why = errors[0].message if errors else "not a fine-tuning config"
        print(f"tunelint: {args.config}: cannot estimate: {why}", file=sys.stderr)
        return EXIT_ERROR
    if ctx.facts.get("fragment"):
        print(
            f"tunelint: {args.config}: configures only part of a run (no model); "
            "estimate the training config that uses it",
            file=sys.stderr,
        )
        return EXIT_ERROR
    gpu, gpu_source = ctx.gpu, ctx.gpu_source
    if args.gpu:
        # "What would this need on that GPU?": --gpu wins over the config's own GPU here.
        from tunelint.knowledge.gpus import resolve_gpu, suggest_gpu

        gpu, gpu_source = resolve_gpu(args.gpu), "--gpu"
        if gpu is None:
            hint = suggest_gpu(args.gpu)
            more = f" (did you mean {hint}?)" if hint else ""
            print(f"tunelint: unknown GPU {args.gpu!r}{more}", file=sys.stderr)
            return EXIT_ERROR
    count = args.gpu_count or ctx.gpu_count
    total_gpus = count * plan.hardware.nodes
    search = (ctx.file.parent,) if ctx.file is not None else ()
    report = plan_report(
        plan,
        gpu,
        total_gpus,
        search_paths=search,
        facts=ctx.facts,
        count_stated=True if args.gpu_count else None,
        config_file=ctx.file,
        trainer_version=trainer_version(ctx.facts, ctx.file, ctx.settings),
    )
    if report.estimate is None or report.scenario is None:
        print(f"tunelint: {args.config}: cannot estimate: {report.reason}", file=sys.stderr)
        return EXIT_ERROR
    capacity = report.capacity_gib
    ifs = what_ifs(plan, report.scenario, capacity)
    limit = report.model.max_position_embeddings if report.model else None
    best_batch = largest_micro_batch(report.scenario, capacity) if capacity else None
    best_seq = longest_sequence(report.scenario, capacity, limit) if capacity else None
    data = _as_json(args.config, report, ifs, best_batch, best_seq, gpu_source)
    data["model"]["as_written"] = plan.model.name
    if args.format == "json":
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _render_text(data, report, sys.stdout)
    if args.plot and _plot(args.plot, report, plan.model.name, limit) is not None:
        return EXIT_ERROR
    return EXIT_DOES_NOT_FIT if report.fits is False else EXIT_FITS


def _plot(path: str, report: Any, name: str, limit: int | None) -> str | None:
    """Draw the estimate to `path`; the error message when it cannot."""
    from tunelint.plot import PlotError, plot_memory

    gpu = f" on {report.gpu_name}" if report.gpu_name else ""
    try:
        plot_memory(
            report.scenario,
            path,
            capacity_gib=report.capacity_gib,
            gpu_name=report.gpu_name,
            title=f"{name}{gpu}: peak memory per GPU by component",
            max_seq_len=limit,
        )
    except (PlotError, OSError) as exc:
        print(f"tunelint: {exc}", file=sys.stderr)
        return str(exc)
    print(f"plot: {path}", file=sys.stderr)
    return None


def _as_json(
    path: str,
    report: Any,
    ifs: list[Any],
    best_batch: int | None,
    best_seq: int | None,
    gpu_source: str,
) -> dict[str, Any]:
    est = report.estimate
    scn = report.scenario
    spec = report.model
    return {
        "file": path,
        "model": {
            "name": spec.display_name,
            "parameters": spec.param_count(),
            "resolved_from": report.model_via,
        },
        "gpu": report.gpu_name,
        "gpu_source": gpu_source,
        "gpu_count": report.gpu_count,
        "gpu_count_stated": report.gpu_count_stated,
        "smallest_gpu_count": report.smallest_gpu_count,
        "capacity_gib": report.capacity_gib,
        "per_gpu_gib": round(est.per_gpu_gib, 3),
        "views_gib": est.views_gib,
        "fits": report.fits,
        "headroom_gib": None if report.headroom_gib is None else round(report.headroom_gib, 3),
        "peak_phase": est.peak_phase,
        "components": {c.name: round(c.gib, 3) for c in est.components if c.bytes},
        "component_details": {c.name: c.detail for c in est.components if c.bytes and c.detail},
        "phases_gib": {k: round(v / 1024**3, 3) for k, v in est.phases.items()},
        "trainable_params": est.trainable_params,
        "training": {
            "method": scn.method,
            "peft": scn.peft,
            "quantization": scn.quantization,
            "weights": scn.weight_dtype,
            "micro_batch_size": scn.micro_batch_size,
            "seq_len": scn.seq_len,
            "gradient_checkpointing": scn.gradient_checkpointing,
            "optimizer": scn.optimizer,
            "distributed": scn.distributed,
            "memory_savers": [
                name
                for name, on in (
                    ("chunked_loss", scn.chunked_loss),
                    ("optimizer_in_backward", scn.optimizer_in_backward),
                    ("activation_offloading", scn.activation_offloading),
                    ("compile", scn.compile),
                )
                if on
            ],
            "modules_to_save": list(scn.modules_to_save),
        },
        "what_ifs": [w.to_json() for w in ifs],
        "largest_micro_batch": best_batch,
        "longest_sequence": best_seq,
        "assumptions": list(est.assumptions),
    }


def _count(n: int) -> str:
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.2f}{unit}"
    return str(n)


def _render_text(data: dict[str, Any], report: Any, out: TextIO) -> None:
    est = report.estimate
    t = data["training"]
    model = data["model"]
    w = out.write
    w(f"{data['file']}\n")
    entry = "" if model["as_written"] == model["name"] else f"{model['name']}, "
    w(
        f"  model     {model['as_written']} ({entry}{_count(model['parameters'])} parameters, "
        f"from {model['resolved_from']})\n"
    )
    peft = t["peft"] + (f" + {t['quantization']}" if t["quantization"] != "none" else "")
    w(
        f"  training  {t['method']}, {peft} ({data['trainable_params']:,} trainable), "
        f"{t['weights']} weights, micro-batch {t['micro_batch_size']} x {t['seq_len']} tokens, "
        f"gradient checkpointing {'on' if t['gradient_checkpointing'] else 'off'}, "
        f"{t['optimizer']}"
        + (f", {t['distributed']}" if t["distributed"] != "none" else "")
        + "".join(f", {saver.replace('_', ' ')}" for saver in t["memory_savers"])
        + "\n"
    )
    gpu = data["gpu"] or "none given (use --gpu)"
    count = f" x {data['gpu_count']}" if data["gpu_count"] > 1 else ""
    if data["smallest_gpu_count"] is not None:
        count += " (the fewest that fit: the config states no GPU count)"
    cap = f" ({data['capacity_gib']:g} GiB)" if data["capacity_gib"] else ""
    w(f"  gpu       {gpu}{cap}{count}\n\n")
    w(f"  {'component':<24}{'GiB':>9}  detail\n")
    for c in est.components:
        if c.bytes:
            w(f"  {c.name:<24}{c.gib:>9.2f}  {c.detail}\n")
    w(f"  {'-' * 33}\n")
    w(f"  {'peak per GPU':<24}{est.per_gpu_gib:>9.2f}  during {est.peak_phase.replace('_', ' ')}\n")
    views = data["views_gib"]
    w(
        f"  {'':<24}{'':>9}  allocated {views['allocated']:.2f}, reserved "
        f"{views['reserved']:.2f}, nvidia-smi {views['nvidia_smi']:.2f} GiB\n"
    )
    if data["capacity_gib"] is not None:
        head = data["headroom_gib"]
        if data["fits"]:
            verdict = f"fits: {head:.2f} GiB headroom ({head / data['capacity_gib']:.0%})"
        else:
            verdict = f"DOES NOT FIT: {-head:.2f} GiB over the {data['capacity_gib']:g} GiB"
        w(f"  {'verdict':<24}{'':>9}  {verdict}\n")
    ifs = data["what_ifs"]
    if ifs or data["largest_micro_batch"] is not None or data["capacity_gib"]:
        w("\n  what if\n")
        for item in ifs:
            mark = "" if item["fits"] is None else ("  fits" if item["fits"] else "  does not fit")
            w(f"    {item['label']:<58}{item['per_gpu_gib']:>8.2f} GiB{mark}\n")
        if data["capacity_gib"]:
            mb = data["largest_micro_batch"]
            sq = data["longest_sequence"]
            w(f"    {'largest micro-batch that fits':<58}{mb if mb else 'none':>8}\n")
            w(
                f"    {'longest sequence that fits (at this micro-batch)':<58}"
                f"{sq if sq else 'none':>8}\n"
            )
    w("\n  assumptions\n")
    for a in data["assumptions"]:
        w(f"    - {a}\n")
