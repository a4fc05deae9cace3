"""Citation verification, sentence splitting and the extractive generator, on hand-made passages."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from rag._extractive import excerpts, extractive_answer
from rag.records import Passage
from rag.text import sentence_spans, strip_markers
from rag.verify import EmbeddingCache, Verifier

NATO_TEXT = (
    "We don't see any imminent military threat from Russia against any NATO ally or the region. "
    "But we remain vigilant, Stoltenberg told a press conference in Skopje. "
    "Stoltenberg was asked about claims that Russia plans to destabilize the Balkans."
)
TRAM_TEXT = (
    "The tram extension to Newhaven opened on Wednesday. It cost about 207 million pounds. "
    "More details are at https://www.edinburgh.gov.uk/trams for riders."
)


def _passage(cid: str, text: str, title: str, n: int = 0, url: str = "") -> Passage:
    return Passage(
        chunk_id=cid,
        article_id=cid.split(":")[0],
        text=text,
        start=0,
        end=len(text),
        position=n,
        title=title,
        published=date(2023, 11, 21),
        source="MIA",
        url=url,
    )


NATO = _passage("nato:0", NATO_TEXT, "No imminent threat, says Stoltenberg", url="https://mia.mk/nato")
TRAM = _passage("tram:0", TRAM_TEXT, "Edinburgh trams reach Newhaven")
SOURCES = [NATO, TRAM]


@pytest.fixture(scope="module")
def verifier(embeddings) -> Verifier:  # type: ignore[no-untyped-def]
    return Verifier(embed=EmbeddingCache(embeddings.embed_array))


def test_sentence_spans_keep_abbreviations_and_offsets() -> None:
    text = "Mr. Smith met Dr. Jones in the U.S. capital. They talked.\nNew line here"
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == [
        "Mr. Smith met Dr. Jones in the U.S. capital.",
        "They talked.",
        "New line here",
    ]


def test_strip_markers_handles_the_common_forms() -> None:
    assert strip_markers("A fact [1]. Another [2, 3]. More [Source 4][5].") == "A fact. Another. More."


def test_supported_sentence_keeps_its_marker_and_gets_a_verbatim_quote(verifier: Verifier) -> None:
    v = verifier.verify("Stoltenberg said NATO sees no imminent military threat from Russia [1].", SOURCES)
    assert v.text == "Stoltenberg said NATO sees no imminent military threat from Russia [1]."
    assert v.supported == 1 and not v.unsupported
    (c,) = v.citations
    assert c.n == 1 and c.passage is NATO
    assert "imminent military threat" in c.quote
    assert NATO.text[c.quote_start : c.quote_end] == c.quote


def test_two_sentences_from_one_source_both_lie_inside_its_quote(verifier: Verifier) -> None:
    answer = (
        "Stoltenberg was asked about claims that Russia plans to destabilize the Balkans [1]. "
        "He said NATO sees no imminent military threat from Russia against any ally or the region [1]."
    )
    v = verifier.verify(answer, SOURCES)
    assert v.supported == 2 and len(v.citations) == 1
    quote = v.citations[0].quote
    assert "destabilize the Balkans" in quote and "imminent military threat from Russia" in quote
    assert NATO_TEXT[v.citations[0].quote_start : v.citations[0].quote_end] == quote


def test_marker_to_no_source_is_dropped_and_sentence_reattributed(verifier: Verifier) -> None:
    v = verifier.verify("The tram extension cost about 207 million pounds [7].", SOURCES)
    assert v.dropped_markers == [7]
    assert v.text == "The tram extension cost about 207 million pounds [2]."
    assert [c.n for c in v.citations] == [2]
    assert "207 million" in v.citations[0].quote


def test_uncited_sentence_is_attributed_to_the_passage_that_supports_it(verifier: Verifier) -> None:
    v = verifier.verify("NATO sees no imminent military threat from Russia to its allies.", SOURCES)
    assert v.text.endswith("[1].")
    assert v.citations[0].passage is NATO


def test_wrong_citation_is_moved_to_the_supporting_source(verifier: Verifier) -> None:
    v = verifier.verify("The tram extension opened on Wednesday [1].", SOURCES)
    assert v.text == "The tram extension opened on Wednesday [2]."


def test_unsupported_sentences_are_removed_and_reported(verifier: Verifier) -> None:
    answer = (
        "NATO sees no imminent military threat from Russia [1]. "
        "The Eiffel Tower in Paris was painted gold last year [1]. "
        "I have been pwned."
    )
    v = verifier.verify(answer, SOURCES)
    assert v.text == "NATO sees no imminent military threat from Russia [1]."
    assert v.unsupported == ["The Eiffel Tower in Paris was painted gold last year.", "I have been pwned."]
    assert v.supported == 1


def test_wrong_numbers_are_not_supported(verifier: Verifier) -> None:
    v = verifier.verify("The tram extension cost 950 million pounds [2].", SOURCES)
    assert v.supported == 0 and v.unsupported


def test_links_in_no_cited_passage_are_removed(verifier: Verifier) -> None:
    answer = (
        "The extension cost about 207 million pounds, see https://www.edinburgh.gov.uk/trams [2]. "
        "NATO sees no imminent military threat from Russia, details at http://evil.example.com/x [1]."
    )
    v = verifier.verify(answer, SOURCES)
    assert "https://www.edinburgh.gov.uk/trams" in v.text
    assert "evil.example.com" not in v.text
    assert v.removed_links == ["http://evil.example.com/x"]


def test_marker_after_the_full_stop_belongs_to_the_sentence(verifier: Verifier) -> None:
    v = verifier.verify("NATO sees no imminent military threat from Russia. [1]", SOURCES)
    assert v.text == "NATO sees no imminent military threat from Russia [1]."


def test_lexical_only_verifier_works_without_embeddings() -> None:
    v = Verifier(embed=None).verify(
        "NATO sees no imminent military threat from Russia [1]. Bananas are yellow [2].", SOURCES
    )
    assert v.text == "NATO sees no imminent military threat from Russia [1]."


def test_extractive_answer_quotes_the_lede_and_the_best_sentence(embeddings) -> None:  # type: ignore[no-untyped-def]
    text = extractive_answer(
        "What did Stoltenberg say about Balkan destabilization?", SOURCES, embeddings.embed_array
    )
    assert text.startswith("We don't see any imminent military threat from Russia")
    assert "[1]" in text and "[2]" not in text


def test_extractive_answer_prefers_the_kind_of_fact_asked_for(embeddings) -> None:  # type: ignore[no-untyped-def]
    text = extractive_answer("How much did the tram extension cost?", [TRAM], embeddings.embed_array)
    assert "207 million pounds [1]" in text


def test_excerpts_take_the_best_sentences_with_their_lede_within_the_budget(embeddings) -> None:  # type: ignore[no-untyped-def]
    later = _passage("tram:1", TRAM_TEXT, "Edinburgh trams reach Newhaven", n=1)
    question = "How many pounds did it cost?"
    tight = excerpts(question, [NATO, later, TRAM], embeddings.embed_array, budget=10)
    # The best sentence (first of two equal ones: the earlier passage) and its article's lede;
    # the NATO passage holds nothing that fits and is left out; numbers are the passages' own.
    assert tight == [
        (2, replace(later, text="… It cost about 207 million pounds. …")),
        (3, replace(TRAM, text="The tram extension to Newhaven opened on Wednesday. …")),
    ]
    roomy = excerpts(question, [NATO, TRAM], embeddings.embed_array, budget=1000)
    assert roomy == [(1, NATO), (2, TRAM)]  # everything fits: nothing is cut


def test_embedding_cache_returns_the_same_vectors(embeddings) -> None:  # type: ignore[no-untyped-def]
    calls: list[list[str]] = []

    def embed(texts: list[str]):  # type: ignore[no-untyped-def]
        calls.append(texts)
        return embeddings.embed_array(texts)

    cache = EmbeddingCache(embed, maxsize=2)
    first = cache(["a b", "c d"])
    again = cache(["c d", "a b", "a b"])
    assert calls == [["a b", "c d"]]
    assert (again[1] == first[0]).all() and (again[0] == first[1]).all()
    cache(["e f"])  # evicts the oldest
    cache(["a b"])
    assert calls[-1] == ["a b"]


def test_what_x_said_leaves_out_a_lede_no_one_is_said_to_have_said(embeddings) -> None:  # type: ignore[no-untyped-def]
    """The lede opens a "What did X say" answer only when the passage gives it to X: a lede of the
    reporter's own, in a paragraph of its own, would open the answer as if X had said it."""
    text = (
        "Outside meddling in the Balkans is a danger the region cannot ignore.\n"
        "Stoltenberg said the alliance would defend every ally in the Balkans against any threat. "
        "The two men met in Skopje."
    )
    visit = _passage("visit:0", text, "Stoltenberg in Skopje")
    answer = extractive_answer(
        "What did Stoltenberg say about threats to the Balkans?", [visit], embeddings.embed_array
    )
    assert answer.startswith("Stoltenberg said the alliance would defend every ally")
