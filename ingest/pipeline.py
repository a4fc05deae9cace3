"""load -> clean -> chunk -> embed -> upsert, idempotent and crash-safe.

- The store's half-written articles of an interrupted run are removed first (``store.repair()``).
- An article whose content hash is already stored is skipped before any chunking or embedding.
- An article with the same normalised text as one already stored (or seen earlier in the run) is a
  duplicate: it is recorded as that article's alias, with its source, and not stored again.
- Chunks are embedded in batches of about ``batch_chunks`` and written whole articles at a time; the
  store marks each article complete only after all its chunks are in.
- ``prune`` removes stored articles that came from a file or folder given this run but were not seen.

Example:
    >>> report = ingest(["samples/"], store)  # doctest: +SKIP
    >>> report.added, report.chunks_added  # doctest: +SKIP
    (3, 12)
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.chunking import chunk_article
from ingest.cleaning import clean_text
from ingest.documents import RawArticle
from ingest.loaders import LoadOptions, is_url, iter_input
from ingest.report import Failure, IngestReport, Progress
from ingest.web import FetchOptions
from rag import Article, Chunk

if TYPE_CHECKING:
    from rag import NewsStore, Settings

__all__ = ["IngestOptions", "ingest", "ingest_items", "ingest_paths", "make_article"]

log = logging.getLogger(__name__)

ProgressCallback = Callable[[Progress], None]
_MAX_TITLE_CHARS = 300


@dataclass(frozen=True)
class IngestOptions:
    """Everything an ingest run can be told (plain values; see :meth:`from_settings`).

    Args:
        max_tokens: most word pieces of text per chunk (the header comes on top, within 256).
        overlap_tokens: word pieces of whole sentences repeated from the previous chunk.
        header: embed chunks with a "title | date | source" line in front.
        batch_chunks: chunks embedded and written per batch.
        prune: remove stored articles from the given files/folders that were not seen this run.
        fields: record field names by our name, e.g. ``{"text": "body"}``.
        max_file_mb: larger files (and web responses) are skipped.
        max_article_chars: an article with more text than this is skipped with a reason (chunking
            and embedding a 10 MB "article" would take many minutes and flood the index).
        fetch: web limits (timeouts, redirects, private addresses, feed items).
    """

    max_tokens: int = 200
    overlap_tokens: int = 40
    header: bool = True
    batch_chunks: int = 256
    prune: bool = False
    fields: Mapping[str, str] = field(default_factory=dict)
    max_file_mb: float = 50.0
    max_article_chars: int = 300_000
    fetch: FetchOptions = field(default_factory=FetchOptions)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> IngestOptions:
        """Options from the app's :class:`rag.settings.Settings`, with keyword overrides."""
        s = settings.ingest
        values: dict[str, Any] = {
            "max_tokens": settings.chunk.max_tokens,
            "overlap_tokens": settings.chunk.overlap_tokens,
            "header": settings.chunk.header,
            "batch_chunks": s.batch_chunks,
            "max_file_mb": s.max_file_mb,
            "max_article_chars": s.max_article_chars,
            "fetch": FetchOptions(
                timeout_seconds=s.fetch_timeout_seconds,
                max_redirects=s.max_redirects,
                max_bytes=int(s.max_file_mb * 1024 * 1024),
                allow_private=s.allow_private_urls,
                max_feed_items=s.max_feed_items,
            ),
        }
        values.update(overrides)
        return cls(**values)


def make_article(raw: RawArticle) -> Article:
    """Clean a loaded article; the dateline fills the date, source and place the input did not give.

    When cleaning leaves nothing (the input held only boilerplate) the title becomes the text, so the
    article keeps its id, date and headline; with no title either, ``text == ""``.
    """
    cleaned = clean_text(raw.text, raw.title)
    dl = cleaned.dateline
    text = cleaned.text
    title = " ".join(raw.title.split())
    if not text and title and raw.text.strip():
        # Only page furniture was scraped (a consent form, an ad): the headline is all there is.
        text = title
    if len(title) > _MAX_TITLE_CHARS:  # a whole one-line file or a junk field: keep a title's worth
        title = title[: _MAX_TITLE_CHARS - 3].rsplit(" ", 1)[0] + "…"
    if not title and text:
        first = text.split("\n", 1)[0]
        title = first if len(first) <= 120 else first[:117].rsplit(" ", 1)[0] + "…"
    return Article(
        id=raw.id,
        title=title,
        text=text,
        published=raw.published or (dl.published if dl else None),
        source=raw.source or (dl.source if dl else ""),
        url=raw.url,
        authors=raw.authors,
        place=dl.place if dl else "",
        origin=raw.origin,
    )


class _Run:
    """The state of one ingest run."""

    def __init__(self, store: NewsStore, options: IngestOptions, progress: ProgressCallback | None) -> None:
        self.store = store
        self.options = options
        self.progress = progress
        self.report = IngestReport()
        self.t0 = time.perf_counter()
        self.report.repaired = len(store.repair())
        self.stored = dict(store.articles(refresh=True))
        self.by_text = {info.text_hash: aid for aid, info in self.stored.items()}
        self.alias_of = {alias: aid for aid, info in self.stored.items() for alias in info.aliases}
        self.seen: dict[str, str] = {}  # article id -> content hash, this run
        self.batch: list[tuple[Article, list[Chunk]]] = []
        self.batch_ids: set[str] = set()
        self.batch_chunks = 0
        self.pending_aliases: list[tuple[str, str, str]] = []
        self.looked_at = 0
        header = "header" if options.header else "bare"
        self.indexing = f"chunks={options.max_tokens}/{options.overlap_tokens}/{header}"

    def tick(self) -> None:
        if self.progress:
            self.progress(Progress(self.looked_at, self.report.chunks_added, time.perf_counter() - self.t0))

    def fail(self, failure: Failure) -> None:
        log.info("skipped %s: %s", failure.input, failure.reason)
        self.report.failed.append(failure)
        self.looked_at += 1
        self.tick()

    def take(self, raw: RawArticle) -> None:
        self.looked_at += 1
        limit = self.options.max_article_chars
        if len(raw.text) > limit:
            self.report.failed.append(
                Failure(
                    raw.origin,
                    f"article text is {len(raw.text):,} characters, over the {limit:,} limit "
                    "(ingest.max_article_chars): skipped",
                )
            )
            return
        article = replace(make_article(raw), indexing=self.indexing)
        if not article.text.strip():
            self.report.failed.append(Failure(raw.origin, "no article text left after cleaning"))
            return
        report = self.report
        if article.id in self.seen:
            if self.seen[article.id] != article.content_hash:
                report.failed.append(
                    Failure(raw.origin, f"id {article.id!r} was already used by another input this run")
                )
            else:
                report.duplicates += 1
            return
        self.seen[article.id] = article.content_hash
        report.article_ids.append(article.id)
        info = self.stored.get(article.id)
        if info is not None and info.content_hash == article.content_hash:
            report.unchanged += 1
            return
        canon = self.by_text.get(article.text_hash)
        if canon is not None and canon != article.id:
            self._duplicate(article, canon, had_own=info is not None)
            return
        chunks = chunk_article(
            article, self.options.max_tokens, self.options.overlap_tokens, header=self.options.header
        )
        if not chunks:
            report.failed.append(Failure(raw.origin, "no text to index after cleaning"))
            return
        if info is not None:
            report.updated += 1
            if self.by_text.get(info.text_hash) == article.id:
                del self.by_text[info.text_hash]
        else:
            report.added += 1
        self.by_text[article.text_hash] = article.id
        self.batch.append((article, chunks))
        self.batch_ids.add(article.id)
        self.batch_chunks += len(chunks)
        if self.batch_chunks >= self.options.batch_chunks:
            self.flush()

    def _duplicate(self, article: Article, canon: str, had_own: bool) -> None:
        """Same story as ``canon``: keep one copy, remember this input and its source."""
        self.report.duplicate_of[article.id] = canon
        if self.alias_of.get(article.id) == canon and not had_own:
            self.report.unchanged += 1  # recorded as this article's alias by an earlier run
            return
        self.report.duplicates += 1
        if had_own:  # it was stored on its own before its text became another's
            self.store.delete_articles([article.id])
            self.stored.pop(article.id, None)
        self.alias_of[article.id] = canon
        if canon in self.batch_ids:  # not in the store yet: record the alias once it is written
            self.pending_aliases.append((canon, article.id, article.source))
        else:
            self.store.add_alias(canon, article.id, article.source)

    def flush(self) -> None:
        if self.batch:
            self.store.write_articles(self.batch)
            for article, chunks in self.batch:
                self.stored[article.id] = _info(article, len(chunks))
                self.report.chunks_added += len(chunks)
            self.batch = []
            self.batch_ids.clear()
            self.batch_chunks = 0
        for canon, alias, source in self.pending_aliases:
            self.store.add_alias(canon, alias, source)
        self.pending_aliases.clear()
        self.tick()

    def prune(self, inputs: Iterable[str]) -> None:
        roots = [str(Path(v).expanduser().resolve()) for v in inputs if not is_url(v) and Path(v).exists()]
        if not roots:
            return
        failed = {f.input for f in self.report.failed}
        keep = set(self.seen) | set(self.report.duplicate_of.values())
        gone: list[str] = []
        for aid, info in self.store.articles(refresh=True).items():
            origin = info.origin
            if aid in keep or not origin or not any(_under(origin, r) for r in roots):
                continue
            if origin in failed or origin.rsplit(":", 1)[0] in failed:
                continue  # unreadable this run is not the same as gone
            gone.append(aid)
        if gone:
            self.report.pruned = self.store.delete_articles(gone)


def _under(origin: str, root: str) -> bool:
    return origin == root or origin.startswith(root + os.sep) or origin.startswith(root + ":")


def _info(article: Article, n_chunks: int) -> Any:
    from rag import ArticleInfo

    return ArticleInfo(
        id=article.id,
        title=article.title,
        published=article.published,
        source=article.source,
        url=article.url,
        authors=article.authors,
        content_hash=article.content_hash,
        text_hash=article.text_hash,
        n_chunks=n_chunks,
        origin=article.origin,
    )


def ingest(
    inputs: Sequence[str | Path],
    store: NewsStore,
    *,
    options: IngestOptions | None = None,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Load, clean, chunk, embed and store every article in ``inputs``.

    Args:
        inputs: files, folders (recursive), ``.json``/``.jsonl``/``.csv`` record files and
            ``http(s)://`` pages or feeds.
        store: where the articles go.
        options: sizes, limits and switches (defaults: :class:`IngestOptions`).
        progress: called with a :class:`Progress` as work proceeds (for a progress bar).

    Returns:
        The counts, failures (each with its input and reason) and time taken. Inputs that fail are
        skipped; the rest are stored. Raises :class:`rag.errors.StoreError` only if the store fails.
    """
    options = options or IngestOptions()
    values = [str(v) for v in inputs]
    load = LoadOptions(max_file_mb=options.max_file_mb, fields=dict(options.fields), fetch=options.fetch)
    items = (item for value in values for item in iter_input(value, load))
    return ingest_items(items, store, options=options, progress=progress, prune_roots=values)


def ingest_items(
    items: Iterable[RawArticle | Failure],
    store: NewsStore,
    *,
    options: IngestOptions | None = None,
    progress: ProgressCallback | None = None,
    prune_roots: Sequence[str] = (),
) -> IngestReport:
    """Clean, chunk, embed and store articles already loaded (a feed poller's items), the same way
    :func:`ingest` does; failures are recorded in the report. ``options.prune`` removes stored
    articles under ``prune_roots`` (files and folders) that were not among ``items``."""
    options = options or IngestOptions()
    run = _Run(store, options, progress)
    for item in items:
        if isinstance(item, Failure):
            run.fail(item)
        else:
            run.take(item)
            if run.looked_at % 16 == 0:
                run.tick()
    run.flush()
    if options.prune:
        run.prune(prune_roots)
    run.report.seconds = time.perf_counter() - run.t0
    run.tick()
    return run.report


ingest_paths = ingest  # the name the design notes use
