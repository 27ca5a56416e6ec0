"""textDocument/codeAction and codeAction/resolve: quick-fixes, "ignore here", fix-all.

An action is computed for one version of the document and stamped with it. A diagnostic
the client sends back from an older version is never answered with its old data or range:
it is looked up in the lint of the current version (same code, range and message: the same
finding, still in place) and gets actions only if it is found there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

from tunelint.server import actions
from tunelint.server.handlers.base import Handler
from tunelint.server.linting import Snapshot

if TYPE_CHECKING:
    from tunelint.server.server import TunelintServer


async def current_diagnostic(
    server: TunelintServer, snapshot: Snapshot, diagnostic: types.Diagnostic
) -> types.Diagnostic | None:
    """The client's diagnostic as a diagnostic of `snapshot`'s version, or None."""
    if actions.data_origin(diagnostic) == (snapshot.uri, snapshot.version):
        return diagnostic
    outcome = await server.lint_latest(snapshot.uri)
    if outcome is None or outcome.version != snapshot.version:
        return None  # edited again meanwhile: the next request has the right diagnostics
    for fresh in outcome.diagnostics:
        if (fresh.code, fresh.range, fresh.message) == (
            diagnostic.code,
            diagnostic.range,
            diagnostic.message,
        ):
            return fresh
    return None


async def code_actions(
    server: TunelintServer, params: types.CodeActionParams
) -> list[types.CodeAction] | None:
    document = server.documents.get(params.text_document.uri)
    if document is None:
        return None
    snapshot = Snapshot.of(document)  # every action below is for this version
    only = params.context.only
    uri, version, versioned = snapshot.uri, snapshot.version, server.client.versioned_edits
    result: list[types.CodeAction] = []
    comments_allowed = not snapshot.filename.lower().endswith((".json", ".jsonc"))
    lines = snapshot.text.split("\n")
    has_safe_fix = False
    for sent in params.context.diagnostics:
        if not actions.is_ours(sent) or not actions.wants(only, actions.QUICK_FIX):
            continue
        diagnostic = await current_diagnostic(server, snapshot, sent)
        if diagnostic is None:
            continue
        fix = actions.fix_payload(diagnostic)
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
        edits = await server.fix_all_edits(snapshot)
        if edits:
            result.append(actions.fix_all_action(uri, version, edits, versioned))
    elif only is None and has_safe_fix:
        # The lightbulb list: offer fix-all cheaply, computing it only when chosen.
        lazy = server.client.resolves_code_actions
        edits = None if lazy else await server.fix_all_edits(snapshot)
        if edits is None or edits:
            result.append(actions.fix_all_action(uri, version, edits, versioned))
    return result


async def resolve(server: TunelintServer, action: types.CodeAction) -> types.CodeAction:
    """Fill in a deferred fix-all, computed for the document as it is now."""
    data: Any = action.data if isinstance(action.data, dict) else {}
    if not data.get("fixAll") or action.edit is not None:
        return action
    document = server.documents.get(str(data.get("uri")))
    if document is None:
        return action
    snapshot = Snapshot.of(document)
    edits = await server.fix_all_edits(snapshot)
    action.edit = actions.workspace_edit(
        snapshot.uri, snapshot.version, edits, server.client.versioned_edits
    )
    return action


HANDLERS = (
    Handler(
        types.TEXT_DOCUMENT_CODE_ACTION,
        code_actions,
        types.CodeActionOptions(
            code_action_kinds=[actions.QUICK_FIX, actions.FIX_ALL_KIND], resolve_provider=True
        ),
    ),
    # On failure the action goes back unresolved, not null.
    Handler(types.CODE_ACTION_RESOLVE, resolve, fallback=lambda action: action),
)
