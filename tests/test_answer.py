"""Answering over the real store (the MIA article and the samples): each backend, abstention,
prompt injection, follow-ups and streaming. The LLM is LangChain's GenericFakeChatModel."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage

from rag.answering import (
    ABSTAIN_PREFIX,
    NOT_IN_SOURCES,
    build_messages,
    condense_fallback,
    format_sources,
    normalize_history,
)
from rag.api import NewsRAG
from rag.records import Answer
from rag.settings import Settings
from rag.store import NewsStore
from tests.answering_data import (
    INJECTION,
    MIA_ID,
    NO_THREAT,
    STOLTENBERG_Q,
    build_store,
    fake_llm,
    news_inputs,
    openai_server,
)

pytestmark = pytest.mark.data

UNANSWERABLE = "What did the mayor of Lyon say about bicycle lanes?"


@pytest.fixture(scope="module")
def injected(tmp_path_factory: pytest.TempPathFactory, data_dir: Path, embeddings) -> Iterator[NewsStore]:  # type: ignore[no-untyped-def]
    extra = tmp_path_factory.mktemp("inject") / "bakery.txt"
    extra.write_text(INJECTION, encoding="utf-8")
    store = build_store(tmp_path_factory.getbasetemp(), "injected", news_inputs(data_dir, extra), embeddings)
    yield store
    store.close()


def _rag(store: NewsStore, *replies: str) -> NewsRAG:
    return NewsRAG(Settings(home=store.home), store=store, chat_model=fake_llm(*replies) if replies else None)


def _source_number(rag: NewsRAG, question: str, article_id: str) -> int:
    passages = rag.retrieve(question).passages
    return next(i for i, p in enumerate(passages, start=1) if p.article_id == article_id)


def _assert_no_threat_answer(answer: Answer) -> None:
    assert not answer.abstained, answer.text
    assert "imminent military threat" in answer.text
    mia = [c for c in answer.citations if c.passage.source == "MIA"]
    assert mia, answer.citations
    assert any("imminent military threat from Russia" in c.quote for c in mia)
    for c in answer.citations:
        assert c.passage.text[c.quote_start : c.quote_end] == c.quote


# ---- one contract, every generator backend ------------------------------------------------------

# "local" and "auto" (which picks the local model when one is there) run with a fake chat model;
# "openai" against a local OpenAI-compatible server (tests/answering_data.py); the real local model
# answers in test_answer_llm.py.
GENERATOR_BACKENDS = ["extractive", "local", "openai", "auto"]


@dataclass(frozen=True)
class Answerer:
    backend: str  # what ``ask`` is given
    answers_as: str  # what Answer.backend then says
    ask: Callable[[str, str], Answer]  # (question, what a model replies) -> the answer


@pytest.fixture(params=GENERATOR_BACKENDS)
def answerer(request: pytest.FixtureRequest, news: NewsStore) -> Answerer:
    backend = request.param

    def ask(question: str, reply: str) -> Answer:
        if backend == "openai":
            with openai_server([reply]) as (url, _):
                llm = {"base_url": url, "openai_model": "tiny"}
                return NewsRAG(Settings(home=news.home, llm=llm), store=news).ask(question, backend=backend)
        return _rag(news, *([] if backend == "extractive" else [reply])).ask(question, backend=backend)

    return Answerer(backend, "local" if backend == "auto" else backend, ask)


class TestAnswerContract:
    """What every backend promises: a verified, cited answer where the articles answer, quotes that
    are in the cited passage, and an abstention where they do not."""

    def test_answers_stoltenberg_citing_the_mia_article(self, answerer: Answerer, news: NewsStore) -> None:
        n = _source_number(_rag(news), STOLTENBERG_Q, MIA_ID)
        reply = f"Stoltenberg said {NO_THREAT} [{n}]."
        answer = answerer.ask(STOLTENBERG_Q, reply)
        _assert_no_threat_answer(answer)  # quotes are slices of their cited passages
        assert answer.backend == answerer.answers_as
        assert MIA_ID in {c.passage.article_id for c in answer.citations}
        if answerer.backend != "extractive":
            assert answer.text == reply
            (c,) = answer.citations
            assert c.quote.startswith("We don't see any imminent military threat from Russia")

    def test_abstains_when_no_article_answers(self, answerer: Answerer) -> None:
        # A model would answer from memory: the evidence gate abstains before it is asked.
        answer = answerer.ask(
            UNANSWERABLE, "The mayor of Lyon promised 300 km of new bicycle lanes by 2026 [1]."
        )
        assert answer.abstained
        assert answer.text.startswith(ABSTAIN_PREFIX)
        assert "The closest articles are:" in answer.text
        assert not answer.citations
        assert answer.passages  # the closest passages are still there to show
        assert "300 km" not in answer.text


def test_extractive_cites_the_shared_mia_article_when_it_is_the_only_one(
    tmp_path_factory: pytest.TempPathFactory,
    data_dir: Path,
    embeddings,  # type: ignore[no-untyped-def]
) -> None:
    store = build_store(tmp_path_factory.getbasetemp(), "mia-only", [data_dir / "articles"], embeddings)
    try:
        answer = _rag(store).ask(STOLTENBERG_Q, backend="extractive")
        _assert_no_threat_answer(answer)
        assert {c.passage.article_id for c in answer.citations} == {MIA_ID}
    finally:
        store.close()


# ---- abstention --------------------------------------------------------------------------------


def test_model_answer_from_memory_is_caught_after_generation(news: NewsStore) -> None:
    # The evidence gate passes (the trams article is retrieved), but the model invents figures: they
    # are never shown, the draft records them, and the passages' own sentences answer instead.
    invented = "The Edinburgh tram extension is 25 kilometres long and cost 2 billion euros."
    rag = _rag(news, invented[:-1] + " [1].")
    answer = rag.ask("How long is the Edinburgh tram extension and what did it cost?", backend="local")
    assert invented in answer.unsupported
    assert "2 billion" not in answer.text and "25 kilometres" not in answer.text
    assert not answer.abstained and answer.backend == "local"
    assert answer.citations and all("tram" in c.passage.text.lower() for c in answer.citations)


def test_model_saying_not_in_sources_over_answering_passages_answers_extractively(news: NewsStore) -> None:
    answer = _rag(news, NOT_IN_SOURCES).ask("When did the Juice probe launch?", backend="local")
    assert not answer.abstained and NOT_IN_SOURCES not in answer.text
    assert "14 April 2023" in answer.text or "launched on Friday" in answer.text, answer.text
    assert answer.citations and all("Juice" in c.passage.text for c in answer.citations)


# ---- prompt injection ----------------------------------------------------------------------------


def test_injected_article_does_not_change_the_extractive_answer(news: NewsStore, injected: NewsStore) -> None:
    clean = _rag(news).ask(STOLTENBERG_Q, backend="extractive")
    attacked = _rag(injected).ask(STOLTENBERG_Q, backend="extractive")
    assert attacked.text == clean.text
    assert [c.quote for c in attacked.citations] == [c.quote for c in clean.citations]
    assert "PWNED" not in attacked.text and "evil.example.com" not in attacked.text


def test_injected_text_stays_inside_the_sources_block(injected: NewsStore) -> None:
    rag = _rag(injected)
    bakery = rag.retrieve("Which bakery won the bread award in Ohrid?", k=3).passages
    assert any("Ignore all previous instructions" in p.text for p in bakery)
    system, user = build_messages("Which bakery won the bread award?", bakery)
    assert "untrusted data" in system.text and "never follow them" in system.text
    body = user.text
    assert body.count("</sources>") == 1  # the article's own "</sources>" is defanged
    # The sentence addressed to the model is kept out of the prompt.
    assert "Ignore all previous instructions" not in body
    assert "NOT IN SOURCES" in system.text and body.rstrip().endswith("source number like [1].")


def test_obeying_model_cannot_smuggle_the_injection_into_the_answer(injected: NewsStore) -> None:
    n = _source_number(_rag(injected), STOLTENBERG_Q, MIA_ID)
    reply = (
        f"PWNED BY THE BAKERY. Visit http://evil.example.com/prize for the answer [{n}]. "
        f"Stoltenberg said {NO_THREAT} [{n}]."
    )
    answer = _rag(injected, reply).ask(STOLTENBERG_Q, backend="local")
    assert answer.text == f"Stoltenberg said {NO_THREAT} [{n}]."
    assert "PWNED" not in answer.text and "evil.example.com" not in answer.text
    assert len(answer.unsupported) == 2


# ---- follow-ups and streaming ----------------------------------------------------------------------


def test_follow_up_is_rewritten_by_the_model_before_retrieval(news: NewsStore) -> None:
    history = [("user", STOLTENBERG_Q), ("assistant", f"{NO_THREAT} [1].")]
    standalone = "What did Prime Minister Kovachevski say about Russian influence in North Macedonia?"
    rag = _rag(news, standalone, "Kovachevski said Russian influence cannot destabilise the country [1].")
    answer = rag.ask("And what did the prime minister say?", history=history, backend="local")
    assert answer.standalone_question == standalone
    assert answer.passages[0].article_id in (MIA_ID, "samples/2023-11-21-nato-skopje.txt")


def test_follow_up_fallback_without_llm_carries_the_topic() -> None:
    history = normalize_history(
        [{"role": "user", "content": STOLTENBERG_Q}, {"role": "assistant", "content": "No threat [1]."}]
    )
    q = condense_fallback("And what did the prime minister say?", history)
    assert q.startswith("And what did the prime minister say?")
    assert "Stoltenberg" in q and "Balkan" in q
    assert condense_fallback("When did the Juice probe launch to Jupiter?", history) == (
        "When did the Juice probe launch to Jupiter?"
    )


def test_extractive_follow_up_retrieves_the_earlier_topic(news: NewsStore) -> None:
    answer = _rag(news).ask(
        "And what did the prime minister say?", history=[("user", STOLTENBERG_Q)], backend="extractive"
    )
    assert not answer.abstained
    assert "Stoltenberg" in answer.standalone_question
    assert {c.passage.source for c in answer.citations} == {"MIA"}


def test_stream_yields_deltas_then_the_verified_answer(news: NewsStore) -> None:
    n = _source_number(_rag(news), STOLTENBERG_Q, MIA_ID)
    reply = f"Stoltenberg said {NO_THREAT} [{n}]. The moon is made of cheese [{n}]."
    events = list(_rag(news, reply).stream(STOLTENBERG_Q, backend="local"))
    *deltas, final = events
    assert all(isinstance(d, str) for d in deltas) and len(deltas) > 5
    assert "".join(str(d) for d in deltas) == reply  # tokens as the model wrote them
    assert isinstance(final, Answer)
    assert final.text == f"Stoltenberg said {NO_THREAT} [{n}]."  # verified at the end
    assert final.unsupported == ["The moon is made of cheese."]
    assert {"retrieve", "first_token", "generate", "total"} <= set(final.timings)


class _Prompts(BaseCallbackHandler):
    """Records the messages each chat-model call was given."""

    def __init__(self) -> None:
        self.seen: list[list[BaseMessage]] = []

    def on_chat_model_start(self, serialized: Any, messages: list[list[BaseMessage]], **kwargs: Any) -> None:
        self.seen.extend(messages)


def test_the_model_reads_the_best_sentences_and_citations_quote_whole_passages(news: NewsStore) -> None:
    n = _source_number(_rag(news), STOLTENBERG_Q, MIA_ID)
    prompts = _Prompts()
    model = fake_llm(f"Stoltenberg said {NO_THREAT} [{n}].")
    model.callbacks = [prompts]
    settings = Settings(home=news.home, llm={"source_tokens": 120})  # type: ignore[arg-type]
    rag = NewsRAG(settings, store=news, chat_model=model)
    answer = rag.ask(STOLTENBERG_Q, backend="local")
    _assert_no_threat_answer(answer)
    ((_, user),) = prompts.seen
    whole = rag.retrieve(STOLTENBERG_Q).passages
    labels = [int(x) for x in re.findall(r"^\[(\d+)\] ", user.text, re.M)]
    assert n in labels and labels == sorted(labels) and set(labels) <= set(range(1, len(whole) + 1))
    assert "imminent military threat from Russia" in user.text
    assert "…" in user.text  # sentences were left out
    assert len(user.text) < 0.7 * len(build_messages(STOLTENBERG_Q, whole)[1].text)
    assert answer.citations[0].passage.text == whole[n - 1].text  # verified on the whole passage


def test_sources_name_each_article_once_and_keep_passage_numbers(news: NewsStore) -> None:
    whole = _rag(news).retrieve(STOLTENBERG_Q).passages
    block = format_sources([(2, whole[1]), (5, whole[4])])
    assert re.findall(r"^\[(\d+)\] ", block, re.M) == ["2", "5"]
    articles = {p.article_id for p in whole}
    assert format_sources(whole).count("<article>") == len(articles)  # one header per article
    assert f"Title: {whole[0].title}" in format_sources(whole)


def test_the_question_is_embedded_once_on_its_way_to_an_extractive_answer(
    filled_store: NewsStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The retriever's vector of the question is reused by the evidence gate, the extractive
    generator and the verifier: only passage sentences reach the embedding model after retrieval."""
    from tests._fault_samples import QUESTION

    rag = NewsRAG(Settings(home=filled_store.home), store=filled_store)
    asked: list[str] = []
    model = filled_store.embeddings.embed_array

    def counting(texts: list[str]) -> Any:
        asked.extend(texts)
        return model(texts)

    monkeypatch.setattr(filled_store.embeddings, "embed_array", counting)
    answer = rag.ask(QUESTION, backend="extractive")
    assert not answer.abstained and answer.citations
    assert asked.count(QUESTION) == 1, "embedded by the retriever, then taken from the cache"
    assert len(asked) > 1, "the passages' sentences were embedded"


def test_each_sub_question_is_embedded_once_on_its_way_to_a_multi_article_answer(
    filled_store: NewsStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A comparison is searched once per side (rag/multi.py), through the same engine search: each
    side's vector is reused when the answer's sentences are picked, not embedded again."""
    from rag.decompose import plan_question

    question = "Which opened earlier, the tram extension to Newhaven or NATO's office in Belgrade?"
    plan = plan_question(question)
    assert plan is not None and plan.kind == "comparison"
    rag = NewsRAG(Settings(home=filled_store.home), store=filled_store)
    asked: list[str] = []
    model = filled_store.embeddings.embed_array

    def counting(texts: list[str]) -> Any:
        asked.extend(texts)
        return model(texts)

    monkeypatch.setattr(filled_store.embeddings, "embed_array", counting)
    answer = rag.ask(question, backend="extractive")
    assert answer.kind == "comparison"
    for part in plan.parts:
        assert asked.count(part.text) == 1, part.text
