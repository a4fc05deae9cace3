"""What a question says about time: the dates it names ("in June 2022", "on 21 November",
"between August and October 2022", "since March", "in winter 2022"), its relative phrases ("this
week", "last month", "last spring", "recently") and the events it dates by ("since the election").

A small grammar finds where a date is named (a preposition before a month, a day and month, a
season, or a year); ``dateparser`` reads the date and how much of the calendar it covers (a day, a
month, a year), which becomes the range. Seasons are the meteorological ones of the northern
hemisphere (spring March-May, summer June-August, autumn or fall September-November, winter
December-February), and "winter 2022" is the winter whose January is in 2022. Relative phrases need
an anchor date (when the question is asked). An event is only found here (:func:`event_since`):
its date comes from the articles about it (:mod:`rag.question`).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dateparser.date import DateDataParser

from rag._query import content_words
from rag.text import FUNCTION_WORDS

__all__ = ["TimeScope", "event_since", "season_span", "time_scope"]


@dataclass(frozen=True)
class TimeScope:
    """What a question says about time.

    ``since``/``until`` are a hard range the question itself names ("this week", "in June 2022");
    ``recent`` says the question is about recent events, so newer articles should rank higher;
    ``phrase`` holds the words the range (or the recency) was read from.
    """

    since: date | None = None
    until: date | None = None
    recent: bool = False
    phrase: str = ""


# ---- dates the question names -------------------------------------------------------------------

_MONTH = "|".join(calendar.month_name[1:])
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d\d"
_ON_DAY = rf"(?:{_DAY} (?:of )?(?:{_MONTH})|(?:{_MONTH}) {_DAY}(?![\d:]))"
_SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}  # first month
_SEASON_NAME = "|".join(_SEASONS)
# A season with no year must end the phrase (punctuation, the end, or a function word follows):
# "in spring training" and "in the fall of Kabul" name no season.
_ENDS = "|".join(sorted(FUNCTION_WORDS - {"of"}))
_SEASON = rf"(?:the )?(?:{_SEASON_NAME})(?:(?:,| of)? {_YEAR}|(?=\s*(?:[^\w\s]|$)|\s+(?:{_ENDS})\b))"
_DATE = rf"(?:(?:{_ON_DAY}|(?:{_MONTH}))(?:,? {_YEAR})?|{_YEAR}|{_SEASON})"
_NAMED = re.compile(
    rf"\b(?:between (?P<a>{_DATE}) and (?P<b>{_DATE})"
    rf"|from (?P<c>{_DATE}) (?:to|until|till|through) (?P<d>{_DATE})"
    rf"|(?P<since>since|after) (?P<s>{_DATE})"
    rf"|(?P<before>before|until|till) (?P<u>{_DATE})"
    rf"|(?:in|during|throughout) (?P<i>{_DATE})"
    rf"|(?:on|of) (?P<o>{_ON_DAY}(?:,? {_YEAR})?|(?:{_MONTH}),? {_YEAR}))\b",
    re.IGNORECASE,
)
_HAS_YEAR = re.compile(rf"\b{_YEAR}\b")


@lru_cache(maxsize=8)
def _parser(base: date) -> DateDataParser:
    from dateparser.date import DateDataParser

    return DateDataParser(
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "past",
            "PREFER_DAY_OF_MONTH": "first",
            "RELATIVE_BASE": datetime(base.year, base.month, base.day),
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )


def season_span(season: str, year: int) -> tuple[date, date]:
    """The first and last day of ``season`` in ``year`` (winter: December of the year before to
    February).

    Example:
        >>> season_span("winter", 2022)
        (datetime.date(2021, 12, 1), datetime.date(2022, 2, 28))
    """
    first = _SEASONS[season.lower()]
    start = date(year - 1 if first == 12 else year, first, 1)
    end_month = 2 if first == 12 else first + 2
    return start, date(year, end_month, calendar.monthrange(year, end_month)[1])


def _latest_season(season: str, base: date, *, ended: bool = False) -> tuple[date, date]:
    """The latest ``season`` begun on or before ``base`` (``ended``: over before ``base``)."""
    year = base.year + 1
    while True:
        first, last = season_span(season, year)
        if (last < base) if ended else (first <= base):
            return first, last
        year -= 1


_SEASON_WORD = re.compile(rf"\b({_SEASON_NAME})\b", re.IGNORECASE)


def _span(text: str, base: date) -> tuple[date, date] | None:
    """The first and last day ``text`` ("June 2022", "21 November", "2022", "summer 2022") covers;
    a date without a year is the latest one on or before ``base``."""
    season = _SEASON_WORD.search(text)
    if season:
        year = _HAS_YEAR.search(text)
        if year:
            return season_span(season.group(1), int(year.group(0)))
        return _latest_season(season.group(1), base)
    data = _parser(base).get_date_data(text)
    if data.date_obj is None:
        return None
    d = data.date_obj.date()
    if data.period == "year":
        return date(d.year, 1, 1), date(d.year, 12, 31)
    if data.period == "month":
        last = calendar.monthrange(d.year, d.month)[1]
        return date(d.year, d.month, 1), date(d.year, d.month, last)
    return d, d


def _with_year(text: str, other: str) -> str:
    """``text`` with the year of ``other`` when only ``other`` names one ("August" and "October 2022")."""
    if _HAS_YEAR.search(text):
        return text
    year = _HAS_YEAR.search(other)
    return f"{text} {year.group(0)}" if year else text


def _range(a: str, b: str, base: date) -> tuple[date, date] | None:
    first, last = _span(_with_year(a, b), base), _span(_with_year(b, a), base)
    if first is None or last is None:
        return None
    since, until = first[0], last[1]
    if since > until and not _HAS_YEAR.search(a + b):  # "between November and February"
        since = since.replace(year=since.year - 1)
    return since, until


def named_dates(question: str, base: date) -> TimeScope | None:
    """The range of the first date the question names, or None; year-less dates are read as the
    latest such date on or before ``base``.

    Example:
        >>> s = named_dates("What happened between August and October 2022?", date(2026, 1, 1))
        >>> s.since, s.until
        (datetime.date(2022, 8, 1), datetime.date(2022, 10, 31))
    """
    for m in _NAMED.finditer(question):
        g = m.groupdict()
        if g["a"] or g["c"]:
            found = _range(g["a"] or g["c"], g["b"] or g["d"], base)
            if found:
                return TimeScope(since=found[0], until=found[1], phrase=m.group(0))
            continue
        span = _span(g["s"] or g["u"] or g["i"] or g["o"], base)
        if span is None:
            continue
        if g["since"]:
            since = span[0] if g["since"].lower() == "since" else span[1] + timedelta(days=1)
            return TimeScope(since=since, phrase=m.group(0))
        if g["before"]:
            until = span[1] if g["before"].lower() != "before" else span[0] - timedelta(days=1)
            return TimeScope(until=until, phrase=m.group(0))
        return TimeScope(since=span[0], until=span[1], phrase=m.group(0))
    return None


# ---- relative phrases ---------------------------------------------------------------------------

_RELATIVE: list[tuple[re.Pattern[str], int]] = [
    (re.compile(r"\b(today|tonight|this morning|this afternoon|this evening)\b"), 1),
    (re.compile(r"\byesterday\b"), 2),
    (re.compile(r"\b(this|past|last few|last couple of) days?\b"), 7),
    (re.compile(r"\b(this|past) (week|weekend)\b"), 7),
    (re.compile(r"\blast (week|weekend)\b"), 14),
    (re.compile(r"\b(this|past) month\b"), 31),
    (re.compile(r"\blast month\b"), 62),
]
_RECENT = re.compile(
    r"\b(recent|recently|lately|latest|newest|current|currently|just|so far|now|this week|"
    r"this month|this year|today|yesterday|last week|last month)\b"
)
_THIS_YEAR = re.compile(r"\b(this|past) year\b")
_RELATIVE_SEASON = re.compile(rf"\b(this past|this|last|past) ({_SEASON_NAME})\b")


def _relative_season(question: str, anchor: date) -> TimeScope | None:
    """ "this summer" (this year's; in December "this winter" is the one begun) or "last spring"
    (the latest one over before the anchor), up to the anchor."""
    m = _RELATIVE_SEASON.search(question)
    if m is None:
        return None
    which, season = m.groups()
    if which == "this":
        first, last = season_span(season, anchor.year + (season == "winter" and anchor.month == 12))
    else:
        first, last = _latest_season(season, anchor, ended=True)
    return TimeScope(since=first, until=min(last, anchor), recent=True, phrase=m.group(0))


def relative_dates(question: str, anchor: date | None) -> TimeScope:
    """The range a relative phrase ("this week", "last month") names up to ``anchor``, and whether
    the question is about recent events; without an anchor, only the latter (and the phrase)."""
    q = question.lower()
    m = _RECENT.search(q)
    recent, phrase = bool(m), m.group(0) if m else ""
    if anchor is None:
        return TimeScope(recent=recent, phrase=phrase)
    season = _relative_season(q, anchor)
    if season is not None:
        return season
    if _THIS_YEAR.search(q):
        return TimeScope(since=date(anchor.year, 1, 1), until=anchor, recent=True, phrase="this year")
    for pattern, days in _RELATIVE:
        m = pattern.search(q)
        if m:
            return TimeScope(
                since=anchor - timedelta(days=days), until=anchor, recent=True, phrase=m.group(0)
            )
    return TimeScope(recent=recent, phrase=phrase)


def time_scope(question: str, anchor: date | None, base: date | None = None) -> TimeScope:
    """The date range and recency a question asks for.

    Dates the question names ("in June 2022", "on 21 November") give a range even without an
    anchor (a year-less one is read as the latest before ``anchor``, else ``base``, else today);
    relative phrases ("this week", "last month") need ``anchor``, the date the question is asked.

    Example:
        >>> s = time_scope("Who won this week?", date(2022, 6, 16))
        >>> s.since, s.until, s.recent
        (datetime.date(2022, 6, 9), datetime.date(2022, 6, 16), True)
    """
    named = named_dates(question, anchor or base or date.today())
    return named if named is not None else relative_dates(question, anchor)


# ---- events -------------------------------------------------------------------------------------

# "since the election", "after the invasion of Ukraine": "since/after the", then words up to a
# function word or punctuation; "of"/"in" go on only before a capitalised word (a name).
_EVENT = re.compile(r"\b(?:since|after) the ([\w'-]+(?: [\w'-]+){0,3})")


def event_since(question: str) -> tuple[str, tuple[str, ...]] | None:
    """``(phrase, words)`` where the question dates by an event ("since the election" ->
    ``("since the election", ("election",))``), or None. The words are the event's content words;
    a time word ("since the weekend") is no event.

    Example:
        >>> event_since("How have gas prices moved since the invasion of Ukraine?")
        ('since the invasion of Ukraine', ('invasion', 'ukraine'))
    """
    m = _EVENT.search(question)
    if m is None:
        return None
    tokens = m.group(1).split(" ")
    kept: list[str] = []
    for i, token in enumerate(tokens):
        joins = token in ("of", "in") and i + 1 < len(tokens) and tokens[i + 1][:1].isupper()
        if not joins and token.lower() in FUNCTION_WORDS:
            break
        kept.append(token)
    words = tuple(content_words(" ".join(kept)))
    if not words or len(words) < len([t for t in kept if t not in ("of", "in")]):
        return None
    return question[m.start() : m.start(1)] + " ".join(kept), words
