"""The systems a run evaluates: newsrag through its public API, and baselines beside it.

A :class:`Pipeline` gives the harness a ranking of articles for a question (with passages) and, if it
answers, an :class:`~rag.records.Answer`. Articles to withhold (``--without-gold``) are passed as
``exclude``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eval.questions import Question
from rag import Answer, Passage, Query, Settings

if TYPE_CHECKING:
    from rag import NewsStore

__all__ = ["NewsragPipeline", "Pipeline", "Retrieved", "article_texts", "build_newsrag"]


# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Retrieved:
    """A ranking of articles (best first) and the passages behind it."""

    article_ids: list[str]
    passages: list[Passage]
    seconds: float


class Pipeline:
    """What the harness needs from a system: a ranking of articles, and (optionally) answers.

    Subclass it to evaluate another pipeline; :class:`NewsragPipeline` wraps ``rag.NewsRAG``.
    """

    name = "pipeline"
    answers = False

    def retrieve(self, question: Question, exclude: frozenset[str]) -> Retrieved:
        """The articles found for ``question``, none of ``exclude``."""
        raise NotImplementedError

    def ask(self, question: Question, text: str, exclude: frozenset[str]) -> Answer:
        """The system's answer to ``text`` (the question, maybe with its choices)."""
        raise NotImplementedError

    def warm_up(self, question: Question) -> None:
        """Load models before timing starts, so the first question's latency is not the load time."""
        self.retrieve(question, frozenset())
        if self.answers:
            self.ask(question, question.question, frozenset())

    def close(self) -> None:
        """Release what the pipeline holds."""


def _query(question: Question, text: str, exclude: frozenset[str]) -> Query:
    """What newsrag is asked: ``text`` as of the question's date, the withheld articles excluded."""
    return Query(text, as_of=question.as_of, excluded_ids=tuple(sorted(exclude)))


class NewsragPipeline(Pipeline):
    """newsrag itself, through its public API (:class:`rag.NewsRAG`).

    Withheld articles (``--without-gold``) go in the query's ``excluded_ids``.
    """

    name = "newsrag"

    def __init__(self, rag: Any, *, answers: bool = True) -> None:
        self.rag = rag
        self.answers = answers

    @property
    def store(self) -> NewsStore:
        store: NewsStore = self.rag.store
        return store

    def retrieve(self, question: Question, exclude: frozenset[str]) -> Retrieved:
        t0 = time.perf_counter()
        found = self.rag.retrieve(_query(question, question.question, exclude))
        seconds = time.perf_counter() - t0
        return Retrieved(
            article_ids=[hit.article_id for hit in found.articles],
            passages=list(found.passages),
            seconds=seconds,
        )

    def ask(self, question: Question, text: str, exclude: frozenset[str]) -> Answer:
        answer: Answer = self.rag.ask(_query(question, text, exclude))
        return answer

    def close(self) -> None:
        self.rag.close()


def build_newsrag(settings: Settings, chat_model: Any | None = None) -> Any:
    """``rag.NewsRAG`` for the settings (imported late: it is heavy to import)."""
    from rag import NewsRAG

    return NewsRAG(settings, chat_model=chat_model)


def article_texts(store: NewsStore) -> dict[str, str]:
    """Every stored article's title and text, rebuilt from its chunks (for ``--without-gold``)."""
    return {info.id: f"{info.title}\n{text}" for info, text in store.article_texts()}
