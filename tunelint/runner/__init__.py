"""The runner: `tunelint run` turns a validated Plan into a TRL training run.

Everything here that touches torch, transformers, PEFT or TRL imports them inside functions,
so importing `tunelint.runner` stays cheap and the lint path never loads the ML stack.
Modules, in the order a run uses them:

- `data`: read and check local data files; TRL layouts per method.
- `precision`: device and numeric format, decided once and said out loud.
- `outputs`: output folder protection, resume, resolved config, metrics, loss curve.
- `launch` / `worker`: several processes through `accelerate launch` (DDP, FSDP, ZeRO).
- `tiny_model`: the built-in `tunelint/tiny` model for smoke runs and tests.
- `models`: base model and tokenizer (tiny, local folder, hub id; quantization).
- `peft_configs`: Plan.peft -> LoRA / QLoRA / DoRA / IA3 / prefix tuning (or full).
- `multitask`: multi-task adapters on PEFT (one named adapter per task).
- `trainer_config`: Plan -> the TRL config of the method, every default set explicitly.
- `rewards`: reward model and reward functions for online RL (grpo, rloo).
- `trainers`: the TRL trainer per method.
- `session`: `run_plan(plan, base_dir, options)`, the whole run.
"""
