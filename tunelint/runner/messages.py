"""Runner messages: printed once, by the main process of a launch."""

from __future__ import annotations

import os
from collections.abc import Callable

Say = Callable[[str], None]


def is_main_process() -> bool:
    """Under accelerate launch every rank runs the session; RANK is set by the launcher."""
    return os.environ.get("RANK", "0") == "0"


def default_say(message: str) -> None:
    """Print a runner message once (on the main process)."""
    if is_main_process():
        print(f"tunelint: {message}", flush=True)
