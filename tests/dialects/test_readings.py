"""Each dialect reads its framework's meaning at the framework's own defaults (issue 14 item
3): config text -> the Plan field or dialect fact it means."""

from __future__ import annotations

from tunelint.config.settings import Settings
from tunelint.lint import LintOptions, LintResult, lint_text

OPTIONS = LintOptions(settings=Settings())


def _read(text: str, name: str, dialect: str) -> LintResult:
    result = lint_text(text, name, LintOptions(settings=Settings(), dialect=dialect))
    assert result.plan is not None and result.context is not None
    return result


AXOLOTL = "base_model: Qwen/Qwen2.5-7B\ndatasets:\n  - path: x\n    type: alpaca\n"


def test_axolotl_float16_is_pure_half_precision_weights() -> None:
    result = _read(AXOLOTL + "bf16: false\nfloat16: true\n", "a.yml", "axolotl")
    assert result.plan.precision == "fp16"
    assert result.context.facts.weights_dtype == "fp16"
    assert result.source_map.get(("precision",)).dialect_key == "float16"
    # resolve_dtype: with bf16 left at its default `auto`, a bf16 GPU turns bf16 on first.
    auto = _read(AXOLOTL + "float16: true\n", "a.yml", "axolotl")
    assert auto.plan.precision is None


def test_axolotl_bfloat16_is_bf16_weights_and_bf16_training() -> None:
    result = _read(AXOLOTL + "bfloat16: true\n", "a.yml", "axolotl")
    assert (result.plan.precision, result.context.facts.weights_dtype) == ("bf16", "bf16")


def test_axolotl_without_a_flag_is_bf16_auto_and_bf16_off_is_fp32() -> None:
    # schemas/config.py: `bf16` defaults to "auto"; resolve_dtype picks it on the GPU.
    result = _read(AXOLOTL, "a.yml", "axolotl")
    assert (result.plan.precision, result.context.facts.weights_dtype) == (None, None)
    off = _read(AXOLOTL + "bf16: false\n", "a.yml", "axolotl")
    assert (off.plan.precision, off.context.facts.weights_dtype) == ("fp32", "fp32")


def test_axolotl_unfrozen_parameters_is_partial_training() -> None:
    text = AXOLOTL + "unfrozen_parameters:\n  - ^lm_head.weight$\n  - model.layers.2[0-9]+\n"
    result = _read(text, "a.yml", "axolotl")
    assert result.plan.peft.kind == "full"
    assert result.context.facts.partial == "unfrozen_parameters (2 patterns)"


def test_axolotl_empty_adapter_with_lora_keys_trains_every_weight() -> None:
    # load_adapter returns the bare model when `adapter` is empty: lora_* keys do nothing.
    result = _read(AXOLOTL + "adapter:\nlora_r: 32\n", "a.yml", "axolotl")
    assert result.plan.peft.kind == "full"


def test_axolotl_pretraining_and_qat_are_stated_reasons() -> None:
    text = AXOLOTL + "pretraining_dataset: x\nqat:\n  weight_dtype: int4\n"
    facts = _read(text, "a.yml", "axolotl").context.facts
    assert facts.full_reasons == (
        "`pretraining_dataset`: continued pre-training",
        "`qat`: quantization-aware training",
    )


FACTORY = (
    "model_name_or_path: Qwen/Qwen2.5-7B\nstage: sft\ndo_train: true\ntemplate: qwen\n"
    "dataset: x\ncutoff_len: 1024\n"
)


def test_llamafactory_freeze_trains_a_part_in_full() -> None:
    result = _read(FACTORY + "finetuning_type: freeze\n", "f.yaml", "llamafactory")
    assert result.plan.peft.kind == "full"
    assert result.context.facts.partial == "finetuning_type: freeze"


def test_llamafactory_badam_galore_apollo_are_partial_full_training() -> None:
    for flag in ("use_badam", "use_galore", "use_apollo"):
        text = FACTORY + f"finetuning_type: full\n{flag}: true\npure_bf16: true\n"
        result = _read(text, "f.yaml", "llamafactory")
        assert result.context.facts.partial == flag
        assert result.plan.precision == "bf16"  # pure_bf16: bf16 weights, not fp32


def test_llamafactory_stage_pt_is_continued_pretraining() -> None:
    text = FACTORY.replace("stage: sft", "stage: pt") + "finetuning_type: full\n"
    facts = _read(text, "f.yaml", "llamafactory").context.facts
    assert facts.full_reasons == ("`stage: pt`: continued pre-training",)


def test_llamafactory_purposes() -> None:
    predict = FACTORY.replace("do_train: true", "do_train: false\ndo_predict: true")
    assert _read(predict, "p.yaml", "llamafactory").context.facts.purpose == "evaluate"
    infer = "model_name_or_path: Qwen/Qwen2.5-7B\ntemplate: qwen\ninfer_backend: vllm\n"
    assert _read(infer, "i.yaml", "llamafactory").context.facts.purpose == "infer"
    merge = "model_name_or_path: Qwen/Qwen2.5-7B\nadapter_name_or_path: a\ntemplate: qwen\nexport_dir: m\n"
    assert _read(merge, "m.yaml", "llamafactory").context.facts.purpose == "merge"
    assert _read(FACTORY, "t.yaml", "llamafactory").context.facts.purpose == "train"


def test_llamafactory_and_torchtune_use_omegaconf_trl_uses_pyyaml() -> None:
    assert _read(FACTORY, "t.yaml", "llamafactory").context.facts.loader == "omegaconf"
    trl = "model_name_or_path: Qwen/Qwen2.5-0.5B\ndataset_name: x\nlearning_rate: 2.0e-5\n"
    assert _read(trl, "sft.yaml", "trl").context.facts.loader == "pyyaml"
    assert _read(AXOLOTL, "a.yml", "axolotl").context.facts.loader == "pyyaml-pydantic"


TUNE = """\
model:
  _component_: torchtune.models.llama3_1.lora_llama3_1_8b
  lora_attn_modules: [q_proj, v_proj]
  apply_lora_to_mlp: true
  apply_lora_to_output: true
tokenizer:
  _component_: torchtune.models.llama3.llama3_tokenizer
  path: /tmp/tokenizer.model
optimizer:
  _component_: torch.optim.AdamW
  lr: 3e-4
loss:
  _component_: torchtune.modules.loss.LinearCrossEntropyLoss
dtype: bf16
"""


def test_torchtune_lora_module_names() -> None:
    plan = _read(TUNE, "t.yaml", "torchtune").plan
    assert plan.peft.target_modules == ["q_proj", "v_proj", "w1", "w2", "w3", "output"]


def test_torchtune_grpo_samples_is_the_group_size() -> None:
    text = TUNE.replace("LinearCrossEntropyLoss", "GRPOLoss") + "grpo_samples: 16\n"
    plan = _read(text, "grpo.yaml", "torchtune").plan
    assert (plan.method.kind, plan.method.num_generations) == ("grpo", 16)


def test_torchtune_purposes_and_launch_decided_sharding() -> None:
    facts = _read(TUNE, "t.yaml", "torchtune").context.facts
    assert (facts.purpose, facts.sharding_outside) == ("train", True)
    evaluation = TUNE.split("optimizer:")[0] + 'tasks: ["hellaswag"]\n'
    assert _read(evaluation, "evaluation.yaml", "torchtune").context.facts.purpose == "evaluate"
    generate = TUNE.split("optimizer:")[0] + "prompt: hi\nmax_new_tokens: 30\n"
    assert _read(generate, "generation.yaml", "torchtune").context.facts.purpose == "infer"


def test_torchtune_qat_quantizer_is_a_stated_reason() -> None:
    text = (
        TUNE
        + "quantizer:\n  _component_: torchtune.training.quantization.Int8DynActInt4WeightQATQuantizer\n"
    )
    facts = _read(text, "qat.yaml", "torchtune").context.facts
    assert facts.full_reasons == ("`quantizer`: quantization-aware training",)


# --- each dialect's memory savers onto the Plan fields the estimator reads (issue 12.1) ---


def test_axolotl_memory_savers() -> None:
    text = AXOLOTL + (
        "adapter: lora\nlora_modules_to_save: [embed_tokens, lm_head]\n"
        "plugins:\n  - axolotl.integrations.cut_cross_entropy.CutCrossEntropyPlugin\n"
        "torch_compile: true\nactivation_offloading: legacy\n"
    )
    plan = _read(text, "a.yml", "axolotl").plan
    training = plan.training
    assert (training.chunked_loss, training.compile, training.activation_offloading) == (
        True,
        True,
        True,
    )
    assert plan.peft.modules_to_save == ["embed_tokens", "lm_head"]
    liger = AXOLOTL + (
        "plugins:\n  - axolotl.integrations.liger.LigerPlugin\n"
        "liger_fused_linear_cross_entropy: true\ngradient_checkpointing: offload\n"
    )
    training = _read(liger, "a.yml", "axolotl").plan.training
    assert (training.chunked_loss, training.activation_offloading) == (True, True)
    # The switch without its plugin does nothing in axolotl.
    alone = AXOLOTL + "liger_fused_linear_cross_entropy: true\n"
    assert _read(alone, "a.yml", "axolotl").plan.training.chunked_loss is False


def test_llamafactory_memory_savers() -> None:
    text = FACTORY + (
        "finetuning_type: lora\nenable_liger_kernel: true\nuse_unsloth_gc: true\n"
        "additional_target: embed_tokens,lm_head\noptim: paged_adamw_8bit\n"
    )
    plan = _read(text, "f.yaml", "llamafactory").plan
    assert (plan.training.chunked_loss, plan.training.activation_offloading) == (True, True)
    assert plan.peft.modules_to_save == ["embed_tokens", "lm_head"]
    assert plan.training.optimizer == "paged_adamw_8bit"


def test_trl_memory_savers() -> None:
    text = (
        "model_name_or_path: Qwen/Qwen2.5-0.5B\ndataset_name: x\nuse_peft: true\n"
        "lora_modules_to_save: [lm_head]\nuse_liger_kernel: true\ntorch_compile: true\n"
    )
    plan = _read(text, "sft.yaml", "trl").plan
    assert (plan.training.chunked_loss, plan.training.compile) == (True, True)
    assert plan.peft.modules_to_save == ["lm_head"]


def test_torchtune_memory_savers() -> None:
    text = TUNE + "optimizer_in_bwd: true\nenable_activation_offloading: true\ncompile: true\n"
    training = _read(text, "t.yaml", "torchtune").plan.training
    assert training.chunked_loss  # LinearCrossEntropyLoss
    assert (training.optimizer_in_backward, training.activation_offloading) == (True, True)
    assert training.compile
    plain = TUNE.replace("LinearCrossEntropyLoss", "CEWithChunkedOutputLoss")
    assert _read(plain, "t.yaml", "torchtune").plan.training.chunked_loss
    full_ce = TUNE.replace("modules.loss.LinearCrossEntropyLoss", "nn.CrossEntropyLoss")
    assert _read(full_ce, "t.yaml", "torchtune").plan.training.chunked_loss is False


def test_another_projects_hfargumentparser_file_is_not_claimed_as_trl() -> None:
    from tunelint.config.detect import detect_dialect
    from tunelint.config.document import parse_document

    other = (
        "model_name_or_path: meta-llama/Llama-2-7b-hf\nuse_qlora: true\nuse_lora: true\n"
        "lora_rank: 64\nlora_alpha: 16\ntokenizer_name: meta-llama/Llama-2-7b-hf\n"
        "use_slow_tokenizer: true\ndataset_name: x/y\nwith_tracking: true\n"
        "checkpointing_steps: epoch\nlearning_rate: 1.0e-04\nwarmup_ratio: 0.03\n"
    )
    assert detect_dialect(parse_document(other, "tulu.yaml")).name != "trl"
    # No TL510 "renamed in transformers" on the other project's own `warmup_ratio`.
    codes = {d.code for d in lint_text(other, "tulu.yaml", OPTIONS).diagnostics}
    assert "TL510" not in codes
    # A TRL wrapper adds a few arguments of its own and keeps TRL's: still TRL.
    wrapper = (
        "model_name_or_path: Qwen/Qwen2.5-1.5B\ndataset_name: x/y\nchat_template: t\n"
        "system_prompt: s\nreward_funcs: [accuracy]\nnum_generations: 8\nuse_vllm: true\n"
        "max_completion_length: 1024\nlearning_rate: 1.0e-06\n"
    )
    assert detect_dialect(parse_document(wrapper, "grpo.yaml")).name == "trl"


def test_model_parallelism_the_estimate_does_not_model_is_recorded() -> None:
    text = AXOLOTL + "tensor_parallel_size: 2\ncontext_parallel_size: 1\n"
    facts = _read(text, "a.yml", "axolotl").context.facts
    assert facts.unmodelled_parallelism == ("tensor_parallel_size: 2",)
    factory = FACTORY + "finetuning_type: full\nexpert_model_parallel_size: 2\nuse_kt: true\n"
    facts = _read(factory, "f.yaml", "llamafactory").context.facts
    assert facts.unmodelled_parallelism == ("expert_model_parallel_size: 2", "use_kt: true")


def test_llamafactory_predict_without_do_train_evaluates() -> None:
    predict = FACTORY.replace("do_train: true\n", "do_predict: true\n")
    assert _read(predict, "p.yaml", "llamafactory").context.facts.purpose == "evaluate"


def test_torchtune_async_grpo_nests_its_loss_under_training() -> None:
    text = (
        "model:\n  _component_: torchtune.models.qwen2_5.qwen2_5_3b\n"
        "training:\n  optimizer:\n    _component_: torch.optim.AdamW\n    lr: 1e-5\n"
        "  loss:\n    _component_: torchtune.dev.rl.linear_grpo_loss.LinearGRPOLoss\n"
    )
    result = _read(text, "async_grpo.yaml", "torchtune")
    assert result.plan.method.kind == "grpo"
    assert result.source_map.get(("method", "kind")).value.start.line + 1 == 8


def test_accelerate_mixed_precision_no_is_not_fp32_training() -> None:
    text = 'compute_environment: LOCAL_MACHINE\ndistributed_type: MULTI_GPU\nmixed_precision: "no"\nnum_processes: 8\n'
    result = _read(text, "acc.yaml", "accelerate")
    assert result.plan.precision is None  # the trainer sets it (HF Trainer `bf16: true`)
    assert result.plan.hardware.count == 8
    found = lint_text(text, "acc.yaml", LintOptions(settings=Settings(), gpu="A100-80GB"))
    assert "TL104" not in {d.code for d in found.diagnostics}
    bf16 = text.replace('"no"', "bf16")
    assert _read(bf16, "acc.yaml", "accelerate").plan.precision == "bf16"


def test_torchtune_builder_names_the_model_when_no_checkpoint_folder_does() -> None:
    plan = _read(TUNE, "t.yaml", "torchtune").plan  # no checkpointer in TUNE
    assert plan.model.name == "meta-llama/Llama-3.1-8B"
    qwen = TUNE.replace("llama3_1.lora_llama3_1_8b", "qwen2_5.qwen2_5_0_5b")
    assert _read(qwen, "t.yaml", "torchtune").plan.model.name == "Qwen/Qwen2.5-0.5B"
    # The builder builds the architecture the checkpoint is loaded into: it wins over the
    # checkpoint folder's name (not an assumption, even when the folder is not here).
    folder = TUNE + "checkpointer:\n  checkpoint_dir: /tmp/Meta-Llama-3.1-8B-Instruct/\n"
    assert _read(folder, "t.yaml", "torchtune").plan.model.name == "meta-llama/Llama-3.1-8B"
    unknown = TUNE.replace("llama3_1.lora_llama3_1_8b", "llama3_2_vision.llama3_2_vision_11b")
    name = _read(unknown, "t.yaml", "torchtune").plan.model.name
    assert name == "torchtune.models.llama3_2_vision.llama3_2_vision_11b"
    # A builder of a family the table does not know: the checkpoint folder names the model.
    unknown_folder = unknown + "checkpointer:\n  checkpoint_dir: /tmp/Llama-3.2-11B-Vision/\n"
    assert (
        _read(unknown_folder, "t.yaml", "torchtune").plan.model.name == "/tmp/Llama-3.2-11B-Vision/"
    )


def test_axolotl_lisa_trains_a_part() -> None:
    """LISA (lisa_n_layers) trains a few sampled layers at a time: partial training, a
    stated reason for no adapter (TL301 silent), and the estimate says what it assumed."""
    from tunelint.config.settings import Settings
    from tunelint.lint import LintOptions, lint_text

    text = (
        "base_model: NousResearch/Llama-2-7b-hf\nlisa_n_layers: 4\nlisa_step_interval: 20\n"
        "sequence_len: 2048\nmicro_batch_size: 1\nbf16: true\noutput_dir: out\n"
        "datasets:\n  - path: tatsu-lab/alpaca\n    type: alpaca\n"
    )
    result = lint_text(text, "lisa.yml", LintOptions(settings=Settings(), gpu="RTX 4090"))
    assert result.context is not None and result.context.facts.partial == "lisa_n_layers: 4 (LISA)"
    codes = {d.code: d for d in result.diagnostics}
    assert "TL301" not in codes
    # Estimated as if every weight trained (the estimate does not model LISA): a warning
    # that names the assumption, never an error.
    assert codes["TL402"].severity == "warning" and "LISA" in codes["TL402"].message


# --- models a method loads beside the trained one (issue 12 item 6) ---------------------------
TRL_GRPO = "model_name_or_path: Qwen/Qwen2.5-0.5B\ndataset_name: x\nnum_generations: 8\n"


def test_trl_grpo_vllm_generation() -> None:
    # TRL 1.16 GRPOConfig/RLOOConfig: use_vllm off by default; on, vllm_mode "colocate".
    assert _read(TRL_GRPO, "grpo.yaml", "trl").plan.method.vllm_mode == "none"
    result = _read(TRL_GRPO + "use_vllm: true\n", "grpo.yaml", "trl")
    method = result.plan.method
    assert (method.vllm_mode, method.vllm_gpu_memory_utilization) == ("colocate", None)
    assert result.source_map.get(("method", "vllm_mode")).dialect_key == "use_vllm"
    text = TRL_GRPO + "use_vllm: true\nvllm_mode: colocate\nvllm_gpu_memory_utilization: 0.5\n"
    method = _read(text, "grpo.yaml", "trl").plan.method
    assert (method.vllm_mode, method.vllm_gpu_memory_utilization) == ("colocate", 0.5)
    server = TRL_GRPO + "use_vllm: true\nvllm_mode: server\n"
    assert _read(server, "rloo.yaml", "trl").plan.method.vllm_mode == "server"
    # use_vllm is a GRPO/RLOO setting: an SFT file's stray key loads no vLLM.
    sft = "model_name_or_path: Qwen/Qwen2.5-0.5B\ndataset_name: x\nuse_vllm: true\n"
    assert _read(sft, "sft.yaml", "trl").plan.method.vllm_mode == "none"


def test_trl_distillation_teacher() -> None:
    text = (
        "model_name_or_path: Qwen/Qwen2.5-0.5B\ndataset_name: x\n"
        "teacher_model_name_or_path: Qwen/Qwen2.5-1.5B\n"
    )
    result = _read(text, "gkd.yaml", "trl")
    assert result.plan.method.teacher_model == "Qwen/Qwen2.5-1.5B"
    key = result.source_map.get(("method", "teacher_model")).dialect_key
    assert key == "teacher_model_name_or_path"


def test_axolotl_grpo_vllm_generation() -> None:
    grpo = AXOLOTL + "rl: grpo\ntrl:\n  num_generations: 4\n"
    assert _read(grpo, "a.yml", "axolotl").plan.method.vllm_mode == "none"
    # An unset trl.vllm_mode becomes "server" (axolotl validation.py check_vllm_mode_set).
    server = grpo + "  use_vllm: true\n"
    method = _read(server, "a.yml", "axolotl").plan.method
    assert (method.vllm_mode, method.vllm_gpu_memory_utilization) == ("server", None)
    # Colocated: TRL gets vllm.gpu_memory_utilization, axolotl's default 0.9.
    colocate = server + "  vllm_mode: colocate\n"
    method = _read(colocate, "a.yml", "axolotl").plan.method
    assert (method.vllm_mode, method.vllm_gpu_memory_utilization) == ("colocate", 0.9)
    written = colocate + "vllm:\n  gpu_memory_utilization: 0.4\n"
    assert _read(written, "a.yml", "axolotl").plan.method.vllm_gpu_memory_utilization == 0.4


def test_torchtune_kd_teacher() -> None:
    kd = TUNE + "teacher_model:\n  _component_: torchtune.models.llama3_1.llama3_1_70b\n"
    assert _read(TUNE, "t.yaml", "torchtune").plan.method.teacher_model is None
    # No teacher_checkpointer folder: the builder names the size.
    assert _read(kd, "kd.yaml", "torchtune").plan.method.teacher_model == "meta-llama/Llama-3.1-70B"
    folder = kd + "teacher_checkpointer:\n  checkpoint_dir: /tmp/Meta-Llama-3.1-70B-Instruct\n"
    result = _read(folder, "kd.yaml", "torchtune")
    assert result.plan.method.teacher_model == "/tmp/Meta-Llama-3.1-70B-Instruct"
    key = result.source_map.get(("method", "teacher_model")).dialect_key
    assert key == "teacher_checkpointer.checkpoint_dir"


def test_torchtune_async_grpo_generates_on_vllm_workers() -> None:
    text = TUNE.replace("LinearCrossEntropyLoss", "GRPOLoss") + "inference:\n  engine: vllm\n"
    plan = _read(text, "async_grpo.yaml", "torchtune").plan
    assert (plan.method.kind, plan.method.vllm_mode) == ("grpo", "server")


def test_axolotl_fsdp_activation_checkpointing_is_checkpointing() -> None:
    # axolotl utils/trainer.py setup_fsdp_envs: FSDP_ACTIVATION_CHECKPOINTING for accelerate.
    fsdp = AXOLOTL + "fsdp_version: 2\nfsdp_config:\n  {key}: {value}\n"
    for key in ("activation_checkpointing", "fsdp_activation_checkpointing"):
        on = _read(fsdp.format(key=key, value="true"), "a.yml", "axolotl")
        assert on.plan.training.gradient_checkpointing is True
        assert on.source_map.get(("training", "gradient_checkpointing")).dialect_key == (
            f"fsdp_config.{key}"
        )
        off = _read(fsdp.format(key=key, value="false"), "a.yml", "axolotl")
        assert off.plan.training.gradient_checkpointing is not True


def test_llamafactory_fsdp_key_shards_through_the_hf_trainer() -> None:
    # `fsdp` is TrainingArguments' own key (LLaMA-Factory's Seq2SeqTrainingArguments).
    text = FACTORY + "finetuning_type: full\nfsdp:\n  - full_shard\n  - auto_wrap\n"
    result = _read(text, "f.yaml", "llamafactory")
    assert result.plan.hardware.distributed == "fsdp"
    assert result.source_map.get(("hardware", "distributed")).dialect_key == "fsdp"
    assert result.context.facts.sharding_outside is False
    plain = _read(FACTORY + "finetuning_type: full\n", "f.yaml", "llamafactory")
    assert plain.plan.hardware.distributed != "fsdp"
    assert plain.context.facts.sharding_outside is True
