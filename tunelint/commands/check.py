"""`tunelint check PATH...`: lint files and folders, optionally fix them."""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import gc
import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tunelint.checks.finding import SEVERITY_RANK, Diagnostic
from tunelint.checks.registry import get_rule
from tunelint.cli import dialect_name, start_up
from tunelint.config.document import Encoding, sniff_encoding
from tunelint.config.file_state import files_fixed
from tunelint.config.positions import DOCUMENT_START, LineIndex
from tunelint.config.secrets import mask_secrets
from tunelint.config.settings import SettingsError, find_settings
from tunelint.lint import (
    LintOptions,
    LintResult,
    ReadError,
    decode_text,
    fix_text,
    lint_text,
    preload,
)
from tunelint.reporters import (
    FORMATS,
    escape_controls,
    render_github,
    render_json,
    render_text,
    sarif,
    summary,
)

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
# A lint allocates thousands of short-lived, acyclic objects (parse trees, findings): the
# young generation is collected less often while files are linted (about 5% of the CPU of
# a 1,000-file run: benchmarks/lint_speed.py), as the language server does.
LINT_GC_THRESHOLDS = (20_000, 20, 20)


def _codes(text: str) -> tuple[str, ...]:
    return tuple(c.strip().upper() for c in text.split(",") if c.strip())


def add_lint_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by commands that lint (check, estimate, run)."""
    parser.add_argument("--gpu", metavar="NAME", help="target GPU (e.g. A100-80GB, 'RTX 4090', T4)")
    parser.add_argument("--gpu-count", type=int, metavar="N", help="GPUs per node")
    parser.add_argument(
        "--dialect", type=dialect_name, metavar="NAME", help="force the config format"
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="never ask the Hugging Face Hub for a model's config.json (also: offline = true "
        "under [tool.tunelint], TUNELINT_OFFLINE=1, HF_HUB_OFFLINE=1)",
    )


def apply_network_choice(args: argparse.Namespace) -> None:
    """--offline, or `offline = true` in the working folder's project settings, turns Hub
    look-ups off for this process and the worker processes it starts."""
    offline = getattr(args, "offline", False)
    if not offline:
        try:
            offline = find_settings(Path.cwd() / "tunelint.yaml").offline
        except SettingsError:
            offline = False  # reported where the settings are used
    if offline:
        os.environ["TUNELINT_OFFLINE"] = "1"


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
        "--verbose", "-v", action="store_true", help="list the files skipped as not configs"
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=0,
        metavar="N",
        help="worker processes for large file sets (default: one per core)",
    )


def collect(paths: list[str], include: list[str]) -> tuple[list[str], list[str]]:
    """Files to lint (explicit files always; folder contents by pattern) and missing paths.

    Each real file comes once, however many links or arguments lead to it."""
    files: list[str] = []
    missing: list[str] = []
    seen: set[str] = set()

    def add(name: str, real: str) -> None:
        if real not in seen:
            seen.add(real)
            files.append(name)

    for raw in paths:
        if raw == "-":
            files.append("-")
            continue
        path = Path(raw)
        if path.is_file():
            add(raw, _real(path) or raw)
        elif path.is_dir():
            patterns = tuple(include) or DEFAULT_INCLUDE
            with contextlib.suppress(SettingsError):  # reported when a file is linted
                patterns = patterns + find_settings(path).include
            for found, real in sorted(_walk(path)):
                if any(fnmatch.fnmatch(found.name, pat) for pat in patterns):
                    add(str(found), real)
        else:
            missing.append(raw)
    return files, missing


def _real(path: Path) -> str | None:
    """The path with every link resolved; None for a broken link or a link loop."""
    try:
        return str(path.resolve(strict=True))
    except (OSError, RuntimeError):
        return None


def _walk(root: Path) -> list[tuple[Path, str]]:
    """(path, real path) of the files under root. A folder is entered once by its real path,
    so links to a parent or to each other cannot loop or multiply the walk."""
    out: list[tuple[Path, str]] = []
    entered: set[str] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        real_folder = _real(folder)
        if real_folder is None or real_folder in entered:
            continue
        entered.add(real_folder)
        try:  # scandir: the entry types come with the listing (no stat per entry)
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:
            continue
        for entry in entries:
            try:
                is_dir, is_file = entry.is_dir(), entry.is_file()
                is_link = is_file and entry.is_symlink()
            except OSError:
                continue
            if is_dir:
                if entry.name not in SKIP_DIRS and not entry.name.startswith("."):
                    stack.append(Path(entry.path))
            elif is_file:
                # A file that is no link lies in its folder's real path: no resolve per file.
                path = Path(entry.path)
                real = _real(path) if is_link else os.path.join(real_folder, entry.name)
                if real is not None:
                    out.append((path, real))
    return out


def run(args: argparse.Namespace) -> int:
    apply_network_choice(args)
    files, missing = collect(args.paths, args.include)
    explicit = {raw for raw in args.paths if raw == "-" or Path(raw).is_file()}
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
    checked = skipped = fixed = unwritten = 0
    failed = len(missing)
    for outcome in _check_all(files, options, args):
        if outcome.error is not None:
            print(f"tunelint: {escape_controls(outcome.error)}", file=sys.stderr)
            if outcome.fatal:
                return EXIT_ERROR
            status = EXIT_ERROR
            if not outcome.read:
                failed += 1
                continue
            unwritten += 1
        fixed += outcome.applied
        if not outcome.is_config and not outcome.diagnostics:
            skipped += 1
            if outcome.name in explicit or getattr(args, "verbose", False):
                name = escape_controls(outcome.path)
                print(f"tunelint: {name}: skipped: not a fine-tuning config", file=sys.stderr)
            continue
        checked += 1
        texts[outcome.path] = outcome.text
        diagnostics.extend(outcome.diagnostics)
    diagnostics.sort(key=lambda d: d.sort_key)
    if args.diff:
        return status if status else (EXIT_FINDINGS if fixed else EXIT_CLEAN)
    out = sys.stderr if args.fix and "-" in files else sys.stdout
    if args.format in ("text", "concise"):
        render_text(diagnostics, texts, out, show_source=_shows_source(args))
        if not args.quiet:
            print(summary(diagnostics, checked, skipped, fixed, failed, unwritten), file=out)
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
    read: bool = False  # the file was read (an error after that leaves its findings valid)
    name: str = ""  # the name it was collected under ("-" for stdin)


@dataclass(frozen=True)
class _Source:
    text: str
    path: str
    data: bytes | None  # the bytes read, to see whether the file changed before a fix
    encoding: Encoding


def _read(name: str, args: argparse.Namespace) -> _Source:
    if name == "-":
        stream = getattr(sys.stdin, "buffer", None)
        path = args.stdin_filename or "<stdin>"
        if stream is None:  # a text stream (tests, embedding): already decoded
            return _Source(sys.stdin.read(), path, None, Encoding())
        data = stream.read()
    else:
        path = name
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            raise ReadError(f"{name}: cannot read: {exc.strerror or exc}") from exc
    return _Source(decode_text(data, path), path, data, sniff_encoding(data))


def _check_path(name: str, options: LintOptions, args: argparse.Namespace) -> _Outcome:
    try:
        source = _read(name, args)
    except ReadError as exc:
        return _Outcome(name, error=str(exc), name=name)
    try:
        result, applied, error = _lint_one(source, options, args, stdin=name == "-")
    except SettingsError as exc:
        return _Outcome(name, error=str(exc), fatal=True, name=name)
    except Exception as exc:  # one file's failure is that file's finding, never the run's
        return _failed(source, exc, name)
    return _Outcome(
        result.path,
        result.text if _shows_source(args) else "",  # a worker sends back only what is shown
        tuple(result.diagnostics),
        result.is_config,
        applied,
        error=error,
        read=True,
        name=name,
    )


def _shows_source(args: argparse.Namespace) -> bool:
    """The report quotes source lines (the text format's excerpts) and needs each text."""
    return getattr(args, "format", "text") == "text"


def _failed(source: _Source, exc: Exception, name: str) -> _Outcome:
    rule = get_rule("TL999")
    assert rule is not None
    message = mask_secrets(f"tunelint failed on this file: {type(exc).__name__}: {exc}")
    diagnostic = Diagnostic(
        source.path, DOCUMENT_START, "TL999", rule.severity, message[:300], url=rule.url
    )
    return _Outcome(source.path, source.text, (diagnostic,), True, read=True, name=name)


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
    before = gc.get_threshold()
    gc.set_threshold(*LINT_GC_THRESHOLDS)  # forked workers inherit it
    # A run that writes no file reads the tree as it was (fixes change texts as it goes).
    fixed = contextlib.nullcontext() if args.fix else files_fixed()
    try:
        with fixed:
            yield from _lint_files(files, options, args)
    finally:  # an embedding caller (tests, the runner) keeps its own
        gc.set_threshold(*before)


def _lint_files(
    files: list[str], options: LintOptions, args: argparse.Namespace
) -> Iterator[_Outcome]:
    jobs = args.jobs or os.cpu_count() or 1
    if jobs < 2 or len(files) < PARALLEL_FROM or "-" in files or sys.platform == "win32":
        for index, name in enumerate(files):
            # The first file loads what linting loads on first use: start-up work.
            with start_up() if index == 0 else contextlib.nullcontext():
                outcome = _check_path(name, options, args)
            yield outcome
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    size = max(8, len(files) // (jobs * 4))
    # Fork after loading the rules and dialects, and after linting a sample of the files
    # here (every n-th: files come sorted by folder, so the sample spans the formats): the
    # workers share one copy of the modules and data, and start with what linting loads or
    # caches on first use (option tables and their merged views, key verdicts, did-you-mean,
    # model and requirement look-ups) instead of each filling its own. The estimator is not
    # preloaded: without a GPU no rule uses it. This process waits while they work: forked
    # processes pay for every memory page they write (copy on write), and one more of them
    # working beside the workers cost more CPU than it saved.
    stride = max(1, len(files) // size)
    sample = set(range(0, len(files), stride))
    rest = [name for index, name in enumerate(files) if index not in sample]
    with start_up():  # the cyclic GC paused while modules load, then frozen out of passes
        preload(estimator=False)
    done = {index: _check_path(files[index], options, args) for index in sorted(sample)}
    # Free the sample's garbage, then freeze what is left out of the collector's passes: a
    # worker starts with no collection due over pages it would otherwise copy.
    gc.collect()
    gc.freeze()
    batches = [rest[i : i + size] for i in range(0, len(rest), size)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(jobs, len(batches)), mp_context=context) as pool:
        # In the files' order, as one process gives them: the workers' outcomes come back
        # in order, the sample's go between them.
        worked = (
            outcome
            for outcomes in pool.map(
                _check_batch, batches, [options] * len(batches), [args] * len(batches)
            )
            for outcome in outcomes
        )
        for index in range(len(files)):
            yield done.pop(index) if index in done else next(worked)


def _lint_one(
    source: _Source, options: LintOptions, args: argparse.Namespace, stdin: bool
) -> tuple[LintResult, int, str | None]:
    """The file's result, the fixes applied and an error that stopped writing them."""
    text, path = source.text, source.path
    lint_path = None if path == "<stdin>" else path
    if not (args.fix or args.diff):
        return lint_text(text, lint_path, options), 0, None
    fixed = fix_text(text, lint_path, options, unsafe=args.unsafe_fixes)
    if args.diff:
        if fixed.text != text:
            _print_diff(text, fixed.text, path)
        return fixed.result, fixed.applied, None
    if stdin:
        sys.stdout.write(fixed.text)
    elif fixed.text != text:
        error = _write_fixed(source, fixed.text)
        if error is not None:  # nothing written: report the file as it is
            return lint_text(text, lint_path, options), 0, error
    return fixed.result, fixed.applied, None


def _print_diff(old: str, new: str, path: str) -> None:
    """A unified diff in the editor's lines, with secrets masked and control characters
    escaped (the context lines show the user's file)."""
    import difflib  # --diff only

    absolute = Path(path).is_absolute()
    lines = difflib.unified_diff(
        LineIndex(old).lines_with_breaks(),
        LineIndex(new).lines_with_breaks(),
        fromfile=path if absolute else f"a/{path}",
        tofile=path if absolute else f"b/{path}",
    )
    for line in lines:
        body = line.rstrip("\r\n")
        sys.stdout.write(escape_controls(mask_secrets(body)) + line[len(body) :])


def _write_fixed(source: _Source, text: str) -> str | None:
    """Write the fixed text atomically, in the file's own encoding; an error message when it
    cannot be written or changed on disk since it was read (a newer edit is never lost)."""
    import tempfile  # --fix only

    target = Path(source.path)
    try:
        real = target.resolve(strict=True)  # write through a link, never replace the link
        mode = real.stat().st_mode
        if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
            return f"{source.path}: read-only; fixes not written"
        if real.read_bytes() != source.data:
            return f"{source.path}: changed while tunelint ran; fixes not written (run again)"
        fd, temp = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(source.encoding.encode(text))
            os.chmod(temp, stat.S_IMODE(mode))
            os.replace(temp, real)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
    except OSError as exc:
        return f"{source.path}: cannot write the fixes: {exc.strerror or exc}"
    return None
