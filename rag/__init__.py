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
    from rag.answering import AnswerEngine, History, LLMUnavailableWithPassages
    from rag.api import NewsRAG
    from rag.briefing import Briefing, Bullet, read_brief_request
    from rag.claim_checker import ClaimChecker
    from rag.claims import ClaimCheck, ClaimEvidence
    from rag.decompose import Plan, plan_question
    from rag.embeddings import (
        MAX_TOKENS,
        MiniLMEmbeddings,
        count_tokens,
        default_home,
        model_path,
        onnx_model_file,
    )
    from rag.errors import (
        ConfigError,
        EmptyStoreError,
        InputError,
        LLMUnavailableError,
        ModelError,
        NewsragError,
        StoreError,
    )
    from rag.llm import local_llm_available
    from rag.news_retriever import NewsRetriever
    from rag.question import Query, Reading
    from rag.records import (
        Answer,
        Article,
        ArticleInfo,
        Chunk,
        Citation,
        Conflict,
        Correction,
        Passage,
        ReportedValue,
        SearchScope,
        SubAnswer,
        chunk_id,
    )
    from rag.retrieval import ArticleHit, HybridRetriever, Retrieval
    from rag.settings import Settings
    from rag.store import Filters, NewsStore, StoreStats
    from rag.stories import Event, StoryArticle, StoryFinder, Timeline
    from rag.text import (
        FUNCTION_WORDS,
        MARKER,
        MONTH_NAMES,
        MONTHS,
        NAME_WORD,
        canonical_url,
        marker_numbers,
        parse_url,
        sentence_spans,
        sentences,
        stem,
        strip_markers,
        url_key,
    )
    from rag.verify import Verified, Verifier

_WHERE = {
    "AnswerEngine": "rag.answering",
    "History": "rag.answering",
    "LLMUnavailableWithPassages": "rag.answering",
    "NewsRAG": "rag.api",
    "Briefing": "rag.briefing",
    "Bullet": "rag.briefing",
    "read_brief_request": "rag.briefing",
    "ClaimCheck": "rag.claims",
    "ClaimChecker": "rag.claim_checker",
    "ClaimEvidence": "rag.claims",
    "count_tokens": "rag.embeddings",
    "default_home": "rag.embeddings",
    "MAX_TOKENS": "rag.embeddings",
    "MiniLMEmbeddings": "rag.embeddings",
    "model_path": "rag.embeddings",
    "onnx_model_file": "rag.embeddings",
    "ConfigError": "rag.errors",
    "EmptyStoreError": "rag.errors",
    "InputError": "rag.errors",
    "LLMUnavailableError": "rag.errors",
    "ModelError": "rag.errors",
    "NewsragError": "rag.errors",
    "StoreError": "rag.errors",
    "local_llm_available": "rag.llm",
    "Plan": "rag.decompose",
    "plan_question": "rag.decompose",
    "Query": "rag.question",
    "Reading": "rag.question",
    "Answer": "rag.records",
    "Article": "rag.records",
    "ArticleInfo": "rag.records",
    "Chunk": "rag.records",
    "chunk_id": "rag.records",
    "Citation": "rag.records",
    "Conflict": "rag.records",
    "Correction": "rag.records",
    "Passage": "rag.records",
    "ReportedValue": "rag.records",
    "SearchScope": "rag.records",
    "SubAnswer": "rag.records",
    "ArticleHit": "rag.retrieval",
    "HybridRetriever": "rag.retrieval",
    "NewsRetriever": "rag.news_retriever",
    "Retrieval": "rag.retrieval",
    "Settings": "rag.settings",
    "Filters": "rag.store",
    "NewsStore": "rag.store",
    "StoreStats": "rag.store",
    "Event": "rag.stories",
    "StoryArticle": "rag.stories",
    "StoryFinder": "rag.stories",
    "Timeline": "rag.stories",
    "FUNCTION_WORDS": "rag.text",
    "MARKER": "rag.text",
    "MONTH_NAMES": "rag.text",
    "MONTHS": "rag.text",
    "NAME_WORD": "rag.text",
    "canonical_url": "rag.text",
    "marker_numbers": "rag.text",
    "parse_url": "rag.text",
    "sentence_spans": "rag.text",
    "sentences": "rag.text",
    "stem": "rag.text",
    "strip_markers": "rag.text",
    "url_key": "rag.text",
    "Verified": "rag.verify",
    "Verifier": "rag.verify",
}

__all__ = [
    "FUNCTION_WORDS",
    "MARKER",
    "MAX_TOKENS",
    "MONTHS",
    "MONTH_NAMES",
    "NAME_WORD",
    "Answer",
    "AnswerEngine",
    "Article",
    "ArticleHit",
    "ArticleInfo",
    "Briefing",
    "Bullet",
    "Chunk",
    "Citation",
    "ClaimCheck",
    "ClaimChecker",
    "ClaimEvidence",
    "ConfigError",
    "Conflict",
    "Correction",
    "EmptyStoreError",
    "Event",
    "Filters",
    "History",
    "HybridRetriever",
    "InputError",
    "LLMUnavailableError",
    "LLMUnavailableWithPassages",
    "MiniLMEmbeddings",
    "ModelError",
    "NewsRAG",
    "NewsRetriever",
    "NewsStore",
    "NewsragError",
    "Passage",
    "Plan",
    "Query",
    "Reading",
    "ReportedValue",
    "Retrieval",
    "SearchScope",
    "Settings",
    "StoreError",
    "StoreStats",
    "StoryArticle",
    "StoryFinder",
    "SubAnswer",
    "Timeline",
    "Verified",
    "Verifier",
    "canonical_url",
    "chunk_id",
    "count_tokens",
    "default_home",
    "local_llm_available",
    "marker_numbers",
    "model_path",
    "onnx_model_file",
    "parse_url",
    "plan_question",
    "read_brief_request",
    "sentence_spans",
    "sentences",
    "stem",
    "strip_markers",
    "url_key",
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
