"""The runner: `tunelint run` turns a validated Plan into a TRL training run.

Everything here that touches torch, transformers, PEFT or TRL imports them inside functions,
so importing `tunelint.runner` stays cheap and the lint path never loads the ML stack.
Modules, in the order a run uses them:

- `prepared`: `prepare_run` -> one frozen `PreparedRun`: everything decided before a model
  loads (data checked, precision, output folder refused or prepared, resume point).
- `data`: read and check local data files; TRL layouts per method.
- `precision`: device and numeric format, decided once and said out loud.
- `outputs`: output folder protection (unsafe folders refused, `--overwrite` limited to what
  `manifest` lists); `checkpoints`: the newest complete checkpoint for `--resume`.
- `launch` / `worker`: several processes through `accelerate launch` (DDP, FSDP, ZeRO).
- `tiny_model`: the built-in `tunelint/tiny` model for smoke runs and tests.
- `models`: base model and tokenizer (tiny, local folder, hub id; quantization); each model
  carries its own trust_remote_code.
- `peft_configs`: Plan.peft -> LoRA / QLoRA / DoRA / IA3 / prefix tuning (or full).
- `multitask`: multi-task adapters on PEFT (one named adapter per task).
- `trainer_config`: Plan -> the TRL config of the method, every default set explicitly.
- `rewards`: reward model and reward functions for online RL (grpo, rloo).
- `trainers`: the TRL trainer per method; `callbacks`: the manifest kept ahead of saves.
- `session`: `run_plan(plan, base_dir, options)`, the whole run; `reporting`: the resolved
  plan, run info, metrics and loss curve; `disk_full`: a full disk said as such.
"""
