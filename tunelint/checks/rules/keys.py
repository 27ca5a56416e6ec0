"""Framework keys (TL510, TL920, TL921): every key a dialect file writes, judged by its
framework's option table (tunelint.knowledge.options, generated from the frameworks' own
code) at the version the project is written for (tunelint.config.versions).

Severity follows what the framework does with the key, capped by what tunelint knows: a
key the framework refuses at launch is an error only when the version is pinned exactly
(settings, `==` in a requirement); at an assumed version (a range, the newest known) it is
a warning, because the finding rests on that assumption."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunelint.checks.context import Context
from tunelint.checks.finding import Finding, Fix, Severity
from tunelint.checks.registry import rule
from tunelint.checks.rule import RuleDocs
from tunelint.config import file_state
from tunelint.config.dialects.facts import OptionScope, WrittenKey
from tunelint.config.plan_edits import DialectKey, PlanEdit, RemoveKey, RenameKey, SetValue
from tunelint.config.versions import ResolvedVersion, resolve_version

if TYPE_CHECKING:
    from tunelint.config.plan import Plan
    from tunelint.knowledge.options import KeyProblem

VERSION = "the framework version"  # what a key finding may rest on (rule.may_assume)
SOURCE = "framework option tables (scripts/gen_option_tables.py), issue 11"
_VERSION_KINDS = ("removed", "not-yet", "deprecated")
_VALUE_KINDS = ("bad-value", "bad-type")
# Where unknown top-level keys may be another reader's own fields, only a key this close to
# a known one (difflib ratio; one letter off in a 15-letter key is 0.97) is called a typo.
_SLIP_RATIO = 0.9


@dataclass(frozen=True, slots=True)
class KeyVerdict:
    """One problem of one written key, with the severity tunelint may claim for it."""

    written: WrittenKey
    kind: str
    message: str
    severity: Severity
    suggestion: str | None
    unambiguous: bool
    # False where another reader of the file may define the key (a script's own parser):
    # a rename is then offered as unsafe, to review.
    certain: bool = True
    assumed: tuple[str, ...] = ()  # the framework version, where tunelint had to guess it


@dataclass(frozen=True, slots=True)
class _Judged:
    verdicts: tuple[KeyVerdict, ...]
    keys: tuple[WrittenKey, ...]  # every key the file writes
    _written: list[frozenset[tuple[str, ...]]] = field(default_factory=list)

    @property
    def written(self) -> frozenset[tuple[str, ...]]:
        """The key paths the file writes (made when a fix first asks: most files have no
        key finding)."""
        if not self._written:
            self._written.append(frozenset(w.keys for w in self.keys))
        return self._written[0]


_LAST: list[tuple[Context, _Judged]] = []  # the three rules judge one file's keys once


def judged(ctx: Context) -> _Judged | None:
    """The key problems of the linted file (computed once per lint)."""
    scope = ctx.facts.options
    if scope is None:
        return None
    last = _LAST[0] if _LAST else None  # one read: the server lints on several threads
    if last is not None and last[0] is ctx:
        return last[1]
    result = _judge(scope, ctx)
    _LAST[:] = [(ctx, result)]
    return result


def _project_file(ctx: Context) -> Path | None:
    """The config's path when it is a file on disk: its folder is where requirements are
    looked for (an in-memory document names no project)."""
    return ctx.file if ctx.file is not None and file_state.is_file(ctx.file) else None


# (judging scope, dotted path, value type, value) -> the problems `unknown_keys` gives that
# key: a pure function of its arguments over static tables, and configs of one framework
# write the same keys and values (`bf16: true`), so a key is judged once per process.
_JUDGED_KEYS: dict[tuple[int, str, type, Any], tuple[KeyProblem, ...]] = {}
_MAX_JUDGED_KEYS = 65_536
_SCOPE_IDS: dict[tuple[Any, ...], int] = {}  # a judging scope -> its number in those keys
_SCOPE_NUMBERS = itertools.count()


def _problems(
    judge: Callable[..., list[KeyProblem]],
    written: tuple[WrittenKey, ...],
    scope: tuple[Any, ...],
) -> list[tuple[KeyProblem, WrittenKey]]:
    """Each written key's problems. A key path is judged once per distinct value: list items
    (`datasets.3.type: alpaca`) repeat the same keys and values, and the table reads a path
    without its list indices. `scope` is everything else `judge` reads (its arguments)."""
    # (scope, dotted table path, value type, value) -> the keys written so. The scope is
    # hashed once here, not once per key (a tuple's hash is not cached).
    scope_id = _SCOPE_IDS.get(scope)
    if scope_id is None:  # setdefault and count: one number per scope across threads
        scope_id = _SCOPE_IDS.setdefault(scope, next(_SCOPE_NUMBERS))
    # Most keys were judged before (in this file or an earlier one): their problems come
    # from the memo on the spot; the others are grouped to be judged once per group.
    groups: dict[tuple[int, str, type, Any], list[WrittenKey]] = {}
    out: list[tuple[KeyProblem, WrittenKey]] = []
    table_path, memo = _table_path, _JUDGED_KEYS
    for key in written:
        value = key.value
        kind = value.__class__
        group = (
            scope_id,
            table_path(key.read_as or key.keys),
            kind,
            repr(value) if kind is list or kind is dict else value,
        )
        known = memo.get(group)
        if known is not None:
            for problem in known:
                out.append((problem, key))
            continue
        keys = groups.get(group)
        if keys is None:
            groups[group] = [key]
        else:
            keys.append(key)
    pending = list(groups.items())
    if len(_JUDGED_KEYS) + len(pending) > _MAX_JUDGED_KEYS:
        _JUDGED_KEYS.clear()
    while pending:  # one batch per round: a path at most once (its value keyed by path)
        batch: dict[str, tuple[tuple[int, str, type, Any], list[WrittenKey]]] = {}
        later = []
        for group, keys in pending:
            if group[1] in batch:
                later.append((group, keys))
            else:
                batch[group[1]] = (group, keys)
        problems = judge(
            list(batch),  # the dotted paths, as the table reads them
            values={dotted: keys[0].value for dotted, (_, keys) in batch.items()},
        )
        found: dict[str, list[KeyProblem]] = {dotted: [] for dotted in batch}
        for problem in problems:
            if problem.key in found:
                found[problem.key].append(problem)
        for dotted, (group, keys) in batch.items():
            _JUDGED_KEYS[group] = tuple(found[dotted])
            for problem in found[dotted]:
                for key in keys:
                    out.append((problem, key))
        pending = later
    if len(out) < 2:
        return out
    order = {key.keys: i for i, key in enumerate(written)}
    return sorted(out, key=lambda pair: order[pair[1].keys])


@lru_cache(maxsize=4096)
def _table_path(keys: tuple[str, ...]) -> str:
    """The dotted path as the table reads it: list indices all `0` (most paths have none).
    Cached: the same keys recur in every file of a framework."""
    return ".".join("0" if part.isdigit() else part for part in keys)


def _version_note(found: ResolvedVersion | None) -> tuple[str, tuple[str, ...]]:
    """Where the version came from: a note for a pinned one, else the assumption a finding
    rests on (the engine says it and never reports such a finding as an error)."""
    if found is None:
        return "", ()
    name = f"{found.framework} {found.version}"
    if found.exact:
        return f" ({name} pinned in {Path(found.source).name})", ()
    if found.source == "newest known":
        return "", (f"{name}, the newest known: pin it in [tool.tunelint.versions]",)
    return "", (f"{name} from the range in {Path(found.source).name}",)


def _also(framework: str, scope: OptionScope) -> tuple[tuple[str, ...], list[str]]:
    """Table sections of `scope.also` (an axolotl plugin class path resolves to its
    module's section) and the entries no table section matches."""
    from tunelint.knowledge.options import sections

    known = sections(framework)
    found: list[str] = []
    missing: list[str] = []
    for name in scope.also:
        if name in known:
            found.append(name)
            continue
        match = max(
            (s for s in known if name.startswith(s + ".") or name == s), key=len, default=None
        )
        if match is None:
            missing.append(name.removeprefix("plugin:"))
        else:
            found.append(match)
    return tuple(found), missing


@dataclass(frozen=True, slots=True)
class _Setting:
    """What judging a file's keys rests on besides the keys: the versions and sections."""

    found: ResolvedVersion | None
    related: dict[str, str]  # frameworks whose version the project pins exactly
    section: str | None
    also: tuple[str, ...]
    open_keys: str | None

    @property
    def version(self) -> str | None:
        return self.found.version if self.found is not None else None

    @property
    def exact(self) -> bool:
        return self.found is not None and self.found.exact


# (scope fields, config folder, settings' versions and source) -> the setting: within one
# check run that reads a fixed tree (file_state), configs of a folder share it.
_SETTINGS: dict[tuple[Any, ...], _Setting] = {}
_SETTINGS_RUN = [0]


def _setting(scope: OptionScope, ctx: Context) -> _Setting:
    file = _project_file(ctx)
    if not file_state.fixed():  # the server: requirement files may change between lints
        return _make_setting(scope, file, ctx)
    settings = ctx.settings
    if _SETTINGS_RUN[0] != file_state.run_number():  # another run: requirements may differ
        _SETTINGS.clear()
        _SETTINGS_RUN[0] = file_state.run_number()
    key = (
        scope.framework,
        scope.related,
        scope.section,
        scope.also,
        scope.open_keys,
        str(file.parent) if file is not None else None,
        tuple((getattr(settings, "versions", None) or {}).items()),
        getattr(settings, "source", None),
    )
    known = _SETTINGS.get(key)
    if known is None:
        if len(_SETTINGS) >= 1024:
            _SETTINGS.clear()
        known = _SETTINGS[key] = _make_setting(scope, file, ctx)
    return known


def _make_setting(scope: OptionScope, file: Path | None, ctx: Context) -> _Setting:
    from tunelint.knowledge.options import sections

    found = resolve_version(scope.framework, file, ctx.settings)
    related: dict[str, str] = {}
    for other in scope.related:
        other_found = resolve_version(other, file, ctx.settings)
        if other_found is not None and other_found.exact:  # a guess stays the table's own
            related[other] = other_found.version
    section = scope.section if scope.section in sections(scope.framework) else None
    also, foreign_plugins = _also(scope.framework, scope)
    open_keys = scope.open_keys
    if foreign_plugins:
        open_keys = f"a plugin tunelint has no table for takes it ({', '.join(foreign_plugins)})"
    return _Setting(found, related, section, also, open_keys)


def _judge(scope: OptionScope, ctx: Context) -> _Judged:
    from tunelint.knowledge.options import unknown_keys

    setting = _setting(scope, ctx)
    found, version, exact = setting.found, setting.version, setting.exact
    related, section, also = setting.related, setting.section, setting.also
    open_keys = setting.open_keys
    judge = partial(
        unknown_keys,
        scope.framework,
        version=version,
        section=section,
        related=related,
        also=also,
        version_assumed=not exact,
    )
    arguments = (scope.framework, version, section, tuple(related.items()), also, not exact)
    note, assumed = _version_note(found)
    verdicts: list[KeyVerdict] = []
    for problem, written in _problems(judge, scope.keys, arguments):
        severity: Severity = problem.severity  # type: ignore[assignment]
        message = problem.message
        certain = True
        if problem.kind == "unknown" and _launcher_takes(scope, written.keys):
            continue
        if problem.kind == "unknown" and open_keys and len(written.keys) == 1:
            if not _slip(written.keys[-1], problem.suggestion):
                continue  # a field another reader of the file may take: nothing to say
            severity = _at_most(severity, "warning")
            certain = False
            message += f" (unless {open_keys})"
        if problem.kind == "deprecated":
            if not _own_or_pinned(scope, written, version, section, related, also):
                continue  # a deprecation in a version of another framework tunelint guessed
            severity = "info"  # the framework still takes it: advice, not a fault
        if problem.kind == "bad-type" and severity == "info":
            continue  # a dataclass passes it on unchecked; frameworks write such values
        if not exact and problem.kind in ("unknown", *_VALUE_KINDS):
            severity = _at_most(severity, "warning")
        if problem.kind != "unknown" or "(the tables know" not in message:
            message += note
        if written.read_as is not None and written.read_as != written.keys:
            message = f"`{written.keys[-1]}` (read as `{written.read_as[-1]}`): {message}"
        verdicts.append(
            KeyVerdict(
                written,
                problem.kind,
                message,
                severity,
                problem.suggestion,
                problem.unambiguous,
                certain,
                assumed,
            )
        )
    judged_keys = {v.written.keys for v in verdicts}
    verdicts += [  # a spelling the framework rewrites itself, where nothing else is wrong
        KeyVerdict(
            w,
            "deprecated",
            f"{scope.framework} reads `{w.keys[-1]}` as `{w.read_as[-1]}`: {w.why}",
            "info",  # the framework still takes it: advice, as for any deprecated key
            w.read_as[-1],
            True,
        )
        for w in scope.keys
        if w.read_as is not None and w.read_as != w.keys and w.keys not in judged_keys
    ]
    return _Judged(tuple(verdicts), scope.keys)


def _own_or_pinned(
    scope: OptionScope,
    written: WrittenKey,
    version: str | None,
    section: str | None,
    related: dict[str, str],
    also: tuple[str, ...],
) -> bool:
    """Whether a key's entry belongs to the file's own framework or to a related one whose
    version the project pins (not one picked from the framework's requirement range)."""
    from tunelint.knowledge.options import lookup

    info = lookup(
        scope.framework,
        written.read_as or written.keys,
        version,
        section=section,
        related=related,
        also=also,
    )
    return info is None or info.framework == scope.framework or info.framework in related


def _launcher_takes(scope: OptionScope, keys: tuple[str, ...]) -> bool:
    """A top-level key the launcher reads itself (an `accelerate launch` argument)."""
    from tunelint.knowledge.options import lookup

    if scope.launcher is None or len(keys) != 1:
        return False
    return keys[0] in scope.launcher_keys or lookup(scope.launcher, keys[0]) is not None


@lru_cache(maxsize=1024)
def _slip(name: str, suggestion: str | None) -> bool:
    """A near-certain typo of `suggestion` (a slip of a letter or two), as opposed to a
    related name another reader may define (`batch_size_val` beside `batch_size`)."""
    if suggestion is None:
        return False
    import difflib  # only for a key that has a suggestion

    return difflib.SequenceMatcher(None, name, suggestion).ratio() >= _SLIP_RATIO


def _at_most(severity: Severity, cap: Severity) -> Severity:
    order = ("hint", "info", "warning", "error")
    return severity if order.index(severity) <= order.index(cap) else cap


def _renamable(verdict: KeyVerdict, written: frozenset[tuple[str, ...]]) -> bool:
    """A rename in place: an unquoted key outside lists whose new name is not taken."""
    keys = verdict.written.keys
    new = verdict.suggestion
    return (
        new is not None
        and verdict.written.plain_key
        and not any(part.isdigit() for part in keys)
        and (*keys[:-1], new) not in written
    )


def _key_fix(verdict: KeyVerdict, written: frozenset[tuple[str, ...]]) -> Fix | None:
    target = DialectKey(verdict.written.keys, key_itself=True)
    new = verdict.suggestion
    # A deprecated key still works, and its successor may take another value: no fix.
    renames = verdict.kind in ("unknown", "removed") or verdict.written.read_as is not None
    if new is not None and renames and verdict.unambiguous and _renamable(verdict, written):
        safety = "safe" if verdict.certain else "unsafe"
        return Fix(f"Rename to `{new}`", safety, (RenameKey(target, new),))
    if verdict.kind == "removed" and not any(p.isdigit() for p in verdict.written.keys):
        edit: PlanEdit = RemoveKey(target)
        what = "its successor is set" if new else "its setting has no successor"
        return Fix(f"Remove `{verdict.written.keys[-1]}` ({what})", "unsafe", (edit,))
    return None


def _key_findings(ctx: Context, kinds: tuple[str, ...]) -> Iterator[Finding]:
    """Findings on the key itself for the verdicts of `kinds`, with their fixes."""
    found = judged(ctx)
    if found is None:
        return
    for verdict in found.verdicts:
        if verdict.kind in kinds:
            yield Finding(
                verdict.message,
                DialectKey(verdict.written.keys, key_itself=True),
                _key_fix(verdict, found.written),
                severity=verdict.severity,
                assumed=verdict.assumed,
            )


@rule(
    code="TL510",
    may_assume=(VERSION,),
    name="removed-trainer-key",
    severity="warning",
    source=SOURCE,
    summary="A key the framework version the config is written for removed, renamed or "
    "does not have yet",
    fixable="sometimes",
    docs=RuleDocs(
        what="A key of an axolotl, LLaMA-Factory, TRL (with transformers' TrainingArguments), "
        "DeepSpeed, accelerate or torchtune file that the framework at the project's version "
        "no longer takes (`max_seq_length` from TRL 0.20, `torch_dtype` from TRL 1.0, "
        "`evaluation_strategy` from transformers 4.56...), deprecated, or not yet has. The "
        "version comes from `[tool.tunelint.versions]`, else the nearest requirements file, "
        "pyproject.toml or setup.py, else the newest release the tables know (assumed, and "
        "said so). A key valid at that version is not reported; one removed before it is, "
        "even if newer tables never knew it.",
        why="HfArgumentParser-based launchers (TRL, LLaMA-Factory) stop on keys their "
        "dataclasses do not have ('unexpected keyword argument'); pydantic-validated sections "
        "(DeepSpeed's zero_optimization) refuse them; others drop them silently. Recipes "
        "written for older releases (alignment-handbook's) hit this first.",
        example="max_seq_length: 2048\ntorch_dtype: bfloat16",
        fix="Rename to the new key in place, or remove keys that have no successor.",
        fix_safety="Safe for renames (same meaning); removals are unsafe (the setting's effect, "
        "e.g. prompt truncation, is gone).",
        references=(
            "https://github.com/ogx-ai/ogx/pull/2948",
            "https://github.com/huggingface/trl/issues/2853",
            "https://github.com/huggingface/transformers/pull/39782",
            "https://github.com/huggingface/transformers/pull/41326",
            "https://github.com/huggingface/course/issues/1171",
        ),
    ),
)
def removed_trainer_key(plan: Plan, ctx: Context) -> Iterator[Finding]:
    yield from _key_findings(ctx, _VERSION_KINDS)


@rule(
    code="TL920",
    may_assume=(VERSION,),
    name="unknown-framework-key",
    severity="warning",
    source=SOURCE,
    summary="A key the framework does not have (with did-you-mean)",
    fixable="sometimes",
    docs=RuleDocs(
        what="A key of a dialect file (axolotl, LLaMA-Factory, TRL, DeepSpeed, accelerate, "
        "torchtune) that the framework's option table does not know, in the section the "
        "launcher parses it into (TRL: the method's script dataclasses; axolotl: the config, "
        "`datasets` entries, the sections of the plugins it lists). Keys under a torchtune "
        "`_component_` or another free-form mapping are the component's own and not judged; "
        "in a TRL file an unknown key with no near match may be a field of the script's own "
        "dataclass and is not reported.",
        why="A misspelt key either stops the run at launch (HfArgumentParser, pydantic "
        "`extra='forbid'`) or, worse, is dropped without a word (axolotl, torchtune), so the "
        "setting silently keeps its default.",
        example="gradient_acumulation_steps: 4",
        fix="Rename to the key it nearly matches, where one match is clearly nearest.",
        fix_safety="Safe: the value stays; the key becomes the one the framework reads. "
        "Unsafe where another reader may declare the key (a script's own parser).",
    ),
)
def unknown_framework_key(plan: Plan, ctx: Context) -> Iterator[Finding]:
    yield from _key_findings(ctx, ("unknown",))


@rule(
    code="TL921",
    may_assume=(VERSION,),
    name="bad-framework-value",
    severity="warning",
    source=SOURCE,
    summary="A value outside the key's allowed values, or of a type it does not take",
    fixable="sometimes",
    docs=RuleDocs(
        what="A value of a dialect file's key that is not one of the values the framework "
        "allows (`lr_scheduler_type: cosine_with_restart`), or of a type the key does not take "
        "(a string where a number is read). DeepSpeed's `auto` placeholders are accepted.",
        why="Enum-typed and pydantic-validated keys refuse such values at launch; dataclass "
        "fields pass them on until the code that reads them fails or misbehaves.",
        example="lr_scheduler_type: cosine_with_restart",
        fix="Replace a misspelt choice by the allowed value it nearly matches.",
        fix_safety="Unsafe: review that the suggested value is the one meant.",
    ),
)
def bad_framework_value(plan: Plan, ctx: Context) -> Iterator[Finding]:
    found = judged(ctx)
    if found is None:
        return
    for verdict in found.verdicts:
        if verdict.kind not in _VALUE_KINDS or _substituted_later(verdict.written.value):
            continue
        target = DialectKey(verdict.written.keys)
        fix = None
        keys = verdict.written.keys
        if (
            verdict.kind == "bad-value"
            and verdict.suggestion is not None
            and verdict.unambiguous
            and isinstance(verdict.written.value, str)
            and not any(p.isdigit() for p in keys)
        ):
            new = verdict.suggestion
            fix = Fix(f"Set `{new}`", "unsafe", (SetValue(target, new),))
        yield Finding(
            verdict.message, target, fix, severity=verdict.severity, assumed=verdict.assumed
        )


def _substituted_later(value: Any) -> bool:
    """A value holding a `${...}` interpolation (OmegaConf/Hydra `${is_bf16}`, envsubst
    templates): it is replaced before the framework reads it, so its written type and
    spelling say nothing about what the framework gets."""
    return isinstance(value, str) and "${" in value and "}" in value[value.index("${") :]
