"""Push-mode lint scheduling, and a home for every asyncio task the server starts.

The event loop keeps only weak references to tasks: a task nobody holds can be
garbage-collected mid-flight (esbonio's lesson). Every task started here is held until it
finishes.

Lints are debounced per document: a change after a pause is linted at once (no fixed delay
on every keystroke); changes during a lint, or within `debounce_ms` of the last one's start,
coalesce into one follow-up lint of the latest text.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any


class PushScheduler:
    """One lint loop per document, plus the server's other background tasks."""

    def __init__(
        self,
        lint_and_publish: Callable[[str], Awaitable[None]],
        is_open: Callable[[str], bool],
        debounce_ms: Callable[[], int],
    ) -> None:
        self._lint_and_publish = lint_and_publish
        self._is_open = is_open
        self._debounce_ms = debounce_ms
        self._loops: dict[str, asyncio.Task[None]] = {}
        self._dirty: set[str] = set()  # changed while its lint was running
        self._last_start: dict[str, float] = {}  # monotonic start of each URI's last lint
        self._background: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run `work` in the background, holding the task until it is done."""
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def schedule(self, uri: str) -> None:
        """Lint `uri` soon (see the module docstring for when)."""
        running = self._loops.get(uri)
        if running is not None and not running.done():
            self._dirty.add(uri)
            return
        task = asyncio.get_running_loop().create_task(self._loop(uri))
        self._loops[uri] = task
        task.add_done_callback(lambda done: self._forget(uri, done))

    def _forget(self, uri: str, task: asyncio.Task[None]) -> None:
        if self._loops.get(uri) is task:
            del self._loops[uri]

    def _wait(self, uri: str) -> float:
        last = self._last_start.get(uri)
        if last is None:
            return 0.0
        return max(0.0, last + self._debounce_ms() / 1000 - time.monotonic())

    async def _loop(self, uri: str) -> None:
        while True:
            # At least one turn of the event loop: changes already received land first.
            await asyncio.sleep(self._wait(uri))
            self._dirty.discard(uri)
            self._last_start[uri] = time.monotonic()
            await self._lint_and_publish(uri)
            if uri not in self._dirty or not self._is_open(uri):
                return

    def cancel(self, uri: str) -> None:
        """Stop linting `uri` (closed)."""
        self._dirty.discard(uri)
        self._last_start.pop(uri, None)
        pending = self._loops.pop(uri, None)
        if pending is not None and not pending.done():
            pending.cancel()

    def stop(self) -> None:
        """Cancel everything (shutdown)."""
        for uri in list(self._loops):
            self.cancel(uri)
        for task in list(self._background):
            task.cancel()
