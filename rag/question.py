"""A question as it travels from the UI, CLI and eval to the retriever (:class:`Query`), and what
is read from it once on the way (:class:`Reading`): the content words sent to BM25, the sources it
names ("according to CNN", "what did USA Today report"), the dates it names ("in June 2022",
"between August and October") or implies ("this week"), and its vector.

Example:
    >>> q = Query("What did USA Today report about the Webb telescope in August 2022?")
    >>> r = read(q, sources=["usatoday.com", "cnn.com"], collection_end=date(2022, 11, 9))
    >>> r.sources, r.phrases
    (('usatoday.com',), ('USA Today', 'in August 2022'))
    >>> r.scope.since, r.scope.until
    (datetime.date(2022, 8, 1), datetime.date(2022, 8, 31))
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from rag._dates import TimeScope, event_since, time_scope
from rag._query import content_words

__all__ = ["Query", "Reading", "read", "source_names"]


@dataclass(frozen=True)
class Query:
    """One question and everything that limits its search.

    Args:
        question: the question as asked (possibly a follow-up to ``history``).
        history: the conversation so far (``(role, text)`` pairs, ``{"role", "content"}`` dicts or
            LangChain messages).
        as_of: when the question is asked: later articles are excluded, recency counts from it, and
            relative phrases ("this week") are read from it.
        since, until: publication-date limits (inclusive), on top of what the question names.
        sources: only these sources (as stored, e.g. ``cnn.com``), on top of those it names.
        article_ids: only these articles.
        excluded_ids: never these articles.
        read_scope: False searches exactly the filters given, ignoring dates and sources the
            question names (the chat's "search without it").
    """

    question: str
    history: Sequence[Any] = ()
    as_of: date | None = None
    since: date | None = None
    until: date | None = None
    sources: tuple[str, ...] = ()
    article_ids: tuple[str, ...] = ()
    excluded_ids: tuple[str, ...] = ()
    read_scope: bool = True

    def asking(self, question: str) -> Query:
        """The same query for another wording (the standalone rewrite of a follow-up)."""
        return replace(self, question=question)


@dataclass(frozen=True)
class Reading:
    """What the retriever read from a query, once; the evidence gate reuses it.

    ``scope`` and ``sources`` are what the question itself names (not the query's own filters);
    ``phrases`` the words they were read from; ``anchor`` the date relative phrases were read from
    (None: they were not applied).
    """

    query: Query
    text: str  # the question searched
    terms: tuple[str, ...]  # content words, for BM25 and the evidence gate
    scope: TimeScope
    sources: tuple[str, ...]
    phrases: tuple[str, ...]
    anchor: date | None
    vector: list[float] = field(default_factory=list, repr=False)


def source_names(source: str) -> set[str]:
    """The names a question may call a stored source by, squeezed to letters and digits:
    ``usatoday.com`` -> ``{"usatodaycom", "usatoday"}`` (matching "USA Today")."""
    s = source.lower().removeprefix("www.")
    names = {_squeeze(s)}
    if "." in s:
        names.add(_squeeze(s.split(".")[0]))
    return {n for n in names if len(n) >= 2}


def _squeeze(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.lower())


# A run of capitalised words (or all-capital ones): how a question names an outlet ("USA Today",
# "CNN", "The Week").
_NAME = re.compile(r"\b[A-Z][\w&.'-]*(?: [A-Z][\w&.'-]*){0,3}")


def named_sources(question: str, sources: Iterable[str]) -> list[tuple[str, str]]:
    """``(source, words)`` for each stored source the question names by a capitalised name."""
    by_name: dict[str, str] = {}
    for s in sources:
        for name in source_names(s):
            by_name.setdefault(name, s)
    found: dict[str, str] = {}
    for m in _NAME.finditer(question):
        words = m.group(0).rstrip(".'").split(" ")
        for n in range(len(words), 0, -1):  # the longest run of the name that is a source
            for i in range(len(words) - n + 1):
                phrase = " ".join(words[i : i + n])
                source = by_name.get(_squeeze(phrase))
                if source and source not in found:
                    found[source] = phrase
    return list(found.items())


def _event_scope(
    text: str, scope: TimeScope, event_day: Callable[[tuple[str, ...], date], date | None], before: date
) -> TimeScope:
    """From the day of the event ``text`` dates by ("since the election"), else ``scope``."""
    event = event_since(text)
    day = event_day(event[1], before) if event else None
    if event is None or day is None:
        return scope
    return TimeScope(since=day, recent=scope.recent, phrase=event[0])


def read(
    query: Query,
    *,
    sources: Iterable[str] = (),
    collection_end: date | None = None,
    today: date | None = None,
    text: str | None = None,
    event_day: Callable[[tuple[str, ...], date], date | None] | None = None,
) -> Reading:
    """Read ``query`` (or ``text``, its standalone rewrite) once: terms, named sources and dates.

    Args:
        sources: the sources the collection holds (a name only filters when its source is there).
        collection_end: the newest article's date; relative phrases ("this week") are read from
            ``query.as_of``, else from today when the collection reaches today (its newest
            article at most a week old); for an archive that ends before that they are not
            applied, since its newest week is not the week a question means.
        today: today's date (tests pass one).
        event_day: the date of the event a question dates by ("since the election"), from its
            words and the day it is asked before (the anchor, else ``collection_end``), or None
            when the collection does not date it; without it such phrases are not read.
    """
    text = text or query.question
    if not query.read_scope:
        return Reading(query, text, tuple(content_words(text)), TimeScope(), (), (), query.as_of)
    named = named_sources(text, sources)
    rest = text
    for _, words in named:
        rest = rest.replace(words, " ")
    today = today or date.today()
    anchor = query.as_of
    if anchor is None and collection_end is not None and (today - collection_end).days <= 7:
        anchor = today
    scope = time_scope(rest, anchor, base=collection_end)
    before = anchor or collection_end
    if event_day and before and not (scope.since or scope.until):
        scope = _event_scope(rest, scope, event_day, before)
    phrases = [words for _, words in named]
    if scope.phrase and (scope.since or scope.until):
        phrases.append(scope.phrase)
        rest = rest.replace(scope.phrase, " ")
    return Reading(
        query=query,
        text=text,
        terms=tuple(content_words(rest)),
        scope=scope,
        sources=tuple(s for s, _ in named),
        phrases=tuple(phrases),
        anchor=anchor,
    )
