"""`tunelint fix PATH...`: `tunelint check --fix`, for those who look for a verb."""

from __future__ import annotations

import argparse

from tunelint.commands import check


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "fix",
        help="apply safe fixes in place (same as check --fix)",
        description="Apply fixes in place and report what is left: `tunelint check --fix`.",
    )
    check.add_check_arguments(p)
    p.set_defaults(func=run, fix=True, diff=False)


def run(args: argparse.Namespace) -> int:
    args.fix = True
    return check.run(args)
