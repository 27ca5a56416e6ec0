"""`tunelint explain CODE`: a rule's documentation."""

from __future__ import annotations

import argparse
import difflib
import sys

from tunelint.checks.registry import all_rules, get_rule


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("explain", help="show a rule's documentation")
    p.add_argument("code", help="rule code or name, e.g. TL101 or fp16-on-bf16-gpu")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    rule = get_rule(args.code)
    if rule is None:
        names = [r.code for r in all_rules()] + [r.name for r in all_rules()]
        close = difflib.get_close_matches(args.code, names, n=1)
        hint = f"; did you mean {close[0]}?" if close else "; `tunelint rules` lists them"
        print(f"tunelint: unknown rule {args.code!r}{hint}", file=sys.stderr)
        return 2
    sys.stdout.write(rule.markdown(level=1))
    return 0
