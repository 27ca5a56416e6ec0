"""`options.close_matches` gives difflib.get_close_matches's answer, in its order, for every
key list of every option table: typos of each key (a letter changed, dropped, doubled or
swapped) and unrelated words."""

from __future__ import annotations

import difflib

from tunelint.knowledge import options

CUTOFF = 0.8


def _typos(key: str) -> list[str]:
    if len(key) < 2:
        return [key + "x"]
    middle = len(key) // 2
    return [
        key[:middle] + "q" + key[middle + 1 :],  # changed
        key[:middle] + key[middle + 1 :],  # dropped
        key[:middle] + key[middle] + key[middle:],  # doubled
        key[: middle - 1] + key[middle] + key[middle - 1] + key[middle + 1 :],  # swapped
    ]


def test_the_same_answer_as_difflib_on_every_table() -> None:
    checked = 0
    for framework in options.frameworks():
        for section in options.table(framework).sections.values():
            keys = list(section.keys)
            index = options.near_index(keys)
            words = [t for key in keys for t in _typos(key)] + ["", "x", "zzzz_qqqq", "lr"]
            for word in words:
                expected = difflib.get_close_matches(word, keys, n=2, cutoff=CUTOFF)
                assert options.close_matches(word, index, 2, CUTOFF) == expected, word
                checked += 1
    assert checked > 10_000


def test_a_planted_typo_is_suggested() -> None:
    index = options.near_index(["gradient_accumulation_steps", "learning_rate", "num_epochs"])
    assert options.close_matches("gradient_acumulation_steps", index, 2, CUTOFF) == [
        "gradient_accumulation_steps"
    ]
    assert options.close_matches("batch", index, 2, CUTOFF) == []
