"""Figures the cited passages give for the same fact, and where they differ.

A *figure* (:class:`Figure`) is a number in a cited quote (read by
:func:`~rag.claims.quantities.number_spans`, so ``"$1.02 billion"``, ``"eight"`` and
``"second-largest"`` all count) with what it counts, its unit and its subject:

- the *fact*: the question's word right after the number (``"3rd largest"``), else the nearest
  group of words within three words of it (killed, dead, deaths, toll: one fact, ``"death toll"``;
  inflation and interest rates are two facts), else the question's word right before it
  (``"Category 4"``). Only facts the question asks about count;
- the *unit*: ``%``, ``points`` (percentage or basis points) or the currency sign, else none;
- the *subject*: the names in the number's clause that the question does not name (speakers and
  sources left out): "54 died in Lee County" and "Florida's toll is 76" count different things
  for a question about Hurricane Ian, and "Hurricane Michael killed 16" another storm.

Two figures are the same fact only when fact, unit and subject are all equal: a false conflict
(two storms' tolls, a price beside a rate) misleads more than a missed one. Each article gives
one value per fact: for a running count (deaths, injured, a jackpot) its largest, else its value
when it gives only one. When two articles give different values, the answer has a
:class:`~rag.records.Conflict`, classified:

- ``update``: the reports are a day or more apart, and the later one is from the same outlet, cites
  officials or is two or more days later: a later report revises an earlier one;
- ``disagreement``: outlets give different values at the same time (the same day, or a day apart
  without an official source).

A figure that is not a running count (a rate, a rank) is compared only between reports at most
:data:`SAME_TIME_DAYS` apart: a rate reported in May and another in June are two decisions.

Example:
    >>> f = facts_in("At least 14 people were reported dead in Florida.", "How many died in Florida?")
    >>> [(x.fact, x.value, x.text, x.subject) for x in f]
    [('death toll', 14.0, 'At least 14', ())]
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from rag._query import content_words
from rag.claims.quantities import number_spans, same_number
from rag.claims.speakers import cues, name_tokens
from rag.records import Citation, Conflict, ReportedValue
from rag.text import FUNCTION_WORDS, MONTHS, sentence_spans, stem

__all__ = [
    "SAME_TIME_DAYS",
    "Figure",
    "conflict_note",
    "facts_in",
    "figures",
    "find_conflicts",
    "format_day",
    "on_topic",
    "question_places",
]

# Words that name one fact; a question naming any of them asks about the whole group.
_GROUPS: dict[str, frozenset[str]] = {
    "death toll": frozenset({"death", "dead", "die", "kill", "toll", "fatal", "live", "bodi"}),
    "number injured": frozenset({"injur", "wound", "hurt"}),
    "number without power": frozenset({"power", "outag", "electr"}),
    "jackpot": frozenset({"jackpot", "prize"}),
    "inflation": frozenset({"inflat", "cpi"}),
    "interest rate": frozenset({"interest", "rate", "hike", "rais", "basi"}),
}
_RUNNING = frozenset({"death toll", "number injured", "jackpot"})  # counts that grow as news comes in
SAME_TIME_DAYS = 2
"""Other figures are compared only between reports at most this many days apart."""

_QUALIFIER = re.compile(
    r"(?:\b(?:at least|more than|over|about|nearly|almost|around|some|up to|fewer than|less than|an?)\s+"
    r"|\$|£|€)+$",
    re.I,
)
_PERCENT = re.compile(r"^\s*(?:%|per\s?cent\b)", re.I)
_POINTS = re.compile(r"^\s*(?:-\s*)?(?:percentage[- ]points?|basis[- ]points?|points?|bps)\b", re.I)
_CURRENCY = re.compile(r"[$£€]")
_CLAUSE = re.compile(
    r"[;—–:]|\s\(|,\s*(?:while|but|as|after|compared|whereas|including|with)\b|\b(?:and|while|whereas)\b"
)
_BACK = re.compile(  # a clause that counts what the clause before it named
    r"^\W*(?:up|down)\s+from\b|\bthere\b"
    r"|\bthe (?:county|state|city|country|island|region|province|town)['’]s\b",
    re.I,
)
_PLACE = re.compile(r"\b(?:[A-Z][\w'’.-]*\s+)+(?:County|Parish|City|Province|District)\b")
_LOCAL = re.compile(r"\b(?:his|her|their|the|that|this)\s+(county|city|parish|town|district|island)\b", re.I)
_HEDGE = re.compile(r"\b(?:as many as|up to|could|may|might|only)\s+$", re.I)
_PARTIAL = re.compile(
    r"\s+(?:other|more|additional|new)\b|-?\s*(?:years?|months?)[- ]old\b", re.I
)  # "20 other deaths": a part, not a toll
_OFFICIAL = re.compile(
    r"\b(officials?|authorit(?:y|ies)|governor|gov\.|sheriff|police|ministry|department|agency|"
    r"medical examiner|according to)\b",
    re.I,
)
_NOT_SUBJECT = FUNCTION_WORDS | set(MONTHS) | {"monday", "tuesday", "wednesday", "thursday", "friday"}
_NOT_SUBJECT |= {"saturday", "sunday", "hurricane", "storm", "tropical", "category"}
_NOT_SUBJECT |= {"associated", "press", "ap", "reuters", "afp", "cnn", "bbc", "nbc", "abc", "cbs", "usa"}
_WINDOW = 3  # content words after a number that may name what it counts
_BEFORE = 6  # ... and before it, back to the number before it
_WHO = frozenset({"peopl", "person", "resid", "american", "citizen", "men", "women", "children"})


Key = tuple[str, str, tuple[str, ...]]  # a figure's fact, unit and subject


@dataclass(frozen=True)
class Figure:
    """A number in a sentence with the fact it counts, as written (``"at least 14"``)."""

    fact: str
    value: float
    text: str
    unit: str = ""  # "%", "points", a currency sign, or ""
    subject: tuple[str, ...] = ()  # names in its clause the question does not name, sorted

    @property
    def key(self) -> Key:
        """What two figures must share to count the same thing."""
        return (self.fact, self.unit, self.subject)


def _stems(words: Sequence[str]) -> list[str]:
    return [stem(w.lower()) for w in words]


def _asked(question: str) -> set[str]:
    """The question's content stems, widened by the group of each."""
    asked = set(_stems(content_words(question)))
    for words in _GROUPS.values():
        if asked & words:
            asked |= words
    return asked


def _group(before: list[str], after: list[str], asked: set[str]) -> str | None:
    """The asked group whose word stands nearest the number (after it first on a tie)."""
    best: tuple[int, str] | None = None
    for name, words in _GROUPS.items():
        if not words & asked:
            continue
        near = [i for i, w in enumerate(after[:_WINDOW]) if w in words]
        near += [i for i, w in enumerate(reversed(before[-_BEFORE:])) if w in words]
        if near and (best is None or min(near) < best[0]):
            best = (min(near), name)
    return best[1] if best else None


def _fact(before: list[str], after: list[str], asked: set[str], named: set[str]) -> str | None:
    """The fact a number counts, from the stems after and before it, if the question asks about it
    (a word of a name the question gives, "Hurricane" in "five hurricanes", names none)."""
    group = _group(before, after, asked)
    if group is not None:
        return group
    if after[:1] and after[0] in asked and after[0] not in _WHO | named:
        return after[0]  # "3rd largest": the word right after names it
    if before[-1:] and before[-1] in asked and not before[-1].isdigit():
        return before[-1]  # "Category 4": the word right before (only a space between)
    return None


def _unit(sentence: str, start: int, end: int, written: str) -> str:
    rest = sentence[end : end + 24]
    if _PERCENT.match(rest):
        return "%"
    if _POINTS.match(rest) or re.match(r"^\s*(?:of\s+an?\s+)?(?:percentage\s+)?points?\b", rest, re.I):
        return "points"
    sign = _CURRENCY.search(written)
    return sign.group(0) if sign else ""


def _clause(sentence: str, start: int) -> tuple[int, int]:
    """The bounds of the clause of ``sentence`` that holds offset ``start``."""
    lo, hi = 0, len(sentence)
    for m in _CLAUSE.finditer(sentence):
        if m.end() <= start:
            lo = m.end()
        elif m.start() >= start:
            hi = m.start()
            break
    return lo, hi


def on_topic(sentence: str, title: str, question: str) -> bool:
    """Whether the sentence or its article's title names a name of the question (when the
    question names any): "two people were killed" in a story about another shooting is not a
    figure of the Highland Park shooting."""
    names = {n for n in name_tokens(question) if n not in _NOT_SUBJECT and content_words(n)}
    if not names:
        return True
    found = name_tokens(f"{sentence} {title}") | set(content_words(f"{sentence} {title}"))
    return bool(names & found)


def question_places(question: str) -> set[str]:
    """The name words of the counties, cities and the like a question names ("lee", "county"):
    kept in a figure's subject, so that a county's toll is not the state's."""
    return {w for m in _PLACE.finditer(question) for w in name_tokens(m.group(0))}


def _subject(sentence: str, start: int, skip: set[str], asked: set[str], places: set[str]) -> tuple[str, ...]:
    """The names in the number's clause in their order, less ``skip`` (the question's names but
    its places), speakers and capitalised words the question asks about ("Inflation rose ...")."""
    lo, hi = _clause(sentence, start)
    clause = sentence[lo:hi]
    speakers = {w for c in cues(clause) for w in name_tokens(c.speaker)}
    names = name_tokens(clause) - skip - speakers - _NOT_SUBJECT
    kept = [n for n in names if not number_spans(n) and (n in places or stem(n) not in asked)]
    subject = tuple(sorted(kept, key=clause.lower().find))
    if not subject and lo > 0 and _BACK.search(clause):  # "... in Lee County - up from the county's 42"
        return _subject(sentence, lo - 1, skip, asked, places)
    local = _LOCAL.search(clause)
    if not subject and local:  # "the sheriff said five deaths were confirmed in his county"
        return (local.group(1).lower(),)
    return subject


def facts_in(sentence: str, question: str) -> list[Figure]:
    """Each number in ``sentence`` that counts something the question asks about, as a :class:`Figure`."""
    asked = _asked(question)
    places = question_places(question)
    skip = name_tokens(question) - places
    named = {stem(n) for n in skip}
    out: list[Figure] = []
    last = 0
    for value, start, end in number_spans(sentence):
        floor = max(start - 60, last)
        last = end
        before = _stems(content_words(sentence[floor:start]))
        prev = re.search(r"(\w+)\W*$", sentence[floor:start])
        if before and not (prev and stem(prev.group(1).lower()) == before[-1]):
            before = [*before, ""]  # a function word stands between ("Florida and four")
        after = _stems(content_words(sentence[end : end + 80]))
        fact = _fact(before, after, asked, named)
        if (
            fact is None
            or _HEDGE.search(sentence[max(0, start - 24) : start])
            or _PARTIAL.match(sentence, end)
            or (fact in _RUNNING and value < 1)  # "half of all flood deaths": a share, not a count
        ):
            continue  # not asked, a guess ("as many as 21 deaths"), a part ("four more"), an age
        lead = _QUALIFIER.search(sentence[max(0, start - 24) : start])
        text = ((lead.group(0) if lead else "") + sentence[start:end]).strip()
        unit = _unit(sentence, start, end, text)
        out.append(Figure(fact, value, text, unit, _subject(sentence, start, skip, asked, places)))
    return out


def figures(citations: Sequence[Citation], question: str) -> dict[Key, list[ReportedValue]]:
    """Per fact the question asks about (:attr:`Figure.key`), the value each cited article gives,
    oldest first: a running count's largest, another fact's only value (an article that gives
    two values of it is left out, as it does not say which one is the fact)."""
    seen: dict[Key, dict[str, list[ReportedValue]]] = {}
    for c in citations:
        if not on_topic(c.quote, c.passage.title, question):
            continue
        for a, b in sentence_spans(c.quote):
            for f in facts_in(c.quote[a:b], question):
                p = c.passage
                v = ReportedValue(f.text[:1].lower() + f.text[1:], f.value, c.n, p.source, p.published)
                seen.setdefault(f.key, {}).setdefault(p.article_id, []).append(v)
    out: dict[Key, list[ReportedValue]] = {}
    for key, by_article in seen.items():
        values = []
        for given in by_article.values():
            if key[0] in _RUNNING:
                values.append(max(given, key=lambda v: v.value))
            elif all(same_number(v.value, given[0].value) for v in given):
                values.append(given[0])
        out[key] = sorted(values, key=_when)
    return out


def _when(v: ReportedValue) -> tuple[date, int]:
    return (v.published or date.min, v.n)


def find_conflicts(
    citations: Sequence[Citation], question: str, *, sides: Sequence[Collection[int]] = ()
) -> list[Conflict]:
    """The facts on which the cited articles give different values, each classified (see the module).

    ``sides``: the citation numbers each part of a comparison or order question found; values that
    only differ between sides are the two things compared, not a conflict.
    """
    out: list[Conflict] = []
    official = {c.n: bool(_OFFICIAL.search(c.quote)) for c in citations}
    for (fact, _, subject), values in figures(citations, question).items():
        distinct: list[ReportedValue] = []
        for v in values:
            if not any(same_number(v.value, d.value) for d in distinct):
                distinct.append(v)
        if len(distinct) < 2 or not _one_side(distinct, sides):
            continue
        if fact not in _RUNNING and _spread_days(distinct) > SAME_TIME_DAYS:
            continue
        label = f"{fact} ({' '.join(s.title() for s in subject)})" if subject else fact
        out.append(Conflict(label, _kind(distinct, official), tuple(distinct)))
    return out


def _one_side(values: Sequence[ReportedValue], sides: Sequence[Collection[int]]) -> bool:
    return not sides or any(all(v.n in side for v in values) for side in sides)


def _spread_days(values: Sequence[ReportedValue]) -> int:
    days = [v.published for v in values if v.published]
    return (max(days) - min(days)).days if len(days) == len(values) else SAME_TIME_DAYS + 1


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
        "First reports gave the death toll as at least 14 [1] (usatoday.com, 29 September 2022); by
        4 October 2022 it was at least 109 [5] (cnn.com). Later reports revised the figure: an
        update, not a disagreement."
    """
    values = conflict.values
    base = conflict.fact.split(" (")[0]
    fact = conflict.fact if base in _GROUPS else f"“{conflict.fact}” figure"
    if conflict.kind == "update":
        first, rest = values[0], values[1:]
        text = (
            f"First reports gave the {fact} as {first.text} [{first.n}] "
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
