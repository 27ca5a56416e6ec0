"""Security: configs are committed, shared and pasted into issues."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from tunelint.checks.context import Context
from tunelint.checks.finding import Finding, Fix
from tunelint.checks.registry import rule
from tunelint.checks.rule import RuleDocs
from tunelint.config.plan_edits import SetValue
from tunelint.config.secrets import secret_kind

if TYPE_CHECKING:
    from tunelint.config.plan import Plan

TRUST = ("model", "trust_remote_code")


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
        "code. Most architectures are in transformers itself and need no remote code: for a "
        "model the catalog knows (its architecture is implemented in transformers) the flag "
        "changes nothing today but would run whatever code the repository adds later, so the "
        "finding is info there and a warning for any other model.",
        example="model:\n  name: some-org/some-model\n  trust_remote_code: true",
        fix="Set `trust_remote_code: false`; if the model truly needs it, pin `model.revision` "
        "to a commit you have read and suppress with the reason.",
        fix_safety="Unsafe: a model that needs its own code will no longer load.",
        references=("https://huggingface.co/docs/transformers/models#custom-models",),
    ),
)
def trust_remote_code(plan: Plan, ctx: Context) -> Iterator[Finding]:
    if not plan.model.trust_remote_code:
        return
    from tunelint.knowledge.models import catalog_model  # only when the flag is set

    fix = Fix("Disable trust_remote_code", "unsafe", (SetValue(TRUST, False),))
    native = catalog_model(plan.model.name)
    if native is not None:
        yield Finding(
            f"trust_remote_code is not needed: transformers implements {native.model_type} "
            f"({native.name}) itself; the flag would only run code the repository adds later",
            TRUST,
            fix,
            severity="info",
        )
        return
    pinned = " (pin model.revision to a reviewed commit)" if not plan.model.revision else ""
    yield Finding(
        f"trust_remote_code runs Python from the model repository on this machine{pinned}",
        TRUST,
        fix,
    )


@rule(
    code="TL602",
    name="secret-in-config",
    severity="error",
    source="security",
    summary="A token or API key written in the config",
    docs=RuleDocs(
        what="A Hugging Face token (`hf_...`), an OpenAI/Anthropic/GitHub/AWS key (in a value, "
        "a key or a comment), an AWS secret access key, or a long literal value under a key "
        "named like `token`, `api_key`, `secret` or `password`.",
        why="Configs are committed, shared and pasted into issues; a token in one is a leaked "
        "token. tunelint never repeats the value: source excerpts, diffs and messages mask it.",
        example="hub_token: hf_...",
        fix="Remove it, revoke the token, and read it from the environment (`HF_TOKEN`, "
        "`WANDB_API_KEY`, `huggingface-cli login`).",
        fix_safety="No automatic fix: the token must be revoked, and removing the line does not "
        "remove it from version control history.",
    ),
)
def secret_in_config(plan: Plan, ctx: Context) -> Iterator[Finding]:
    for item in ctx.secret_candidates:
        label = secret_kind(item.key_path, item.value)
        if label is not None:
            yield Finding(
                f"{label} written in the config: revoke it and read it from the environment",
                range=item.range,
            )
