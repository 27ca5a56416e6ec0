"""Files a config names (a DeepSpeed JSON, an accelerate YAML) that tunelint cannot find."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from tunelint.checks.context import Context
from tunelint.checks.finding import Finding
from tunelint.checks.registry import rule
from tunelint.checks.rule import RuleDocs

if TYPE_CHECKING:
    from tunelint.config.plan import Plan


@rule(
    code="TL518",
    name="referenced-file-not-found",
    severity="warning",
    source="tunelint (cross-file references)",
    summary="A DeepSpeed or accelerate file the config names cannot be found",
    docs=RuleDocs(
        what="`deepspeed: ds_z3.json`, `accelerate_config: fsdp.yaml` or an accelerate "
        "`deepspeed_config_file` naming a file that exists neither beside the config nor in "
        "a folder above it (trainers resolve such paths from the launch folder, usually the "
        "project root). TRL's built-in accelerate names (`zero3`, `fsdp2`...) are known.",
        why="What that file says (ZeRO stage, offload, batch and precision values) decides "
        "memory and several checks; unread, tunelint assumes the stage the file name says (or "
        "none) and says so, and the run fails at launch if the file is missing there too.",
        example="deepspeed: configs/ds_z3_offload.json  # not in the repository",
        fix="Fix the path, or add the file to the repository next to the config.",
        fix_safety="No automatic fix.",
        references=(
            "https://github.com/deepspeedai/DeepSpeed/issues/4156",
            "https://github.com/QwenLM/Qwen/issues/1171",
            "https://github.com/hiyouga/LlamaFactory/issues/573",
        ),
    ),
)
def referenced_file_not_found(plan: Plan, ctx: Context) -> Iterator[Finding]:
    for missing in ctx.facts.missing_files:
        yield Finding(
            f"{missing.kind} `{missing.reference}` not found beside this config or in a folder "
            "above it: its settings (ZeRO stage, offload, batch and precision values) are not "
            "checked and the memory estimate goes without them",
            missing.ref.path,
        )
