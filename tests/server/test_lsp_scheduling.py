"""Capabilities resolved once, and the scheduler that holds every task it starts."""

from __future__ import annotations

import asyncio
import gc

from lsprotocol import types
from pytest_lsp import client_capabilities

from tunelint.server.capabilities import ClientFacts
from tunelint.server.scheduler import PushScheduler


def test_client_facts_from_recorded_clients() -> None:
    vscode = ClientFacts.resolve(client_capabilities("visual_studio_code"), "utf-16")
    assert not vscode.pull_diagnostics and vscode.versioned_edits and vscode.configuration
    assert vscode.resolves_code_actions and vscode.hover_markdown
    latest = ClientFacts.resolve(client_capabilities("neovim@latest"), "utf-8")
    assert latest.pull_diagnostics and latest.position_encoding == "utf-8"
    bare = ClientFacts.resolve(types.ClientCapabilities(), None)
    assert bare == ClientFacts()  # nothing stated: push, UTF-16, no dynamic registration


def test_spawned_tasks_survive_garbage_collection() -> None:
    """A task nobody else references still runs to the end (the scheduler holds it)."""
    finished: list[int] = []

    async def work(n: int) -> None:
        await asyncio.sleep(0.01)
        gc.collect()
        await asyncio.sleep(0.01)
        finished.append(n)

    async def main() -> None:
        scheduler = PushScheduler(_noop, lambda uri: True, lambda: 0)
        for n in range(5):
            scheduler.spawn(work(n))  # the returned task is dropped on purpose
        gc.collect()
        while len(finished) < 5:
            await asyncio.sleep(0.01)

    asyncio.run(asyncio.wait_for(main(), 10))
    assert sorted(finished) == [0, 1, 2, 3, 4]


def test_changes_during_a_lint_coalesce_into_one_follow_up() -> None:
    linted: list[str] = []
    release = asyncio.Event

    async def main() -> None:
        gate = release()

        async def lint(uri: str) -> None:
            linted.append(uri)
            if len(linted) == 1:
                await gate.wait()

        scheduler = PushScheduler(lint, lambda uri: True, lambda: 0)
        scheduler.schedule("a")
        await asyncio.sleep(0.01)  # the first lint is running
        for _ in range(10):
            scheduler.schedule("a")
        gate.set()
        await asyncio.sleep(0.05)

    asyncio.run(main())
    assert linted == ["a", "a"]


async def _noop(uri: str) -> None:
    return None
