"""The lint pipeline: text -> Document -> dialect -> Plan -> rules -> diagnostics.

One path for every consumer: the CLI, the language server and the runner all call
`lint_text` / `lint_file`, and `fix_text` applies fixes through the same diagnostics."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from tunelint.checks.context import Context, StringValue
from tunelint.checks.engine import rule_for, runnable
from tunelint.checks.finding import Diagnostic, Finding, RenderedFix
from tunelint.checks.registry import all_rules, get_rule, selected
from tunelint.checks.rule import Rule
from tunelint.checks.rules.structure import problem_finding
from tunelint.config.detect import detect_dialect
from tunelint.config.dialects import Dialect, MappedConfig
from tunelint.config.document import Document, Mapping, Scalar, Sequence, decode, parse_document
from tunelint.config.positions import (
    DOCUMENT_START,
    Range,
    TextEdit,
    apply_edits,
    with_line_breaks,
)
from tunelint.config.secrets import (
    find_tokens,
    is_credential_key,
    mask_secrets,
    may_hold_token,
    may_name_credential,
)
from tunelint.config.settings import Settings, find_settings
from tunelint.config.source_map import SourceMap
from tunelint.config.validate import build_plan
from tunelint.knowledge.gpus import GpuSpec, detect_gpu, resolve_gpu, suggest_gpu
from tunelint.knowledge.memory_report import memory_report

if TYPE_CHECKING:
    # At run time a Plan is the validator's plain object (tunelint.config.plan_objects).
    from tunelint.config.plan import Plan

ALWAYS_SHOWN = frozenset({"TL900", "TL905"})  # unreadable input is never silenced


@dataclass(frozen=True)
class LintOptions:
    gpu: str | None = None  # --gpu
    gpu_count: int | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: dict[str, str] = field(default_factory=dict)
    settings: Settings | None = None  # None: found by walking up from the file
    dialect: str | None = None  # force a dialect
    detect_gpu: bool = False  # ask NVML for the local GPU when nothing else names one


@dataclass
class LintResult:
    path: str
    text: str
    document: Document
    dialect: str | None
    confidence: float
    plan: Plan | None = None
    source_map: SourceMap = field(default_factory=SourceMap)
    context: Context | None = None
    mapped: MappedConfig | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def is_config(self) -> bool:
        return self.dialect is not None

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.diagnostics)


@dataclass(frozen=True)
class FixResult:
    text: str
    applied: int
    result: LintResult


def _secret_candidates(doc: Document) -> list[StringValue]:
    """The string values that may be secrets (TL602 judges them): every one where the text
    has a provider token prefix somewhere, else those under a key that names a credential
    (`secret_kind` rules the others out). Then provider tokens outside values."""
    found: list[StringValue] = []
    append = found.append
    string = StringValue._make  # one tuple per string value: no keyword handling
    # An escape in a quoted value may spell a token the text does not show.
    any_value = may_hold_token(doc.text) or "\\" in doc.text
    if not any_value and not may_name_credential(doc.text):
        return found  # no token, and no key that names a credential: nothing to judge
    credential_key = is_credential_key

    def walk(node: object, path: tuple[str, ...]) -> None:
        if isinstance(node, Mapping):
            for entry in node.entries:
                value = entry.value
                if not isinstance(value, Scalar):
                    walk(value, (*path, str(entry.key.value)))
                elif value.value.__class__ is str and (
                    any_value or credential_key(str(entry.key.value))
                ):
                    append(string(((*path, str(entry.key.value)), value.value, value.range)))
        elif isinstance(node, Sequence):
            # Scalars inline: a long list (target modules, layers) is most of a file.
            keep = any_value or (bool(path) and credential_key(path[-1]))
            for item in node.items:
                if isinstance(item, Scalar):
                    if keep and item.value.__class__ is str:
                        append(string((path, item.value, item.range)))
                else:
                    walk(item, path)
        elif isinstance(node, Scalar) and isinstance(node.value, str) and any_value:
            append(StringValue(path, node.value, node.range))

    walk(doc.root, ())
    # Tokens outside values (in a key or a comment) are leaked all the same: no key path.
    tokens = list(find_tokens(doc.text)) if any_value else []
    if not tokens:
        return found
    inside = [(doc.index.offset(v.range.start), doc.index.offset(v.range.end)) for v in found]
    for _, start, end in tokens:
        if not any(a <= start and end <= b for a, b in inside):
            at = Range(doc.index.position(start), doc.index.position(end))
            found.append(StringValue((), doc.text[start:end], at))
    return found


def _resolve_gpu(
    plan: Plan | None, options: LintOptions, settings: Settings, source_map: SourceMap
) -> tuple[GpuSpec | None, str, list[Finding]]:
    """The GPU from, in order: the config, --gpu, project settings, detection."""
    written = plan.hardware.gpu if plan is not None else None
    candidates: list[tuple[str, str]] = []
    if written and written.lower() != "auto":
        candidates.append(("config", written))
    if options.gpu:
        candidates.append(("--gpu", options.gpu))
    if settings.gpu:
        candidates.append(("settings", settings.gpu))
    findings: list[Finding] = []
    for origin, name in candidates:
        gpu = resolve_gpu(name)
        if gpu is not None:
            return gpu, origin, findings
        hint = suggest_gpu(name)
        where = {"config": "", "--gpu": " (from --gpu)", "settings": f" (from {settings.source})"}
        message = f"unknown GPU `{name}`{where[origin]}"
        message += f"; did you mean `{hint}`?" if hint else "; `tunelint rules` docs list GPUs"
        path = ("hardware", "gpu") if origin == "config" else ()
        findings.append(
            Finding(message, path, range=None if path else DOCUMENT_START, code="TL906")
        )
        break  # a wrong explicit name must not be silently replaced by a later source
    if not findings and (options.detect_gpu or (written or "").lower() == "auto"):
        name, _count = detect_gpu()
        gpu = resolve_gpu(name) if name else None
        if gpu is not None:
            return gpu, "detected", findings
    if not findings:
        at = ("hardware",) if source_map.get(("hardware",)) else ()
        findings.append(
            Finding(
                "no GPU known: precision and memory rules skipped; set hardware.gpu, --gpu, "
                "or gpu under [tool.tunelint]",
                at,
                range=None if at else DOCUMENT_START,
                code="TL907",
            )
        )
    return None, "none", findings


def _diagnostic(
    finding: Finding,
    rule: Rule,
    severity: str,
    file: str,
    fix: RenderedFix | None,
    source_map: SourceMap,
) -> Diagnostic:
    if finding.range is not None:
        range_, other = finding.range, finding.file
    else:
        range_, other = source_map.range_for(finding.path)
        other = finding.file or other
    return Diagnostic(
        file=other or file,
        range=range_,
        code=finding.code,
        severity=severity,  # type: ignore[arg-type]
        message=finding.message,
        fix=fix,
        url=rule.url,
    )


def _render_fix(
    finding: Finding, doc: Document, dialect: Dialect, mapped: MappedConfig, plan: Plan | None
) -> RenderedFix | None:
    """The dialect renders all of the fix's Plan edits at once (None: not expressible)."""
    if finding.fix is None or finding.file is not None:
        return None
    if finding.range is None and mapped.source_map.range_for(finding.path)[1] is not None:
        return None  # shown in a related file: no fix there
    edits = dialect.render(doc, mapped.source_map, plan, finding.fix.edits)
    if not edits:
        return None
    edits = with_line_breaks(edits, doc.newline)  # inserted lines end as the file's do
    return RenderedFix(finding.fix.title, finding.fix.applicability, tuple(edits))


def _unreadable(doc: Document, file: str) -> list[Diagnostic]:
    """Syntax errors and parse limits: reported whatever the file's format would have been."""
    out = []
    for error in doc.errors:
        rule = get_rule(error.code)
        if rule is not None and error.code in ALWAYS_SHOWN:
            out.append(
                Diagnostic(
                    file, error.range, error.code, rule.severity, error.message, url=rule.url
                )
            )
    return out


def _apply_suppressions(
    doc: Document, file: str, diagnostics: list[Diagnostic], settings: Settings
) -> list[Diagnostic]:
    if not doc.suppressions:
        return diagnostics
    kept: list[Diagnostic] = []
    used: set[tuple[int, str]] = set()
    own_line = {
        s.line: not doc.index.line_text(s.line)[: s.range.start.column].strip()
        for s in doc.suppressions
    }
    for diag in diagnostics:
        hidden = False
        if diag.file == file and diag.code not in ALWAYS_SHOWN:
            line = diag.range.start.line
            for s in doc.suppressions:
                covers = s.line == line or (own_line[s.line] and s.line + 1 == line)
                if covers and (not s.codes or diag.code in s.codes):
                    hidden = True
                    used.add((s.line, diag.code if s.codes else "*"))
        if not hidden:
            kept.append(diag)
    for s in doc.suppressions:
        if not s.reason or not s.codes:
            rule = get_rule("TL910")
            assert rule is not None
            what = "no rule codes" if not s.codes else "no reason"
            kept.append(
                Diagnostic(
                    file,
                    s.range,
                    "TL910",
                    rule.severity,
                    f"ignore comment with {what}: write `# tunelint: ignore[CODE] why`",
                    url=rule.url,
                )
            )
        for code in s.codes:
            if (s.line, code) in used:
                continue
            rule = get_rule(code)
            if rule is not None and not selected(code, settings.select, settings.ignore):
                continue
            message = (
                f"unused ignore: {code} is not reported here"
                if rule is not None
                else f"ignore names an unknown rule `{code}`"
            )
            unused = get_rule("TL911")
            assert unused is not None
            kept.append(
                Diagnostic(file, s.range, "TL911", unused.severity, message, url=unused.url)
            )
    return kept


def lint_text(
    text: str, path: str | Path | None = None, options: LintOptions | None = None
) -> LintResult:
    """Lint one document. Never raises on bad input: problems become diagnostics."""
    options = options or LintOptions()
    file = str(path) if path is not None else "<stdin>"
    file_path = Path(path) if path is not None else None
    doc = parse_document(text, file)
    base_settings = options.settings or find_settings(file_path)
    settings = base_settings.merged(
        select=options.select, ignore=options.ignore, severity=options.severity
    )
    forced = options.dialect or settings.dialect_for(file_path)
    detection = detect_dialect(doc, forced)
    result = LintResult(file, text, doc, detection.name, detection.confidence)
    if detection.dialect is None:
        # A file that cannot be read is never passed as "not a config": the syntax error or
        # parse limit is reported whatever the format would have been.
        result.diagnostics = _unreadable(doc, file)
        return result
    dialect = detection.dialect
    diagnostics: list[Diagnostic] = []
    # What parsing found (syntax, duplicate keys, limits) is filtered like any finding.
    findings = [Finding(e.message, range=e.range, code=e.code) for e in doc.errors]
    try:
        mapped = dialect.map(doc)
    except Exception:  # a dialect bug must not take the file (or the server) down
        mapped = MappedConfig(data={})
        findings.append(Finding(f"{dialect.name} reader failed: {_last_line()}", code="TL999"))
    result.mapped = mapped
    result.source_map = mapped.source_map
    plan: Plan | None = None
    if doc.root is not None:
        if settings.intent:  # project-level intent fills what the file does not say
            data_intent = mapped.data.get("intent")
            written = data_intent if isinstance(data_intent, dict) else {}
            mapped.data["intent"] = {**settings.intent, **written}
        plan, problems = build_plan(mapped.data, mapped.source_map, dialect.name)
        findings.extend(problem_finding(p) for p in problems)
    result.plan = plan
    if plan is not None:
        gpu, origin, gpu_findings = _resolve_gpu(plan, options, settings, mapped.source_map)
        findings.extend(gpu_findings)
        count = plan.hardware.count
        stated = ("hardware", "count") in mapped.facts.written or bool(
            mapped.source_map.get(("hardware", "count"))
        )
        if origin != "config" and (options.gpu_count or settings.gpu_count):
            count = options.gpu_count or settings.gpu_count or count
            stated = True
        context = Context(
            plan=plan,
            gpu=gpu,
            gpu_count=count,
            gpu_source=origin,
            gpu_count_stated=stated,
            settings=settings,
            dialect=dialect.name,
            format=doc.kind,
            file=file_path,
            facts=mapped.facts,
            secret_candidates=_secret_candidates(doc),
            memory=partial(
                memory_report,
                plan,
                gpu,
                count,
                file_path,
                mapped.facts,
                settings,
            ),
        )
        result.context = context
        for rule in runnable(all_rules(), context, gpu is not None):
            assert rule.check is not None
            try:
                for finding in rule.check(plan, context):
                    findings.append(_stamped(rule, finding))
            except Exception:
                message = f"rule {rule.code} failed: {_last_line()}"
                findings.append(Finding(message, code="TL999"))
    ignored_here = settings.ignored_for(file_path)
    internal = rule_for("TL999")
    assert internal is not None
    for finding in findings:
        rule = rule_for(finding.code) or internal
        if finding.code not in ALWAYS_SHOWN and (
            not selected(finding.code, settings.select, settings.ignore)
            or any(finding.code.startswith(c) for c in ignored_here)
        ):
            continue
        severity = finding.severity or rule.severity
        if finding.assumed:  # resting on an assumption: never an error; say what was assumed
            severity = "warning" if severity == "error" else severity
            finding = replace(
                finding, message=f"{finding.message} (assuming {', '.join(finding.assumed)})"
            )
        severity = settings.severity.get(finding.code, severity)
        try:
            fix = _render_fix(finding, doc, dialect, mapped, plan)
        except Exception:  # a renderer bug costs the fix, not the finding or the file
            fix = None
            message = f"{dialect.name} fix for {finding.code} failed: {_last_line()}"
            broken = Finding(message, code="TL999")
            diagnostics.append(
                _diagnostic(broken, internal, internal.severity, file, None, mapped.source_map)
            )
        diagnostics.append(_diagnostic(finding, rule, severity, file, fix, mapped.source_map))
    diagnostics = [
        d
        if d.code in ALWAYS_SHOWN or d.code not in settings.severity
        else Diagnostic(d.file, d.range, d.code, settings.severity[d.code], d.message, d.fix, d.url)  # type: ignore[arg-type]
        for d in diagnostics
    ]
    # A message that quotes the text (a token used as a key) never repeats a secret.
    diagnostics = [
        d if (masked := mask_secrets(d.message)) == d.message else replace(d, message=masked)
        for d in diagnostics
    ]
    diagnostics = _apply_suppressions(doc, file, diagnostics, settings)
    result.diagnostics = sorted(diagnostics, key=lambda d: d.sort_key)
    return result


def _stamped(rule: Rule, finding: Finding) -> Finding:
    """The finding under its rule's code: a rule never names a code (nor another's)."""
    if finding.code and finding.code != rule.code:
        raise ValueError(f"a finding of rule {rule.code} claims code {finding.code}")
    if finding.assumed and not rule.may_assume:
        raise ValueError(f"rule {rule.code} rests on an assumption it does not declare")
    return Finding(  # not dataclasses.replace: a finding per rule verdict, made directly
        finding.message,
        finding.path,
        finding.fix,
        finding.severity,
        finding.range,
        finding.file,
        rule.code,
        finding.assumed,
    )


def _last_line() -> str:
    if "--debug" in sys.argv:
        import traceback

        traceback.print_exc()
    exc = sys.exc_info()[1]
    return f"{type(exc).__name__}: {exc}"


class ReadError(OSError):
    """A file that cannot be read as text; the message names it."""


def read_text(path: str | Path) -> str:
    """A config file's text (UTF-8, UTF-8 with BOM or UTF-16 with BOM)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ReadError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return decode_text(data, str(path))


def decode_text(data: bytes, name: str) -> str:
    """Bytes as text, or a ReadError naming the file and the position of the bad byte."""
    text, error = decode(data)
    if text is None:
        assert error is not None
        line, col = error.range.start.line + 1, error.range.start.column + 1
        raise ReadError(f"{name}:{line}:{col}: {error.message}")
    return text


def preload(estimator: bool = True) -> None:
    """Load now what linting loads on first use: every rule and dialect module, the Plan
    validators and (with `estimator`) the memory estimator and the catalogs. A parent about
    to fork workers calls it so that they share one copy instead of each loading its own."""
    from tunelint.config import plan_validators
    from tunelint.config.dialects import all_dialects

    all_rules()
    all_dialects()
    plan_validators.install()
    if estimator:
        from tunelint.knowledge import gpus, memory_plan, models  # noqa: F401  (memory_plan)

        gpus.catalog()
        models.catalog()


def lint_file(path: str | Path, options: LintOptions | None = None) -> LintResult:
    """Read and lint a file. Raises ReadError when it cannot be read as text."""
    return lint_text(read_text(path), path, options)


def fix_text(
    text: str,
    path: str | Path | None = None,
    options: LintOptions | None = None,
    unsafe: bool = False,
    codes: set[str] | None = None,
) -> FixResult:
    """Apply fixes (safe ones; unsafe too when asked) until none is left, at most 5 rounds."""
    applied = 0
    result = lint_text(text, path, options)
    for _ in range(5):
        chosen: list[TextEdit] = []
        taken: list[Range] = []
        count = 0
        for diag in result.diagnostics:
            fix = diag.fix
            if fix is None or diag.file != result.path or (codes and diag.code not in codes):
                continue
            if fix.applicability == "unsafe" and not unsafe:
                continue
            if any(_overlaps(e.range, r) for e in fix.edits for r in taken):
                continue  # the next round re-lints and picks it up
            chosen.extend(fix.edits)
            taken.extend(e.range for e in fix.edits)
            count += 1
        if not chosen:
            break
        new_text = apply_edits(result.text, chosen)
        if new_text == result.text:
            break
        applied += count
        result = lint_text(new_text, path, options)
    return FixResult(result.text, applied, result)


def _overlaps(a: Range, b: Range) -> bool:
    return not (a.end < b.start or b.end < a.start)
