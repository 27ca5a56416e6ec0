"""Models a method loads beside the one it trains: a frozen reference, a reward model and a
value model (TRL 1.16 trainers)."""

from __future__ import annotations

from tunelint.knowledge import trainer_defaults
from tunelint.knowledge.memory_scenario import (
    DTYPE_BYTES,
    GIB,
    ONLINE_METHODS,
    REFERENCE_METHODS,
    Distribution,
    Dtype,
    MemoryScenario,
    Notes,
)
from tunelint.knowledge.memory_states import ModelStates, weight_bytes
from tunelint.knowledge.models import ModelSpec


def classifier_weight_bytes(spec: ModelSpec, dtype: Dtype) -> float:
    """A sequence-classification model of this architecture (a score head, no vocabulary)."""
    total = spec.param_count() - spec.lm_head_params + spec.hidden_size
    return total * DTYPE_BYTES[dtype]


def needs_reference(scn: MemoryScenario, notes: Notes) -> bool:
    """Whether the method computes a KL/preference term against a frozen reference
    (beta > 0, TRL's default beta per method) and does not precompute its log-probs."""
    beta = scn.beta if scn.beta is not None else trainer_defaults.BETA.get(scn.method, 0.0)
    needs = scn.method in REFERENCE_METHODS and beta > 0
    if scn.method in ("dpo", "kto") and scn.precompute_ref_log_probs:
        notes.add("reference log-probs precomputed: no reference model during training")
        return False
    if scn.method == "grpo" and scn.beta is None:
        notes.add("GRPO with TRL's default beta=0: no reference model")
    return needs


def extra_models(
    scn: MemoryScenario, states: ModelStates, dist: Distribution, notes: Notes
) -> dict[str, float]:
    """Bytes per GPU of each extra model, after sharding (`states` is already sharded)."""
    spec = scn.model
    full = scn.peft == "full"
    share = dist.gpus if dist.shards_params else 1
    extra: dict[str, float] = {}
    if needs_reference(scn, notes):
        if full:
            ref = weight_bytes(spec, scn.weight_dtype, scn.quantization, scn.double_quant)
            extra["reference_model"] = ref / share
            notes.add(f"{scn.method}: a frozen reference copy of the model")
        else:
            # trl DPOTrainer/KTOTrainer: with a PeftModel, ref log-probs come from the same
            # model under `disable_adapter()`: no second copy.
            notes.add(f"{scn.method} with PEFT: the reference is the base with adapters disabled")
    if scn.teacher_model is not None:
        # torchtune knowledge_distillation recipes: a frozen teacher in the compute dtype.
        teacher = weight_bytes(scn.teacher_model, scn.weight_dtype)
        extra["teacher_model"] = teacher / share
        notes.add(f"distillation: a frozen teacher ({scn.teacher_model.name})")
    if scn.method not in ONLINE_METHODS:
        return extra
    if scn.vllm_mode == "colocate":
        extra["vllm"] = vllm_colocated_bytes(scn, notes)
    elif scn.vllm_mode == "server":
        notes.add("generation on a separate vLLM server: no generation memory on this GPU")
    reward = scn.reward_model
    if scn.reward_adapter:
        # LLaMA-Factory PPO (reward_model_type: lora, its default): the reward model is a
        # LoRA adapter and a score head on the policy's own base; swapping adapters scores.
        notes.add("reward model: a LoRA adapter on the policy's base (no second model)")
        reward = None
    elif reward is None and scn.method == "ppo":
        reward = spec
        notes.add("PPO reward model assumed the size of the policy")
    if reward is not None:
        extra["reward_model"] = classifier_weight_bytes(reward, scn.weight_dtype) / share
    if scn.method == "ppo" and scn.value_head_shared:
        # LLaMA-Factory PPO: AutoModelForCausalLMWithValueHead, one base with a hidden x 1
        # value head; its few parameters are counted with the trainable ones' order of size.
        notes.add("PPO value model: a value head on the policy's base (no second model)")
    elif scn.method == "ppo":
        w = DTYPE_BYTES[scn.weight_dtype]
        value_params = classifier_weight_bytes(reward or spec, "fp32") / 4
        if full:  # weights, gradients and optimizer states like the policy
            per = w + states.trainable_dtype_bytes + 2 * states.state_dtype_bytes
            value = value_params * per
        else:  # frozen weights plus an adapter as large as the policy's
            value = (
                value_params * w
                + states.adapter_weights
                + states.gradients
                + states.optimizer_states
            )
        extra["value_model"] = value / share
        notes.add("PPO value model trained with the policy's method")
    return extra


def vllm_colocated_bytes(scn: MemoryScenario, notes: Notes) -> float:
    """vLLM in the training process reserves `gpu_memory_utilization` of the GPU's whole
    memory for its weights and KV cache (vllm CacheConfig.gpu_memory_utilization; TRL
    GRPOConfig vllm_mode="colocate")."""
    share = scn.vllm_gpu_memory_utilization
    if scn.gpu_memory_gib is None:
        notes.add(f"colocated vLLM takes {share:.0%} of the GPU's memory; GPU unknown, not counted")
        return 0.0
    notes.add(f"colocated vLLM: {share:.0%} of {scn.gpu_memory_gib:g} GiB reserved by vLLM")
    return share * scn.gpu_memory_gib * GIB
