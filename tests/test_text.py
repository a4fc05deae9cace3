"""The shared text toolkit: one marker grammar for the verifier and eval, URL ids and their loose keys."""

from __future__ import annotations

import re

import pytest

from eval._rows import answer_sentences
from eval.containment import strip_citations
from rag import (
    FUNCTION_WORDS,
    MONTHS,
    NAME_WORD,
    canonical_url,
    marker_numbers,
    sentences,
    stem,
    strip_markers,
    url_key,
)
from rag.records import Passage
from rag.verify import Verifier


def _passage(article_id: str, text: str) -> Passage:
    return Passage(
        chunk_id=f"{article_id}:0",
        article_id=article_id,
        text=text,
        start=0,
        end=len(text),
        position=0,
        title=article_id,
        published=None,
        source="",
        url="",
    )


NATO = _passage(
    "nato", "We don't see any imminent military threat from Russia against any NATO ally or the region."
)
TRAM = _passage(
    "tram", "The tram extension to Newhaven opened on Wednesday. It cost about 207 million pounds."
)


@pytest.mark.parametrize(
    ("group", "numbers"),
    [
        ("1", [1]),
        ("1, 2", [1, 2]),
        ("1, 3-5", [1, 3, 4, 5]),
        ("2–3", [2, 3]),
        ("source 2 and 7", [2, 7]),
        ("4-4", [4]),
        ("3-400", [3, 400]),  # too wide to be a range: its two ends
    ],
)
def test_marker_numbers(group: str, numbers: list[int]) -> None:
    assert marker_numbers(group) == numbers


def test_a_range_marker_cites_each_source_in_it_for_the_verifier_and_for_eval() -> None:
    answer = (
        "NATO sees no imminent military threat from Russia [1-2]. The tram cost 207 million pounds [1–2]."
    )
    verified = Verifier(embed=None).verify(answer, [NATO, TRAM])
    assert verified.text == (
        "NATO sees no imminent military threat from Russia [1]. The tram cost 207 million pounds [2]."
    )
    assert [n for _, n in answer_sentences(answer)] == [[1, 2], [1, 2]]
    assert (
        strip_markers(answer)
        == "NATO sees no imminent military threat from Russia. The tram cost 207 million pounds."
    )
    assert "[" not in strip_citations(answer)


def test_a_range_to_missing_sources_is_dropped_by_the_verifier() -> None:
    verified = Verifier(embed=None).verify(
        "NATO sees no imminent military threat from Russia [2-4].", [NATO, TRAM]
    )
    assert verified.dropped_markers == [3, 4]
    assert verified.text == "NATO sees no imminent military threat from Russia [1]."


def test_brackets_that_are_not_markers_stay() -> None:
    assert (
        strip_markers("The vote [in March] passed 52-48 [sic].") == "The vote [in March] passed 52-48 [sic]."
    )
    assert answer_sentences("It passed [in March].") == [("It passed [in March].", [])]


def test_sentences_keep_abbreviations_and_cut_at_lines() -> None:
    # An abbreviation that opens a sentence other than the first ("Mr." after "came.") holds too. A
    # full stop after "p.m." never ends a sentence, even before a capital: the chunker's rule, kept so
    # that stored chunks do not move.
    text = "He came. Mr. Smith met Dr. Jones at 5 p.m. He left.\nNo. 10 said no. Next line"
    assert sentences(text) == [
        "He came.",
        "Mr. Smith met Dr. Jones at 5 p.m. He left.",
        "No. 10 said no.",
        "Next line",
    ]


@pytest.mark.parametrize(
    ("url", "canonical", "key"),
    [
        ("HTTPS://WWW.Example.com/a/?x=1#f", "https://www.example.com/a/?x=1", "example.com/a"),
        (
            "http://news.example.org:80/story?utm_source=rss&id=7",
            "http://news.example.org/story?id=7",
            "news.example.org/story",
        ),
        ("https://example.com:8443/a", "https://example.com:8443/a", "example.com/a"),
        ("https://example.com", "https://example.com/", "example.com"),
    ],
)
def test_a_urls_stored_id_and_its_loose_key(url: str, canonical: str, key: str) -> None:
    assert canonical_url(url) == canonical
    assert url_key(url) == key
    assert url_key(canonical) == key


def test_loose_key_of_a_bare_host_or_a_malformed_url() -> None:
    assert url_key("www.cnn.com/2022/06/12/x/index.html/") == "cnn.com/2022/06/12/x/index.html"
    assert url_key("http://[::1") == ""
    assert url_key("  ") == ""


def test_month_names_and_abbreviations() -> None:
    assert (MONTHS["january"], MONTHS["sept"], MONTHS["may"], MONTHS["dec"]) == (1, 9, 5, 12)
    assert len(MONTHS) == 24


def test_a_name_word_is_one_capitalised_word_as_names_are_written() -> None:
    for word in ("Skopje", "O'Brien", "O’Neill", "U.S.", "Jean-Luc", "NATO"):
        assert re.fullmatch(NAME_WORD, word), word
    for text in ("skopje", "New York", "'Brien", "-Luc"):
        assert not re.fullmatch(NAME_WORD, text), text


def test_one_stemmer_joins_the_forms_a_check_must_match() -> None:
    pairs = [
        ("allies", "ally"),
        ("threats", "threat"),
        ("destabilization", "destabilize"),
        ("Elected", "elections"),
    ]
    assert all(stem(a) == stem(b) for a, b in pairs)
    assert stem("2024") == "2024"
    assert stem("win") != stem("won")  # no irregular forms: "won" is not "win"


def test_function_words_keep_negations_for_the_checks() -> None:
    assert {"the", "of", "was"} <= FUNCTION_WORDS
    assert not {"no", "not", "never", "us"} & FUNCTION_WORDS


def test_the_splitter_comparison_counts_where_pysbd_ends_sentences_otherwise() -> None:
    """bench/sentences.py, which keeps rag.text's splitter over pysbd's (docs/text.md), on made-up
    texts: one both split alike, one where pysbd ends a sentence after "p.m." before a weekday."""
    pytest.importorskip("pysbd")
    from bench.sentences import compare

    alike = "Mr. Lee met Dr. Ruiz in the U.S. capital. They spoke for an hour."
    pm = "The vote is at 3 p.m. Tuesday in the hall. It will be close."
    c = compare([alike, pm])
    assert (c.articles, c.ours_sentences, c.pysbd_sentences) == (2, 4, 5)
    assert (c.articles_split_differently, c.ends_only_ours, c.ends_only_pysbd) == (1, 0, 1)
