"""`tunelint rules`: every rule as a table, JSON, or the README's Markdown section."""

from __future__ import annotations

import argparse
import json
import sys

from tunelint.checks.registry import all_rules
from tunelint.checks.rule import Rule


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("rules", help="list all rules")
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    p.set_defaults(func=run)


def rules_markdown(rules: tuple[Rule, ...]) -> str:
    """The README's rule reference, generated from the rules' own docs."""
    lines = [
        "| code | name | severity | fix | summary |",
        "|---|---|---|---|---|",
        *[
            f"| [{r.code}](#{r.code.lower()}-{r.name}) | {r.name} | {r.severity} | {r.fixable} "
            f"| {r.summary} |"
            for r in rules
        ],
        "",
    ]
    for r in rules:
        lines.append(r.markdown(level=4))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    rules = all_rules()
    if args.format == "json":
        json.dump(
            [
                {
                    "code": r.code,
                    "name": r.name,
                    "severity": r.severity,
                    "fixable": r.fixable,
                    "source": r.source,
                    "summary": r.summary,
                    "url": r.url,
                }
                for r in rules
            ],
            sys.stdout,
            indent=2,
        )
        sys.stdout.write("\n")
    elif args.format == "markdown":
        sys.stdout.write(rules_markdown(rules))
    else:
        width = max(len(r.name) for r in rules)
        for r in rules:
            print(f"{r.code}  {r.name:<{width}}  {r.severity:<7}  {r.fixable:<9}  {r.summary}")
    return 0
