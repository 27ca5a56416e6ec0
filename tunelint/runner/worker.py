"""Entry point of one `accelerate launch` worker: `python -m tunelint.runner.worker SPEC`.

The parent `tunelint run` has already linted the config, checked the data and prepared the
output folder; it hands the resolved Plan and options over in a JSON spec file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Run one worker from a launch spec; exit status 0 on success."""
    from tunelint.config.plan import Plan
    from tunelint.runner.errors import RunnerError
    from tunelint.runner.options import RunOptions
    from tunelint.runner.session import run_plan

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m tunelint.runner.worker SPEC.json", file=sys.stderr)
        return 2
    spec = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    plan = Plan.model_validate(spec["plan"])
    options = RunOptions.from_json(spec["options"])
    try:
        run_plan(plan, spec["base_dir"], options)
    except RunnerError as exc:
        print(f"tunelint: error: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
