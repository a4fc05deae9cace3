"""newsrag: question answering over news articles with verified citations.

Import what apps need from here; everything is loaded on first access, so ``import rag`` is cheap.

Example:
    >>> from rag import NewsRAG, Settings
    >>> rag = NewsRAG(Settings())  # doctest: +SKIP
    >>> rag.ask("What did Stoltenberg say about Balkan destabilization?").text  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag.answering import AnswerEngine, History, LLMUnavailableWithSources
    from rag.api import NewsRAG
    from rag.embeddings import MiniLMEmbeddings
    from rag.errors import (
        ConfigError,
        EmptyStoreError,
        InputError,
        LLMUnavailableError,
        ModelError,
        NewsragError,
        StoreError,
    )
    from rag.question import Query, Reading
    from rag.records import Answer, Article, ArticleInfo, Chunk, Citation, Passage, SearchScope
    from rag.retrieval import ArticleHit, HybridRetriever, NewsRetriever, Retrieval
    from rag.settings import Settings
    from rag.store import Filters, NewsStore, StoreStats
    from rag.verify import Verified, Verifier

_WHERE = {
    "AnswerEngine": "rag.answering",
    "History": "rag.answering",
    "LLMUnavailableWithSources": "rag.answering",
    "NewsRAG": "rag.api",
    "MiniLMEmbeddings": "rag.embeddings",
    "ConfigError": "rag.errors",
    "EmptyStoreError": "rag.errors",
    "InputError": "rag.errors",
    "LLMUnavailableError": "rag.errors",
    "ModelError": "rag.errors",
    "NewsragError": "rag.errors",
    "StoreError": "rag.errors",
    "Query": "rag.question",
    "Reading": "rag.question",
    "Answer": "rag.records",
    "Article": "rag.records",
    "ArticleInfo": "rag.records",
    "Chunk": "rag.records",
    "Citation": "rag.records",
    "Passage": "rag.records",
    "SearchScope": "rag.records",
    "ArticleHit": "rag.retrieval",
    "HybridRetriever": "rag.retrieval",
    "NewsRetriever": "rag.retrieval",
    "Retrieval": "rag.retrieval",
    "Settings": "rag.settings",
    "Filters": "rag.store",
    "NewsStore": "rag.store",
    "StoreStats": "rag.store",
    "Verified": "rag.verify",
    "Verifier": "rag.verify",
}

__all__ = [
    "Answer",
    "AnswerEngine",
    "Article",
    "ArticleHit",
    "ArticleInfo",
    "Chunk",
    "Citation",
    "ConfigError",
    "EmptyStoreError",
    "Filters",
    "History",
    "HybridRetriever",
    "InputError",
    "LLMUnavailableError",
    "LLMUnavailableWithSources",
    "MiniLMEmbeddings",
    "ModelError",
    "NewsRAG",
    "NewsRetriever",
    "NewsStore",
    "NewsragError",
    "Passage",
    "Query",
    "Reading",
    "Retrieval",
    "SearchScope",
    "Settings",
    "StoreError",
    "StoreStats",
    "Verified",
    "Verifier",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'rag' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
