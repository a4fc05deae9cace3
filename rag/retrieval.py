"""Hybrid, time-aware retrieval over a :class:`~rag.store.NewsStore`.

Two rankings of chunks, dense (MiniLM cosine in Chroma) and keyword (BM25 over text and title in
the store's FTS5 index), are fused by reciprocal rank at the level of *articles*: in each ranking an
article scores its best chunk plus half its second best, so an article about the topic beats one
that mentions it once, and a long article cannot win by length. Time enters three ways:

- ``as_of`` is a hard upper bound: nothing published after the question was asked.
- A range the question names ("in June 2022", "between August and October", and relative to the
  anchor "this week", "last month") filters, as do the sources it names ("according to CNN"); when
  that holds no match, the search runs again without it (``widened``). See :mod:`rag.question`.
- Recency: articles older than ``recency_window_days`` before the anchor date (``as_of``, else
  today when the collection reaches today; an archive has none) lose weight with a half-life of
  ``recency_half_life_days``; and with an upper date bound, candidates are also fetched from
  within that window, so recent articles compete even when older coverage is plentiful.

An optional cross-encoder (a local sentence-transformers ``CrossEncoder`` path) re-scores the best
articles' passages. Passages are then returned article by article, at most ``max_per_article``
each, in reading order, with the article's lede (first chunk) among them.

The fusion itself is :func:`rag._fusion.fuse_articles`; :class:`~rag.news_retriever.NewsRetriever`
wraps this retriever for LangChain.

Example:
    >>> retriever = HybridRetriever(store, k=5)  # doctest: +SKIP
    >>> asked = Query("What did Stoltenberg say?", as_of=date(2023, 11, 22))
    >>> hits = retriever.search(asked)  # doctest: +SKIP
    >>> hits.passages[0].title  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from rag._dates import TimeScope
from rag._fusion import ArticleHit, fuse_articles, recency_weight
from rag.errors import EmptyStoreError, ModelError
from rag.news_retriever import NewsRetriever, passage_document
from rag.question import Query, Reading, read
from rag.records import Passage, SearchScope, article_of, chunk_id
from rag.store import Filters, NewsStore

if TYPE_CHECKING:
    from sentence_transformers import CrossEncoder

    from rag.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["ArticleHit", "HybridRetriever", "NewsRetriever", "Retrieval", "passage_document"]


@dataclass(frozen=True)
class Retrieval:
    """What a search found and how it read the question."""

    question: str
    passages: list[Passage]
    articles: list[ArticleHit]
    filters: Filters
    scope: TimeScope
    anchor: date | None  # the date recency was measured from (None: no recency weighting)
    terms: tuple[str, ...]  # the question's content words sent to BM25
    similarity: dict[str, float] = field(default_factory=dict)  # chunk id -> dense cosine
    widened: bool = False  # the dates/sources the question names matched nothing and were dropped
    reading: Reading | None = None  # how the question was read (terms, named scope, vector)

    def search_scope(self) -> SearchScope:
        """The dates and sources this search applied, and the question's words they came from."""
        phrases = self.reading.phrases if self.reading else ()
        return SearchScope(
            since=self.filters.since,
            until=self.filters.until,
            sources=self.filters.sources,
            phrases=phrases,
            widened=self.widened,
        )


def _intersect(filters: Filters, since: date | None, until: date | None) -> Filters:
    lo = max((d for d in (filters.since, since) if d), default=None)
    hi = min((d for d in (filters.until, until) if d), default=None)
    return replace(filters, since=lo, until=hi)


@lru_cache(maxsize=2)
def _cross_encoder(path: str) -> CrossEncoder:
    if not Path(path).exists():
        raise ModelError(
            f"the reranker model {path} does not exist: set retrieval.reranker_path to a local folder"
        )
    try:
        from sentence_transformers import CrossEncoder
    except ImportError as exc:  # pragma: no cover - a hard dependency
        raise ModelError(
            "the reranker needs sentence-transformers: pip install sentence-transformers"
        ) from exc
    try:
        return CrossEncoder(path, device="cpu")
    except Exception as exc:
        raise ModelError(f"could not load the reranker from {path}: {exc}") from exc


_rerank_lock = threading.Lock()


class HybridRetriever:
    """Dense + BM25 retrieval fused by rank, per article, with date filters and recency.

    Args:
        store: the store to search.
        k: passages returned by default.
        fetch_k: chunks fetched from each of the dense and keyword searches before fusion.
        hybrid: False searches with dense vectors only.
        rrf_k: the reciprocal-rank constant (60 is the usual choice).
        dense_weight, keyword_weight: weights of the two rankings of chunks in the fusion.
        article_weight: weight of a third ranking, of whole articles by BM25 (0: none).
        max_per_article: most passages one article may contribute.
        recency_window_days: articles this many days older than the anchor keep full weight;
            None disables recency weighting.
        recency_half_life_days: beyond the window, an article's score halves every so many days.
        reranker_path: a local sentence-transformers CrossEncoder folder; None (default) skips it.
        rerank_top: how many of the best articles the reranker re-scores.
        with_lede: when an article gives two or more passages, one is its first (the lede).
        pool_factor: with a filter, each ranking fetches ``pool_factor * fetch_k`` chunks unfiltered
            and filters them in memory (see :meth:`_candidates`).
        min_pool_hits: when fewer of the pool's chunks pass the filter, that ranking searches with
            the filter instead.

    Raises:
        EmptyStoreError: from :meth:`search`, when the collection holds no articles.

    Example:
        >>> r = HybridRetriever(store, k=4, max_per_article=1)  # doctest: +SKIP
        >>> [p.title for p in r.search("tram line opening").passages]  # doctest: +SKIP
    """

    def __init__(
        self,
        store: NewsStore,
        *,
        k: int = 5,
        fetch_k: int = 40,
        hybrid: bool = True,
        rrf_k: int = 60,
        dense_weight: float = 1.0,
        keyword_weight: float = 1.0,
        article_weight: float = 0.5,
        max_per_article: int = 2,
        recency_window_days: int | None = 7,
        recency_half_life_days: float = 30.0,
        reranker_path: Path | str | None = None,
        rerank_top: int = 20,
        with_lede: bool = True,
        pool_factor: int = 10,
        min_pool_hits: int = 10,
    ) -> None:
        self.store = store
        self.k = k
        self.fetch_k = fetch_k
        self.hybrid = hybrid
        self.rrf_k = rrf_k
        self.dense_weight = dense_weight
        self.keyword_weight = keyword_weight
        self.article_weight = article_weight
        self.max_per_article = max_per_article
        self.recency_window_days = recency_window_days
        self.recency_half_life_days = recency_half_life_days
        self.reranker_path = str(reranker_path) if reranker_path else None
        self.rerank_top = rerank_top
        self.with_lede = with_lede
        self.pool_factor = pool_factor
        self.min_pool_hits = min_pool_hits
        self._collection_of: object = None
        self._collection_facts: tuple[date | None, tuple[str, ...]] = (None, ())

    @classmethod
    def from_settings(cls, store: NewsStore, settings: Settings) -> HybridRetriever:
        """The retriever ``settings.retrieval`` describes (what :class:`~rag.NewsRAG` searches with).

        Example:
            >>> dense_only = Settings().with_overrides({"retrieval.hybrid": False})
            >>> HybridRetriever.from_settings(store, dense_only)  # doctest: +SKIP
        """
        r = settings.retrieval
        return cls(
            store,
            k=r.k,
            fetch_k=r.fetch_k,
            hybrid=r.hybrid,
            rrf_k=r.rrf_k,
            dense_weight=r.dense_weight,
            keyword_weight=r.keyword_weight,
            article_weight=r.article_weight,
            max_per_article=r.max_per_article,
            recency_window_days=r.recency_window_days,
            recency_half_life_days=r.recency_half_life_days,
            reranker_path=r.reranker_path,
        )

    # ---- the search ----------------------------------------------------------------------------

    def search(
        self, query: Query | str, *, k: int | None = None, max_per_article: int | None = None
    ) -> Retrieval:
        """Rank passages for ``query`` (a :class:`~rag.question.Query`, or a bare question).

        The question is read once (:func:`~rag.question.read`): the dates and sources it names
        narrow the query's own filters; when nothing matches them, the search runs again with the
        query's filters alone (``widened``).

        Args:
            query: the (standalone) question and its filters.
            k: passages to return (default: the retriever's ``k``).
            max_per_article: overrides the retriever's cap for this search.

        Returns:
            A :class:`Retrieval` with passages grouped by article, best article first.

        Raises:
            EmptyStoreError: the collection holds no articles.
            StoreError: Chroma or the keyword index failed.
        """
        query = Query(query) if isinstance(query, str) else query
        infos = self.store.articles()
        if not infos:
            raise EmptyStoreError(self.store.collection_name)
        reading = self.read(query)
        base = self._base_filters(query)
        filters, widened = base, False
        if reading.scope.since or reading.scope.until or reading.sources:
            filters = _intersect(base, reading.scope.since, reading.scope.until)
            # Sources named in the question narrow the query's own; outside them, the query's win.
            within = tuple(s for s in reading.sources if not base.sources or s in base.sources)
            if within:
                filters = replace(filters, sources=within)
        dense, keyword, whole = self._candidates(reading.vector, reading.terms, filters)
        if not dense and not keyword and filters != base:
            log.info("nothing matches %s; searching without it", ", ".join(reading.phrases))
            filters, widened = base, True
            dense, keyword, whole = self._candidates(reading.vector, reading.terms, filters)
        ledes = [chunk_id(aid, 0) for aid, _ in whole]  # an article found only whole shows its lede
        passages = self.store.passages(list(dict.fromkeys([cid for cid, _ in dense + keyword] + ledes)))
        articles = self._fuse(
            [cid for cid, _ in dense if cid in passages],
            [cid for cid, _ in keyword if cid in passages],
            [aid for aid, _ in whole if chunk_id(aid, 0) in passages],
            passages,
        )
        articles = self._by_recency(articles, reading.anchor)
        if self.reranker_path and articles:
            articles = self._rerank(reading.text, articles)
        out: list[Passage] = []
        for hit in articles:
            out.extend(self._article_passages(hit, max_per_article or self.max_per_article))
            if len(out) >= (k or self.k):
                break
        return Retrieval(
            question=reading.text,
            passages=out[: k or self.k],
            articles=articles,
            filters=filters,
            scope=reading.scope,
            anchor=reading.anchor if self.recency_window_days is not None else None,
            terms=reading.terms,
            similarity={cid: s for cid, s in dense if cid in passages},
            widened=widened,
            reading=reading,
        )

    def read(self, query: Query) -> Reading:
        """What :meth:`search` reads from ``query``: terms, named dates and sources, the vector."""
        end, sources = self._collection()
        reading = read(query, sources=sources, collection_end=end, event_day=self._event_day)
        return replace(reading, vector=self.store.embeddings.embed_query(reading.text))

    def _event_day(self, words: tuple[str, ...], before: date) -> date | None:
        """When the event ``words`` name happened: the day in the year up to ``before`` on which
        most articles with those words in their title were published (the later of equal days),
        the peak of its coverage. None when no title names it."""
        days = self.store.title_days(words, before - timedelta(days=365), before)
        return max(days, key=lambda d: (days[d], d)) if days else None

    def _collection(self) -> tuple[date | None, tuple[str, ...]]:
        """The newest article's date and the sources the collection holds (cached per snapshot
        of the store's article table)."""
        infos = self.store.articles()
        if self._collection_of is not infos:
            dates = [i.published for i in infos.values() if i.published]
            self._collection_facts = (
                max(dates) if dates else None,
                tuple(sorted({i.source for i in infos.values() if i.source})),
            )
            self._collection_of = infos
        return self._collection_facts

    def _base_filters(self, query: Query) -> Filters:
        """The query's own filters: its dates (``as_of`` an upper bound), sources and articles."""
        until = query.until
        if query.as_of:
            until = min(until, query.as_of) if until else query.as_of
        ids = tuple(query.article_ids)
        if query.excluded_ids:
            excluded = set(query.excluded_ids)
            ids = tuple(a for a in (ids or self.store.articles()) if a not in excluded)
        return Filters(since=query.since, until=until, sources=tuple(query.sources), article_ids=ids)

    def _by_recency(self, articles: list[ArticleHit], anchor: date | None) -> list[ArticleHit]:
        """Articles re-weighted by their age at ``anchor`` (unchanged without one)."""
        if anchor is None or self.recency_window_days is None:
            return articles
        weighted = [
            replace(
                hit,
                score=hit.score
                * recency_weight(
                    hit.passages[0].published,
                    anchor,
                    self.recency_window_days,
                    self.recency_half_life_days,
                ),
            )
            for hit in articles
        ]
        weighted.sort(key=lambda h: -h.score)
        return weighted

    def _article_passages(self, hit: ArticleHit, cap: int) -> list[Passage]:
        """An article's best passages, its lede among them when ``with_lede``, in reading order.

        News states the main fact in its first sentences, and a question often matches a later
        passage that restates the topic rather than the one that answers it.
        """
        chosen = list(hit.passages[:cap])
        if self.with_lede and cap >= 2 and all(p.position != 0 for p in chosen):
            lede = next((p for p in hit.passages if p.position == 0), None)
            if lede is None:
                first = self.store.passages([chunk_id(hit.article_id, 0)])
                lede = next((replace(p, score=0.0) for p in first.values()), None)
            if lede is not None:
                chosen = [lede, *chosen[: cap - 1]]
        return sorted(chosen, key=lambda p: p.position)

    def _candidates(
        self, vector: list[float], terms: Sequence[str], filters: Filters
    ) -> tuple[list[tuple[str, float]], list[tuple[str, float]], list[tuple[str, float]]]:
        """Chunk ids and scores, best first, by each ranking of chunks, and article ids and scores
        by BM25 over whole articles (empty when ``article_weight`` is 0): the best ``fetch_k`` within
        ``filters``; with an upper date bound, also the best ``fetch_k`` within the recency window
        before it, so a recent article is a candidate even when older coverage of the same topic
        fills the overall top ``fetch_k``.

        Filtering is done in memory on an unfiltered pool of ``pool_factor * fetch_k`` chunks per
        ranking: a Chroma query with a ``where`` clause costs 20 ms at 11,600 chunks and 90 ms at
        49,200, the pool 3 ms at either. The best ``fetch_k`` of the pool within ``filters`` are the
        best within ``filters`` overall (a chunk outside the pool ranks below all of it); when the
        pool holds fewer than ``min_pool_hits`` of them (a narrow filter: one week, one source), the
        filtered search runs after all. Short of ``fetch_k`` but not of ``min_pool_hits``, the
        ranking keeps what the pool holds, as does the recency window: a chunk that is not among the
        nearest few hundred adds little to the fusion (dev questions: hit@1/4 and MRR@10 the same
        with ``min_pool_hits`` 1, 10 or 40)."""
        scopes = [filters]
        if filters.until and self.recency_window_days is not None:
            band_start = filters.until - timedelta(days=self.recency_window_days)
            if filters.since is None or filters.since < band_start:
                scopes.append(replace(filters, since=band_start))
        pool = self.fetch_k * self.pool_factor if filters.restricts() else self.fetch_k
        dense = self._within(
            self.store.nearest(vector, pool),
            pool,
            scopes,
            lambda: [(p.chunk_id, s) for p, s in self.store.dense_search(vector, self.fetch_k, filters)],
        )
        keyword: list[tuple[str, float]] = []
        whole: list[tuple[str, float]] = []
        if self.hybrid and terms:
            keyword = self._within(
                self.store.keyword_search(terms, pool),
                pool,
                scopes,
                lambda: self.store.keyword_search(terms, self.fetch_k, filters),
            )
        if self.hybrid and terms and self.article_weight:
            whole = self._within(
                self.store.keyword_articles(terms, pool),
                pool,
                scopes,
                lambda: self.store.keyword_articles(terms, self.fetch_k, filters),
                article=str,
            )
        return dense, keyword, whole

    def _within(
        self,
        ranked: list[tuple[str, float]],
        pool: int,
        scopes: Sequence[Filters],
        exact: Callable[[], list[tuple[str, float]]],
        article: Callable[[str], str] = article_of,
    ) -> list[tuple[str, float]]:
        """The best ``fetch_k`` of ``ranked`` (an unfiltered pool, best first) within each scope,
        merged by score (cosine, or BM25 with corpus-wide statistics: comparable across scopes).
        ``exact`` is the filtered search for the first scope, run when the pool falls short of
        ``min_pool_hits``; ``article`` reads the article id from a ranked id."""
        infos = self.store.articles()

        def admitted(scope: Filters) -> list[tuple[str, float]]:
            return [r for r in ranked if scope.admits(infos.get(article(r[0])))][: self.fetch_k]

        out = admitted(scopes[0])
        if len(out) < self.min_pool_hits and len(ranked) >= pool:
            out = exact()
        seen = {cid for cid, _ in out}
        for scope in scopes[1:]:
            out += [r for r in admitted(scope) if r[0] not in seen]
        out.sort(key=lambda r: -r[1])
        return out

    def _fuse(
        self,
        dense_ids: list[str],
        keyword_ids: list[str],
        article_ids: list[str],
        passages: dict[str, Passage],
    ) -> list[ArticleHit]:
        """Articles ranked by :func:`~rag._fusion.fuse_articles` with this retriever's weights."""
        return fuse_articles(
            ((dense_ids, self.dense_weight), (keyword_ids, self.keyword_weight)),
            (article_ids, self.article_weight),
            passages,
            self.store.articles(),
            self.rrf_k,
        )

    def _rerank(self, question: str, articles: list[ArticleHit]) -> list[ArticleHit]:
        """Re-score the best articles by a cross-encoder over their best passage."""
        assert self.reranker_path is not None
        model = _cross_encoder(self.reranker_path)
        head, tail = articles[: self.rerank_top], articles[self.rerank_top :]
        with _rerank_lock:
            scores = model.predict([(question, h.passages[0].text) for h in head], show_progress_bar=False)
        ranked = sorted(zip(head, scores, strict=True), key=lambda hs: -float(hs[1]))
        top = max(h.score for h in head)
        # Keep the reranked head above the tail, whatever the scale of the cross-encoder's scores.
        reranked = [replace(h, score=top + 1.0 + len(ranked) - i) for i, (h, _) in enumerate(ranked)]
        return reranked + tail
