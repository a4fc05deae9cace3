"""What a search may be limited to, as one record that Chroma, the keyword index and memory all read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from rag.records import ArticleInfo

__all__ = ["Filters", "StoreStats", "day_date", "day_number"]

_EPOCH = date(1970, 1, 1)


def day_number(d: date | None) -> int:
    """Days since 1970-01-01 (Chroma filters compare numbers, not dates); -1 for no date."""
    return (d - _EPOCH).days if d else -1


def day_date(day: int) -> date:
    """The date of a :func:`day_number`."""
    return _EPOCH + timedelta(days=day)


@dataclass(frozen=True)
class Filters:
    """What a question may be limited to. Dates are inclusive."""

    since: date | None = None
    until: date | None = None
    sources: tuple[str, ...] = ()
    article_ids: tuple[str, ...] = ()

    def chroma_where(self) -> dict[str, Any] | None:
        """The same filter as a Chroma ``where`` clause."""
        clauses: list[dict[str, Any]] = []
        if self.since:
            clauses.append({"published_day": {"$gte": day_number(self.since)}})
        if self.until:
            clauses.append({"published_day": {"$lte": day_number(self.until)}})
            clauses.append({"published_day": {"$gte": 0}})  # undated articles fail a date bound
        if self.sources:
            clauses.append({"source": {"$in": list(self.sources)}})
        if self.article_ids:
            clauses.append({"article_id": {"$in": list(self.article_ids)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def restricts(self) -> bool:
        """Whether anything is filtered out at all."""
        return bool(self.since or self.until or self.sources or self.article_ids)

    def admits(self, info: ArticleInfo | None) -> bool:
        """Whether this article's chunks pass the filter (None, an unknown article, never does);
        the same test as :meth:`chroma_where`, made in memory."""
        if info is None:
            return False
        if self.since or self.until:
            if info.published is None:
                return False
            if (self.since and info.published < self.since) or (self.until and info.published > self.until):
                return False
        if self.sources and info.source not in self.sources:
            return False
        return not self.article_ids or info.id in self.article_ids


@dataclass(frozen=True)
class StoreStats:
    """What is in the collection."""

    articles: int
    chunks: int
    sources: dict[str, int]
    first_published: date | None
    last_published: date | None
