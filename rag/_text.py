"""Sentence spans, citation markers and links in plain text (pure functions, no models)."""

from __future__ import annotations

import re

# Abbreviations after which a full stop does not end a sentence.
_ABBREV = frozenset(
    """
    mr mrs ms dr prof sr jr st mt gen col lt sgt capt gov sen rep rev hon pres vs etc inc ltd co corp
    jan feb mar apr jun jul aug sep sept oct nov dec no fig approx est dept univ u.s u.k e.g i.e
    """.split()  # noqa: SIM905
)
_BOUNDARY = re.compile(r"""([.!?…]+)(["'”’)\]]*)(\s+)(?=["'“‘(\[]?[A-Z0-9])""")
_NEWLINES = re.compile(r"\n\s*")

MARKER = re.compile(
    r"\[\s*(?:(?:sources?|src)\s*)?(\d{1,3}(?:\s*(?:,|;|and)\s*(?:(?:sources?|src)\s*)?\d{1,3})*)\s*\]", re.I
)
URL = re.compile(r"""(?:https?://|www\.)[^\s<>()\[\]"'`]+[^\s<>()\[\]"'`.,;:!?]""", re.I)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence, white space trimmed; lines always end a sentence.

    Example:
        >>> t = "Mr. Smith came. He left! Then 3 more."
        >>> [t[a:b] for a, b in sentence_spans(t)]
        ['Mr. Smith came.', 'He left!', 'Then 3 more.']
    """
    cuts: list[int] = []
    for m in _NEWLINES.finditer(text):
        cuts.append(m.start())
    for m in _BOUNDARY.finditer(text):
        before = text[: m.start(1)]
        word = before.rsplit(None, 1)[-1].lower().rstrip(".") if before.strip() else ""
        if m.group(1) == "." and (word in _ABBREV or (len(word) == 1 and word.isalpha())):
            continue
        cuts.append(m.end(2))
    spans: list[tuple[int, int]] = []
    start = 0
    for cut in [*sorted(set(cuts)), len(text)]:
        a, b = start, cut
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            spans.append((a, b))
        start = cut
    return spans


def marker_numbers(group: str) -> list[int]:
    """The numbers inside one marker's brackets: ``"1, 2"`` -> ``[1, 2]``."""
    return [int(n) for n in re.findall(r"\d+", group)]


def strip_markers(text: str) -> str:
    """The text without citation markers, spacing tidied."""
    out = MARKER.sub("", text)
    out = re.sub(r"\s+([.,;:!?])", r"\1", out)
    return re.sub(r"[ \t]{2,}", " ", out).strip()


def tidy(text: str) -> str:
    """Fold runs of spaces and drop spaces before punctuation."""
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)
    return text.strip()
