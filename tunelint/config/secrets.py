"""What a secret looks like, and masking it wherever tunelint shows text.

One judgment for both jobs: TL602 reports exactly what `mask_secrets` hides, so a value the
linter calls a credential is never echoed by an excerpt, a diff, a message or a hover.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

# (what it is, pattern) — prefixes published by each provider.
TOKEN_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Hugging Face token", re.compile(r"\bhf_[A-Za-z0-9]{30,}\b")),
    ("Anthropic API key", re.compile(r"\bsk-ant-[A-Za-z0-9_-]{20,}")),
    ("OpenAI API key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}")),
    ("GitHub token", re.compile(r"\b(?:ghp|gho|ghs|ghu|ghr|github_pat)_[A-Za-z0-9_]{30,}")),
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
)
_TOKEN_PREFIX = re.compile(r"hf_|sk-|gh[pousr]_|github_pat_|AKIA|ASIA")
_SECRET_HINT = re.compile(r"token|api[_-]?key|apikey|secret|password|passwd", re.IGNORECASE)
_KEY_WORDS = re.compile(r"[_.\-\s]+|(?<=[a-z0-9])(?=[A-Z])")
_CREDENTIAL_WORDS = frozenset({"token", "secret", "password", "passwd", "apikey"})
# Tokenizer special tokens (`pad_token`, `eos_token`...) are text, not credentials.
_SPECIAL_TOKENS = frozenset({"pad", "eos", "bos", "unk", "sep", "cls", "mask", "special"})


def names_a_credential(key: str) -> bool:
    """A key that names a credential as a whole word (`hub_token`, `apiKey`, `db-password`),
    not one that merely contains the letters (`tokenizer_type`, `max_tokens`)."""
    words = [w.lower() for w in _KEY_WORDS.split(key) if w]
    for i, word in enumerate(words):
        if word == "token" and i and words[i - 1] in _SPECIAL_TOKENS:
            continue
        if word in _CREDENTIAL_WORDS or (word == "key" and i and words[i - 1] == "api"):
            return True
    return False


_NOT_A_SECRET = re.compile(
    r"^(\$\{?[A-Z_][A-Z0-9_]*\}?|<[^>]*>|x+|\*+|null|none|true|false|your[_-].*|changeme)$",
    re.IGNORECASE,
)
_WANDB_KEY = re.compile(r"^[0-9a-f]{40}$")
# AWS secret access keys are 40 characters of base64, so they may contain "/" and "+".
_AWS_SECRET = re.compile(r"^[A-Za-z0-9/+]{40}$")
# `key: value`, `"key": "value"`, `key=value` on one line (YAML, JSON, env-style comments).
_ASSIGNMENT = re.compile(r"(?P<key>[A-Za-z0-9_.-]+)[\"']?\s*[:=]\s*[\"']?(?P<value>[^\s\"',#}\]]+)")
MASK = "********"


@functools.lru_cache(maxsize=4096)
def _is_secret_key(key: str) -> bool:
    # Configs repeat a few keys thousands of times (a module list): decide each once.
    return names_a_credential(key)


def may_hold_token(text: str) -> bool:
    """Whether any provider token can be in `text` (every pattern starts with a prefix)."""
    return _TOKEN_PREFIX.search(text) is not None


def may_name_credential(text: str) -> bool:
    """Whether any key in `text` can name a credential (`names_a_credential` lower-cases
    its words, and each credential word holds one of `_HINT_WORDS`)."""
    lowered = text.lower()
    return any(word in lowered for word in _HINT_WORDS)


def is_credential_key(key: str) -> bool:
    """`names_a_credential`, decided once per key name."""
    return _is_secret_key(key)


def secret_kind(key_path: tuple[str, ...], value: str) -> str | None:
    """What secret `value` (written under `key_path`) is, or None when it is not one."""
    # Every provider pattern starts with one of the prefixes: one search rules all out.
    if _TOKEN_PREFIX.search(value):
        for label, pattern in TOKEN_PATTERNS:
            if pattern.search(value):
                return label
    key = key_path[-1] if key_path else ""
    if not _is_secret_key(key) or _NOT_A_SECRET.match(value.strip()) or value.isdigit():
        return None  # a number (`max_tokens: 4096`) is a count, not a credential
    lowered = key.lower()
    if "wandb" in lowered and _WANDB_KEY.match(value):
        return "Weights & Biases API key"
    if "aws" in lowered and "secret" in lowered and _AWS_SECRET.match(value):
        return "AWS secret access key"
    # A literal credential under a secret-looking key: long, no spaces, not a path.
    if len(value) >= 16 and " " not in value and "/" not in value:
        return f"credential in `{key}`"
    return None


def find_tokens(text: str) -> Iterator[tuple[str, int, int]]:
    """(label, start, end) of every provider token in the text, wherever it is written."""
    if not _TOKEN_PREFIX.search(text):  # one pass instead of one per provider
        return
    for label, pattern in TOKEN_PATTERNS:
        for match in pattern.finditer(text):
            yield label, match.start(), match.end()


# Every word `_SECRET_HINT` matches contains one of these (in lower case).
_HINT_WORDS = ("token", "secret", "passw", "api")


def _may_name_secret(text: str) -> bool:
    """`_SECRET_HINT.search(text)`, without the case-blind search on most texts (about 9 us
    a message): ASCII text without any of its words (substring tests) cannot match. Other
    text goes to the pattern, whose Unicode case folding `str.lower` does not copy."""
    if text.isascii():
        lowered = text.lower()
        if not any(word in lowered for word in _HINT_WORDS):
            return False
    return _SECRET_HINT.search(text) is not None


def secret_spans(text: str) -> list[tuple[int, int]]:
    """Sorted, disjoint (start, end) of every token, and every value TL602 would call a
    credential, in the text."""
    spans: list[tuple[int, int]] = [(start, end) for _, start, end in find_tokens(text)]
    if _may_name_secret(text):  # a quick pass before the per-assignment check
        for match in _ASSIGNMENT.finditer(text):
            if secret_kind((match.group("key"),), match.group("value")) is not None:
                spans.append(match.span("value"))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def hide(secret: str) -> str:
    """A secret as shown: its first three characters, so a reader still sees which one."""
    return secret[:3] + MASK


def mask_secrets(text: str) -> str:
    """The text with every secret (see `secret_spans`) masked."""
    if len(text) <= _MEMO_LENGTH:  # messages: the same ones recur across files
        return _masked(text)
    return _mask(text)


_MEMO_LENGTH = 512


@functools.lru_cache(maxsize=4096)
def _masked(text: str) -> str:
    return _mask(text)


def _mask(text: str) -> str:
    spans = secret_spans(text) if text else None
    if not spans:
        return text
    out: list[str] = []
    last = 0
    for start, end in spans:
        out.append(text[last:start])
        out.append(hide(text[start:end]))
        last = end
    out.append(text[last:])
    return "".join(out)
