"""`tunelint check PATH...`: lint files and folders, optionally fix them."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import fnmatch
import gc
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tunelint.checks.finding import SEVERITY_RANK, Diagnostic
from tunelint.config.settings import SettingsError, find_settings
from tunelint.lint import (
    LintOptions,
    LintResult,
    ReadError,
    fix_text,
    lint_text,
    preload,
    read_text,
)
from tunelint.reporters import FORMATS, render_github, render_json, render_text, sarif, summary

DEFAULT_INCLUDE = ("*.yaml", "*.yml", "*.json")
SKIP_DIRS = {
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    ".venv",
    "venv",
    "__pycache__",
    ".tox",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "build",
    "dist",
    "site-packages",
}
EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
PARALLEL_FROM = 64  # below this, starting workers costs more than it saves


def _codes(text: str) -> tuple[str, ...]:
    return tuple(c.strip().upper() for c in text.split(",") if c.strip())


def add_lint_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by commands that lint (check, estimate, run)."""
    parser.add_argument("--gpu", metavar="NAME", help="target GPU (e.g. A100-80GB, 'RTX 4090', T4)")
    parser.add_argument("--gpu-count", type=int, metavar="N", help="GPUs per node")
    parser.add_argument("--dialect", metavar="NAME", help="force the config format")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "check",
        help="lint configs (files, folders, or - for stdin)",
        description="Lint fine-tuning configs. Exit 0: clean; 1: findings at or "
        "above --fail-on; 2: usage or I/O error.",
    )
    add_check_arguments(p)
    p.set_defaults(func=run)


def add_check_arguments(p: argparse.ArgumentParser) -> None:
    """The options of `check` (shared with `fix`)."""
    p.add_argument(
        "paths",
        nargs="*",
        default=["."],
        metavar="PATH",
        help="files or folders (recursive); - reads stdin",
    )
    add_lint_options(p)
    p.add_argument(
        "--select",
        type=_codes,
        default=(),
        metavar="CODES",
        help="only these rules (codes or prefixes, comma-separated)",
    )
    p.add_argument(
        "--ignore",
        type=_codes,
        default=(),
        metavar="CODES",
        help="skip these rules (codes or prefixes)",
    )
    p.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    p.add_argument(
        "--unsafe-fixes", action="store_true", help="with --fix/--diff: unsafe fixes too"
    )
    p.add_argument("--diff", action="store_true", help="print the fixes as a diff; write nothing")
    p.add_argument("--format", choices=FORMATS, default="text", help="output format")
    p.add_argument(
        "--fail-on",
        choices=("error", "warning", "info", "hint"),
        default="error",
        help="lowest severity that makes the exit code 1 (default: error)",
    )
    p.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="GLOB",
        help="file patterns to lint inside folders (default: *.yaml *.yml *.json)",
    )
    p.add_argument("--stdin-filename", metavar="NAME", help="file name to assume for stdin")
    p.add_argument("--detect-gpu", action="store_true", help="ask NVML for the local GPU")
    p.add_argument("--quiet", "-q", action="store_true", help="no summary line")
    p.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=0,
        metavar="N",
        help="worker processes for large file sets (default: one per core)",
    )


def collect(paths: list[str], include: list[str]) -> tuple[list[str], list[str]]:
    """Files to lint (explicit files always; folder contents by pattern) and missing paths."""
    files: list[str] = []
    missing: list[str] = []
    for raw in paths:
        if raw == "-":
            files.append("-")
            continue
        path = Path(raw)
        if path.is_file():
            files.append(raw)
        elif path.is_dir():
            patterns = tuple(include) or DEFAULT_INCLUDE
            with contextlib.suppress(SettingsError):  # reported when a file is linted
                patterns = patterns + find_settings(path).include
            for found in sorted(_walk(path)):
                if any(fnmatch.fnmatch(found.name, pat) for pat in patterns):
                    files.append(str(found))
        else:
            missing.append(raw)
    return files, missing


def _walk(root: Path) -> list[Path]:
    out: list[Path] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir():
                if entry.name not in SKIP_DIRS and not entry.name.startswith("."):
                    stack.append(entry)
            elif entry.is_file():
                out.append(entry)
    return out


def run(args: argparse.Namespace) -> int:
    files, missing = collect(args.paths, args.include)
    status = EXIT_CLEAN
    for raw in missing:
        print(f"tunelint: {raw}: no such file or folder", file=sys.stderr)
        status = EXIT_ERROR
    if "-" in files and args.fix and len(files) > 1:
        print("tunelint: --fix with stdin takes no other paths", file=sys.stderr)
        return EXIT_ERROR
    options = LintOptions(
        gpu=args.gpu,
        gpu_count=args.gpu_count,
        select=args.select,
        ignore=args.ignore,
        dialect=args.dialect,
        detect_gpu=args.detect_gpu,
    )
    diagnostics: list[Diagnostic] = []
    texts: dict[str, str] = {}
    checked = skipped = fixed = 0
    for outcome in _check_all(files, options, args):
        if outcome.error is not None:
            print(f"tunelint: {outcome.error}", file=sys.stderr)
            if outcome.fatal:
                return EXIT_ERROR
            status = EXIT_ERROR
            continue
        fixed += outcome.applied
        if not outcome.is_config and not outcome.diagnostics:
            skipped += 1
            continue
        checked += 1
        texts[outcome.path] = outcome.text
        diagnostics.extend(outcome.diagnostics)
    diagnostics.sort(key=lambda d: d.sort_key)
    if args.diff:
        return status if status else (EXIT_FINDINGS if fixed else EXIT_CLEAN)
    out = sys.stderr if args.fix and "-" in files else sys.stdout
    if args.format in ("text", "concise"):
        render_text(diagnostics, texts, out, show_source=args.format == "text")
        if not args.quiet:
            print(summary(diagnostics, checked, skipped, fixed), file=out)
    elif args.format == "json":
        render_json(diagnostics, out)
    elif args.format == "sarif":
        import json

        json.dump(sarif(diagnostics), out, indent=2)
        out.write("\n")
    else:
        render_github(diagnostics, out)
    threshold = SEVERITY_RANK[args.fail_on]
    if status == EXIT_CLEAN and any(SEVERITY_RANK[d.severity] >= threshold for d in diagnostics):
        status = EXIT_FINDINGS
    return status


@dataclass(frozen=True)
class _Outcome:
    """What one file gave: small and picklable, so that workers can send it back."""

    path: str
    text: str = ""
    diagnostics: tuple[Diagnostic, ...] = ()
    is_config: bool = False
    applied: int = 0
    error: str | None = None
    fatal: bool = False


def _check_path(name: str, options: LintOptions, args: argparse.Namespace) -> _Outcome:
    try:
        if name == "-":
            text = sys.stdin.read()
            path = args.stdin_filename or "<stdin>"
        else:
            text = read_text(name)
            path = name
    except ReadError as exc:
        return _Outcome(name, error=str(exc))
    try:
        result, applied = _lint_one(text, path, options, args, stdin=name == "-")
    except SettingsError as exc:
        return _Outcome(name, error=str(exc), fatal=True)
    return _Outcome(result.path, result.text, tuple(result.diagnostics), result.is_config, applied)


def _check_batch(
    names: list[str], options: LintOptions, args: argparse.Namespace
) -> list[_Outcome]:
    return [_check_path(name, options, args) for name in names]


def _check_all(
    files: list[str], options: LintOptions, args: argparse.Namespace
) -> Iterator[_Outcome]:
    """Lint every file; large sets go to one worker per core (as ruff does)."""
    # What is loaded by now lives as long as the process: out of the garbage collector's
    # full passes (and, in forked workers, out of pages it would otherwise copy).
    gc.freeze()
    jobs = args.jobs or os.cpu_count() or 1
    if jobs < 2 or len(files) < PARALLEL_FROM or "-" in files or sys.platform == "win32":
        for name in files:
            yield _check_path(name, options, args)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Fork after loading everything: workers share one copy instead of each loading theirs.
    preload()
    gc.freeze()
    size = max(8, len(files) // (jobs * 4))
    batches = [files[i : i + size] for i in range(0, len(files), size)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        for outcomes in pool.map(
            _check_batch, batches, [options] * len(batches), [args] * len(batches)
        ):
            yield from outcomes


def _lint_one(
    text: str, path: str, options: LintOptions, args: argparse.Namespace, stdin: bool
) -> tuple[LintResult, int]:
    lint_path = None if path == "<stdin>" else path
    if not (args.fix or args.diff):
        return lint_text(text, lint_path, options), 0
    fixed = fix_text(text, lint_path, options, unsafe=args.unsafe_fixes)
    if args.diff:
        if fixed.text != text:
            sys.stdout.writelines(
                difflib.unified_diff(
                    text.splitlines(keepends=True),
                    fixed.text.splitlines(keepends=True),
                    fromfile=path if Path(path).is_absolute() else f"a/{path}",
                    tofile=path if Path(path).is_absolute() else f"b/{path}",
                )
            )
        return fixed.result, fixed.applied
    if stdin:
        sys.stdout.write(fixed.text)
    elif fixed.text != text:
        Path(path).write_text(fixed.text, encoding="utf-8", newline="")
    return fixed.result, fixed.applied
