"""Grounding: whether an answer's sentences are supported by the passages they cite, computed locally
(content-word overlap; no model)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag import FUNCTION_WORDS, MARKER, stem

__all__ = ["GROUNDING_THRESHOLD", "content_tokens", "grounding", "grounding_flags", "supports"]

GROUNDING_THRESHOLD = 0.6
"""A sentence is supported when at least this share of its content words occur in its cited passages."""


# Function words only (numbers and negations stay content words); "ca" and "wo" are what the negation
# split leaves of "can't" and "won't".
_STOPWORDS = FUNCTION_WORDS | {"ca", "wo", "us"}
_NEGATION = re.compile(r"n[’']t\b")
_APOSTROPHE = re.compile(r"[’']")
_DIGIT_SEPARATOR = re.compile(r"(?<=\d)[.,](?=\d)")
_NON_WORD = re.compile(r"[\W_]+")


def content_tokens(text: str) -> list[str]:
    """Lowercased words without citation marks or stopwords, Snowball-stemmed."""
    text = MARKER.sub(" ", text.lower())
    text = _NEGATION.sub(" not", text)
    text = _APOSTROPHE.sub("", text)
    text = _DIGIT_SEPARATOR.sub("", text)
    return [stem(w) for w in _NON_WORD.sub(" ", text).split() if w not in _STOPWORDS]


def supports(sentence: str, passage_text: str) -> float:
    """How far a passage supports a sentence: the share of the sentence's content words in the passage.

    Both texts go through the same tokenizer: lowercase; citation marks like ``[1]`` or ``[2, 3]``
    removed; "n't" read as "not"; apostrophes deleted; thousands/decimal separators between digits
    deleted ("19,000" -> "19000"); every other non-letter/digit character splits words; stopwords
    (function words; negations and numbers are kept) dropped; the Snowball stemmer applied
    (``rag.stem``). The score is
    ``|distinct sentence tokens found in the passage| / |distinct sentence tokens|``.
    A sentence with no content words makes no checkable claim and scores 1.0.

    Example: with ``p = "Stoltenberg warns against destabilization in the Balkans"``,
    ``supports("Stoltenberg warned of destabilization [1].", p) == 1.0`` (stoltenberg, warn,
    destabilization all found) and ``supports("Stoltenberg praised Serbia.", p) == 1/3``.
    """
    words = set(content_tokens(sentence))
    if not words:
        return 1.0
    return len(words & set(content_tokens(passage_text))) / len(words)


def grounding_flags(
    sentences_with_passages: Sequence[tuple[str, Sequence[str]]],
    threshold: float = GROUNDING_THRESHOLD,
) -> list[bool]:
    """Per answer sentence, whether the passages it cites support it.

    A sentence is supported when ``supports(sentence, " ".join(cited_passages)) >= threshold``: the
    passages it cites are read together, so a sentence combining facts from [1] and [2] can pass.
    A sentence that cites no passage is unsupported.

    Args:
        sentences_with_passages: ``(sentence, texts of the passages it cites)`` per answer sentence.
        threshold: least share of content words that must be found (default 0.6).
    """
    return [
        bool(passages) and supports(sentence, "\n".join(passages)) >= threshold
        for sentence, passages in sentences_with_passages
    ]


def grounding(
    sentences_with_passages: Sequence[tuple[str, Sequence[str]]],
    threshold: float = GROUNDING_THRESHOLD,
) -> float | None:
    """Share of answer sentences supported by the passages they cite (see ``grounding_flags``).

    Returns:
        A share in [0, 1]; ``None`` when there are no sentences (e.g. an abstention).
    """
    flags = grounding_flags(sentences_with_passages, threshold)
    return sum(flags) / len(flags) if flags else None
