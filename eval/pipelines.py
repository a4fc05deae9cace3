"""The systems a run evaluates: newsrag through its public API, and baselines beside it.

A :class:`Pipeline` gives the harness a ranking of articles for a question (with passages) and, if it
answers, an :class:`~rag.records.Answer`. Articles to withhold (``--without-gold``) are passed as
``exclude``.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eval.questions import Question
from rag import Answer, NewsragError, Passage, Settings

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


class _AllowListRetriever:
    """The newsrag retriever limited to an allow-list of articles (how exclusion is expressed)."""

    def __init__(self, inner: Any, allowed: tuple[str, ...]) -> None:
        self._inner = inner
        self._allowed = allowed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def search(self, question: str, **kwargs: Any) -> Any:
        kwargs["article_ids"] = self._allowed
        return self._inner.search(question, **kwargs)


class NewsragPipeline(Pipeline):
    """newsrag itself, through its public API (:class:`rag.NewsRAG`).

    ``NewsRAG.ask`` has no article filter, so for ``--without-gold`` the question is answered by a
    copy of its answering engine whose retriever is limited to the articles not withheld.
    """

    name = "newsrag"

    def __init__(self, rag: Any, *, answers: bool = True) -> None:
        self.rag = rag
        self.answers = answers
        self._all_ids: tuple[str, ...] | None = None

    @property
    def store(self) -> NewsStore:
        store: NewsStore = self.rag.store
        return store

    def _allowed(self, exclude: frozenset[str]) -> tuple[str, ...]:
        # Retrieval filters take an allow-list of article ids, not an exclusion: pass all the others.
        if self._all_ids is None:
            self._all_ids = tuple(sorted(self.store.articles()))
        return tuple(a for a in self._all_ids if a not in exclude)

    def retrieve(self, question: Question, exclude: frozenset[str]) -> Retrieved:
        t0 = time.perf_counter()
        if exclude:
            found = self.rag.retriever.search(
                question.question, as_of=question.as_of, article_ids=self._allowed(exclude)
            )
        else:
            found = self.rag.retrieve(question.question, as_of=question.as_of)
        seconds = time.perf_counter() - t0
        return Retrieved(
            article_ids=[hit.article_id for hit in found.articles],
            passages=list(found.passages),
            seconds=seconds,
        )

    def ask(self, question: Question, text: str, exclude: frozenset[str]) -> Answer:
        if not exclude:
            answer: Answer = self.rag.ask(text, as_of=question.as_of)
            return answer
        engine = copy.copy(self.rag.engine)
        engine.retriever = _AllowListRetriever(engine.retriever, self._allowed(exclude))
        backend = self.rag.resolve_backend(None)
        final: Answer | None = None
        for event in engine.stream(
            text, model=self.rag.chat_model(backend), backend=backend, as_of=question.as_of
        ):
            if isinstance(event, Answer):
                final = event
        if final is None:  # pragma: no cover - the engine always ends with an answer
            raise NewsragError("the answering engine returned no answer")
        return final

    def close(self) -> None:
        self.rag.close()


def build_newsrag(settings: Settings, chat_model: Any | None = None) -> Any:
    """``rag.NewsRAG`` for the settings (imported late: it is heavy to import)."""
    from rag import NewsRAG

    return NewsRAG(settings, chat_model=chat_model)


def article_texts(store: NewsStore) -> dict[str, str]:
    """Every stored article's title and text, rebuilt from its chunks (for ``--without-gold``)."""
    return {info.id: f"{info.title}\n{text}" for info, text in store.article_texts()}
