"""Chunks: slices of the article, sentence-aligned, sized in the model's word pieces with the header."""

from __future__ import annotations

import itertools
import re
from datetime import date

import pytest

from ingest import chunk_article, chunk_header
from rag.embeddings import MAX_TOKENS, count_tokens
from rag.records import Article
from rag.text import sentence_spans


def _article(text: str, title: str = "A title", **kw: object) -> Article:
    return Article(id="doc-1", title=title, text=text, published=date(2023, 11, 21), source="MIA", **kw)  # type: ignore[arg-type]


def _long_text(paragraphs: int = 12, sentences: int = 6) -> str:
    paras = []
    for p in range(paragraphs):
        paras.append(
            " ".join(
                f"Sentence {s} of paragraph {p} tells how the council voted on the new budget for roads."
                for s in range(sentences)
            )
        )
    return "\n\n".join(paras)


@pytest.mark.parametrize("max_tokens", [64, 128, 200, 250])
def test_chunks_are_exact_slices_within_the_model_limit(max_tokens: int) -> None:
    article = _article(_long_text())
    chunks = chunk_article(article, max_tokens=max_tokens, overlap_tokens=20)
    assert len(chunks) > 1
    for i, ch in enumerate(chunks):
        assert article.text[ch.start : ch.end] == ch.text
        assert ch.position == i and ch.id == f"doc-1#{i}" and ch.article_id == "doc-1"
        assert ch.n_tokens <= max_tokens
        assert count_tokens([ch.text])[0] - 2 == ch.n_tokens
        assert count_tokens([ch.embed_text])[0] <= MAX_TOKENS  # the model never cuts a chunk
    covered = set()
    for ch in chunks:
        covered.update(range(ch.start, ch.end))
    words = [i for i, c in enumerate(article.text) if not c.isspace()]
    assert all(i in covered for i in words), "every character of the article is in some chunk"


def test_chunks_end_at_sentence_ends_and_overlap_by_whole_sentences() -> None:
    article = _article(_long_text(paragraphs=4, sentences=10))
    chunks = chunk_article(article, max_tokens=100, overlap_tokens=40)
    for ch in chunks:
        assert ch.text.endswith("roads.")
        assert ch.text.startswith("Sentence ")
    overlaps = [a.end - b.start for a, b in itertools.pairwise(chunks)]
    assert any(o > 0 for o in overlaps), "consecutive chunks share sentences"
    assert all(
        o <= 0 or count_tokens([article.text[b.start : a.end]])[0] - 2 <= 40
        for o, a, b in zip(overlaps, chunks, chunks[1:], strict=False)
    )


def test_no_overlap_when_zero() -> None:
    article = _article(_long_text(paragraphs=3))
    chunks = chunk_article(article, max_tokens=80, overlap_tokens=0)
    assert all(a.end <= b.start for a, b in itertools.pairwise(chunks))


def test_paragraph_breaks_are_preferred() -> None:
    para = " ".join(f"Short sentence number {i} about the match." for i in range(7))
    article = _article("\n\n".join(para.replace("match", f"match {p}") for p in range(5)))
    chunks = chunk_article(article, max_tokens=160, overlap_tokens=0)
    starts = {0} | {m.end() for m in re.finditer(r"\n\n", article.text)}
    assert len(chunks) >= 3
    assert all(ch.start in starts for ch in chunks), "chunks start at paragraph starts when they fit"


def test_header_is_embedded_but_not_in_the_text() -> None:
    article = _article("Only one sentence here.", title="NATO chief in Skopje")
    (chunk,) = chunk_article(article)
    assert chunk.text == "Only one sentence here."
    assert chunk.embed_text == "NATO chief in Skopje | 2023-11-21 | MIA\nOnly one sentence here."
    (plain,) = chunk_article(article, header=False)
    assert plain.embed_text == plain.text


def test_a_long_title_is_shortened_in_the_header_only() -> None:
    title = " ".join(["Extraordinarily"] * 120)
    header = chunk_header(_article("x", title=title))
    assert count_tokens([header])[0] - 2 <= 48
    assert header.endswith("| 2023-11-21 | MIA")
    chunks = chunk_article(_article(_long_text(), title=title), max_tokens=250)
    assert all(count_tokens([c.embed_text])[0] <= MAX_TOKENS for c in chunks)


def test_a_sentence_longer_than_a_chunk_is_cut_at_word_boundaries() -> None:
    text = "word " * 600 + "end."
    article = _article(text.strip())
    chunks = chunk_article(article, max_tokens=100, overlap_tokens=0)
    assert len(chunks) >= 6
    for ch in chunks:
        assert article.text[ch.start : ch.end] == ch.text
        assert not ch.text.startswith(" ") and ch.n_tokens <= 100


def test_an_empty_article_has_no_chunks() -> None:
    assert chunk_article(_article("")) == []
    assert chunk_article(_article("   \n\n ")) == []


def test_sentence_splitting_keeps_abbreviations_and_initials() -> None:
    text = 'Mr. Smith met U.S. envoys. He said "no." Then J. Doe left... and came back! Really?'
    spans = [text[s:e] for s, e in sentence_spans(text)]
    assert spans == [
        "Mr. Smith met U.S. envoys.",
        'He said "no."',
        "Then J. Doe left... and came back!",
        "Really?",
    ]
