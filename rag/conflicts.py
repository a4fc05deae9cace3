"""Figures the cited passages give for the same fact, and where they differ.

A *figure* is a number in a cited quote (read by :func:`~rag.claims.quantities.number_spans`, so
``"$1.02 billion"``, ``"eight"`` and ``"second-largest"`` all count) together with the fact it
counts: the question's word right after it (``"3rd largest"``), else a group of words within three
words of it (killed, dead, deaths, toll: one fact, ``"death toll"``), else the question's word
right before it (``"Category 4"``). Only
facts the question asks about count (their words, or a word of their group, are in the question).

Each article gives one value per fact (its first). When two articles give different values, the
answer has a :class:`~rag.records.Conflict`, classified:

- ``update``: the reports are a day or more apart, and the later one is from the same outlet, cites
  officials or is two or more days later: a later report revises an earlier one;
- ``disagreement``: outlets give different values at the same time (the same day, or a day apart
  without an official source).

Example:
    >>> facts_in("At least 14 people were reported dead in Florida.", "How many died?")
    [('death toll', 14.0, 'At least 14')]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from rag._query import content_words
from rag.claims.quantities import number_spans, same_number
from rag.records import Citation, Conflict, ReportedValue
from rag.text import sentence_spans, stem

__all__ = ["conflict_note", "facts_in", "figures", "find_conflicts", "format_day"]

# Words that name one fact; a question naming any of them asks about the whole group.
_GROUPS: dict[str, frozenset[str]] = {
    "death toll": frozenset({"death", "dead", "die", "kill", "toll", "fatal", "live", "bodi"}),
    "number injured": frozenset({"injur", "wound", "hurt"}),
    "number without power": frozenset({"power", "outag", "electr"}),
    "jackpot": frozenset({"jackpot", "prize"}),
    "rate": frozenset({"rate", "inflat", "percent", "point"}),
}
_QUALIFIER = re.compile(
    r"(?:\b(?:at least|more than|over|about|nearly|almost|around|some|up to|fewer than|less than)\s+"
    r"|\$|£|€)+$",
    re.I,
)
_OFFICIAL = re.compile(
    r"\b(officials?|authorit(?:y|ies)|governor|gov\.|sheriff|police|ministry|department|agency|"
    r"medical examiner|according to)\b",
    re.I,
)
_WINDOW = 3  # content words after a number that may name what it counts


def _stems(words: Sequence[str]) -> list[str]:
    return [stem(w.lower()) for w in words]


def _asked(question: str) -> set[str]:
    """The question's content stems, widened by the group of each."""
    asked = set(_stems(content_words(question)))
    for words in _GROUPS.values():
        if asked & words:
            asked |= words
    return asked


def _fact(before: list[str], after: list[str], asked: set[str]) -> str | None:
    """The fact a number counts, from the stems after and before it, if the question asks about it."""
    if after[:1] and after[0] in asked and not any(after[0] in w for w in _GROUPS.values()):
        return after[0]  # "3rd largest": the word right after names it
    for name, words in _GROUPS.items():
        if words & asked and words & set(after[:_WINDOW] + before[-2:]):
            return name
    if before[-1:] and before[-1] in asked and not before[-1].isdigit():
        return before[-1]  # "Category 4"
    return None


def facts_in(sentence: str, question: str) -> list[tuple[str, float, str]]:
    """``(fact, value, text)`` for each number in ``sentence`` that counts something the question
    asks about; ``text`` is the number as written, with "at least" and the like."""
    asked = _asked(question)
    out: list[tuple[str, float, str]] = []
    for value, start, end in number_spans(sentence):
        before = _stems(content_words(sentence[max(0, start - 60) : start]))
        after = _stems(content_words(sentence[end : end + 80]))
        fact = _fact(before, after, asked)
        if fact is None:
            continue
        lead = _QUALIFIER.search(sentence[max(0, start - 24) : start])
        text = (lead.group(0) if lead else "") + sentence[start:end]
        out.append((fact, value, text.strip()))
    return out


def figures(citations: Sequence[Citation], question: str) -> dict[str, list[ReportedValue]]:
    """Per fact the question asks about, the value each cited article gives (its first), oldest first."""
    by_fact: dict[str, dict[str, ReportedValue]] = {}
    for c in citations:
        for a, b in sentence_spans(c.quote):
            for fact, value, text in facts_in(c.quote[a:b], question):
                p = c.passage
                seen = by_fact.setdefault(fact, {})
                if p.article_id not in seen:
                    seen[p.article_id] = ReportedValue(text, value, c.n, p.source, p.published)
    return {fact: sorted(v.values(), key=_when) for fact, v in by_fact.items()}


def _when(v: ReportedValue) -> tuple[date, int]:
    return (v.published or date.min, v.n)


def find_conflicts(citations: Sequence[Citation], question: str) -> list[Conflict]:
    """The facts on which the cited articles give different values, each classified (see the module)."""
    out: list[Conflict] = []
    official = {c.n: bool(_OFFICIAL.search(c.quote)) for c in citations}
    for fact, values in figures(citations, question).items():
        distinct: list[ReportedValue] = []
        for v in values:
            if not any(same_number(v.value, d.value) for d in distinct):
                distinct.append(v)
        if len(distinct) < 2:
            continue
        out.append(Conflict(fact, _kind(distinct, official), tuple(distinct)))
    return out


def _kind(values: Sequence[ReportedValue], official: dict[int, bool]) -> str:
    first, last = values[0], values[-1]
    if first.published is None or last.published is None:
        return "disagreement"
    days = (last.published - first.published).days
    if days >= 2 or (days >= 1 and (first.source == last.source or official.get(last.n, False))):
        return "update"
    return "disagreement"


def format_day(d: date | None) -> str:
    """``29 September 2022`` ("an unknown date" for None)."""
    return f"{d.day} {d:%B %Y}" if d else "an unknown date"


def _outlet(v: ReportedValue) -> str:
    return v.source or "an unnamed source"


def conflict_note(conflict: Conflict) -> str:
    """The sentence the answer adds for a conflict, naming each outlet and date, and which kind it is.

    Example (an update):
        "First reports put the death toll at at least 14 [1] (usatoday.com, 29 September 2022); by
        4 October 2022 it was at least 109 [5] (cnn.com). Later reports revised the figure: an
        update, not a disagreement."
    """
    values = conflict.values
    fact = conflict.fact if conflict.fact in _GROUPS else f"“{conflict.fact}” figure"
    if conflict.kind == "update":
        first, rest = values[0], values[1:]
        text = (
            f"First reports put the {fact} at {first.text} [{first.n}] "
            f"({_outlet(first)}, {format_day(first.published)})"
        )
        for v in rest:
            text += f"; by {format_day(v.published)} it was {v.text} [{v.n}] ({_outlet(v)})"
        return text + ". Later reports revised the figure: an update, not a disagreement."
    said = [f"{_outlet(v)} ({format_day(v.published)}) gives {v.text} [{v.n}]" for v in values]
    return (
        f"The reports disagree on the {fact}: {'; '.join(said)}. "
        "They differ at the same time, so this is a disagreement between reports, not an update."
    )
