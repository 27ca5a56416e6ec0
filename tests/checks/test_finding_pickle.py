"""Diagnostics travel from pool workers to the parent by pickle: every field survives."""

from __future__ import annotations

import copy
import dataclasses
import pickle

from tunelint.checks.finding import Diagnostic, RenderedFix
from tunelint.config.positions import Range, TextEdit


def test_diagnostic_round_trips_with_every_field() -> None:
    fix = RenderedFix("Rename", "unsafe", (TextEdit(Range.of(1, 2, 1, 5), "new"),))
    diagnostic = Diagnostic(
        "a.yaml", Range.of(1, 2, 3, 4), "TL510", "warning", "msg", fix, "https://u", {"k": [1]}
    )
    values = [getattr(diagnostic, f.name) for f in dataclasses.fields(Diagnostic)]
    assert len(set(map(repr, values))) == len(values)  # distinct: a swapped field would show
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(diagnostic, protocol=protocol))
        assert back == diagnostic
        assert [getattr(back, f.name) for f in dataclasses.fields(Diagnostic)] == values
    assert copy.deepcopy(diagnostic) == diagnostic
    bare = Diagnostic("b", Range.of(0, 0, 0, 0), "TL101", "info", "m")
    back = pickle.loads(pickle.dumps(bare))
    assert back == bare and back.fix is None and back.url is None and back.extra == {}
