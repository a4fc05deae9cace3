"""Multi-article answers over a small store of real corpus.jsonl articles about Hurricane Ian
(which hit Florida on 28 September 2022), built in the test: the toll's change over the week
cited to several articles, the changing figure reported with its values and dates, and no more
than one search per sub-question."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from rag.api import NewsRAG
from rag.records import Answer
from rag.settings import Settings
from tests.multi_data import CHANGE_Q, IAN_TOLL, ian_store

pytestmark = [pytest.mark.data, pytest.mark.slow]


@pytest.fixture(scope="module")
def ian(data_dir: Path, embeddings: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NewsRAG]:
    home = tmp_path_factory.mktemp("ian")
    store = ian_store(data_dir, home, embeddings, "ian")
    rag = NewsRAG(Settings(home=home, collection="ian", llm={"backend": "extractive"}), store=store)
    yield rag
    store.close()


def ask(rag: NewsRAG, question: str, as_of: date) -> Answer:
    return rag.ask(question, as_of=as_of)


def test_the_ian_toll_change_is_answered_from_several_articles_with_dates(ian: NewsRAG) -> None:
    answer = ask(ian, CHANGE_Q, date(2022, 10, 5))
    assert answer.kind == "change" and not answer.abstained
    cited = {c.passage.article_id for c in answer.citations}
    assert len(cited) >= 2 and cited <= IAN_TOLL.keys(), cited
    assert [len(t.found) > 0 for t in answer.trace] == [True] * len(answer.trace) and answer.trace

    (toll,) = [c for c in answer.conflicts if c.fact == "death toll"]
    assert toll.kind == "update"
    first, last = toll.values[0], toll.values[-1]
    assert first.published and last.published and first.published < last.published
    assert first.value < last.value and last.value >= 76  # the count rose to 76 and past 100
    assert {v.value for v in toll.values} <= {14, 13, 17, 27, 31, 32, 45, 76, 101, 105, 109}
    # Said with the outlets and dates, as a change rather than a disagreement.
    assert f"First reports gave the death toll as {first.text} [{first.n}] ({first.source}" in answer.text
    assert f"it was {last.text} [{last.n}] ({last.source})" in answer.text
    assert "an update, not a disagreement" in answer.text
    # Not mixed with another storm's toll, nor a county's.
    assert "Maria" not in answer.text and all(v.value not in (42, 54, 55, 70) for v in toll.values)


def test_a_plain_toll_question_reports_the_changed_figure(ian: NewsRAG) -> None:
    """The figures the cited sentences give differ by date: the answer says it was revised."""
    answer = ask(
        ian, "How did the death toll in Lee County, Florida, change after Hurricane Ian?", date(2022, 10, 5)
    )
    assert not answer.abstained
    lee = [c for c in answer.conflicts if "Lee" in c.fact]
    assert lee, (answer.text, answer.conflicts)
    values = {v.value for c in lee for v in c.values}
    assert values <= {5, 16, 42, 54, 55} and len(values) >= 2
    assert all(v.published for c in lee for v in c.values)


def test_one_search_per_sub_question(ian: NewsRAG, monkeypatch: pytest.MonkeyPatch) -> None:
    retriever = ian.engine.retriever
    calls: list[str] = []
    search = retriever.search

    def counted(query: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(query.question)
        return search(query, *args, **kwargs)

    monkeypatch.setattr(retriever, "search", counted)
    for question in (
        CHANGE_Q,
        "Which storm was stronger at landfall, Hurricane Fiona in Puerto Rico or Hurricane Ian in Florida?",
        "Did Hurricane Fiona hit Puerto Rico before or after Hurricane Ian hit Florida?",
        "Which states did Hurricane Ian hit?",
    ):
        calls.clear()
        answer = ask(ian, question, date(2022, 10, 5))
        plan = ian.plan(ian.query(question))
        assert plan is not None and answer.kind == plan.kind
        assert len(calls) == len(answer.trace) <= len(plan.parts), (question, calls)


def test_a_model_answer_is_verified_and_a_declined_one_falls_back_to_the_parts(ian: NewsRAG) -> None:
    from tests.answering_data import fake_llm

    def with_model(reply: str) -> NewsRAG:
        return NewsRAG(
            ian.settings.with_overrides({"llm.backend": "auto"}), store=ian.store, chat_model=fake_llm(reply)
        )

    declined = with_model("I cannot tell from these sources.").ask(CHANGE_Q, as_of=date(2022, 10, 5))
    assert declined.kind == "change" and not declined.abstained
    assert len({c.passage.article_id for c in declined.citations}) >= 2  # the extractive parts
    assert "I cannot tell" not in declined.text

    first = ask(ian, CHANGE_Q, date(2022, 10, 5))
    quote = first.citations[0].quote
    n = first.citations[0].n
    answered = with_model(f"{quote} [{n}]").ask(CHANGE_Q, as_of=date(2022, 10, 5))
    assert answered.text.startswith(quote.rstrip(".")) and [c.n for c in answered.citations][:1] == [n]
