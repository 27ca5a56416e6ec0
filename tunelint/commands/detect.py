"""`tunelint detect PATH...`: which config format each file is written in, and how sure.

A file below the detection threshold is not a fine-tuning config and is never linted; a
project setting (`[tool.tunelint.dialects]`, glob -> dialect) forces a format per glob.
"""

from __future__ import annotations

import argparse
import json
import sys

from tunelint.cli import dialect_name

EXIT_OK, EXIT_ERROR = 0, 2


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "detect",
        help="print each file's config dialect and confidence",
        description="Print each file's config format (dialect) and the detector's confidence. "
        "Files below the threshold are not configs and are not linted.",
    )
    p.add_argument(
        "paths", nargs="+", metavar="PATH", help="files or folders (recursive); - reads stdin"
    )
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    p.add_argument(
        "--dialect",
        type=dialect_name,
        metavar="NAME",
        help="force this dialect (for testing a glob)",
    )
    p.set_defaults(func=run)


def detect_file(path: str, forced: str | None = None) -> dict[str, object]:
    """{path, dialect (None when not a config), confidence} for one file (or "-" for stdin)."""
    from pathlib import Path

    from tunelint.config.detect import detect_dialect
    from tunelint.config.document import parse_document
    from tunelint.config.settings import SettingsError, find_settings
    from tunelint.lint import decode_text, read_text

    text = decode_text(sys.stdin.buffer.read(), "<stdin>") if path == "-" else read_text(path)
    doc = parse_document(text, "<stdin>" if path == "-" else path)
    if forced is None and path != "-":
        try:
            forced = find_settings(Path(path)).dialect_for(Path(path))
        except SettingsError:
            forced = None
    detection = detect_dialect(doc, forced)
    return {"path": path, "dialect": detection.name, "confidence": round(detection.confidence, 2)}


def run(args: argparse.Namespace) -> int:
    from tunelint.commands.check import collect
    from tunelint.lint import ReadError

    files, missing = collect(args.paths, [])
    status = EXIT_OK
    for raw in missing:
        print(f"tunelint: {raw}: no such file or folder", file=sys.stderr)
        status = EXIT_ERROR
    results: list[dict[str, object]] = []
    for path in files:
        try:
            results.append(detect_file(path, args.dialect))
        except ReadError as exc:
            print(f"tunelint: {exc}", file=sys.stderr)
            status = EXIT_ERROR
    if args.format == "json":
        print(json.dumps(results, indent=2))
    else:
        for item in results:
            dialect = item["dialect"] or "none"
            print(f"{item['path']}: {dialect} ({item['confidence']:.2f})")
    return status
