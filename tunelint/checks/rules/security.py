"""Security: configs are committed, shared and pasted into issues."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tunelint.checks.context import Context
from tunelint.checks.finding import Finding, Fix
from tunelint.checks.registry import rule
from tunelint.checks.rule import RuleDocs
from tunelint.config.plan import Plan
from tunelint.config.plan_edits import SetValue

TRUST = ("model", "trust_remote_code")

# (what it is, pattern) — prefixes published by each provider.
_TOKEN_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}\b")),
    ("OpenAI API key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}")),
    ("Anthropic API key", re.compile(r"\bsk-ant-[A-Za-z0-9_-]{20,}")),
    ("GitHub token", re.compile(r"\b(?:ghp|gho|ghs|github_pat)_[A-Za-z0-9_]{30,}")),
    ("AWS access key id", re.compile(r"\bAKIA[0-9A-Z]{16}\b")),
)
_SECRET_KEY = re.compile(r"(token|api[_-]?key|secret|password|passwd)", re.IGNORECASE)
_NOT_A_SECRET = re.compile(
    r"^(\$\{?[A-Z_][A-Z0-9_]*\}?|<[^>]*>|x+|\*+|null|none|true|false|your[_-].*|changeme)$",
    re.IGNORECASE,
)
_WANDB_KEY = re.compile(r"^[0-9a-f]{40}$")


@rule(
    code="TL601",
    name="trust-remote-code",
    severity="warning",
    source="security",
    summary="Model code from the hub runs on your machine",
    fixable="always",
    docs=RuleDocs(
        what="`trust_remote_code: true` (any format).",
        why="transformers then imports and runs Python files from the model repository — with "
        "your credentials, data and GPU. A compromised or malicious repository runs arbitrary "
        "code. Most architectures are in transformers itself and need no remote code.",
        example="model:\n  name: some-org/some-model\n  trust_remote_code: true",
        fix="Set `trust_remote_code: false`; if the model truly needs it, pin `model.revision` "
        "to a commit you have read and suppress with the reason.",
        fix_safety="Unsafe: a model that needs its own code will no longer load.",
        references=("https://huggingface.co/docs/transformers/models#custom-models",),
    ),
)
def trust_remote_code(plan: Plan, ctx: Context) -> Iterator[Finding]:
    if plan.model.trust_remote_code:
        pinned = " (pin model.revision to a reviewed commit)" if not plan.model.revision else ""
        yield Finding(
            f"trust_remote_code runs Python from the model repository on this machine{pinned}",
            TRUST,
            Fix("Disable trust_remote_code", "unsafe", (SetValue(TRUST, False),)),
        )


def _secret_kind(key_path: tuple[str, ...], value: str) -> str | None:
    for label, pattern in _TOKEN_PATTERNS:
        if pattern.search(value):
            return label
    key = key_path[-1] if key_path else ""
    if not _SECRET_KEY.search(key) or _NOT_A_SECRET.match(value.strip()):
        return None
    if "wandb" in key.lower() and _WANDB_KEY.match(value):
        return "Weights & Biases API key"
    # A literal credential under a secret-looking key: long, no spaces, not a path.
    if len(value) >= 16 and " " not in value and "/" not in value:
        return f"credential in `{key}`"
    return None


@rule(
    code="TL602",
    name="secret-in-config",
    severity="error",
    source="security",
    summary="A token or API key written in the config",
    docs=RuleDocs(
        what="A Hugging Face token (`hf_...`), an OpenAI/Anthropic/GitHub/AWS key, or a long "
        "literal value under a key named like `token`, `api_key`, `secret` or `password`.",
        why="Configs are committed, shared and pasted into issues; a token in one is a leaked "
        "token. The message never repeats the value.",
        example="hub_token: hf_...",
        fix="Remove it, revoke the token, and read it from the environment (`HF_TOKEN`, "
        "`WANDB_API_KEY`, `huggingface-cli login`).",
        fix_safety="No automatic fix: the token must be revoked, and removing the line does not "
        "remove it from version control history.",
    ),
)
def secret_in_config(plan: Plan, ctx: Context) -> Iterator[Finding]:
    for item in ctx.strings:
        label = _secret_kind(item.key_path, item.value)
        if label is not None:
            yield Finding(
                f"{label} written in the config: revoke it and read it from the environment",
                range=item.range,
            )
