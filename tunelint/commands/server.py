"""`tunelint server`: the language server, on stdio (default) or TCP."""

from __future__ import annotations

import argparse
import logging
import sys


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `server` subcommand."""
    parser = subparsers.add_parser(
        "server",
        help="start the language server",
        description="Start the tunelint language server (LSP) for editors.",
    )
    add_arguments(parser)
    parser.set_defaults(func=run)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    transport = parser.add_mutually_exclusive_group()
    transport.add_argument(
        "--stdio", action="store_true", help="talk LSP over stdin/stdout (the default)"
    )
    transport.add_argument(
        "--tcp", metavar="HOST:PORT", help="listen on a TCP address instead, e.g. 127.0.0.1:2087"
    )
    parser.add_argument(
        "--log-level",
        default="warning",
        choices=("debug", "info", "warning", "error"),
        help="what the server writes to stderr (default: warning)",
    )
    parser.add_argument("--log-file", metavar="PATH", help="write the server log to a file")


def _address(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--tcp expects HOST:PORT, got {value!r}")
    return host.strip("[]"), int(port)


def run(args: argparse.Namespace) -> int:
    """Start the server; returns when the client disconnects or asks it to exit: 0 after
    `shutdown`, 1 without (as LSP's `exit` notification specifies)."""
    try:
        address = _address(args.tcp) if args.tcp else None
    except ValueError as exc:
        print(f"tunelint server: {exc}", file=sys.stderr)
        return 2
    # stdout is the LSP channel: logs go to stderr or a file, never to stdout.
    handler: logging.Handler = (
        logging.FileHandler(args.log_file, encoding="utf-8")
        if args.log_file
        else logging.StreamHandler(sys.stderr)
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(args.log_level.upper())

    from tunelint.server.server import create_server  # imported here: keep `check` fast

    server = create_server()
    if address is None:
        server.start_io()
    else:
        server.start_tcp(*address)
    return server.exit_code


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m tunelint.server`."""
    parser = argparse.ArgumentParser(prog="tunelint server")
    add_arguments(parser)
    return run(parser.parse_args(argv))
