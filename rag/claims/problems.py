"""What a claim gets wrong against one span of a passage: the speaker, the polarity, a number, a
date or a name (:func:`span_problem`). The claim checker (:mod:`rag.claim_checker`) tries it on the
spans that best support a claim; the answer verifier (:mod:`rag.verify`) on the spans that support
each answer sentence, to catch a quote put in the wrong mouth.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping

from rag._query import content_words
from rag.claims.entities import entity_problem
from rag.claims.quantities import dates, dates_agree, numbers, same_number
from rag.claims.result import Kind
from rag.claims.speakers import claim_speaker, name_tokens, same_speaker, speaker_of
from rag.records import Passage
from rag.text import sentence_spans, stem

__all__ = ["Problem", "span_problem", "stems_of"]

_NEGATION = re.compile(
    r"\b(?:not|no|never|none|nobody|nothing|neither|nor|without|hardly|cannot|barely)\b|n['’]t\b"
    # Words that say "not" themselves: "it is illegal" = "it is not allowed", "she refused to"
    # = "she would not", "they rejected it" = "they did not accept it".
    r"|\b(?:illegal|unlawful|unable|unlikely|impossible|forbidden|prohibited|banned|"
    r"refus(?:e|es|ed|ing)|reject(?:s|ed|ing)?|den(?:y|ies|ied|ying)|"
    r"(?:fail(?:s|ed)?|declin(?:e|es|ed)) to)\b",
    re.I,
)


_CLAUSE = re.compile(r"[,;:()“”\"—–]|\s(?:but|and|while|although|though|whereas)\s", re.I)


_TOKEN = re.compile(r"\w+(?:['’]\w+)?")


Problem = tuple[Kind, str, str]  # kind, reason, corrected claim ("" when none)


def stems_of(text: str) -> set[str]:
    return {stem(w) for w in content_words(text)}


def _negated(text: str) -> bool:
    return len(_NEGATION.findall(text)) % 2 == 1


def _clauses(text: str) -> list[str]:
    return [c for c in _CLAUSE.split(text) if c and stems_of(c)]


def span_problem(
    claim: str, passage: Passage, start: int, end: int, articles: Mapping[str, str] | None = None
) -> Problem | None:
    """What ``claim`` gets wrong against ``passage.text[start:end]``: ``(kind, reason, corrected)``,
    or None when the span agrees with it on speaker, polarity, numbers, dates and names."""
    text = passage.text[start:end]
    speaker = claim_speaker(claim)
    if speaker is not None:
        problem = _speaker_problem(claim, speaker, passage, start, end, articles or {})
        if problem is not None:
            return problem
    for check in (_negation_problem, _number_problem):
        problem = check(claim, text)
        if problem is not None:
            return problem
    ok, bad = dates_agree(dates(claim), dates(text), passage.published)
    if not ok and bad is not None:
        said = ", ".join(d.text for d in dates(text))
        return "date", f"the passage dates it {said}, not {bad.text}", ""
    skip = name_tokens(speaker[0]) if speaker is not None else set()
    return entity_problem(claim, text, passage, skip)


def _speaker_problem(
    claim: str,
    speaker: tuple[str, int, int],
    passage: Passage,
    start: int,
    end: int,
    articles: Mapping[str, str],
) -> Problem | None:
    phrase, a, b = speaker
    context = articles.get(passage.article_id)
    offset = passage.start if context is not None else 0
    if context is None or context[offset : offset + len(passage.text)] != passage.text:
        context, offset = passage.text, 0
    wanted = stems_of(claim[:a] + " " + claim[b:]) - stems_of(phrase)
    region = _region(passage.text, start, end, wanted)
    if region is None:
        return None
    # The sentence holding most of the claim's words decides (its attribution, read back).
    pieces = sorted(
        (
            (max(a, region[0]), min(b, region[1]))
            for a, b in sentence_spans(passage.text)
            if a < region[1] and b > region[0]
        ),
        key=lambda ab: -_hits(passage.text, ab[0], ab[1], wanted),
    ) or [region]
    said_by = next(
        (w for a, b in pieces if (w := speaker_of(context, a + offset, b + offset)) is not None), None
    )
    if said_by is None or same_speaker(phrase, said_by, context):
        return None
    corrected = claim[:a] + said_by + claim[b:]
    corrected = corrected[0].upper() + corrected[1:]
    return "speaker", f"the passage attributes this to {said_by}, not {phrase}", corrected


def _hits(text: str, start: int, end: int, wanted: set[str]) -> int:
    return sum(1 for m in _TOKEN.finditer(text, start, end) if stem(m.group(0).lower()) in wanted)


def _region(text: str, start: int, end: int, wanted: set[str]) -> tuple[int, int] | None:
    """The stretch of ``text[start:end]`` where the claim's words cluster densest."""
    hits = [m.start() for m in _TOKEN.finditer(text, start, end) if stem(m.group(0).lower()) in wanted]
    if not hits:
        return None
    width = 160
    best = max(range(len(hits)), key=lambda i: sum(1 for h in hits[i:] if h - hits[i] <= width))
    inside = [h for h in hits[best:] if h - hits[best] <= width]
    return inside[0], inside[-1] + 1


def _negation_problem(claim: str, text: str) -> Problem | None:
    spans = _clauses(text)
    for clause in _clauses(claim):
        want = stems_of(clause)
        if len(want) < 2 or not spans:
            continue
        windows, overlap = _windows(spans, want)
        top = max(overlap)
        if top < 0.5:
            continue
        polarities = {_negated(w) for w, o in zip(windows, overlap, strict=True) if o >= top - 1e-9}
        if _negated(clause) not in polarities:
            side = "denies" if _negated(clause) is False else "affirms"
            return "negation", f"the passage {side} it: the claim's polarity is reversed", ""
    return None


def _windows(spans: list[str], want: set[str]) -> tuple[list[str], list[float]]:
    """The span's clauses and pairs of adjacent clauses, with the share of ``want`` each holds.
    A pair counts only when both its clauses add words of ``want``: a clause that holds all of
    them decides alone, and the "no" of a neighbouring clause does not cancel its own."""
    single = [len(want & stems_of(c)) / len(want) for c in spans]
    windows, overlap = list(spans), list(single)
    for i, (a, b) in enumerate(itertools.pairwise(spans)):
        both = len(want & (stems_of(a) | stems_of(b))) / len(want)
        if both > max(single[i], single[i + 1]) + 1e-9:
            windows.append(a + " " + b)
            overlap.append(both)
    return windows, overlap


def _number_problem(claim: str, text: str) -> Problem | None:
    have = numbers(text)
    for value in numbers(claim):
        if not any(same_number(value, v) for v in have):
            said = ", ".join(_fmt(v) for v in have) or "no figure"
            return "number", f"the passage gives {said}, not {_fmt(value)}", ""
    return None


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:g}"
