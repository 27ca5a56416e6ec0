"""Scale out through `accelerate launch`: one worker process per GPU (or CPU rank).

DDP is accelerate's default for several processes; FSDP and DeepSpeed ZeRO come from
`hardware.distributed` through the trainer arguments (see `trainer_config`), so the same
command line serves all three. Multi-node runs need accelerate's own config file (machine
rank, main address): pass it with `--accelerate-config`.

Note: accelerate 1.15 runs only one process for `--cpu --num_processes 2`; the runner uses
`--multi_gpu`, which on a CPU-only machine (with `use_cpu`) starts real gloo ranks.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from tunelint.runner.errors import RunnerError
from tunelint.runner.options import RunOptions

if TYPE_CHECKING:
    from tunelint.config.plan import Plan
    from tunelint.runner.precision import PrecisionChoice
    from tunelint.runner.prepared import PreparedRun

LAUNCHED_ENV_VAR = "TUNELINT_LAUNCHED"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def launch_command(
    spec_path: Path, plan: Plan, precision: PrecisionChoice, num_processes: int, options: RunOptions
) -> list[str]:
    """The `accelerate launch` command line for the workers."""
    command = [sys.executable, "-m", "accelerate.commands.launch"]
    if options.accelerate_config:
        command += ["--config_file", options.accelerate_config]
    else:
        command += [
            "--num_processes",
            str(num_processes),
            "--num_machines",
            str(plan.hardware.nodes),
            "--mixed_precision",
            {"bf16": "bf16", "fp16": "fp16"}.get(precision.name, "no"),
            "--dynamo_backend",
            "no",
            "--main_process_port",
            str(_free_port()),
        ]
        if num_processes > 1:
            command.append("--multi_gpu")
    command += ["-m", "tunelint.runner.worker", str(spec_path)]
    return command


def launch(run: PreparedRun) -> int:
    """Run the workers; return their exit status."""
    plan, options, resume_from = run.plan, run.options, run.resume_from
    worker_options = RunOptions(
        **{
            **options.to_json(),
            "reward_funcs": tuple(options.reward_funcs),
            "launched": True,
            "resume_from": str(resume_from) if resume_from else None,
        }
    )
    spec = {
        "plan": plan.model_dump(mode="json", by_alias=True),
        "base_dir": str(run.base_dir),
        "options": worker_options.to_json(),
    }
    handle, name = tempfile.mkstemp(prefix="tunelint-launch-", suffix=".json")
    spec_path = Path(name)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        json.dump(spec, stream)
    command = launch_command(spec_path, plan, run.precision, run.num_processes, options)
    print("tunelint: launching " + " ".join(command), flush=True)
    environment = {**os.environ, LAUNCHED_ENV_VAR: "1"}
    try:
        completed = subprocess.run(command, env=environment, check=False)
    except FileNotFoundError as exc:
        raise RunnerError(f"cannot start accelerate launch: {exc}") from None
    finally:
        spec_path.unlink(missing_ok=True)
    return completed.returncode
