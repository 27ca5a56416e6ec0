"""Workspace settings: workspace/configuration, didChangeConfiguration, watched files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from tunelint.server.files import SETTINGS_GLOBS, is_settings_file
from tunelint.server.handlers.base import Handler
from tunelint.server.settings import SECTION

if TYPE_CHECKING:
    from tunelint.server.server import TunelintServer


async def fetch_configuration(server: TunelintServer) -> None:
    """Ask the client for the `tunelint` section (workspace/configuration)."""
    if not server.client.configuration:
        return
    result = await server.workspace_configuration_async(
        types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
    )
    value = result[0] if result else None
    if value is not None:
        server.apply_settings(value, "workspace/configuration")


async def register_watchers(server: TunelintServer) -> None:
    """Watch project settings files, and the `tunelint` section, where the client lets us."""
    registrations = []
    if server.client.register_watched_files:
        registrations.append(
            types.Registration(
                id="tunelint-settings-files",
                method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(
                    watchers=[types.FileSystemWatcher(glob_pattern=g) for g in SETTINGS_GLOBS]
                ),
            )
        )
    if server.client.register_configuration:
        registrations.append(
            types.Registration(
                id="tunelint-configuration",
                method=types.WORKSPACE_DID_CHANGE_CONFIGURATION,
                register_options=types.DidChangeConfigurationRegistrationOptions(section=SECTION),
            )
        )
    if registrations:
        await server.client_register_capability_async(
            types.RegistrationParams(registrations=registrations)
        )


def did_change_configuration(
    server: TunelintServer, params: types.DidChangeConfigurationParams
) -> None:
    if server.client.configuration:
        # Pull model: the notification only says "something changed"; ask for it.
        async def refetch() -> None:
            try:
                await fetch_configuration(server)
            except Exception as exc:
                server.log_exception("workspace/configuration", exc)

        server.scheduler.spawn(refetch())
        return
    server.apply_settings(params.settings, "workspace/didChangeConfiguration")


def did_change_watched_files(
    server: TunelintServer, params: types.DidChangeWatchedFilesParams
) -> None:
    if any(is_settings_file(change.uri) for change in params.changes):
        from tunelint.config.settings import clear_settings_cache

        clear_settings_cache()
        server.settings_changed()


HANDLERS = (
    Handler(types.WORKSPACE_DID_CHANGE_CONFIGURATION, did_change_configuration),
    Handler(types.WORKSPACE_DID_CHANGE_WATCHED_FILES, did_change_watched_files),
)
