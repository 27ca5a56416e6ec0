"""`tunelint` command line: check | explain | rules | schema | estimate | detect | run | server.

Subcommands live in tunelint/commands/<name>.py and are imported only when used, so that
`tunelint check` starts fast (nothing of the ML stack is imported on the lint path)."""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import sys
from collections.abc import Iterator

from tunelint import __version__

COMMANDS = (
    "check",
    "fix",
    "estimate",
    "detect",
    "explain",
    "rules",
    "schema",
    "run",
    "server",
    "init",
)
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"tunelint: error: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def dialect_name(value: str) -> str:
    """argparse type of --dialect: a known dialect, else a usage error naming the valid ones."""
    from tunelint.config.dialects import entries  # names only: no dialect module imported

    names = [e.name for e in entries()]
    if value not in names:
        raise argparse.ArgumentTypeError(
            f"unknown dialect {value!r} (choose from {', '.join(names)})"
        )
    return value


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tunelint",
        description="Lint, estimate and run LLM fine-tuning configs.",
    )
    parser.add_argument("--version", action="version", version=f"tunelint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        if only is not None and name != only:
            # Keep `tunelint --help` complete without importing every command module.
            sub.add_parser(name, help=_HELP[name], add_help=False)
            continue
        try:
            module = importlib.import_module(f"tunelint.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"tunelint.commands.{name}":
                raise
            continue
        module.register(sub)
    return parser


_HELP = {
    "check": "lint configs (files, folders, or - for stdin)",
    "fix": "apply safe fixes in place (same as check --fix)",
    "estimate": "estimate peak GPU memory of a config",
    "detect": "print each file's config dialect and confidence",
    "explain": "show a rule's documentation",
    "rules": "list all rules",
    "schema": "print the JSON Schema of the tunelint format",
    "run": "train a config (needs the [train] extra)",
    "server": "start the language server",
    "init": "write a new fine-tuning config by the article's rules",
}


@contextlib.contextmanager
def start_up() -> Iterator[None]:
    """Pause the cyclic garbage collector while start-up work runs (imports, the first
    lint's loading), then move what it made out of the collector's sight (`gc.freeze`): it
    is long-lived, so passes over it would find nothing (about 5% of a one-file
    `tunelint check`: benchmarks/lint_speed.py)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = next((a for a in argv if not a.startswith("-")), None)
    with start_up():
        parser = build_parser(command if command in COMMANDS else None)
        args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return EXIT_USAGE if args.command is None else 0
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("tunelint: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
