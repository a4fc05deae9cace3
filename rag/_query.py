"""Words of a question or passage: its content words (for BM25 and evidence checks) and their stems.

Time expressions are read in :mod:`rag._dates`, the whole question in :mod:`rag.question`.
"""

from __future__ import annotations

import re

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
