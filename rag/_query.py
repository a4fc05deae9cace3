"""Words of a question or passage: its content words (for BM25 and evidence checks) and their stems.

Time expressions are read in :mod:`rag._dates`, the whole question in :mod:`rag.question`.
"""

from __future__ import annotations

import re

from rag.text import FUNCTION_WORDS

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)

# Function words, negations and question scaffolding: they carry no topic, so they neither query BM25
# nor count as evidence.
STOPWORDS = FUNCTION_WORDS | frozenset(
    """
    according among aren't can't cannot couldn't didn't doesn't don't hadn't hasn't haven't he'd he'll
    he's here's how's i'd i'll i'm i've isn't it's let's mustn't no nor not now ought per s said say
    saying says shan't she'd she'll she's shouldn't t tell that's there's they'd they'll they're they've
    told via wasn't we'd we'll we're we've weren't what's when's where's who's whose why's within won't
    wouldn't you'd you'll you're you've
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
