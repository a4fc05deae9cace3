"""Names in a claim against the span that should hold them: present, among the claim's other
words, and not in a slot where the span puts another name.

Example:
    >>> rival("Wyoming", "Floods hit southern Wyoming on Monday.", "Floods hit southern Montana on Monday.")
    'Montana'
"""

from __future__ import annotations

import re

from rag._query import content_words
from rag.claims.result import Kind
from rag.claims.speakers import name_tokens
from rag.records import Passage
from rag.text import FUNCTION_WORDS, MONTH_NAMES, stem

__all__ = ["entity_problem", "in_place", "rival"]

_DATE_WORD = re.compile(rf"^(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|{MONTH_NAMES})$", re.I)
_TOKEN = re.compile(r"\w+(?:['’]\w+)?")
# Words that point back to a name the span gave before them ("... Chestnut ... his own record").
_BACK = frozenset({"he", "his", "him", "she", "her", "hers", "they", "their", "them", "it", "its"})


def entity_problem(claim: str, text: str, passage: Passage, skip: set[str]) -> tuple[Kind, str, str] | None:
    """``("entity", reason, "")`` when a name of ``claim`` (other than ``skip``) is missing from
    the span ``text`` (and the article's title), stands away from the claim's other words, or
    sits where the span has another name; None when every name is in place."""
    words = {w for t in _TOKEN.findall(f"{text} {passage.title}") for w in _split(t)}
    lowered = {t for t in _TOKEN.findall(passage.text) if t.islower()}
    first = claim.split(maxsplit=1)[0] if claim.split() else ""
    for name in sorted(name_tokens(claim) - skip):
        if (
            not content_words(name)
            or _DATE_WORD.match(name)
            or (first.lower().startswith(name) and name in lowered)
        ):
            continue
        if not (name in words or any(len(name) >= 5 and w.startswith(name[:5]) for w in words)):
            return "entity", f"the passage does not name {name.capitalize()}", ""
        if not in_place(name, claim, text):
            return "entity", f"the passage names {name.capitalize()}, but not in this role", ""
        other = rival(name, claim, text)
        if other is not None:
            return "entity", f"the passage names {other} here, not {name.capitalize()}", ""
    return None


def _same_word(a: str, b: str) -> bool:
    return a == b or (len(a) >= 5 and b.startswith(a[:5])) or stem(a) == stem(b)


def in_place(name: str, claim: str, text: str, window: int = 10) -> bool:
    """Whether ``name`` stands in the span among the claim's other words: a name the span holds
    only in another part ("Sweden and Finland ... as the war in Ukraine grinds on") is not. A
    pronoun after the name stands for it ("Chestnut won ... His record of 76")."""
    others = {
        w for t in _TOKEN.findall(claim) for w in _split(t) if content_words(w) and not _same_word(name, w)
    }
    span_words = [w for t in _TOKEN.findall(text) for w in _split(t)]
    near = [i for i, w in enumerate(span_words) if any(_same_word(o, w) for o in others)]
    if not near:
        return True
    mine = [i for i, w in enumerate(span_words) if _same_word(name, w)]
    if mine:
        mine += [i for i, w in enumerate(span_words) if i > mine[0] and w in _BACK]
    return any(abs(i - j) <= window for i in mine for j in near)


def _runs(tokens: list[str]) -> list[tuple[int, int]]:
    """``(start, end)`` of each run of capitalised words that are not function words."""
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        j = i
        while j < len(tokens) and tokens[j][:1].isupper() and tokens[j].lower() not in FUNCTION_WORDS:
            j += 1
        if j > i:
            out.append((i, j))
        i = max(j, i + 1)
    return out


def _context_matches(claim: list[str], a: int, b: int, span: list[str], sa: int, sb: int) -> int:
    """How many of the two words each side of the claim's run ``claim[a:b]`` stand at the same
    place around the span's run ``span[sa:sb]``; 0 unless one of them is a content word."""
    pairs = [(a - k, sa - k) for k in (1, 2)] + [(b + k, sb + k) for k in (0, 1)]
    hits = [
        claim[i].lower()
        for i, j in pairs
        if 0 <= i < len(claim) and 0 <= j < len(span) and stem(claim[i].lower()) == stem(span[j].lower())
    ]
    return len(hits) if any(h not in FUNCTION_WORDS for h in hits) else 0


def rival(name: str, claim: str, text: str) -> str | None:
    """The other name the span puts in the claim's slot for ``name``: the span has, between the
    same words ("southern ___ on Monday", "___ will become"), a run of names sharing none of the
    claim's (nor a date, nor a name the claim gives elsewhere: the same names in another order),
    and nowhere puts the claim's own there. None when there is no such rival."""
    name = name.lower()
    ctoks, stoks = _TOKEN.findall(claim), _TOKEN.findall(text)
    mine = next(((a, b) for a, b in _runs(ctoks) if any(name in _split(t) for t in ctoks[a:b])), None)
    if mine is None:
        return None
    own = name_tokens(" ".join(ctoks[mine[0] : mine[1]]))
    elsewhere = name_tokens(claim) - own
    rivals, same = [], False
    for sa, sb in _runs(stoks):
        if _context_matches(ctoks, *mine, stoks, sa, sb) < 2:
            continue
        theirs = {t for t in name_tokens(" ".join(stoks[sa:sb])) if not _DATE_WORD.match(t)}
        if theirs & own or any(_same_word(n, t) for n in own for t in theirs):
            same = True
        elif theirs and not theirs & elsewhere:  # "Sweden and Finland" for "Finland and Sweden"
            rivals.append(" ".join(stoks[sa:sb]))
    return rivals[0] if rivals and not same else None


def _split(token: str) -> list[str]:
    low = token.lower().replace("’", "'")
    low = low[:-2] if low.endswith("'s") else low
    return [p for p in re.split(r"[-']", low) if p]
