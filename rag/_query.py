"""Reading a question: its content words (for BM25 and evidence checks) and its time expressions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)

# Function words and question scaffolding: they carry no topic, so they neither query BM25
# nor count as evidence.
STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are aren't as at be because been before
    being below between both but by can can't cannot could couldn't did didn't do does doesn't doing
    don't down during each few for from further had hadn't has hasn't have haven't having he he'd he'll
    he's her here here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't
    it it's its itself let's me more most mustn't my myself no nor not of off on once only or other
    ought our ours ourselves out over own same shan't she she'd she'll she's should shouldn't so some
    such than that that's the their theirs them themselves then there there's these they they'd they'll
    they're they've this those through to too under until up very was wasn't we we'd we'll we're we've
    were weren't what what's when when's where where's which while who who's whom why why's will with
    won't would wouldn't you you'd you'll you're you've your yours yourself yourselves
    s t just now tell told say says said saying according per via whose among within
    """.split()  # noqa: SIM905
)

# Words that place a question in time rather than say what it is about.
_TIME_WORDS = frozenset(
    """
    today yesterday tonight week weeks weekend month months year years day days recently recent
    latest newest current currently lately last past this earlier ago
    """.split()  # noqa: SIM905
)

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        "january february march april may june july august september october november december".split()  # noqa: SIM905
    )
}


def words(text: str) -> list[str]:
    """Lower-cased word tokens, possessive ``'s`` dropped (``Stoltenberg's`` -> ``stoltenberg``)."""
    out = []
    for w in _WORD.findall(text.lower()):
        w = w.replace("’", "'")
        if w.endswith("'s"):
            w = w[:-2]
        out.append(w)
    return out


def content_words(text: str) -> list[str]:
    """Words that say what the text is about: no function words, no time words, no single letters."""
    seen: dict[str, None] = {}
    for w in words(text):
        if len(w) > 1 and w not in STOPWORDS and w not in _TIME_WORDS:
            seen.setdefault(w, None)
    return list(seen)


def stem(word: str) -> str:
    """A light suffix stripper, enough to match ``allies``/``ally`` or ``threats``/``threat``."""
    w = word.lower()
    for suffix, repl in (
        ("ization", "iz"),
        ("isation", "iz"),
        ("ational", "at"),
        ("ies", "y"),
        ("ied", "y"),
        ("ing", ""),
        ("ers", "er"),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
        ("ly", ""),
    ):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)] + repl
            break
    if w.endswith("ise") or w.endswith("ize"):
        w = w[:-3] + "iz"
    return w


def content_stems(text: str) -> set[str]:
    """Stems of the content words, for overlap measures."""
    return {stem(w) for w in content_words(text)}


@dataclass(frozen=True)
class TimeScope:
    """What a question says about time, relative to its anchor date.

    ``since``/``until`` are a hard range the question itself names ("this week", "in June 2022");
    ``recent`` says the question is about recent events, so newer articles should rank higher.
    """

    since: date | None = None
    until: date | None = None
    recent: bool = False
    phrase: str = ""


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
_MONTH_YEAR = re.compile(
    r"\b(?:in )?(" + "|".join(_MONTHS) + r")(?:,)? (19\d\d|20\d\d)\b",
)
_YEAR = re.compile(r"\bin (19\d\d|20\d\d)\b")
_THIS_YEAR = re.compile(r"\b(this|past) year\b")


def time_scope(question: str, anchor: date | None) -> TimeScope:
    """The date range and recency a question asks for, relative to ``anchor`` (its as-of date).

    Explicit months and years ("in June 2022") give a range even without an anchor; relative
    phrases ("this week", "last month") need one.

    Example:
        >>> s = time_scope("Who won this week?", date(2022, 6, 16))
        >>> s.since, s.until, s.recent
        (datetime.date(2022, 6, 9), datetime.date(2022, 6, 16), True)
    """
    q = question.lower()
    m = _MONTH_YEAR.search(q)
    if m:
        month, year = _MONTHS[m.group(1)], int(m.group(2))
        start = date(year, month, 1)
        end = (date(year + (month == 12), month % 12 + 1, 1)) - timedelta(days=1)
        return TimeScope(since=start, until=end, phrase=m.group(0))
    m = _YEAR.search(q)
    if m:
        year = int(m.group(1))
        return TimeScope(since=date(year, 1, 1), until=date(year, 12, 31), phrase=m.group(0))
    recent = bool(_RECENT.search(q))
    if anchor is None:
        return TimeScope(recent=recent)
    if _THIS_YEAR.search(q):
        return TimeScope(since=date(anchor.year, 1, 1), until=anchor, recent=True, phrase="this year")
    for pattern, days in _RELATIVE:
        m = pattern.search(q)
        if m:
            return TimeScope(
                since=anchor - timedelta(days=days), until=anchor, recent=True, phrase=m.group(0)
            )
    return TimeScope(recent=recent)
