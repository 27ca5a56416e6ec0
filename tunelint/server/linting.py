"""One lint of one document version, as the server keeps and publishes it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from lsprotocol import types

from tunelint.knowledge import model_hub
from tunelint.lint import FixResult, LintOptions, LintResult, fix_text, lint_text
from tunelint.server.diagnostics import to_lsp
from tunelint.server.documents import OpenDocument
from tunelint.server.files import is_declared_config, may_be_config
from tunelint.server.hub import network_mode
from tunelint.server.positions import PositionConverter
from tunelint.server.settings import ServerSettings


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a lint reads: a document's text at one version (safe to hand to a thread)."""

    uri: str
    version: int | None
    text: str
    filename: str
    language_id: str
    path: str | None

    @classmethod
    def of(cls, document: OpenDocument) -> Snapshot:
        return cls(
            uri=document.uri,
            version=document.version,
            text=document.text,
            filename=document.filename,
            language_id=document.language_id,
            path=document.path,
        )


@dataclass(slots=True)
class LintOutcome:
    """A lint of one snapshot under one settings generation."""

    snapshot: Snapshot
    generation: int
    is_config: bool
    converter: PositionConverter
    result: LintResult | None = None
    diagnostics: list[types.Diagnostic] = field(default_factory=list)
    epoch: int = 0  # the server's Hub-answer count when linted: a new answer, a new result id

    @property
    def uri(self) -> str:
        return self.snapshot.uri

    @property
    def version(self) -> int | None:
        return self.snapshot.version

    @property
    def result_id(self) -> str:
        return f"{self.generation}.{self.epoch}:{self.version}"


def lint_options(settings: ServerSettings) -> LintOptions:
    """Editor settings as core options; project settings files are found from the path."""
    off = tuple(code for code, level in settings.severity.items() if level == "off")
    return LintOptions(
        gpu=settings.gpu,
        select=settings.select,
        ignore=(*settings.ignore, *off),
        severity={code: level for code, level in settings.severity.items() if level != "off"},
    )


def _same_file(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))
    except (OSError, ValueError):
        return False


def lint_snapshot(
    snapshot: Snapshot,
    settings: ServerSettings,
    generation: int,
    encoding: str | types.PositionEncodingKind | None,
    options: LintOptions | None = None,
) -> LintOutcome:
    """Lint a snapshot; a file that is not a fine-tuning config gets no diagnostics at all."""
    converter = PositionConverter(snapshot.text, encoding)
    outcome = LintOutcome(snapshot, generation, False, converter)
    if not settings.enable or not may_be_config(snapshot.filename, snapshot.language_id):
        return outcome
    # Hub look-ups for this document: per lint, as its project may be offline (lints run
    # one at a time on the server's lint thread).
    model_hub.set_network_mode(network_mode(settings, snapshot.path))
    result = lint_text(snapshot.text, snapshot.filename, options or lint_options(settings))
    outcome.result = result
    # The core detects the dialect; a file named or marked as a tunelint config is linted
    # even when it is too broken to detect (so its syntax error shows).
    outcome.is_config = result.dialect is not None or is_declared_config(
        snapshot.filename, snapshot.text
    )
    if outcome.is_config:
        outcome.diagnostics = _diagnostics(result, converter, snapshot)
    return outcome


def _diagnostics(
    result: LintResult, converter: PositionConverter, snapshot: Snapshot
) -> list[types.Diagnostic]:
    return [
        to_lsp(
            diagnostic,
            converter,
            snapshot.uri,
            snapshot.version,
            foreign=not _same_file(diagnostic.file, result.path),
        )
        for diagnostic in result.diagnostics
    ]


def fix_snapshot(snapshot: Snapshot, settings: ServerSettings, options: LintOptions) -> FixResult:
    """Every safe fix applied to the snapshot's text (the core's fix_text), with the
    document's Hub mode as its lint has it."""
    model_hub.set_network_mode(network_mode(settings, snapshot.path))
    return fix_text(snapshot.text, snapshot.filename, options)


def over_parse_cap(outcome: LintOutcome) -> bool:
    """Whether the lint stopped at a parse cap (TL905: size, values, depth, alias bomb)."""
    result = outcome.result
    return result is not None and any(e.code == "TL905" for e in result.document.errors)


def size_class(text: str) -> int:
    """The power-of-two bucket of a text's length: edits within one bucket keep an over-cap
    document over its cap (a flow list of half a million items stays one), so its one lint
    stands; crossing a bucket (a large deletion, a paste) lints it again."""
    return len(text).bit_length()


def restamp(outcome: LintOutcome, snapshot: Snapshot) -> LintOutcome:
    """The same lint for a new version of identical text: only the version stamps change."""
    fresh = LintOutcome(snapshot, outcome.generation, outcome.is_config, outcome.converter)
    fresh.epoch = outcome.epoch
    fresh.result = outcome.result
    if outcome.result is not None and outcome.is_config:
        fresh.diagnostics = _diagnostics(outcome.result, outcome.converter, snapshot)
    return fresh
