"""The built-in tiny model `tunelint/tiny`: a small Llama with a locally trained tokenizer.

It exists so that the quick start and the tests train on any CPU in seconds, with no hub
access. The tokenizer is a byte-level BPE trained with `tokenizers` on the small corpus
shipped in `tunelint/runner/resources/tiny_corpus.txt`; the chat template is ChatML-like,
with `{% generation %}` markers so TRL's assistant-only loss works. Weights are randomly
initialised from a fixed seed, then pretrained for a few hundred CPU steps (seconds) on the
same corpus, partly in chat form, so that it produces word-like text and fine-tuning starts
from a realistic, non-uniform distribution. It still knows almost nothing.

The model is built once and cached under `$TUNELINT_CACHE_DIR` (default
`~/.cache/tunelint`) in a folder named for the build version; a build goes to a temporary
folder first and is renamed into place, so concurrent builders (two test workers, two DDP
ranks) never see a half-written model.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path

TINY_MODEL_NAME = "tunelint/tiny"
# Bump when the architecture, tokenizer or corpus changes, so old caches are not reused.
TINY_MODEL_VERSION = "v4"
CACHE_ENV_VAR = "TUNELINT_CACHE_DIR"

# Llama shape: big enough to show a falling loss, small enough for a CPU step in ~10 ms.
VOCAB_SIZE = 1024
HIDDEN_SIZE = 64
INTERMEDIATE_SIZE = 176
NUM_LAYERS = 2
NUM_HEADS = 4
NUM_KV_HEADS = 4
MAX_POSITIONS = 1024
SEED = 1234
PRETRAIN_STEPS = 200
PRETRAIN_BLOCK = 64
PRETRAIN_BATCH = 16
PRETRAIN_LR = 4e-3

SPECIAL_TOKENS = ["<|pad|>", "<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def cache_root() -> Path:
    """Where tunelint caches built artifacts: `$TUNELINT_CACHE_DIR` or `~/.cache/tunelint`."""
    configured = os.environ.get(CACHE_ENV_VAR)
    if configured:
        return Path(configured).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tunelint"


def tiny_model_dir() -> Path:
    """The cache folder of the tiny model (may not exist yet; see `ensure_tiny_model`)."""
    return cache_root() / f"tiny-{TINY_MODEL_VERSION}"


def ensure_tiny_model() -> Path:
    """Return the tiny model's folder, building it first if it is not cached."""
    target = tiny_model_dir()
    if (target / "config.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tiny-build-", dir=target.parent))
    try:
        _build_tiny_model(staging)
        try:
            staging.rename(target)
        except OSError:
            # Another process finished first; its build is identical (fixed seed and corpus).
            if not (target / "config.json").is_file():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _read_resource(name: str) -> str:
    return resources.files("tunelint.runner.resources").joinpath(name).read_text("utf-8")


def _build_tokenizer(folder: Path) -> object:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    corpus = _read_resource("tiny_corpus.txt").splitlines()
    tokenizer.train_from_iterator(corpus, trainer=trainer)

    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=None,
        eos_token="<|im_end|>",
        pad_token="<|pad|>",
        unk_token=None,
        model_max_length=MAX_POSITIONS,
        padding_side="right",
    )
    wrapped.chat_template = _read_resource("chat_template.jinja")
    wrapped.save_pretrained(folder)
    return wrapped


def _build_tiny_model(folder: Path) -> None:
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    tokenizer = _build_tokenizer(folder)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=HIDDEN_SIZE,
        intermediate_size=INTERMEDIATE_SIZE,
        num_hidden_layers=NUM_LAYERS,
        num_attention_heads=NUM_HEADS,
        num_key_value_heads=NUM_KV_HEADS,
        max_position_embeddings=MAX_POSITIONS,
        tie_word_embeddings=False,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
        # SDPA's CPU backward is ~20x slower than eager at this size (torch 2.13).
        attn_implementation="eager",
    )
    torch.manual_seed(SEED)
    model = LlamaForCausalLM(config)
    _pretrain(model, tokenizer)
    model.generation_config = GenerationConfig(
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        do_sample=False,
        max_new_tokens=32,
    )
    model.save_pretrained(folder)
    (folder / "README.md").write_text(
        "# tunelint/tiny\n\nBuilt locally by tunelint for smoke runs and tests: a "
        f"{NUM_LAYERS}-layer Llama (hidden {HIDDEN_SIZE}) with random weights and a BPE "
        f"tokenizer trained on tunelint's small corpus, pretrained {PRETRAIN_STEPS} steps on "
        "that corpus. It knows almost nothing; it trains fast.\n",
        encoding="utf-8",
    )


def _pretraining_ids(tokenizer: object) -> list[int]:
    """Token ids of the corpus: each line as text, question/answer pairs also as chat."""
    lines = [line for line in _read_resource("tiny_corpus.txt").splitlines() if line.strip()]
    eos = tokenizer.eos_token_id  # type: ignore[attr-defined]
    ids: list[int] = []
    for index, line in enumerate(lines):
        ids += [*tokenizer.encode(line), eos]  # type: ignore[attr-defined]
        if line.endswith("?") and index + 1 < len(lines):
            chat = [
                {"role": "user", "content": line},
                {"role": "assistant", "content": lines[index + 1]},
            ]
            ids += tokenizer.apply_chat_template(chat, tokenize=True, return_dict=False)  # type: ignore[attr-defined]
    return ids


def _pretrain(model: object, tokenizer: object) -> None:
    """A few hundred full-model steps on the corpus, so outputs are not uniform noise."""
    import torch

    ids = torch.tensor(_pretraining_ids(tokenizer))
    blocks = ids[: len(ids) // PRETRAIN_BLOCK * PRETRAIN_BLOCK].view(-1, PRETRAIN_BLOCK)
    generator = torch.Generator().manual_seed(SEED)
    optimizer = torch.optim.AdamW(model.parameters(), lr=PRETRAIN_LR)  # type: ignore[attr-defined]
    model.train()  # type: ignore[attr-defined]
    for _ in range(PRETRAIN_STEPS):
        batch = blocks[torch.randint(len(blocks), (PRETRAIN_BATCH,), generator=generator)]
        loss = model(input_ids=batch, labels=batch).loss  # type: ignore[operator]
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    model.eval()  # type: ignore[attr-defined]
