"""A corpus under evaluation: ingested into its own eval collection, then searched."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import closing, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eval._progress import bar as progress_bar
from eval.options import corpus_collection
from rag import InputError, NewsRAG, Settings

if TYPE_CHECKING:
    from rag import NewsStore

__all__ = ["corpus_rag", "ingest_corpus"]

log = logging.getLogger(__name__)


def ingest_corpus(
    corpus: Path, store: NewsStore, settings: Settings, progress: bool = False
) -> dict[str, Any]:
    """Ingest (or bring up to date) the corpus into ``store``; the ingest report as a dict."""
    from ingest import IngestOptions, count_inputs, ingest

    if not corpus.exists():
        raise InputError(str(corpus), "no such corpus file or folder")
    bar = progress_bar("ingest", "articles", progress)
    total = count_inputs([str(corpus)], settings.ingest.max_file_mb) if bar is not None else None
    task = bar.add_task("ingest", total=total, extra="") if bar is not None else None

    def tick(p: Any) -> None:
        if bar is not None:
            bar.update(task, completed=p.articles, extra=f", {p.chunks} chunks")

    options = IngestOptions.from_settings(settings, prune=True)
    with bar if bar is not None else nullcontext():
        report = ingest([corpus], store, options=options, progress=tick)
    if report.failed:
        log.warning(
            "%d input(s) of the corpus failed to ingest, e.g. %s", len(report.failed), report.failed[0]
        )
    data: dict[str, Any] = report.to_dict()
    return data


@contextmanager
def corpus_rag(corpus: Path | None, settings: Settings, *, own_collection: bool = True) -> Iterator[NewsRAG]:
    """A :class:`~rag.NewsRAG` with ``corpus`` ingested first (re-runs reuse what is stored), closed
    on exit. The corpus goes into its own eval collection (:func:`~eval.options.corpus_collection`),
    or, with ``own_collection`` false, into the collection the settings name; with no corpus the
    settings' collection is searched as it is."""
    if corpus is not None and own_collection:
        settings = settings.with_overrides({"collection": corpus_collection(corpus, settings)})
    with closing(NewsRAG(settings)) as rag:
        if corpus is not None:
            ingest_corpus(corpus, rag.store, settings)
        yield rag
