"""Stories: the articles of one news story found in the store, and their timeline of events.

A story is named the way a reader names it ("Hurricane Ian"). :class:`StoryFinder` searches the
whole collection for it (hybrid dense + BM25, fused per article, without recency weighting) with a
large candidate pool, and keeps the articles that are *about* it:

- relevance relative to the best hit (a fused score of at least ``min_relative`` of the best), and
- the story's own words in the article's title or opening: an article that names "Ian" only in
  its tenth paragraph is about something else. The share of the name's content words found there
  must reach ``min_cover``; a hit with a high relative score but a weak title overlap is kept when
  its opening is close to the story's centroid (the mean vector of the confident hits).

:func:`group_events` then groups the kept articles into events, in date order: an article joins the
open event (one whose first article is at most ``span_days`` older) whose mean vector is closest to
its own, when that cosine reaches ``min_similarity``; otherwise it opens a new event. An event's
summary is extractive: the sentence of its articles' openings that shares the most words with the
other articles of the event (its most central sentence), preferring sentences that name the story
(a daily digest reaches it after other news), cited by the numbers of its articles.

Everything comes from what the store already holds: chunk vectors, dates, titles and texts; no
model is run beyond embedding the story's name once.

Example:
    >>> timeline = build_timeline(store, "Hurricane Ian")  # doctest: +SKIP
    >>> [(e.date.isoformat(), e.summary) for e in timeline.events][:2]  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from rag._query import content_words
from rag.question import Query
from rag.records import Passage, chunk_id, iso_date
from rag.retrieval import ArticleHit, HybridRetriever
from rag.store import NewsStore
from rag.text import sentence_spans, stem

__all__ = [
    "Event",
    "StoryArticle",
    "StoryFinder",
    "Timeline",
    "build_timeline",
    "group_events",
    "name_stems",
    "summarize",
]

_OPENING_SENTENCES = 3  # sentences of an article's first chunk that can summarise it
_MIN_WORDS, _MAX_WORDS = 6, 60  # a summary sentence's length in words
_BOILERPLATE = (
    "sign up for",
    "newsletter",
    "click here",
    "subscribe",
    "this story has been updated",
    "latest coverage",
    "updates here",
    "whatsapp",
)


@dataclass(frozen=True)
class StoryArticle:
    """One article of a story: its metadata, how strongly it matched, and its opening."""

    article_id: str
    title: str
    published: date | None
    source: str
    url: str
    relevance: float  # fused score relative to the best hit (1.0 = the best)
    cover: float  # share of the story name's content words in the title and opening
    opening: str  # the article's first chunk

    def passage(self) -> Passage:
        """The article's opening as a :class:`~rag.records.Passage` (its first chunk)."""
        return Passage(
            chunk_id=chunk_id(self.article_id, 0),
            article_id=self.article_id,
            text=self.opening,
            start=0,
            end=len(self.opening),
            position=0,
            title=self.title,
            published=self.published,
            source=self.source,
            url=self.url,
            score=self.relevance,
        )

    def to_dict(self, n: int | None = None) -> dict[str, Any]:
        """The article as JSON (``n``: its citation number in the timeline)."""
        out: dict[str, Any] = {} if n is None else {"n": n}
        return out | {
            "article_id": self.article_id,
            "title": self.title,
            "published": iso_date(self.published),
            "source": self.source,
            "url": self.url,
            "relevance": round(self.relevance, 3),
        }


@dataclass(frozen=True)
class Event:
    """Articles of one story published within a day or two about the same development."""

    date: dt.date | None  # the first article's date
    end: dt.date | None  # the last article's date
    summary: str  # an extractive one-line summary (a sentence of one of its articles)
    summary_article: str  # the article the summary sentence comes from
    articles: tuple[StoryArticle, ...]  # in date order

    @property
    def article_ids(self) -> list[str]:
        """The ids of its articles, in date order."""
        return [a.article_id for a in self.articles]

    @property
    def sources(self) -> list[str]:
        """The outlets that reported it."""
        return sorted({a.source for a in self.articles if a.source})


@dataclass
class Timeline:
    """A story's events in date order and the articles they cite (numbered from 1, by date)."""

    query: str
    events: list[Event]
    articles: list[StoryArticle]
    since: date | None = None
    until: date | None = None
    sources: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)

    def number(self, article_id: str) -> int:
        """An article's citation number (1-based, by date)."""
        return 1 + [a.article_id for a in self.articles].index(article_id)

    def to_dict(self) -> dict[str, Any]:
        """``{"query", "events": [{"date", "summary", "article_ids", "citations"}], "articles"}``;
        each citation is the numbered article (``n``, id, title, source, date, url)."""
        numbers = {a.article_id: i for i, a in enumerate(self.articles, start=1)}
        return {
            "query": self.query,
            "since": iso_date(self.since),
            "until": iso_date(self.until),
            "sources": list(self.sources),
            "events": [
                {
                    "date": iso_date(e.date),
                    "end": iso_date(e.end),
                    "summary": e.summary,
                    "summary_article": e.summary_article,
                    "sources": e.sources,
                    "article_ids": e.article_ids,
                    "citations": [a.to_dict(numbers[a.article_id]) for a in e.articles],
                }
                for e in self.events
            ],
            "articles": [a.to_dict(numbers[a.article_id]) for a in self.articles],
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


def name_stems(text: str) -> set[str]:
    """The stems of a text's content words (how a story's name is matched)."""
    return {stem(w) for w in content_words(text)}


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


class StoryFinder:
    """Finds the articles of one story in a store (see the module docstring for the rules).

    Args:
        store: the store to search.
        fetch_k: chunks fetched from each of the dense and keyword rankings (a story may have
            dozens of articles of several chunks each).
        min_relative: the least fused score, relative to the best hit, of a kept article.
        min_cover: the least share of the story name's content words in the title and opening
            (2/3: two of a three-word name, three of four, both of two).
        min_centroid: a hit below ``min_cover`` is still kept when its opening's cosine to the
            centroid of the confident hits reaches this.
    """

    def __init__(
        self,
        store: NewsStore,
        *,
        fetch_k: int = 400,
        min_relative: float = 0.2,
        min_cover: float = 2 / 3,
        min_centroid: float = 0.7,
    ) -> None:
        self.store = store
        self.min_relative = min_relative
        self.min_cover = min_cover - 1e-9  # a share of 2 in 3 words is not rounded away
        self.min_centroid = min_centroid
        self.retriever = HybridRetriever(
            store, k=1, fetch_k=fetch_k, recency_window_days=None, max_per_article=1, with_lede=False
        )

    def candidates(self, query: Query) -> list[ArticleHit]:
        """Every article the hybrid search ranks for the story's name, best first."""
        return self.retriever.search(query, k=1).articles

    def find(self, query: Query) -> tuple[list[StoryArticle], dict[str, np.ndarray]]:
        """The story's articles in date order, and the vector of each one's opening."""
        hits = self.candidates(query)
        if not hits:
            return [], {}
        best = hits[0].score
        hits = [h for h in hits if h.score >= self.min_relative * best]
        openings = self.store.passages([chunk_id(h.article_id, 0) for h in hits])
        vectors = self.store.vectors(list(openings))
        infos = self.store.articles()
        name = name_stems(query.question)
        found: list[StoryArticle] = []
        for h in hits:
            info = infos.get(h.article_id)
            lede = openings.get(chunk_id(h.article_id, 0))
            if info is None or lede is None:
                continue
            words = name_stems(f"{info.title} {lede.text}")
            cover = len(name & words) / len(name) if name else 1.0
            found.append(
                StoryArticle(
                    article_id=h.article_id,
                    title=info.title,
                    published=info.published,
                    source=info.source,
                    url=info.url,
                    relevance=h.score / best,
                    cover=cover,
                    opening=lede.text,
                )
            )
        by_id = {a.article_id: vectors[chunk_id(a.article_id, 0)] for a in found}
        kept = self._kept(found, by_id)
        kept.sort(key=lambda a: (a.published or date.min, -a.relevance))
        return kept, {a.article_id: by_id[a.article_id] for a in kept}

    def _kept(self, found: list[StoryArticle], vectors: dict[str, np.ndarray]) -> list[StoryArticle]:
        """Articles that name the story up front, and those close to the centroid of these."""
        sure = [a for a in found if a.cover >= self.min_cover]
        if not sure:
            return []
        centroid = _unit(np.mean([vectors[a.article_id] for a in sure], axis=0))
        return [
            a
            for a in found
            if a.cover >= self.min_cover or float(vectors[a.article_id] @ centroid) >= self.min_centroid
        ]


def _candidate_sentences(article: StoryArticle, name: set[str] | frozenset[str]) -> list[str]:
    """The sentences of an article's opening that can stand as a summary: its first few, and any
    later one that names the story (a digest reaches it after other news)."""
    out = []
    for i, (a, b) in enumerate(sentence_spans(article.opening)):
        text = article.opening[a:b].strip()
        n = len(text.split())
        low = text.lower()
        if not _MIN_WORDS <= n <= _MAX_WORDS or any(bp in low for bp in _BOILERPLATE):
            continue
        if i < _OPENING_SENTENCES or name_stems(text) & name:
            out.append(text)
    return out


def summarize(
    articles: Sequence[StoryArticle], name: set[str] | frozenset[str] = frozenset()
) -> tuple[str, str]:
    """The event's most central opening sentence and the id of its article: the sentence whose
    content words overlap most with the titles and openings of the event's articles (its own
    article counted once, like the others). Sentences that name the story (share a word with
    ``name``, its stems) are preferred: a digest's opening is about something else; when none
    does, a title that names it; the best sentence when no title does either."""
    bags = [name_stems(f"{a.title} {a.opening}") for a in articles]
    best: tuple[tuple[bool, float], str, str] = ((False, -1.0), "", "")
    for a in articles:
        for sentence in _candidate_sentences(a, name):
            words = name_stems(sentence)
            if not words:
                continue
            score = (bool(words & name), sum(len(words & bag) / len(words) for bag in bags) / len(bags))
            if score > best[0]:
                best = (score, sentence, a.article_id)
    titled = [a for a in articles if name_stems(a.title) & name]
    if best[1] and (best[0][0] or not titled):
        return best[1], best[2]
    head = max(titled or articles, key=lambda a: a.relevance)
    return head.title, head.article_id


def group_events(
    articles: Sequence[StoryArticle],
    vectors: dict[str, np.ndarray],
    *,
    name: set[str] | frozenset[str] = frozenset(),
    min_similarity: float = 0.75,
    span_days: int = 1,
) -> list[Event]:
    """The articles (in date order) grouped into events: an event spans at most ``span_days``
    after its first article, and an article joins the open event whose mean vector is closest,
    when that is at least ``min_similarity``; ``name``: the story's stems, for the summaries."""
    groups: list[list[StoryArticle]] = []
    sums: list[np.ndarray] = []
    for a in articles:
        v = vectors[a.article_id]
        best, best_sim = -1, min_similarity
        for i, g in enumerate(groups):
            first = g[0].published
            if a.published and first and a.published - first > timedelta(days=span_days):
                continue
            sim = float(_unit(sums[i]) @ v)
            if sim >= best_sim:
                best, best_sim = i, sim
        if best < 0:
            groups.append([a])
            sums.append(v.copy())
        else:
            groups[best].append(a)
            sums[best] = sums[best] + v
    events = []
    for g in groups:
        summary, source_id = summarize(g, name)
        events.append(Event(g[0].published, g[-1].published, summary, source_id, tuple(g)))
    events.sort(key=lambda e: (e.date or date.min, e.end or date.min))
    return events


def build_timeline(
    store: NewsStore,
    query: str,
    *,
    since: date | None = None,
    until: date | None = None,
    sources: Sequence[str] = (),
    finder: StoryFinder | None = None,
) -> Timeline:
    """The timeline of the story ``query`` names, within the dates and sources given."""
    t0 = time.perf_counter()
    finder = finder or StoryFinder(store)
    asked = Query(query, since=since, until=until, sources=tuple(sources))
    articles, vectors = finder.find(asked)
    t1 = time.perf_counter()
    events = group_events(articles, vectors, name=name_stems(query))
    ordered = [a for e in events for a in e.articles]
    ordered.sort(key=lambda a: (a.published or date.min, a.article_id))
    return Timeline(
        query=query,
        events=events,
        articles=ordered,
        since=since,
        until=until,
        sources=tuple(sources),
        timings={"find": t1 - t0, "group": time.perf_counter() - t1, "total": time.perf_counter() - t0},
    )
