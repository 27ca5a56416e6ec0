"""Plan -> scenario for the memory savers, DeepSpeed JSON and shared models; the GPU count."""

from __future__ import annotations

from dataclasses import replace

from tunelint.config.plan import Plan
from tunelint.knowledge.gpus import resolve_gpu
from tunelint.knowledge.memory import estimate_memory
from tunelint.knowledge.memory_deepspeed import deepspeed_inputs
from tunelint.knowledge.memory_plan import plan_report, scenario_from_plan, smallest_gpu_count
from tunelint.knowledge.models import resolve_model

LLAMA_8B = resolve_model("meta-llama/Llama-3.1-8B")
assert LLAMA_8B


def _plan(**sections: dict) -> Plan:
    return Plan.model_validate({"model": {"name": "meta-llama/Llama-3.1-8B"}, **sections})


def test_savers_map_onto_the_scenario() -> None:
    plan = _plan(
        training={
            "chunked_loss": True,
            "optimizer_in_backward": True,
            "activation_offloading": True,
            "compile": True,
        },
        peft={"kind": "lora", "modules_to_save": ["embed_tokens", "lm_head"]},
    )
    scn = scenario_from_plan(plan, LLAMA_8B)
    assert (scn.chunked_loss, scn.optimizer_in_backward) == (True, True)
    assert (scn.activation_offloading, scn.compile) == (True, True)
    assert scn.modules_to_save == ("embed_tokens", "lm_head")
    off = scenario_from_plan(_plan(), LLAMA_8B)
    assert (off.chunked_loss, off.optimizer_in_backward, off.modules_to_save) == (
        False,
        False,
        (),
    )
    assert (
        estimate_memory(scn).per_gpu_bytes
        < estimate_memory(
            replace(scn, chunked_loss=False, activation_offloading=False)
        ).per_gpu_bytes
    )


def test_deepspeed_json_inputs_with_auto() -> None:
    config = {
        "zero_optimization": {
            "stage": 2,
            "allgather_bucket_size": 2e8,
            "reduce_bucket_size": "auto",
            "overlap_comm": True,
            "offload_optimizer": {"device": "none"},
            "offload_param": {"device": "cpu"},
        }
    }
    assert deepspeed_inputs(config, 4096) == {
        "distributed": "deepspeed-zero2",
        "zero_allgather_bucket_elements": 200_000_000,
        "zero_bucket_elements": 4096 * 4096,
        "zero_overlap_comm": True,
        "offload_optimizer": False,
        "offload_params": True,
    }
    assert deepspeed_inputs({"fp16": {"enabled": True}}, 4096) == {}
    plan = _plan(hardware={"distributed": "deepspeed-zero2", "count": 2})
    scn = scenario_from_plan(plan, LLAMA_8B, deepspeed_json=config)
    assert scn.zero_bucket_elements == 4096 * 4096 and scn.zero_overlap_comm is True


def test_llamafactory_ppo_shares_one_base() -> None:
    plan = _plan(method={"kind": "ppo"})
    shared = scenario_from_plan(plan, LLAMA_8B, facts={"trainer": "llamafactory"})
    assert shared.value_head_shared and shared.reward_adapter
    trl = scenario_from_plan(plan, LLAMA_8B, facts={"trainer": "trl"})
    assert not (trl.value_head_shared or trl.reward_adapter)
    assert estimate_memory(shared).per_gpu_bytes < estimate_memory(trl).per_gpu_bytes


def test_smallest_gpu_count_is_the_fewest_that_fit() -> None:
    plan = _plan(peft={"kind": "full"}, hardware={"distributed": "fsdp"})
    scn = scenario_from_plan(plan, LLAMA_8B)
    n = smallest_gpu_count(scn, 40.0)
    assert n is not None and n > 1
    assert estimate_memory(replace(scn, gpu_count=n)).per_gpu_gib <= 40.0
    assert estimate_memory(replace(scn, gpu_count=n - 1)).per_gpu_gib > 40.0
    assert smallest_gpu_count(replace(scn, model=LLAMA_8B, seq_len=1 << 22), 16.0) is None


def test_report_without_count_uses_the_fewest_gpus() -> None:
    gpu = resolve_gpu("A100-40GB")
    assert gpu is not None
    plan = _plan(peft={"kind": "full"}, hardware={"distributed": "fsdp"})
    report = plan_report(plan, gpu)
    assert not report.gpu_count_stated and report.smallest_gpu_count == report.gpu_count > 1
    assert report.fits is True
    stated = plan_report(
        _plan(peft={"kind": "full"}, hardware={"distributed": "fsdp", "count": 1}), gpu
    )
    assert stated.gpu_count_stated and stated.smallest_gpu_count is None
    assert stated.gpu_count == 1 and stated.fits is False
    ddp = plan_report(_plan(peft={"kind": "full"}), gpu)  # replicas: the count does not help
    assert ddp.smallest_gpu_count is None and ddp.gpu_count == 1
