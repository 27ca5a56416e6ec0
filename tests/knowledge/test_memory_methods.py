"""Plan -> scenario for the models a method loads beside the trained one (issue 12 item 6):
a distillation teacher, vLLM generation colocated or on a server; hand-computed bytes."""

from __future__ import annotations

from tunelint.config.plan import Plan
from tunelint.knowledge.gpus import resolve_gpu
from tunelint.knowledge.memory import GIB, estimate_memory
from tunelint.knowledge.memory_plan import plan_report, scenario_from_plan
from tunelint.knowledge.models import resolve_model

STUDENT = resolve_model("Qwen/Qwen2.5-0.5B")
TEACHER = resolve_model("Qwen/Qwen2.5-1.5B")
A100 = resolve_gpu("A100-80GB")
assert STUDENT and TEACHER and A100


def _plan(**sections: dict) -> Plan:
    return Plan.model_validate(
        {"model": {"name": "Qwen/Qwen2.5-0.5B"}, "precision": "bf16", **sections}
    )


def _component(estimate, name: str) -> int:  # type: ignore[no-untyped-def]
    return next((c.bytes for c in estimate.components if c.name == name), 0)


def test_teacher_weights_are_counted_frozen_in_the_training_dtype() -> None:
    plan = _plan(method={"teacher_model": "Qwen/Qwen2.5-1.5B"})
    alone = estimate_memory(scenario_from_plan(plan, STUDENT))
    scn = scenario_from_plan(plan, STUDENT, teacher_model=TEACHER)
    assert scn.teacher_model is TEACHER
    with_teacher = estimate_memory(scn)
    # 1.5B parameters x 2 bytes (bf16), nothing else: the teacher has no gradients/states.
    expected = TEACHER.param_count() * 2
    assert 1.4e9 * 2 < expected < 1.7e9 * 2
    assert _component(with_teacher, "teacher_model") == expected
    # Allocated bytes (before the allocator's reserve on top) grow by exactly that.
    assert with_teacher.allocated_bytes - alone.allocated_bytes == expected


def test_report_resolves_the_teacher_and_notes_an_unknown_one() -> None:
    report = plan_report(_plan(method={"teacher_model": "Qwen/Qwen2.5-1.5B"}), A100)
    assert report.scenario is not None and report.scenario.teacher_model == TEACHER
    assert report.estimate is not None
    assert _component(report.estimate, "teacher_model") == TEACHER.param_count() * 2
    unknown = plan_report(_plan(method={"teacher_model": "nobody/unknown-model"}), A100)
    assert unknown.scenario is not None and unknown.scenario.teacher_model == STUDENT
    assert unknown.estimate is not None
    assert any(
        "teacher model nobody/unknown-model not resolved" in note
        for note in unknown.estimate.assumptions
    )


def test_colocated_vllm_takes_its_share_of_the_gpu() -> None:
    grpo = {"kind": "grpo", "num_generations": 8}
    default = scenario_from_plan(_plan(method={**grpo, "vllm_mode": "colocate"}), STUDENT, gpu=A100)
    # TRL 1.16 default vllm_gpu_memory_utilization 0.3 of an 80 GiB A100: 24 GiB.
    assert _component(estimate_memory(default), "vllm") == round(0.3 * 80 * GIB)
    written = _plan(method={**grpo, "vllm_mode": "colocate", "vllm_gpu_memory_utilization": 0.5})
    scn = scenario_from_plan(written, STUDENT, gpu=A100)
    assert _component(estimate_memory(scn), "vllm") == round(0.5 * 80 * GIB)


def test_vllm_server_takes_nothing_on_the_training_gpus() -> None:
    grpo = {"kind": "grpo", "num_generations": 8}
    server = estimate_memory(
        scenario_from_plan(_plan(method={**grpo, "vllm_mode": "server"}), STUDENT, gpu=A100)
    )
    local = estimate_memory(scenario_from_plan(_plan(method=grpo), STUDENT, gpu=A100))
    assert _component(server, "vllm") == 0
    assert any("separate vLLM server" in note for note in server.assumptions)
    # No generation on the training GPU: never more than generating there.
    assert server.per_gpu_bytes <= local.per_gpu_bytes


# --- the GPU count from the accelerate config a trainer file names (issue 12 item 5) ---------
ACCELERATE = """\
compute_environment: LOCAL_MACHINE
distributed_type: DEEPSPEED
deepspeed_config:
  zero_stage: 3
mixed_precision: bf16
num_machines: 1
num_processes: 4
"""
TRL_SFT = """\
model_name_or_path: Qwen/Qwen2.5-0.5B
dataset_name: x
bf16: true
accelerate_config: accel.yaml
"""


def test_accelerate_num_processes_is_the_gpu_count(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tunelint.config.settings import Settings
    from tunelint.lint import LintOptions, lint_file

    (tmp_path / "accel.yaml").write_text(ACCELERATE)
    config = tmp_path / "sft.yaml"
    config.write_text(TRL_SFT)
    options = LintOptions(settings=Settings(), dialect="trl", gpu="A100-80GB")
    result = lint_file(config, options)
    assert result.plan is not None and result.context is not None
    hardware = result.plan.hardware
    assert (hardware.distributed, hardware.count) == ("deepspeed-zero3", 4)
    report = result.context.estimate
    assert report is not None and report.scenario is not None
    # Four GPUs, stated by the file: ZeRO-3 divides by 4, not by the fewest that fit.
    assert report.gpu_count == 4 and report.gpu_count_stated
    assert report.smallest_gpu_count is None and report.scenario.gpu_count == 4
    # An accelerate file linted on its own reads the count too (no model: no estimate).
    alone = lint_file(tmp_path / "accel.yaml", LintOptions(settings=Settings()))
    assert alone.plan is not None and alone.plan.hardware.count == 4
