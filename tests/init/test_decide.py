"""`tunelint init`'s decision: the article's table rows, and a matrix of goals x GPUs x models x
formats whose written configs re-lint with zero findings, parse in their dialect and fit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunelint.config.detect import detect_dialect
from tunelint.config.document import parse_document
from tunelint.init import Decision, InitAnswers, InitError, NoFit, decide, write_config
from tunelint.init.fit import HEADROOM
from tunelint.init.formats import format_caps
from tunelint.init.verify import lint_rendered, rendered_files

GOALS = ("improve-existing", "new-capability")
GPUS = (("T4", 1), ("RTX 4090", 1), ("A100-80GB", 1), ("H100", 8))
MODELS = ("meta-llama/Llama-3.2-1B", "meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-70B")
FORMATS = ("native", "axolotl", "llamafactory", "trl")
# 70B LoRA needs ~140 GiB of bf16 weights, QLoRA ~40 GiB: nothing fits one 16 or 24 GB card.
NOTHING_FITS = {("T4", MODELS[2]), ("RTX 4090", MODELS[2])}


def _decide(**kw: object) -> Decision:
    result = decide(InitAnswers(**kw))  # type: ignore[arg-type]
    assert isinstance(result, Decision), getattr(result, "reason", result)
    return result


@pytest.mark.parametrize("fmt", FORMATS)
def test_matrix_written_configs_are_clean_and_fit(fmt: str) -> None:
    checked = 0
    for goal in GOALS:
        for gpu, count in GPUS:
            for model in MODELS:
                answers = InitAnswers(goal=goal, model=model, gpu=gpu, gpu_count=count, format=fmt)
                result = decide(answers)
                if (gpu, model) in NOTHING_FITS:
                    assert isinstance(result, NoFit), (gpu, model)
                    continue
                assert isinstance(result, Decision), (gpu, model, getattr(result, "reason", ""))
                name = "train" + format_caps(fmt).suffix
                files = rendered_files(result, name)
                assert detect_dialect(parse_document(files[name], name)).name == fmt
                linted = lint_rendered(files, name)
                assert linted.dialect == fmt
                assert [(d.code, d.message) for d in linted.diagnostics] == []
                # The dialect reads back what was decided, and its own estimate fits.
                plan, want = linted.plan, result.plan
                assert plan is not None and linted.context is not None
                assert plan.method.kind == want.method.kind
                assert plan.peft.kind == want.peft.kind
                assert plan.precision == want.precision
                assert plan.model.max_seq_len == want.model.max_seq_len
                assert plan.training.micro_batch_size == want.training.micro_batch_size
                assert plan.hardware.distributed in (want.hardware.distributed, "none")
                report = linted.context.estimate
                assert report.fits is True
                assert report.estimate.per_gpu_gib <= report.capacity_gib * (1 - HEADROOM) + 0.05
                checked += 1
    assert checked == len(GOALS) * (len(GPUS) * len(MODELS) - len(NOTHING_FITS))


def test_table_8gb_is_qlora() -> None:
    for goal in GOALS:
        decision = _decide(goal=goal, model=MODELS[0], gpu="RTX 3060-8GB")
        assert decision.plan.peft.kind == "qlora"
        assert decision.plan.effective_quantization == "4bit"


def test_table_16gb_is_lora() -> None:
    # The catalog's 16 GB cards (T4, V100-16GB) lack bf16, so §4 makes it LoRA + fp16 there.
    decision = _decide(goal="improve-existing", model=MODELS[0], gpu="T4")
    assert (decision.plan.peft.kind, decision.plan.precision) == ("lora", "fp16")


@pytest.mark.parametrize(("gpu", "model"), [("RTX 4090", MODELS[0]), ("L40S", MODELS[1])])
def test_table_24_to_48gb_improve_is_dpo_lora(gpu: str, model: str) -> None:
    decision = _decide(goal="improve-existing", model=model, gpu=gpu)
    assert (decision.plan.method.kind, decision.plan.peft.kind) == ("dpo", "lora")
    assert decision.plan.data is not None and decision.plan.data.format == "preference"
    assert not decision.rlhf_possible


def test_table_80gb_new_capability_rlhf_possible() -> None:
    big = _decide(goal="new-capability", model=MODELS[1], gpu="A100-80GB")
    assert big.rlhf_possible and any("RLHF becomes possible" in n for n in big.notes)
    assert big.plan.method.kind == "sft"  # demonstrations first; TL203 flags DPO here
    for kw in ({"gpu": "RTX 4090"}, {"gpu": "A100-80GB", "days": 5}):
        small = _decide(goal="new-capability", model=MODELS[1], **kw)
        assert not small.rlhf_possible and any("no RLHF" in n for n in small.notes)


def test_improve_existing_is_dpo_even_on_80gb() -> None:
    assert _decide(goal="improve-existing", model=MODELS[1], gpu="H100").plan.method.kind == "dpo"


@pytest.mark.parametrize(
    ("gpu", "precision"),
    [
        ("T4", "fp16"),
        ("V100-16GB", "fp16"),
        ("A100-80GB", "bf16"),
        ("RTX 4090", "bf16"),
        ("H100", "bf16"),
    ],
)
def test_precision_by_gpu(gpu: str, precision: str) -> None:
    decision = _decide(goal="improve-existing", model=MODELS[0], gpu=gpu)
    assert decision.plan.precision == precision
    text = write_config(decision)
    if precision == "fp16":
        assert "precision: fp16  # tunelint: ignore[TL103]" in text
    else:
        assert "precision: bf16  # TL101/TL104" in text


def test_zero3_only_when_the_model_does_not_fit_one_gpu() -> None:
    sharded = _decide(goal="improve-existing", model=MODELS[2], gpu="H100", gpu_count=8)
    assert sharded.plan.hardware.distributed == "deepspeed-zero3"
    assert sharded.plan.peft.kind == "lora"
    files = rendered_files(
        _decide(
            goal="improve-existing", model=MODELS[2], gpu="H100", gpu_count=8, format="axolotl"
        ),
        "a.yml",
    )
    assert set(files) == {"a.yml", "tunelint.toml", "ds_zero3.json"}
    assert "deepspeed: ds_zero3.json" in files["a.yml"]
    plain = _decide(goal="improve-existing", model=MODELS[1], gpu="H100", gpu_count=8)
    assert plain.plan.hardware.distributed == "ddp"


def test_qlora_when_the_estimate_calls_for_it() -> None:
    decision = _decide(goal="improve-existing", model=MODELS[1], gpu="RTX 4090")
    assert decision.plan.peft.kind == "qlora"
    assert decision.why[("peft", "kind")].startswith("TL402: lora needs")
    assert (
        _decide(goal="improve-existing", model=MODELS[1], gpu="A100-80GB").plan.peft.kind == "lora"
    )


@pytest.mark.parametrize(
    ("kw", "kind"),
    [
        ({"tasks": 3}, "adapters"),
        ({"priority": "inference-speed"}, "ia3"),
        ({"priority": "prompt-strengthening"}, "prefix-tuning"),
        ({"priority": "memory"}, "qlora"),
        ({}, "lora"),
    ],
)
def test_peft_by_intent_in_every_format(kw: dict[str, object], kind: str) -> None:
    for fmt in FORMATS:
        decision = _decide(
            goal="improve-existing", model=MODELS[0], gpu="A100-80GB", format=fmt, **kw
        )
        can = kind in format_caps(fmt).peft
        assert decision.plan.peft.kind == (kind if can else "lora")
        if not can:
            code, reason = decision.accepted[("peft", "kind")]
            assert code == "TL303" and f"cannot train {kind}" in reason
        name = "c" + format_caps(fmt).suffix
        assert lint_rendered(rendered_files(decision, name), name).diagnostics == []


def test_the_linter_sees_what_the_comments_state() -> None:
    # Without the stated reason, the rule it names fires: the comment is not decoration.
    decision = _decide(goal="improve-existing", model=MODELS[0], gpu="T4")
    text = write_config(decision)
    bare = "\n".join(line.split("  # tunelint:")[0] for line in text.splitlines()) + "\n"
    linted = lint_rendered({"c.tune.yaml": bare}, "c.tune.yaml")
    assert [d.code for d in linted.diagnostics] == ["TL103"]
    wrong = text.replace("precision: fp16", "precision: bf16")
    assert "TL102" in [
        d.code for d in lint_rendered({"c.tune.yaml": wrong}, "c.tune.yaml").diagnostics
    ]


def test_nothing_fits_says_what_would() -> None:
    result = decide(InitAnswers(goal="improve-existing", model=MODELS[2], gpu="RTX 4090"))
    assert isinstance(result, NoFit)
    assert "does not fit RTX 4090" in result.reason
    text = "\n".join(result.suggestions)
    assert "QLoRA (4-bit base)" in text and "does not fit either" in text
    assert "with ZeRO-3" in text and "--gpu-count" in text
    assert "a smaller model" in text
    smaller = text.split("--model ")[1].rstrip(")")
    assert isinstance(
        decide(InitAnswers(goal="improve-existing", model=smaller, gpu="RTX 4090")), Decision
    )


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"gpu": "RTX 4091"}, "did you mean RTX 4090"),
        ({"model": "no-such-model"}, "cannot size model"),
        ({"goal": "faster"}, "--goal must be one of"),
        ({"gpu_count": 0}, "--gpu-count must be at least 1"),
        ({"format": "xml"}, "--format must be one of"),
        ({"data_format": "preference"}, "does not suit sft"),
    ],
)
def test_unusable_answers(kw: dict[str, object], message: str) -> None:
    answers = {"goal": "new-capability", "model": MODELS[0], "gpu": "A100-80GB", **kw}
    with pytest.raises(InitError, match=message):
        decide(InitAnswers(**answers))  # type: ignore[arg-type]


def test_tiny_model_on_cpu_sized_config() -> None:
    decision = _decide(goal="new-capability", model="tunelint/tiny", gpu="RTX 4090")
    assert decision.plan.model.name == "tunelint/tiny"
    assert decision.plan.model.max_seq_len <= decision.model.max_position_embeddings


def test_a_config_with_findings_is_never_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tunelint.init import verify

    decision = _decide(goal="improve-existing", model=MODELS[0], gpu="A100-80GB")
    good = verify.write_config(decision)
    monkeypatch.setattr(verify, "write_config", lambda d, f=None: good.replace("bf16", "fp16"))
    with pytest.raises(verify.NotWritten, match="TL101"):
        verify.write_decision(decision, tmp_path / "c.tune.yaml")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    written = verify.write_decision(decision, tmp_path / "c.tune.yaml")
    assert written == [tmp_path / "c.tune.yaml"] and written[0].read_text() == good


def test_each_decision_names_its_rule() -> None:
    import re

    decided = (
        "  kind:",
        "precision:",
        "  max_seq_len:",
        "  micro_batch_size:",
        "  gradient_checkpointing:",
        "  distributed:",
    )
    seen = 0
    for gpu, count in GPUS:
        decision = _decide(goal="improve-existing", model=MODELS[1], gpu=gpu, gpu_count=count)
        for line in write_config(decision).splitlines():
            if line.startswith(decided):
                assert re.search(r"# (tunelint: ignore\[)?TL\d{3}", line), line
                seen += 1
    assert seen >= 6 * len(GPUS)


def test_model_names_are_written_as_loadable_ids() -> None:
    alias = _decide(goal="improve-existing", model="Llama-3.1-8B", gpu="H100")
    assert alias.plan.model.name == "meta-llama/Llama-3.1-8B"
    variant = _decide(goal="improve-existing", model="Qwen/Qwen2.5-7B-Instruct", gpu="H100")
    assert variant.plan.model.name == "Qwen/Qwen2.5-7B-Instruct"  # sized as its base, kept
