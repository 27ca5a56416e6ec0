"""`tunelint schema`: the JSON Schema of the native format."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tunelint.config.schema import schema_text


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("schema", help="print the JSON Schema of the tunelint format")
    p.add_argument("--output", "-o", type=Path, help="write to this file instead of stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    text = schema_text()
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
