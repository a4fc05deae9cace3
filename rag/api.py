"""``NewsRAG``: the one object apps build. Cheap to construct; the store, the embedding model and the
LLM load on first use.

Example:
    >>> from rag import NewsRAG, Settings
    >>> rag = NewsRAG(Settings(home=".newsrag"))  # doctest: +SKIP
    >>> answer = rag.ask("What did Stoltenberg say about Balkan destabilization?")  # doctest: +SKIP
    >>> answer.text, [c.quote for c in answer.citations]  # doctest: +SKIP
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any, Literal, TypedDict, cast, get_args

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableLambda
from typing_extensions import Unpack

from rag.answering import AnswerEngine, History
from rag.briefing import Briefing
from rag.claim_checker import ClaimChecker
from rag.claims import ClaimCheck
from rag.decompose import Plan, plan_question
from rag.errors import ConfigError, InputError
from rag.multi import MultiAnswerer
from rag.question import Query
from rag.records import Answer, Passage
from rag.retrieval import HybridRetriever, NewsRetriever, Retrieval
from rag.settings import LLMBackend, Settings
from rag.store import NewsStore, StoreStats
from rag.stories import Timeline
from rag.verify import EmbeddingCache, Verifier

__all__ = ["NewsRAG", "article_text"]

Generator = Literal["local", "openai", "extractive"]


class QueryArgs(TypedDict, total=False):
    """The filters :meth:`NewsRAG.ask` and :meth:`NewsRAG.retrieve` pass on to :meth:`NewsRAG.query`."""

    history: History | None
    as_of: date | None
    since: date | None
    until: date | None
    sources: Sequence[str] | None


GENERATORS: tuple[str, ...] = get_args(LLMBackend)  # the llm.backend names


class NewsRAG:
    """Question answering over the ingested news, with verified citations.

    Args:
        settings: the configuration (``Settings()`` reads ``newsrag.toml`` and ``NEWSRAG_*``).
        store: an open store to use instead of opening the one the settings name.
        chat_model: a LangChain chat model to use for the ``local``/``openai``/``auto`` backends
            instead of building one (tests pass ``GenericFakeChatModel``; apps may pass any model).

    Example:
        >>> rag = NewsRAG.from_settings(Settings())  # doctest: +SKIP
        >>> for event in rag.stream("What happened in Skopje?"):  # doctest: +SKIP
        ...     print(event if isinstance(event, str) else event.citations)
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        store: NewsStore | None = None,
        chat_model: BaseChatModel | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self._store = store
        self._chat_model = chat_model
        self._models: dict[str, BaseChatModel] = {}
        self._engine: AnswerEngine | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **kwargs: Any) -> NewsRAG:
        """The same as ``NewsRAG(settings, ...)``."""
        return cls(settings, **kwargs)

    # ---- parts, built on first use -------------------------------------------------------------

    @property
    def store(self) -> NewsStore:
        """The store (opened on first use)."""
        with self._lock:
            if self._store is None:
                self._store = NewsStore.from_settings(self.settings)
            return self._store

    @property
    def engine(self) -> AnswerEngine:
        """The answering pipeline (built on first use)."""
        if self._engine is None:
            store = self.store
            r = self.settings.retrieval
            retriever = HybridRetriever.from_settings(store, self.settings)
            verifier = Verifier(embed=EmbeddingCache(store.embeddings.embed_array))
            self._engine = AnswerEngine(
                retriever, verifier, k=r.k, source_tokens=self.settings.llm.source_tokens
            )
        return self._engine

    @property
    def retriever(self) -> HybridRetriever:
        """The hybrid retriever."""
        return self.engine.retriever

    def resolve_backend(self, backend: LLMBackend | str | None = None) -> Generator:
        """The generator a backend name means here: ``auto`` is ``local`` when installed, else
        ``extractive`` (or the injected chat model, when one was given)."""
        name = backend or self.settings.llm.backend
        if name not in GENERATORS:
            raise ConfigError(f"unknown backend {name!r}: use one of {', '.join(GENERATORS)}")
        if name == "auto":
            if self._chat_model is not None:
                return "local"
            from rag.llm import local_llm_available

            return "local" if local_llm_available(self.settings.llm.model) else "extractive"
        return cast(Generator, name)

    def backends(self) -> list[Generator]:
        """The generators that can answer here: ``extractive`` always, ``local`` when its packages are
        installed (or a chat model was injected), ``openai`` when a server URL or key is set."""
        from rag.llm import local_llm_available

        llm = self.settings.llm
        found: list[Generator] = []
        if self._chat_model is not None or local_llm_available(llm.model):
            found.append("local")
        if llm.base_url or llm.api_key is not None:
            found.append("openai")
        found.append("extractive")
        return found

    def chat_model(self, backend: LLMBackend | str | None = None) -> BaseChatModel | None:
        """The chat model behind a backend (None for ``extractive``), built once and cached.

        Raises:
            ModelError: the local model's packages are missing (the message has the pip command).
            ConfigError: the openai backend has neither a base URL nor an API key.
        """
        name = self.resolve_backend(backend)
        if name == "extractive":
            return None
        if self._chat_model is not None:
            return self._chat_model
        with self._lock:
            if name not in self._models:
                from rag.llm import build_chat_model

                llm = self.settings.llm
                self._models[name] = build_chat_model(
                    name,
                    model=llm.model,
                    home=self.settings.home,
                    base_url=llm.base_url,
                    openai_model=llm.openai_model,
                    api_key=llm.api_key,
                    temperature=llm.temperature,
                    answer_tokens=llm.answer_tokens,
                    timeout=llm.timeout_seconds,
                    n_ctx=llm.n_ctx,
                    n_threads=llm.n_threads,
                )
            return self._models[name]

    # ---- asking --------------------------------------------------------------------------------

    def query(
        self,
        question: str | Query,
        *,
        history: History | None = None,
        as_of: date | None = None,
        since: date | None = None,
        until: date | None = None,
        sources: Sequence[str] | None = None,
    ) -> Query:
        """The :class:`~rag.question.Query` the other arguments describe (``question`` itself
        when it is one; then the others must be left out).

        Raises:
            ConfigError: the question is empty, or a Query came with loose filters as well.
        """
        if isinstance(question, Query):
            if history or as_of or since or until or sources:
                raise ConfigError("pass the filters inside the Query or as arguments, not both")
            query = question
        else:
            query = Query(
                question or "",
                history=tuple(history or ()),
                as_of=as_of,
                since=since,
                until=until,
                sources=tuple(sources or ()),
            )
        if not query.question or not query.question.strip():
            raise ConfigError("the question is empty")
        return query.asking(query.question.strip())

    def stream(
        self,
        question: str | Query,
        *,
        backend: LLMBackend | str | None = None,
        **filters: Unpack[QueryArgs],
    ) -> Iterator[str | Answer]:
        """Text deltas as the answer is written, then the verified :class:`~rag.records.Answer`.

        The final answer's text is the verified one: sentences no source supports are dropped,
        so it may differ from the streamed text; show it in place of the deltas at the end.
        Dates and sources the question names ("in June 2022", "according to CNN") narrow the
        search; ``answer.scope`` says what was applied.

        Args:
            question: the question, possibly a follow-up to ``history``; or a whole
                :class:`~rag.question.Query` (then leave the filters below out).
            history: the conversation so far (``(role, text)`` pairs, ``{"role", "content"}``
                dicts or LangChain messages).
            as_of: when the question is asked: later articles are excluded, recency counts from it.
            since, until: publication-date limits (inclusive).
            sources: only these sources (e.g. ``["cnn.com"]``).
            backend: ``auto``, ``local``, ``openai`` or ``extractive`` (default: the settings').

        Raises:
            EmptyStoreError: nothing has been ingested (the message has the ingest command).
            LLMUnavailableWithPassages: the LLM server is unreachable; ``.passages`` holds the
                retrieved passages.
            ModelError: the model's packages are missing or it failed.
        """
        query = self.query(question, **filters)
        name = self.resolve_backend(backend)
        model = self.chat_model(name)
        plan = self.plan(query)
        if plan is not None:
            yield from MultiAnswerer(self.engine).stream(query, plan, model=model, backend=name)
            return
        yield from self.engine.stream(query, model=model, backend=name)

    def plan(self, query: Query) -> Plan | None:
        """How a question that needs several articles is split (:func:`~rag.decompose.plan_question`);
        None for a plain question, a follow-up (it is answered as one) or with
        ``retrieval.decompose`` off."""
        if not self.settings.retrieval.decompose or query.history:
            return None
        return plan_question(query.question)

    def ask(
        self,
        question: str | Query,
        *,
        backend: LLMBackend | str | None = None,
        **filters: Unpack[QueryArgs],
    ) -> Answer:
        """Answer ``question`` with verified citations, or abstain. Arguments as :meth:`stream`.

        Example:
            >>> a = rag.ask("What did Stoltenberg say?", as_of=date(2023, 11, 22))  # doctest: +SKIP
            >>> a.abstained, a.citations[0].passage.title  # doctest: +SKIP
        """
        final: Answer | None = None
        for event in self.stream(question, backend=backend, **filters):
            if isinstance(event, Answer):
                final = event
        assert final is not None  # stream always ends with the answer
        return final

    def retrieve(
        self, question: str | Query, *, k: int | None = None, **filters: Unpack[QueryArgs]
    ) -> Retrieval:
        """The passages (and ranked articles) retrieval finds for ``question``, without answering
        (filters as :meth:`stream`; a history is read as in :meth:`query` but not condensed)."""
        return self.retriever.search(self.query(question, **filters), k=k)

    def as_retriever(self, **search: Any) -> NewsRetriever:
        """A LangChain ``BaseRetriever`` over this store.

        Args:
            search: fixed search arguments: ``k``, ``as_of``, ``since``, ``until``, ``sources``.
        """
        return NewsRetriever(retriever=self.retriever, **search)

    def as_runnable(self) -> Runnable[Any, Answer]:
        """The whole pipeline as a LangChain ``Runnable``: input a question string, or a dict with
        ``question`` and any of ``history``, ``as_of``, ``since``, ``until``, ``sources``, ``backend``;
        output an :class:`~rag.records.Answer`.

        Example:
            >>> chain = rag.as_runnable()  # doctest: +SKIP
            >>> chain.invoke({"question": "Who visited Skopje?", "backend": "extractive"})  # doctest: +SKIP
        """

        def run(inp: str | dict[str, Any]) -> Answer:
            if isinstance(inp, str):
                return self.ask(inp)
            args = dict(inp)
            question = args.pop("question", None) or args.pop("input", None)
            if not isinstance(question, str):
                raise ConfigError("the runnable's input needs a 'question' string")
            for key in ("as_of", "since", "until"):
                if isinstance(args.get(key), str):
                    args[key] = date.fromisoformat(args[key])
            return self.ask(question, **args)

        return RunnableLambda(run, name="NewsRAG")

    def check(
        self, claim: str, article_id: str | None = None, *, as_of: date | None = None, k: int | None = None
    ) -> ClaimCheck:
        """Whether the archive backs ``claim``: ``supported``, ``contradicted`` (with the kind:
        speaker, negation, number, date, entity) or ``not_found``, with the deciding spans.

        Args:
            claim: one sentence, e.g. from a draft.
            article_id: check it against this article alone (else the collection is searched).
            as_of: only articles published on or before this date.
            k: passages searched (default: the retrieval settings').

        Raises:
            ConfigError: the claim is empty.
            InputError: ``article_id`` is not in the store.

        Example:
            >>> rag.check("NATO sees no imminent military threat from Russia").verdict  # doctest: +SKIP
            'supported'
        """
        if not claim or not claim.strip():
            raise ConfigError("the claim is empty")
        if article_id is not None:
            passages = self.store.article_chunks(article_id)
            if not passages:
                alias = next((i.id for i in self.store.articles().values() if article_id in i.aliases), None)
                passages = self.store.article_chunks(alias) if alias else []
            if not passages:
                raise InputError(article_id, "no such article in the store (see `newsrag stats`)")
            if as_of is not None and passages[0].published and passages[0].published > as_of:
                passages = []
        else:
            passages = self.retrieve(claim, k=k, as_of=as_of).passages
        articles = {a: article_text(self.store.article_chunks(a)) for a in {p.article_id for p in passages}}
        return self.claim_checker.check(claim.strip(), passages, articles)

    def timeline(
        self,
        query: str,
        *,
        since: date | None = None,
        until: date | None = None,
        sources: Sequence[str] | None = None,
    ) -> Timeline:
        """The story ``query`` names ("Hurricane Ian"), as events in date order, each with an
        extractive one-line summary citing its articles (:mod:`rag.stories`).

        Raises:
            ConfigError: the query is empty.
            EmptyStoreError: nothing has been ingested.
        """
        from rag.stories import build_timeline

        if not query or not query.strip():
            raise ConfigError("the story to look up is empty")
        return build_timeline(self.store, query.strip(), since=since, until=until, sources=sources or ())

    def brief(
        self,
        query: str,
        *,
        since: date | None = None,
        sources: Sequence[str] | None = None,
        backend: LLMBackend | str | None = None,
    ) -> Briefing:
        """A briefing on the story ``query`` names: 5-8 cited bullets, newest first, each with what
        changed since the report before it; ``since`` keeps the developments from that date on
        (:mod:`rag.briefing`). ``backend``: ``extractive`` (the default here, whatever the settings
        say: no LLM), or ``local``/``openai``/``auto`` to have that model word the bullets.

        Raises:
            ConfigError: the query is empty, or an unknown backend.
            EmptyStoreError: nothing has been ingested.
            ModelError: the local model's packages are missing.
            LLMUnavailableError: the model's server could not be reached.
        """
        from rag.briefing import build_briefing, rewrite_bullets

        briefing = build_briefing(self.timeline(query, sources=sources), since=since)
        name = self.resolve_backend(backend or "extractive")
        model = self.chat_model(name)
        return briefing if model is None else rewrite_bullets(briefing, model, name)

    @property
    def claim_checker(self) -> ClaimChecker:
        """The claim checker (sharing the answer verifier's embedding cache)."""
        return ClaimChecker(embed=self.engine.verifier.embed)

    def stats(self) -> StoreStats:
        """What the store holds: article and chunk counts, sources, date range."""
        return self.store.stats()

    def close(self) -> None:
        """Release the store's keyword index."""
        if self._store is not None:
            self._store.close()


def article_text(chunks: Sequence[Passage]) -> str:
    """An article's text put back together from its chunks (each lies at its own offsets)."""
    size = max((p.end for p in chunks), default=0)
    out = [" "] * size
    for p in chunks:
        out[p.start : p.start + len(p.text)] = p.text
    return "".join(out)
