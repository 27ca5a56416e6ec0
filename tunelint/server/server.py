"""The tunelint language server: state, the lint pipeline per document, and LSP wiring.

Diagnostics are pulled (textDocument/diagnostic) when the client supports it and pushed
otherwise, as ruff server and esbonio decide. Pushed lints are debounced per document (a
change during a lint is coalesced into one follow-up lint) and run on one worker thread, so
the event loop keeps answering hovers and code actions while a large file is linted; a
result for a version the client has already replaced is dropped.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.workspace.position_codec import PositionCodec

from tunelint import __version__
from tunelint.server import actions, completion, hover
from tunelint.server.documents import DocumentStore, OpenDocument
from tunelint.server.edits import minimal_edits
from tunelint.server.files import SETTINGS_GLOBS, is_declared_config, is_settings_file
from tunelint.server.linting import LintOutcome, Snapshot, lint_options, lint_snapshot
from tunelint.server.positions import PositionConverter
from tunelint.server.settings import SECTION, ServerSettings

log = logging.getLogger("tunelint.server")

F = TypeVar("F", bound=Callable[..., Any])


class TunelintServer(LanguageServer):
    """Language server state: open documents, settings, the latest lint of each document."""

    def __init__(self) -> None:
        super().__init__(
            "tunelint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental
        )
        self.documents = DocumentStore()
        self.settings = ServerSettings()
        self.generation = 0  # bumped whenever settings change: cached lints go stale
        self.outcomes: dict[str, LintOutcome] = {}
        self.published: set[str] = set()  # URIs whose last push was non-empty
        self._tasks: dict[str, asyncio.Task[None]] = {}  # push mode: the lint loop per URI
        self._dirty: set[str] = set()  # changed while its lint was running
        self._last_lint: dict[str, float] = {}  # monotonic start of each URI's last lint
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tunelint-lint")
        self._initialization_settings: Any = None

    # -- client facts -------------------------------------------------------------------

    @property
    def encoding(self) -> str | types.PositionEncodingKind:
        try:
            return self.workspace.position_encoding or types.PositionEncodingKind.Utf16
        except RuntimeError:  # before initialize
            return types.PositionEncodingKind.Utf16

    def _capability(self, *names: str) -> Any:
        node: Any = self.client_capabilities
        for name in names:
            node = getattr(node, name, None)
            if node is None:
                return None
        return node

    @property
    def pull_diagnostics(self) -> bool:
        return self._capability("text_document", "diagnostic") is not None

    @property
    def versioned_edits(self) -> bool:
        return bool(self._capability("workspace", "workspace_edit", "document_changes"))

    @property
    def resolves_code_actions(self) -> bool:
        properties = self._capability(
            "text_document", "code_action", "resolve_support", "properties"
        )
        return bool(properties) and "edit" in properties

    def _markdown(self, *names: str) -> bool:
        formats = self._capability(*names)
        return formats is None or types.MarkupKind.Markdown in formats

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
            self.settings = settings
            self.settings_changed()

    def settings_changed(self) -> None:
        """Settings (editor or project files) changed: every open document is re-linted."""
        self.generation += 1
        self.outcomes.clear()
        if self.pull_diagnostics:
            if self._capability("workspace", "diagnostics", "refresh_support"):
                self.workspace_diagnostic_refresh(None)
            return
        for document in self.documents.all():
            self.schedule(document.uri)

    async def fetch_configuration(self) -> None:
        """Ask the client for the `tunelint` section (workspace/configuration)."""
        if not self._capability("workspace", "configuration"):
            return
        result = await self.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
        )
        value = result[0] if result else None
        if value is not None:
            self.apply_settings(value, "workspace/configuration")

    async def register_watchers(self) -> None:
        registrations = []
        if self._capability("workspace", "did_change_watched_files", "dynamic_registration"):
            registrations.append(
                types.Registration(
                    id="tunelint-settings-files",
                    method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=types.DidChangeWatchedFilesRegistrationOptions(
                        watchers=[types.FileSystemWatcher(glob_pattern=g) for g in SETTINGS_GLOBS]
                    ),
                )
            )
        if self._capability("workspace", "did_change_configuration", "dynamic_registration"):
            registrations.append(
                types.Registration(
                    id="tunelint-configuration",
                    method=types.WORKSPACE_DID_CHANGE_CONFIGURATION,
                    register_options=types.DidChangeConfigurationRegistrationOptions(
                        section=SECTION
                    ),
                )
            )
        if registrations:
            await self.client_register_capability_async(
                types.RegistrationParams(registrations=registrations)
            )

    # -- linting ------------------------------------------------------------------------

    def snapshot(self, document: OpenDocument) -> Snapshot:
        return Snapshot(
            uri=document.uri,
            version=document.version,
            text=document.text,
            filename=document.filename,
            language_id=document.language_id,
            path=document.path,
        )

    async def lint_latest(self, uri: str) -> LintOutcome | None:
        """The lint of the document as it is now (cached per version and settings)."""
        document = self.documents.get(uri)
        if document is None:
            return None
        snapshot = self.snapshot(document)
        generation = self.generation
        cached = self.outcomes.get(uri)
        if (
            cached is not None
            and cached.generation == generation
            and cached.version == snapshot.version
            and cached.snapshot.text == snapshot.text
        ):
            return cached
        loop = asyncio.get_running_loop()
        try:
            outcome = await loop.run_in_executor(
                self._executor, lint_snapshot, snapshot, self.settings, generation, self.encoding
            )
        except Exception as exc:
            self.log_exception(f"linting {uri}", exc)
            # No stale diagnostics: the document shows nothing until a lint succeeds.
            outcome = LintOutcome(
                snapshot, generation, False, PositionConverter(snapshot.text, self.encoding)
            )
        if self.documents.get(uri) is document and generation == self.generation:
            self.outcomes[uri] = outcome
        return outcome

    def schedule(self, uri: str) -> None:
        """Push mode: lint `uri` soon, at most once per `debounce_ms` while it keeps changing.

        A change after a pause is linted at once (no fixed delay on every keystroke); changes
        that arrive during a lint, or within `debounce_ms` of the last one's start, coalesce
        into one follow-up lint of the latest text.
        """
        running = self._tasks.get(uri)
        if running is not None and not running.done():
            self._dirty.add(uri)
            return
        self._tasks[uri] = asyncio.get_running_loop().create_task(self._push_loop(uri))

    def _wait_before_lint(self, uri: str) -> float:
        last = self._last_lint.get(uri)
        if last is None:
            return 0.0
        return max(0.0, last + self.settings.debounce_ms / 1000 - time.monotonic())

    async def _push_loop(self, uri: str) -> None:
        while True:
            # At least one turn of the event loop: changes already received land first.
            await asyncio.sleep(self._wait_before_lint(uri))
            self._dirty.discard(uri)
            self._last_lint[uri] = time.monotonic()
            await self._push(uri)
            if uri not in self._dirty or self.documents.get(uri) is None:
                return

    async def _push(self, uri: str) -> None:
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
        if uri in self.published:
            try:
                self.publish(uri, None, [])
            except Exception as exc:  # the transport is gone; nothing more to do
                log.debug("could not clear diagnostics of %s: %s", uri, exc)

    def cancel(self, uri: str) -> None:
        self._dirty.discard(uri)
        self._last_lint.pop(uri, None)
        pending = self._tasks.pop(uri, None)
        if pending is not None and not pending.done():
            pending.cancel()

    def stop(self) -> None:
        for uri in list(self._tasks):
            self.cancel(uri)
        self._executor.shutdown(wait=False, cancel_futures=True)

    # -- code actions -------------------------------------------------------------------

    async def fix_for(
        self, document: OpenDocument, diagnostic: types.Diagnostic
    ) -> dict[str, Any] | None:
        """The fix of a client's diagnostic: from its data when current, else re-derived."""
        if actions.data_version(diagnostic) == document.version:
            return actions.fix_payload(diagnostic)
        outcome = await self.lint_latest(document.uri)
        if outcome is None:
            return None
        for fresh in outcome.diagnostics:
            if fresh.code == diagnostic.code and fresh.range == diagnostic.range:
                return actions.fix_payload(fresh)
        return None

    async def fix_all_edits(self, document: OpenDocument) -> list[types.TextEdit]:
        """Minimal edits applying every safe fix (the core's fix_text, to a fixed point)."""
        from tunelint.lint import fix_text

        snapshot = self.snapshot(document)
        options = lint_options(self.settings)
        loop = asyncio.get_running_loop()
        fixed = await loop.run_in_executor(
            self._executor, functools.partial(fix_text, snapshot.text, snapshot.filename, options)
        )
        if fixed.applied == 0 or fixed.text == snapshot.text:
            return []
        converter = PositionConverter(snapshot.text, self.encoding)
        return [converter.edit_to_lsp(e) for e in minimal_edits(snapshot.text, fixed.text)]

    async def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        document = self.documents.get(params.text_document.uri)
        if document is None:
            return None
        only = params.context.only
        uri, version, versioned = document.uri, document.version, self.versioned_edits
        result: list[types.CodeAction] = []
        comments_allowed = not document.filename.lower().endswith((".json", ".jsonc"))
        lines = document.text.split("\n")
        has_safe_fix = False
        for diagnostic in params.context.diagnostics:
            if not actions.is_ours(diagnostic) or not actions.wants(only, actions.QUICK_FIX):
                continue
            fix = await self.fix_for(document, diagnostic)
            if fix is not None:
                action = actions.quick_fix(diagnostic, fix, uri, version, versioned)
                if action is not None:
                    result.append(action)
                    has_safe_fix = has_safe_fix or bool(action.is_preferred)
            if comments_allowed:
                ignore = actions.ignore_action(diagnostic, lines, uri, version, versioned)
                if ignore is not None:
                    result.append(ignore)
        if actions.explicitly_wants(only, actions.FIX_ALL_KIND):
            # Asked for by kind (fix-all on save): edits now, nothing if there is nothing.
            edits = await self.fix_all_edits(document)
            if edits:
                result.append(actions.fix_all_action(uri, version, edits, versioned))
        elif only is None and has_safe_fix:
            # The lightbulb list: offer fix-all cheaply, computing it only when chosen.
            edits = None if self.resolves_code_actions else await self.fix_all_edits(document)
            if edits is None or edits:
                result.append(actions.fix_all_action(uri, version, edits, versioned))
        return result

    async def resolve_code_action(self, action: types.CodeAction) -> types.CodeAction:
        data = action.data if isinstance(action.data, dict) else {}
        if not data.get("fixAll") or action.edit is not None:
            return action
        document = self.documents.get(str(data.get("uri")))
        if document is None:
            return action
        edits = await self.fix_all_edits(document)
        action.edit = actions.workspace_edit(
            document.uri, document.version, edits, self.versioned_edits
        )
        return action


def _guarded(server: TunelintServer, where: str, fallback: Any = None) -> Callable[[F], F]:
    """Handlers never crash the server: an exception is logged to the client, the request
    gets `fallback` (a value, or a function of the params), and the document it concerned
    shows no stale diagnostics."""

    def failed(params: Any, exc: Exception) -> Any:
        server.log_exception(where, exc)
        uri = getattr(getattr(params, "text_document", None), "uri", None)
        if uri is not None and where.startswith("textDocument/did"):
            server.clear(uri)
        return fallback(params) if callable(fallback) else fallback

    def decorate(handler: F) -> F:
        if inspect.iscoroutinefunction(handler):

            @functools.wraps(handler)
            async def run_async(params: Any) -> Any:
                try:
                    return await handler(params)
                except Exception as exc:
                    return failed(params, exc)

            return run_async  # type: ignore[return-value]

        @functools.wraps(handler)
        def run(params: Any) -> Any:
            try:
                return handler(params)
            except Exception as exc:
                return failed(params, exc)

        return run  # type: ignore[return-value]

    return decorate


def create_server() -> TunelintServer:
    """A server with every feature registered (not yet started)."""
    server = TunelintServer()

    def feature(method: str, options: Any = None, fallback: Any = None) -> Callable[[F], F]:
        def register(handler: F) -> F:
            server.feature(method, options)(_guarded(server, method, fallback)(handler))
            return handler

        return register

    @feature(types.INITIALIZE)
    def initialize(params: types.InitializeParams) -> None:
        server._initialization_settings = params.initialization_options
        settings, warnings = ServerSettings.from_client(params.initialization_options)
        server.settings = settings
        for warning in warnings:
            log.warning("initializationOptions: %s", warning)

    @feature(types.INITIALIZED)
    def initialized(params: types.InitializedParams) -> None:
        async def configure() -> None:
            try:
                await server.register_watchers()
            except Exception as exc:
                server.log_exception("registering file watchers", exc)
            try:
                await server.fetch_configuration()
            except Exception as exc:
                server.log_exception("workspace/configuration", exc)

        asyncio.get_running_loop().create_task(configure())

    @feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        document = server.documents.open(params.text_document)
        if is_settings_file(document.filename):
            return
        if not server.pull_diagnostics:
            server.schedule(document.uri)

    @feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        document = server.documents.change(params, PositionCodec(server.encoding))
        if document is None or is_settings_file(document.filename):
            return
        if not server.pull_diagnostics:
            server.schedule(document.uri)

    @feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        document = server.documents.get(params.text_document.uri)
        if document is not None and is_settings_file(document.filename):
            from tunelint.config.settings import clear_settings_cache

            clear_settings_cache()
            server.settings_changed()

    @feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        server.cancel(uri)
        server.documents.close(uri)
        server.clear(uri)

    @feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(
            identifier="tunelint", inter_file_dependencies=False, workspace_diagnostics=False
        ),
        fallback=types.RelatedFullDocumentDiagnosticReport(items=[]),
    )
    async def pull(params: types.DocumentDiagnosticParams) -> types.DocumentDiagnosticReport:
        outcome = await server.lint_latest(params.text_document.uri)
        if outcome is None:
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        if params.previous_result_id == outcome.result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=outcome.result_id)
        items = outcome.diagnostics if outcome.is_config else []
        return types.RelatedFullDocumentDiagnosticReport(items=items, result_id=outcome.result_id)

    @feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[actions.QUICK_FIX, actions.FIX_ALL_KIND], resolve_provider=True
        ),
    )
    async def code_action(params: types.CodeActionParams) -> list[types.CodeAction] | None:
        return await server.code_actions(params)

    @feature(types.CODE_ACTION_RESOLVE, fallback=lambda action: action)  # unresolved, not null
    async def code_action_resolve(params: types.CodeAction) -> types.CodeAction:
        return await server.resolve_code_action(params)

    @feature(types.TEXT_DOCUMENT_HOVER)
    async def on_hover(params: types.HoverParams) -> types.Hover | None:
        outcome = await server.lint_latest(params.text_document.uri)
        if outcome is None or not outcome.is_config:
            return None
        markdown = server._markdown("text_document", "hover", "content_format")
        return hover.hover(outcome, params.position, markdown)

    @feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[":"]))
    def on_completion(params: types.CompletionParams) -> types.CompletionList | None:
        document = server.documents.get(params.text_document.uri)
        if document is None:
            return None
        outcome = server.outcomes.get(document.uri)
        native = is_declared_config(document.filename, document.text) or (
            outcome is not None
            and outcome.result is not None
            and outcome.result.dialect == "native"
        )
        if not native or document.filename.lower().endswith((".json", ".jsonc")):
            return None
        converter = PositionConverter(document.text, server.encoding)
        markdown = server._markdown(
            "text_document", "completion", "completion_item", "documentation_format"
        )
        return completion.complete(document.text, params.position, converter, markdown)

    @feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(params: types.DidChangeConfigurationParams) -> None:
        if server._capability("workspace", "configuration"):
            # Pull model: the notification only says "something changed"; ask for it.
            async def refetch() -> None:
                try:
                    await server.fetch_configuration()
                except Exception as exc:
                    server.log_exception("workspace/configuration", exc)

            asyncio.get_running_loop().create_task(refetch())
            return
        server.apply_settings(params.settings, "workspace/didChangeConfiguration")

    @feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
        if any(is_settings_file(change.uri) for change in params.changes):
            from tunelint.config.settings import clear_settings_cache

            clear_settings_cache()
            server.settings_changed()

    @feature(types.SHUTDOWN)
    def shutdown(params: Any) -> None:
        server.stop()

    return server
