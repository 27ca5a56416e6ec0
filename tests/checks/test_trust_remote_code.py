"""TL601: a warning for a model whose code tunelint cannot vouch for; info (the flag is not
needed) for a model whose architecture transformers implements itself (the catalog's)."""

from __future__ import annotations

from tunelint.config.settings import Settings
from tunelint.lint import LintOptions, lint_text

CONFIG = "model:\n  name: {name}\n  trust_remote_code: true\nmethod:\n  kind: sft\n"


def _tl601(name: str) -> list[tuple[str, str, int, int]]:
    result = lint_text(
        CONFIG.format(name=name),
        "run.tune.yaml",
        LintOptions(settings=Settings(), select=("TL601",)),
    )
    return [
        (d.severity, d.message, d.range.start.line, d.range.start.column)
        for d in result.diagnostics
    ]


def test_unknown_model_is_a_warning() -> None:
    found = _tl601("some-org/custom-arch-7b")
    assert [(sev, line, col) for sev, _, line, col in found] == [("warning", 2, 21)]
    assert "runs Python from the model repository" in found[0][1]


def test_native_architecture_is_info_and_says_why() -> None:
    found = _tl601("Qwen/Qwen3-8B")
    assert [(sev, line, col) for sev, _, line, col in found] == [("info", 2, 21)]
    assert "not needed" in found[0][1] and "qwen3" in found[0][1]


def test_key_words_decide_a_credential_not_letters() -> None:
    """TL602 reads a key as words: `tokenizer_type: CodeLlamaTokenizer` (axolotl) and
    `pad_token` are no credentials; `hub_token`, `apiKey`, `db-password` name one."""
    from tunelint.config.secrets import names_a_credential, secret_kind

    assert not names_a_credential("tokenizer_type")
    assert not names_a_credential("max_tokens")
    assert not names_a_credential("pad_token")
    assert secret_kind(("tokenizer_type",), "CodeLlamaTokenizerFast") is None
    for key in ("hub_token", "apiKey", "openai_api_key", "db-password", "client_secret"):
        assert names_a_credential(key), key
        assert secret_kind((key,), "Zx81kQ0pLm3Nv7Rt2Wq9") == f"credential in `{key}`"
