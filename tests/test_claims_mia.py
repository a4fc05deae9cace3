"""The must-shows on the real MIA article (../shared/data/articles): the checker, the verifier
with a draft that puts Zelensky's claim in Stoltenberg's mouth, and the extractive answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from rag.api import NewsRAG
from rag.settings import Settings
from rag.store import NewsStore
from tests.answering_data import MIA_ID, STOLTENBERG_Q, build_store, fake_llm

pytestmark = pytest.mark.data

WRONG_MOUTH = "Stoltenberg said Russia has a plan to destabilise the Balkans"
NO_THREAT = "NATO sees no imminent military threat from Russia against its allies"


@pytest.fixture(scope="module")
def mia(tmp_path_factory: pytest.TempPathFactory, data_dir: Path, embeddings) -> Iterator[NewsStore]:  # type: ignore[no-untyped-def]
    store = build_store(tmp_path_factory.getbasetemp(), "mia", [data_dir / "articles"], embeddings)
    yield store
    store.close()


def _check(store: NewsStore, *args: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(
        app, ["check", *args, "--json", "--home", str(store.home), "--collection", store.collection_name]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_check_catches_words_in_the_wrong_mouth(mia: NewsStore) -> None:
    out = _check(mia, WRONG_MOUTH)
    assert (out["verdict"], out["kind"]) == ("contradicted", "speaker")
    assert "Zelensky" in out["reason"]
    assert any("Zelensky" in e["quote"] and e["article_id"] == MIA_ID for e in out["evidence"])


def test_check_supports_what_the_article_says(mia: NewsStore) -> None:
    out = _check(mia, NO_THREAT)
    assert out["verdict"] == "supported", out["reason"]
    assert "imminent military threat" in out["evidence"][0]["quote"]
    assert _check(mia, NO_THREAT, "--article", MIA_ID)["verdict"] == "supported"


def test_check_reverses_polarity_and_misses_what_is_unsaid(mia: NewsStore) -> None:
    api = NewsRAG(Settings(home=mia.home), store=mia)
    flipped = api.check("NATO sees an imminent military threat from Russia against its allies")
    assert (flipped.verdict, flipped.kind) == ("contradicted", "negation")
    assert api.check("Stoltenberg said NATO will open a new base in Skopje next year").verdict != "supported"


def test_verifier_rewrites_a_claim_put_in_the_wrong_mouth(mia: NewsStore) -> None:
    draft = (
        "Stoltenberg said that NATO does not see any imminent military threat from Russia [1]. "
        "Stoltenberg said that Russia has a plan for military destabilization on the Balkans [1]."
    )
    api = NewsRAG(Settings(home=mia.home), store=mia, chat_model=fake_llm(draft, draft))
    answer = api.ask(STOLTENBERG_Q, backend="local")
    assert "Stoltenberg said that Russia has a plan" not in answer.text
    assert [c.kind for c in answer.corrections] == ["speaker"]
    fixed = answer.corrections[0]
    assert fixed.claim.startswith("Stoltenberg said that Russia")
    assert (fixed.action == "rewritten" and "Zelensky" in fixed.replacement) or fixed.action == "removed"
    assert "imminent military threat" in answer.text
    assert answer.to_dict()["corrections"][0]["kind"] == "speaker"


def test_a_draft_that_only_misquotes_the_asked_speaker_is_answered_from_the_article(mia: NewsStore) -> None:
    # What the bundled 1.5B model drafted for this question over this article.
    draft = "Stoltenberg said that Russia has a plan for military destabilization on the Balkans [2]."
    api = NewsRAG(Settings(home=mia.home), store=mia, chat_model=fake_llm(draft, draft))
    answer = api.ask(STOLTENBERG_Q, backend="local")
    assert not answer.abstained
    assert "imminent military threat" in answer.text and "Zelensky" not in answer.text
    assert any(
        "imminent military threat" in c.quote and c.passage.article_id == MIA_ID for c in answer.citations
    )
    assert [(c.kind, c.action) for c in answer.corrections] == [("speaker", "rewritten")]


def test_extractive_answer_keeps_to_stoltenbergs_whole_sentences(mia: NewsStore) -> None:
    api = NewsRAG(Settings(home=mia.home), store=mia)
    answer = api.ask(STOLTENBERG_Q, backend="extractive")
    assert "imminent military threat" in answer.text
    assert any(
        "imminent military threat" in c.quote and c.passage.article_id == MIA_ID for c in answer.citations
    )
    assert "Zelensky" not in answer.text
    assert "vigilant" in answer.text and "reinforce" in answer.text  # the main points, not one sentence
    assert not answer.text.startswith("And ")  # never a fragment opening mid-quote


def test_extractive_answer_never_puts_another_speaker_first(mia: NewsStore) -> None:
    api = NewsRAG(Settings(home=mia.home), store=mia)
    answer = api.ask("What did Kovachevski say about Russian influence?", backend="extractive")
    first = answer.text.split(" [")[0]
    assert "Stoltenberg" not in first and "NATO Secretary General" not in answer.text
    assert "Kovachevski" in answer.text or "Russian influence" in first
