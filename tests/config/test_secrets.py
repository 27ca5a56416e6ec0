"""The quick test before the credential-assignment pass agrees with the pattern it guards."""

from __future__ import annotations

import pytest

from tunelint.config.secrets import _SECRET_HINT, _may_name_secret, mask_secrets

TEXTS = [
    "",
    "learning_rate: 2e-5",
    "`pad_token` is not a key trl 0.20 knows",
    "hub_TOKEN: abc",
    "Api-Key=x",
    "APIKEY",
    "db_PassWd",
    "password",
    "ſecret: value",  # U+017F folds to `s` under re.IGNORECASE, not under str.lower
    "\u212aey",  # KELVIN SIGN: no hint word either way
    "api_key_is_not_here but a PI",
    "tok en, sec ret, pass word",
]


@pytest.mark.parametrize("text", TEXTS)
def test_quick_test_agrees_with_pattern(text: str) -> None:
    assert _may_name_secret(text) == (_SECRET_HINT.search(text) is not None)


def test_mask_secrets_masks_and_keeps() -> None:
    text = "hub_token: abcdefghijklmnopqrstuvwxyz123456 and max_tokens: 4096"
    assert mask_secrets(text) == "hub_token: abc******** and max_tokens: 4096"
    plain = "`lr` is not a key axolotl knows"
    assert mask_secrets(plain) is plain  # nothing to hide: the text itself
