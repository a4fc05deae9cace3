"""Whether an answer contains a gold answer: the strict SQuAD-style reading and the one a person makes.

``answer_contains_strict`` is the figure older runs reported: both sides go through
``normalize_answer`` (lowercase, punctuation and articles removed) and the gold must occur as whole
words. ``answer_contains`` reads further, as a person checking the answer would:

- possessives: "Ruritania's new prime minister" contains "Ruritania";
- numbers and currency: "$4,200,000" contains "$4.2 million", "68 percent" contains "68%",
  "twelve" contains "12"; "4.2" stays distinct from "42";
- list order: "Portugal and Spain" contains "Spain and Portugal".
"""

from __future__ import annotations

import itertools
import re
import string
import unicodedata
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from rag import MARKER

__all__ = [
    "answer_contains",
    "answer_contains_strict",
    "normalize_answer",
    "normalize_loose",
    "strip_citations",
]

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_DASH_OR_SLASH = re.compile(r"[/\\]|[\u2010-\u2015\u2212-]")


def _is_punct(ch: str) -> bool:
    return ch in string.punctuation or unicodedata.category(ch).startswith("P")


def normalize_answer(text: str) -> str:
    """SQuAD-style normalisation, extended for the Unicode found in news quizzes.

    In order: lowercase; ``&`` becomes `` and ``; dashes (ASCII hyphen, Unicode dashes, minus) and
    slashes become spaces (so "military-style" equals "military style"); every other punctuation
    character (ASCII ``string.punctuation`` and any Unicode ``P*`` category, which covers the curly
    quotes “ ” ‘ ’) is deleted, so "$19,000" -> "19000" and "Wendy’s" -> "wendys"; the articles
    a/an/the are removed as words; runs of white space fold to one space, ends stripped.

    Example: ``normalize_answer("“The Squid Game”!") == "squid game"``.
    """
    text = text.lower().replace("&", " and ")
    text = _DASH_OR_SLASH.sub(" ", text)
    text = "".join(ch for ch in text if not _is_punct(ch))
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def strip_citations(answer: str) -> str:
    """The answer without citation marks such as ``[1]`` or ``[2, 3]`` (so "[3]" never answers "3")."""
    return MARKER.sub(" ", answer)


def _contains_words(haystack: str, needle: str) -> bool:
    """Whether normalised ``needle`` occurs in normalised ``haystack`` on word boundaries."""
    return bool(needle) and f" {needle} " in f" {haystack} "


def answer_contains_strict(answer: str, golds: Sequence[str]) -> float | None:
    """1.0 if any gold answer, ``normalize_answer``-ed, occurs in the normalised answer as whole words.

    Citation marks (``[1]``, ``[2, 3]``) are removed from the answer first. Containment is on word
    boundaries ("4" is not found in "2024"); a gold that normalises to nothing (e.g. "The") never
    matches. This is the figure runs reported as ``answer_contains`` before the loose reading.

    Returns:
        1.0 or 0.0; ``None`` when ``golds`` is empty.
    """
    if not golds:
        return None
    norm = normalize_answer(strip_citations(answer))
    return 1.0 if any(_contains_words(norm, normalize_answer(g)) for g in golds) else 0.0


# --------------------------------------------------------------------------------------------------
# The loose reading
# --------------------------------------------------------------------------------------------------

_POSSESSIVE = re.compile(r"(?<=\w)[’']s\b|(?<=s)[’'](?=\s|$)")
_PERCENT = re.compile(r"\s*%|\bper\s+cent\b")
_SCALES = {"thousand": 3, "million": 6, "billion": 9, "trillion": 12, "k": 3, "m": 6, "bn": 9, "mn": 6}
_NUMBER = re.compile(
    r"(?<![\w.])(?P<whole>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?"
    r"(?:\s*(?P<scale>thousand|million|billion|trillion|bn|mn)\b|(?P<short>k|m)\b)?"
)
_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"
_TEENS_AND_TENS = "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety"
_WORD_NUMBERS = dict(
    zip(
        f"{_UNITS} {_TEENS_AND_TENS}".split(),
        [str(i) for i in range(21)] + [str(10 * i) for i in range(3, 10)],
        strict=True,
    )
)
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_WORD_NUMBERS) + r")\b")
_LIST_SPLIT = re.compile(r"\s*,\s*(?:and\s+|or\s+)?|\s+(?:and|or|&)\s+")
_MAX_LIST = 4


def _number_token(match: re.Match[str]) -> str:
    """A number with its scale word as one token: "4.2 million" and "4,200,000" -> "4200000"."""
    whole, frac = match.group("whole"), match.group("frac") or ""
    scale = match.group("scale") or match.group("short")
    try:
        value = Decimal(whole.replace(",", "") + frac)
    except InvalidOperation:  # pragma: no cover - the pattern only matches digits
        return match.group(0)
    if scale:
        value = value.scaleb(_SCALES[scale])
    text = format(value.normalize(), "f")
    return " " + text.replace(".", "point") + " "


def normalize_loose(text: str) -> str:
    """``normalize_answer`` after possessives, percentages and numbers are brought to one form.

    In order: lowercase; possessive 's (and the bare apostrophe of "voters'") removed; "%" and
    "per cent" read as "percent"; number words zero to twenty and the tens read as digits; a number
    with its separators and scale word becomes one token ("4.2 million", "4.2m", "4,200,000" and
    "4200000" -> "4200000"; a lone "m" or "k" counts only written against the number; "4.2" ->
    "4point2", so it never equals "42"); then ``normalize_answer`` (currency
    symbols go with the punctuation, so "$5" equals "5").
    """
    text = _POSSESSIVE.sub("", text.lower())
    text = _PERCENT.sub(" percent ", text)
    text = _NUMBER_WORD.sub(lambda m: _WORD_NUMBERS[m.group(1)], text)
    text = _NUMBER.sub(_number_token, text)
    return normalize_answer(text)


def _list_forms(gold: str) -> list[str]:
    """The loose forms of ``gold`` and, when it is a list of 2 to 4 items, of its items in every order.

    Each order is written the ways a sentence lists items: "a b and c", "a and b and c", "a b or c"
    (commas are gone once normalised).
    """
    forms = [normalize_loose(gold)]
    items = [normalize_loose(i) for i in _LIST_SPLIT.split(gold) if i.strip()]
    items = [i for i in items if i]
    if not 2 <= len(items) <= _MAX_LIST or len(set(items)) < len(items):
        return forms
    for order in itertools.permutations(items):
        head, last = " ".join(order[:-1]), order[-1]
        forms += [f"{head} and {last}", " and ".join(order), f"{head} or {last}"]
    return list(dict.fromkeys(f for f in forms if f))


def answer_contains(answer: str, golds: Sequence[str]) -> float | None:
    """1.0 if the answer contains a gold answer as a person reads it (``normalize_loose``), else 0.0.

    Both sides go through ``normalize_loose`` and the gold must occur as whole words; a gold that is
    a list ("Spain and Portugal", "A, B and C") also matches its items in any order. Citation marks
    are removed from the answer first; a gold that normalises to nothing never matches. Everything
    ``answer_contains_strict`` finds, this finds too, except where the strict match was an accident
    of deleted punctuation ("42" inside "4.2").

    Returns:
        1.0 or 0.0; ``None`` when ``golds`` is empty.
    """
    if not golds:
        return None
    norm = normalize_loose(strip_citations(answer))
    return 1.0 if any(_contains_words(norm, form) for g in golds for form in _list_forms(g)) else 0.0
