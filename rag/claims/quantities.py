"""Numbers, amounts and dates in a sentence, normalised so that different spellings compare equal.

``"$4.2 million"``, ``"4,200,000"`` and ``"4.2m"`` are all 4200000; ``"three"`` is 3 and ``"third"``
is 3; ``"9.1%"`` and ``"9.1 percent"`` are 9.1. Years (1900-2099) and days of a month are dates,
not numbers. A weekday ("Tuesday") is read against the article's publication date: the Tuesday
of the week up to it (or, for events announced ahead, of the week after).

Example:
    >>> numbers("An anonymous bidder paid $19 million, up from $4,567,888.")
    [19000000.0, 4567888.0]
    >>> [d.kind for d in dates("It began on April 15, 2022 and ended Tuesday.")]
    ['day', 'weekday']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from rag.text import MONTH_NAMES, MONTHS

__all__ = ["DateMention", "dates", "dates_agree", "number_spans", "numbers", "same_number"]

_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
    "ninety": 90, "hundred": 100, "dozen": 12,
    "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "twentieth": 20,
    "half": 0.5, "twice": 2, "double": 2, "triple": 3,
}  # fmt: skip
_SCALE = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9,
          "b": 1e9, "trillion": 1e12, "tn": 1e12}  # fmt: skip
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTH = rf"(?:{MONTH_NAMES})\.?"
_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"

_DATE = re.compile(
    rf"\b(?P<month>{_MONTH})(?:\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b)?(?:,?\s+(?P<myear>(?:19|20)\d\d)\b)?"
    rf"|\b(?P<weekday>{_WEEKDAY})(?:['’]s)?\b"
    r"|\b(?P<rel>today|yesterday|tomorrow)\b"
    r"|(?<![\d$.,])(?P<year>(?:19|20)\d\d)(?![\d,]|\.\d)(?:s\b)?",
    re.I,
)
_NUMBER = re.compile(
    r"(?<![\w.])(?P<num>\d+(?:,\d{3})*(?:\.\d+)?|\.\d+)(?:st|nd|rd|th)?"
    r"(?:\s*-?\s*(?P<scale>thousand|million|billion|trillion)\b|(?P<short>mn|bn|tn|[kmb])\b)?"
    rf"|\b(?P<word>{'|'.join(sorted(_WORDS, key=len, reverse=True))})\b"
    r"(?:-(?P<ones>one|two|three|four|five|six|seven|eight|nine)\b)?"  # "twenty-four"
    r"(?:[\s-]+(?P<wscale>thousand|million|billion|trillion)\b)?",
    re.I,
)
_CLOCK = re.compile(r"\b\d{1,2}:\d\d\b")


@dataclass(frozen=True)
class DateMention:
    """A date expression: ``kind`` is ``day`` (month and day), ``month``, ``year``, ``weekday``
    or ``rel`` (today, yesterday, tomorrow)."""

    kind: str
    text: str
    start: int
    end: int
    month: int | None = None
    day: int | None = None
    year: int | None = None
    weekday: int | None = None
    offset: int | None = None  # days from the publication date, for ``rel``

    def resolve(self, published: date | None) -> list[date]:
        """The calendar days it can mean, given the article's date (empty when it cannot tell)."""
        if published is None:
            return []
        if self.kind == "rel" and self.offset is not None:
            return [published + timedelta(days=self.offset)]
        if self.kind == "weekday" and self.weekday is not None:
            back = (published.weekday() - self.weekday) % 7
            return [published - timedelta(days=back), published + timedelta(days=(7 - back) % 7 or 7)]
        if self.kind == "day" and self.month and self.day:
            year = self.year or published.year
            try:
                return [date(year, self.month, self.day)]
            except ValueError:
                return []
        return []


def dates(text: str) -> list[DateMention]:
    """The date expressions in ``text``, in order."""
    out = []
    for m in _DATE.finditer(text):
        if m.group("month"):
            word = m.group("month").lower().rstrip(".")
            if word == "may" and not (m.group("day") or m.group("myear")) and not _month_may(text, m.start()):
                continue  # the verb "may"
            if word in ("mar", "jan") and not m.group("day") and m.group(0)[0].islower():
                continue
            month = MONTHS[word]
            day = int(m.group("day")) if m.group("day") else None
            year = int(m.group("myear")) if m.group("myear") else None
            kind = "day" if day else "month"
            out.append(DateMention(kind, m.group(0), m.start(), m.end(), month=month, day=day, year=year))
        elif m.group("weekday"):
            wd = _WEEKDAYS.index(_day_name(m.group("weekday")))
            out.append(DateMention("weekday", m.group(0), m.start(), m.end(), weekday=wd))
        elif m.group("rel"):
            offset = {"today": 0, "yesterday": -1, "tomorrow": 1}[m.group("rel").lower()]
            out.append(DateMention("rel", m.group(0), m.start(), m.end(), offset=offset))
        else:
            out.append(DateMention("year", m.group(0), m.start(), m.end(), year=int(m.group("year"))))
    return out


def _month_may(text: str, at: int) -> bool:
    """ "May" inside a sentence, capitalised: the month, not the verb."""
    return text[at] == "M" and bool(
        re.search(r"\b(?:in|early|mid|late|since|until|by|of|last|next)\s+$", text[:at], re.I)
    )


def _day_name(word: str) -> str:
    low = word.lower()
    return next(d for d in _WEEKDAYS if d[:3] == low[:3])


def _agrees(claim: DateMention, span: DateMention, published: date | None) -> bool | None:
    """True/False when the two can be compared, None when they speak of different things."""
    if claim.kind == "year" or span.kind == "year":
        if claim.year is None or span.year is None:
            return None
        return claim.year == span.year
    if claim.kind == "month" or span.kind == "month":
        if claim.month is None or span.month is None:
            return None
        if claim.year and span.year and claim.year != span.year:
            return False
        return claim.month == span.month
    if claim.kind == "weekday" and span.kind == "weekday":
        return claim.weekday == span.weekday
    if claim.kind == "day" and span.kind == "day":
        if claim.year and span.year and claim.year != span.year:
            return False
        return (claim.month, claim.day) == (span.month, span.day)
    a, b = set(claim.resolve(published)), set(span.resolve(published))
    if not a or not b:
        return None
    return bool(a & b)


def dates_agree(
    claim: list[DateMention], span: list[DateMention], published: date | None
) -> tuple[bool, DateMention | None]:
    """Whether every date of the claim agrees with one in the span that it can be compared with:
    ``(False, the claim's date)`` when one contradicts them all; a date with nothing comparable
    in the span is left alone (``(True, None)``)."""
    for c in claim:
        verdicts = [_agrees(c, s, published) for s in span]
        known = [v for v in verdicts if v is not None]
        if known and not any(known):
            return False, c
    return True, None


def numbers(text: str) -> list[float]:
    """The quantities in ``text`` (dates and clock times left out), in order, scaled."""
    return [value for value, _, _ in number_spans(text)]


def number_spans(text: str) -> list[tuple[float, int, int]]:
    """The quantities in ``text`` as :func:`numbers` reads them, each with its ``(start, end)`` offsets.

    Example:
        >>> number_spans("At least 14 people died; later 109.")
        [(14.0, 9, 11), (109.0, 31, 34)]
    """
    skip = [(d.start, d.end) for d in dates(text) if d.kind in ("day", "year", "month")]
    skip += [(m.start(), m.end()) for m in _CLOCK.finditer(text)]
    out: list[tuple[float, int, int]] = []
    for m in _NUMBER.finditer(text):
        if any(a <= m.start() < b for a, b in skip):
            continue
        if m.group("num"):
            value = float(m.group("num").replace(",", ""))
            scale = (m.group("scale") or m.group("short") or "").lower()
        else:
            value = float(_WORDS[m.group("word").lower()] + _WORDS.get((m.group("ones") or "").lower(), 0))
            scale = (m.group("wscale") or "").lower()
        out.append((value * _SCALE.get(scale, 1.0), m.start(), m.end()))
    return out


def same_number(a: float, b: float) -> bool:
    """Equal up to rounding (``$19 million`` and ``$19,000,100``; not 42.4 and 44.2)."""
    if a == b:
        return True
    big = max(abs(a), abs(b))
    return big >= 1e5 and abs(a - b) <= 0.005 * big
