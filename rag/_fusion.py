"""Rank fusion and scoring helpers for retrieval (pure functions, no I/O)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date


def rrf(rankings: Iterable[tuple[Sequence[str], float]], k: int = 60) -> dict[str, float]:
    """Reciprocal rank fusion: ``sum(weight / (k + rank))`` over ranked id lists (rank from 1).

    Example:
        >>> s = rrf([(["a", "b"], 1.0), (["b"], 1.0)], k=60)
        >>> max(s, key=s.__getitem__)
        'b'
    """
    scores: dict[str, float] = {}
    for ids, weight in rankings:
        for rank, item in enumerate(ids, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return scores


def recency_weight(
    published: date | None, anchor: date, window_days: int | None, half_life_days: float
) -> float:
    """How much an article's age counts against it, in (0, 1].

    Articles up to ``window_days`` old keep full weight; older ones halve every ``half_life_days``.
    Articles newer than the anchor should have been filtered out; undated ones get the weight of
    an article one half-life past the window.
    """
    if published is None:
        return 0.5
    window = window_days or 0
    age = (anchor - published).days
    if age <= window:
        return 1.0
    return math.pow(0.5, (age - window) / max(half_life_days, 1e-6))
