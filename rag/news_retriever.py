"""The hybrid retriever as a LangChain ``BaseRetriever``, and passages as LangChain documents."""

from __future__ import annotations

from datetime import date
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from rag.question import Query
from rag.records import Passage

__all__ = ["NewsRetriever", "passage_document"]


def passage_document(passage: Passage) -> Document:
    """A passage as a LangChain ``Document`` (metadata: ids, title, date, source, url, ranks)."""
    return Document(
        id=passage.chunk_id,
        page_content=passage.text,
        metadata={
            "chunk_id": passage.chunk_id,
            "article_id": passage.article_id,
            "title": passage.title,
            "published": passage.published.isoformat() if passage.published else "",
            "source": passage.source,
            "url": passage.url,
            "start": passage.start,
            "end": passage.end,
            "score": passage.score,
            "dense_rank": passage.dense_rank,
            "keyword_rank": passage.keyword_rank,
        },
    )


class NewsRetriever(BaseRetriever):
    """The hybrid retriever as a LangChain ``BaseRetriever``, for composing into other chains.

    Example:
        >>> retriever = NewsRetriever(retriever=HybridRetriever(store), k=4)  # doctest: +SKIP
        >>> docs = retriever.invoke("Which show was renewed this week?")  # doctest: +SKIP
        >>> docs[0].metadata["title"]  # doctest: +SKIP
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Any  # a HybridRetriever (Any: pydantic need not validate it)
    k: int | None = None
    as_of: date | None = None
    since: date | None = None
    until: date | None = None
    sources: tuple[str, ...] = ()

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        found = self.retriever.search(
            Query(query, as_of=self.as_of, since=self.since, until=self.until, sources=self.sources),
            k=self.k,
        )
        return [passage_document(p) for p in found.passages]
