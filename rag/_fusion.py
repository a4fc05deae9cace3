"""Rank fusion and scoring helpers for retrieval (pure functions, no I/O)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from rag.records import ArticleInfo, Passage, chunk_id

Ranking = tuple[Sequence[str], float]  # ids best first, and the ranking's weight in the fusion


@dataclass(frozen=True)
class ArticleHit:
    """One retrieved article: its fused score and its best passages (best first)."""

    article_id: str
    score: float
    passages: tuple[Passage, ...]


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


def fuse_articles(
    chunk_rankings: tuple[Ranking, Ranking],
    articles: Ranking,
    passages: Mapping[str, Passage],
    infos: Mapping[str, ArticleInfo],
    rrf_k: int,
) -> list[ArticleHit]:
    """Article scores from chunk ranks, best article first.

    ``chunk_rankings`` are the dense and the keyword ranking of chunk ids (each id in
    ``passages``); ``articles`` ranks article ids (each article's lede in ``passages``). In each
    ranking of chunks, an article scores its best chunk's ``w / (rrf_k + rank)`` plus half its
    second-best chunk's (a one-chunk article counts its chunk twice: all of it matched). An
    article *about* the topic beats one that mentions it once (a news digest), and a long article
    gains nothing from its length. The ranking of whole articles adds ``w / (rrf_k + rank)``: it
    sees words spread over the article that no one chunk holds together.
    """
    chunk_scores = rrf(chunk_rankings, rrf_k)
    article_scores: dict[str, float] = {}
    for ids, weight in chunk_rankings:
        per_article: dict[str, list[float]] = {}
        for rank, cid in enumerate(ids, start=1):
            per_article.setdefault(passages[cid].article_id, []).append(weight / (rrf_k + rank))
        for aid, contributions in per_article.items():
            info = infos.get(aid)
            second = contributions[1] if len(contributions) > 1 else 0.0
            if info is not None and info.n_chunks == 1:
                second = contributions[0]
            article_scores[aid] = article_scores.get(aid, 0.0) + contributions[0] + 0.5 * second
    article_ids, article_weight = articles
    for rank, aid in enumerate(article_ids, start=1):
        article_scores[aid] = article_scores.get(aid, 0.0) + article_weight / (rrf_k + rank)
    (dense_ids, _), (keyword_ids, _) = chunk_rankings
    dense_rank = {c: i for i, c in enumerate(dense_ids, start=1)}
    keyword_rank = {c: i for i, c in enumerate(keyword_ids, start=1)}
    by_article: dict[str, list[Passage]] = {}
    for cid in sorted(chunk_scores, key=lambda c: -chunk_scores[c]):
        p = passages[cid]
        by_article.setdefault(p.article_id, []).append(
            replace(
                p,
                score=chunk_scores[cid],
                dense_rank=dense_rank.get(cid),
                keyword_rank=keyword_rank.get(cid),
            )
        )
    for aid in article_ids:
        if aid not in by_article:
            by_article[aid] = [replace(passages[chunk_id(aid, 0)], score=0.0)]
    hits = [ArticleHit(aid, article_scores[aid], tuple(ps)) for aid, ps in by_article.items()]
    hits.sort(key=lambda h: -h.score)
    return hits
