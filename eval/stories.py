"""Scoring story timelines on a hand-made story set (``newsrag eval stories SET --corpus ...``).

A set is JSON lines: ``{"id", "query", "article_ids", "related_ids", "note"}``. ``query`` is how a
reader names the story, ``article_ids`` every article of the corpus whose subject it is (found by
hand), ``related_ids`` articles that touch it without being about it (a daily digest that leads
with it, an explainer it prompted): finding those is neither rewarded nor punished.

Per story: *recall*, the share of its articles the timeline holds; *precision*, the share of the
timeline's articles (related ones left out) that are the story's; *ordering*, over pairs of the
story's found articles published on different days, the share whose events come in the same order
as their dates. Ids are read through the store's aliases (a duplicate input stored once).

Example:
    >>> stories = load_stories("eval/sets/stories-dev.jsonl")  # doctest: +SKIP
    >>> summarize_stories(score_stories(stories, NewsRAG(settings)))["recall"]  # doctest: +SKIP
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

from eval._sets import set_rows
from rag import InputError, NewsRAG, Timeline

__all__ = ["LabelledStory", "load_stories", "score_stories", "score_timeline", "summarize_stories"]


@dataclass(frozen=True)
class LabelledStory:
    """One line of a story set."""

    id: str
    query: str
    article_ids: tuple[str, ...]
    related_ids: tuple[str, ...] = ()
    note: str = ""


def _ids(row: dict[str, Any], name: str, where: str, required: bool) -> tuple[str, ...]:
    value = row.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InputError(where, f"field {name!r} must be a list of article ids")
    if required and not value:
        raise InputError(where, f"field {name!r} is empty")
    return tuple(value)


def load_stories(path: Path | str) -> list[LabelledStory]:
    """The stories of a set file.

    Raises:
        InputError: a line is not JSON or a field is missing or malformed, naming ``file:line``.
    """
    out = []
    for where, row in set_rows(path, "story set"):
        for name in ("id", "query"):
            if not isinstance(row.get(name), str) or not row[name].strip():
                raise InputError(where, f"missing field {name!r}")
        out.append(
            LabelledStory(
                id=row["id"],
                query=row["query"],
                article_ids=_ids(row, "article_ids", where, required=True),
                related_ids=_ids(row, "related_ids", where, required=False),
                note=str(row.get("note", "")),
            )
        )
    return out


def _ordering(timeline: Timeline, wanted: set[str]) -> float | None:
    """Pairs of found story articles on different days whose events are in date order (None: no pair)."""
    event_of = {aid: i for i, e in enumerate(timeline.events) for aid in e.article_ids}
    dated = [
        (a.published, event_of[a.article_id])
        for a in timeline.articles
        if a.article_id in wanted and a.published is not None
    ]
    pairs = [(x, y) for x, y in combinations(dated, 2) if x[0] != y[0]]
    if not pairs:
        return None
    agree = sum(x[1] == y[1] or (x[0] < y[0]) == (x[1] < y[1]) for x, y in pairs)
    return agree / len(pairs)


def _in_date_order(timeline: Timeline) -> bool:
    days = [e.date for e in timeline.events if e.date is not None]
    return days == sorted(days)


def score_timeline(
    story: LabelledStory, timeline: Timeline, aliases: dict[str, str] | None = None
) -> dict[str, Any]:
    """One story's row: recall, precision, ordering, and the ids missed and wrongly kept."""
    alias = aliases or {}
    gold = {alias.get(a, a) for a in story.article_ids}
    related = {alias.get(a, a) for a in story.related_ids} - gold
    found = {a.article_id for a in timeline.articles}
    counted = found - related
    hit = found & gold
    return {
        "id": story.id,
        "query": story.query,
        "articles": len(gold),
        "found": len(found),
        "events": len(timeline.events),
        "recall": round(len(hit) / len(gold), 3),
        "precision": round(len(hit) / len(counted), 3) if counted else 0.0,
        "ordering": _ordering(timeline, gold),
        "in_date_order": _in_date_order(timeline),
        "missed": sorted(gold - found),
        "extra": sorted(counted - gold),
        "seconds": round(timeline.timings.get("total", 0.0), 3),
    }


def _aliases(rag: NewsRAG) -> dict[str, str]:
    return {alias: aid for aid, info in rag.store.articles().items() for alias in info.aliases}


def score_stories(stories: Iterable[LabelledStory], rag: NewsRAG) -> list[dict[str, Any]]:
    """Build each story's timeline over ``rag``'s store and score it."""
    aliases = _aliases(rag)
    return [score_timeline(s, rag.timeline(s.query), aliases) for s in stories]


def summarize_stories(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The means over the stories' rows, with the rows."""

    def mean(key: str) -> float:
        values = [r[key] for r in rows if r[key] is not None]
        return round(statistics.fmean(values), 3) if values else 0.0

    return {
        "stories": len(rows),
        "recall": mean("recall"),
        "precision": mean("precision"),
        "ordering": mean("ordering"),
        "seconds_p50": round(statistics.median(r["seconds"] for r in rows), 3) if rows else 0.0,
        "rows": list(rows),
    }
