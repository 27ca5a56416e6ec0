"""How sure a dialect is that a document is its own: one scoring rule for all of them."""

from __future__ import annotations

from collections.abc import Collection, Mapping

# No format is ever certain from its keys alone (a file name or marker can say more).
CEILING = 0.98


def marker_score(
    keys: Collection[str],
    markers: Mapping[str, float],
    *,
    bonus: float = 0.0,
    requires: Collection[str] = (),
    cap_without: float = 1.0,
    ceiling: float = CEILING,
) -> float:
    """The weights of the marker keys present, plus `bonus` (evidence from values); capped
    at `cap_without` when none of the keys only this format has (`requires`) is there."""
    score = sum(weight for key, weight in markers.items() if key in keys) + bonus
    if requires and not any(key in keys for key in requires):
        score = min(score, cap_without)
    return min(score, ceiling)
