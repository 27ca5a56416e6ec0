"""The tunelint language server: its state and the lint of each open document.

Diagnostics are pulled (textDocument/diagnostic) when the client supports it and pushed
otherwise, as ruff server and esbonio decide. Lints run on one worker thread, so the event
loop keeps answering hovers and code actions while a large file is linted; a result for a
version the client has already replaced is dropped. The LSP methods live in `handlers/`,
one module per method family; what the client can do is resolved once (`capabilities`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from tunelint import __version__
from tunelint.knowledge import model_hub
from tunelint.knowledge.model_hub import HubAnswer
from tunelint.lint import LintOptions, LintResult
from tunelint.server.capabilities import ClientFacts
from tunelint.server.documents import DocumentStore
from tunelint.server.edits import minimal_edits
from tunelint.server.hub import follow_up, network_mode
from tunelint.server.linting import (
    LintOutcome,
    Snapshot,
    fix_snapshot,
    lint_options,
    lint_snapshot,
    over_parse_cap,
    restamp,
    size_class,
)
from tunelint.server.positions import PositionConverter
from tunelint.server.protocol import TunelintProtocol
from tunelint.server.scheduler import PushScheduler
from tunelint.server.settings import ServerSettings
from tunelint.server.transport import run_stdio, run_tcp

log = logging.getLogger("tunelint.server")


class TunelintServer(LanguageServer):
    """Language server state: open documents, settings, the latest lint of each document."""

    def __init__(self) -> None:
        super().__init__(
            "tunelint",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=TunelintProtocol,
        )
        self.documents = DocumentStore()
        self.client = ClientFacts()  # replaced at initialize
        self.settings = ServerSettings()
        self.options: LintOptions = lint_options(self.settings)
        model_hub.set_network_mode(network_mode(self.settings))
        self.generation = 0  # bumped whenever settings change: cached lints go stale
        self.outcomes: dict[str, LintOutcome] = {}
        # The last lint of each document that parsed: completion reads its dialect while a
        # key is half-typed (`"gradient_acc` leaves a JSON file unparseable).
        self.parsed: dict[str, LintResult] = {}
        self.published: set[str] = set()  # URIs whose last push was non-empty
        self.shutdown_requested = False
        self.hub_epoch = 0  # Hub answers received: outcomes linted before one are stale
        self.awaiting: dict[str, set[str]] = {}  # Hub repo -> URIs whose lint waits for it
        self._stale_versions: dict[str, int | None] = {}  # last version re-linted as stale
        self.scheduler = PushScheduler(
            self.lint_and_publish,
            is_open=lambda uri: self.documents.get(uri) is not None,
            debounce_ms=lambda: self.settings.debounce_ms,
        )
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tunelint-lint")
        self._stop = threading.Event()

    # -- transport ----------------------------------------------------------------------

    def start_io(self, stdin: Any = None, stdout: Any = None) -> None:
        """Serve on stdio with tunelint's framing (see `transport`)."""
        run_stdio(self.protocol, self._stop, stdin, stdout)
        self.stop()

    def start_tcp(self, host: str, port: int) -> None:
        run_tcp(self.protocol, self._stop, host, port)
        self.stop()

    @property
    def exit_code(self) -> int:
        """0 after an orderly shutdown, else 1 (LSP: `exit` without `shutdown`)."""
        return 0 if self.shutdown_requested else 1

    # -- logging ------------------------------------------------------------------------

    def log_to_client(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        try:
            self.window_log_message(types.LogMessageParams(type=kind, message=message))
        except Exception:  # no client connected (tests of the state, shutdown)
            log.debug("could not send log message: %s", message)

    def log_exception(self, where: str, exc: BaseException) -> None:
        """An internal error: to the client's log (window/logMessage) and to stderr."""
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        log.error("%s failed: %s", where, trace)
        self.log_to_client(f"tunelint: {where} failed: {exc!r}\n{trace}", types.MessageType.Error)

    def report_server_error(self, error: Exception, source: Any) -> None:
        # pygls would pop up a message box; a log line is enough for protocol-level errors.
        self.log_to_client(
            f"tunelint: server error ({source.__name__}): {error!r}", types.MessageType.Error
        )

    # -- settings -----------------------------------------------------------------------

    def apply_settings(self, raw: Any, origin: str) -> None:
        settings, warnings = ServerSettings.from_client(raw)
        for warning in warnings:
            self.log_to_client(f"tunelint: {origin}: {warning}", types.MessageType.Warning)
        if settings != self.settings:
            self.use_settings(settings)
            self.settings_changed()

    def use_settings(self, settings: ServerSettings) -> None:
        """Settings and the lint options derived from them, resolved once per change."""
        self.settings = settings
        self.options = lint_options(settings)
        model_hub.set_network_mode(network_mode(settings))

    def settings_changed(self) -> None:
        """Settings (editor or project files) changed: every open document is re-linted."""
        self.generation += 1
        self.outcomes.clear()
        if self.client.pull_diagnostics:
            if self.client.diagnostic_refresh:
                self.workspace_diagnostic_refresh(None)
            return
        for document in self.documents.all():
            self.scheduler.schedule(document.uri)

    # -- linting ------------------------------------------------------------------------

    def converter(self, text: str) -> PositionConverter:
        return PositionConverter(text, self.client.position_encoding)

    async def lint_latest(self, uri: str) -> LintOutcome | None:
        """The lint of the document as it is now (cached per version, text and settings)."""
        document = self.documents.get(uri)
        if document is None:
            return None
        snapshot = Snapshot.of(document)
        generation, epoch = self.generation, self.hub_epoch
        cached = self.outcomes.get(uri)
        if cached is not None and cached.generation == generation:
            if cached.version == snapshot.version and cached.snapshot.text == snapshot.text:
                return cached
            if cached.snapshot.text == snapshot.text:
                # Same text under a new version (a save, an undone edit): no new lint.
                outcome = restamp(cached, snapshot)
                self.outcomes[uri] = outcome
                return outcome
            if over_parse_cap(cached) and size_class(cached.snapshot.text) == size_class(
                snapshot.text
            ):
                # Over a parse cap (issue 10.6): linted once, not per keystroke, while it
                # stays in its size class (a save lints it again: `relint_on_save`).
                outcome = restamp(cached, snapshot)
                self.outcomes[uri] = outcome
                return outcome
        loop = asyncio.get_running_loop()
        work = functools.partial(
            lint_snapshot,
            snapshot,
            self.settings,
            generation,
            self.client.position_encoding,
            self.options,
        )
        try:
            outcome = await loop.run_in_executor(self._executor, work)
        except Exception as exc:
            self.log_exception(f"linting {uri}", exc)
            # No stale diagnostics: the document shows nothing until a lint succeeds.
            outcome = LintOutcome(snapshot, generation, False, self.converter(snapshot.text))
        outcome.epoch = epoch
        if self.documents.get(uri) is document and generation == self.generation:
            self.outcomes[uri] = outcome
            if outcome.result is not None and outcome.result.document.root is not None:
                self.parsed[uri] = outcome.result
            self.follow_hub(uri, outcome, loop)
        return outcome

    # -- the model Hub ------------------------------------------------------------------

    def follow_hub(self, uri: str, outcome: LintOutcome, loop: asyncio.AbstractEventLoop) -> None:
        """Wait for the Hub answers this lint lacked; re-lint at once if one came meanwhile."""

        def on_answer(repo: str, answer: HubAnswer) -> None:  # on the fetch thread
            try:
                loop.call_soon_threadsafe(self.hub_answered, repo)
            except RuntimeError:  # the loop is closed: the server has stopped
                log.debug("Hub answer for %s after shutdown", repo)

        try:
            mode = network_mode(self.settings, outcome.snapshot.path)
            waiting, stale = follow_up(outcome.result, on_answer, mode)
        except Exception as exc:  # the diagnostics still stand; only the refresh is lost
            self.log_exception(f"following Hub look-ups for {uri}", exc)
            return
        for repo in waiting:
            self.awaiting.setdefault(repo.lower(), set()).add(uri)
        if stale and self._stale_versions.get(uri, -1) != outcome.version:
            self._stale_versions[uri] = outcome.version  # once per version: never a loop
            self.hub_epoch += 1
            self.refresh([uri])

    def hub_answered(self, repo: str) -> None:
        """A Hub answer arrived (on the event loop): lint the documents waiting for it."""
        self.hub_epoch += 1
        uris = self.awaiting.pop(repo.lower(), set())
        self.refresh([uri for uri in uris if self.documents.get(uri) is not None])

    def refresh(self, uris: list[str]) -> None:
        """Drop the lints of `uris` and have them shown anew: pushed again, or the client
        asked to pull again (diagnostics and inlay hints)."""
        if not uris:
            return
        for uri in uris:
            self.outcomes.pop(uri, None)
        if self.client.inlay_hint_refresh:
            self.workspace_inlay_hint_refresh(None)
        if self.client.pull_diagnostics:
            if self.client.diagnostic_refresh:
                self.workspace_diagnostic_refresh(None)
            return
        for uri in uris:
            self.scheduler.schedule(uri)

    def relint_on_save(self, uri: str) -> None:
        """A saved document over a parse cap is linted again (its edits may have brought
        it under the cap without leaving its size class)."""
        cached = self.outcomes.get(uri)
        if cached is not None and over_parse_cap(cached):
            self.refresh([uri])

    async def lint_and_publish(self, uri: str) -> None:
        """Push mode: lint the latest text and publish it, unless it is already outdated."""
        try:
            outcome = await self.lint_latest(uri)
            document = self.documents.get(uri)
            if outcome is None or document is None or outcome.version != document.version:
                return  # closed, or edited meanwhile: the follow-up lint publishes
            if outcome.is_config:
                self.publish(uri, outcome.version, outcome.diagnostics, always=True)
            else:
                self.publish(uri, outcome.version, [])
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.log_exception(f"publishing diagnostics for {uri}", exc)
            self.clear(uri)

    def publish(
        self,
        uri: str,
        version: int | None,
        diagnostics: list[types.Diagnostic],
        always: bool = False,
    ) -> None:
        """Push diagnostics. An empty list goes out for configs (checked: all clear) and to
        clear what was shown; unrelated files never hear from the server."""
        if not diagnostics and not always and uri not in self.published:
            return
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )
        if diagnostics or always:
            self.published.add(uri)
        else:
            self.published.discard(uri)

    def clear(self, uri: str) -> None:
        """Drop whatever is shown for `uri` (after a failure, or on close)."""
        self.outcomes.pop(uri, None)
        self.parsed.pop(uri, None)
        self._stale_versions.pop(uri, None)
        if uri in self.published:
            try:
                self.publish(uri, None, [])
            except Exception as exc:  # the transport is gone; nothing more to do
                log.debug("could not clear diagnostics of %s: %s", uri, exc)

    async def fix_all_edits(self, snapshot: Snapshot) -> list[types.TextEdit]:
        """Minimal edits applying every safe fix to the snapshot's text (the core's
        fix_text, to a fixed point): they apply to that version only."""
        text = snapshot.text
        loop = asyncio.get_running_loop()
        fixed = await loop.run_in_executor(
            self._executor, functools.partial(fix_snapshot, snapshot, self.settings, self.options)
        )
        if fixed.applied == 0 or fixed.text == text:
            return []
        converter = self.converter(text)
        return [converter.edit_to_lsp(e) for e in minimal_edits(text, fixed.text)]

    def stop(self) -> None:
        """Stop background work (shutdown, or the transport ended)."""
        self.scheduler.stop()
        self._executor.shutdown(wait=False, cancel_futures=True)


def create_server() -> TunelintServer:
    """A server with every feature registered (not yet started)."""
    from tunelint.server.handlers import register_all

    server = TunelintServer()
    register_all(server)
    return server
