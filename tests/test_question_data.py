"""Dates and sources read from questions over corpus-1k (slow: uses the session's ingested corpus)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rag import NewsRAG, Settings

pytestmark = [pytest.mark.slow, pytest.mark.data]


@pytest.fixture(scope="module")
def api(corpus_1k, tmp_path_factory: pytest.TempPathFactory) -> NewsRAG:  # type: ignore[no-untyped-def]
    _, store, _ = corpus_1k
    home: Path = tmp_path_factory.mktemp("question-data")
    return NewsRAG(Settings(home=home, llm={"backend": "extractive"}), store=store)


def test_a_named_outlet_limits_the_answer_to_its_articles(api: NewsRAG) -> None:
    answer = api.ask("What did USA Today report about the James Webb telescope images?")
    assert not answer.abstained and answer.citations
    assert {c.passage.source for c in answer.citations} == {"usatoday.com"}
    scope = answer.to_dict()["scope"]
    assert scope["sources"] == ["usatoday.com"] and scope["from"] == ["USA Today"]
    assert not scope["widened"]


@pytest.mark.parametrize(
    ("words", "since", "until"),
    [
        ("in August 2022", date(2022, 8, 1), date(2022, 8, 31)),
        ("between August and October 2022", date(2022, 8, 1), date(2022, 10, 31)),
    ],
)
def test_a_named_month_or_range_limits_the_search(api: NewsRAG, words: str, since: date, until: date) -> None:
    found = api.retrieve(f"What happened with gas prices {words}?")
    scope = found.search_scope()
    assert (scope.since, scope.until, scope.phrases, scope.widened) == (since, until, (words,), False)
    published = {h.passages[0].published for h in found.articles}
    assert published and all(d is not None and since <= d <= until for d in published)


def test_a_window_with_nothing_in_it_widens_and_says_so(api: NewsRAG) -> None:
    answer = api.ask("What happened with gas prices in March 2009?")
    scope = answer.to_dict()["scope"]
    assert scope["widened"] and scope["from"] == ["in March 2009"]
    assert scope["since"] is None and scope["until"] is None
    assert answer.passages  # everything was searched
