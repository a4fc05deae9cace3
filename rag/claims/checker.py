"""The claim checker: is a claim backed by the passages, and if not, what does it get wrong?

A claim is first matched to the span of the passages that best supports it (one sentence or two
adjacent ones, scored as the answer verifier scores them: content-word overlap and MiniLM cosine).
No span good enough: ``not_found``. Otherwise the span must also agree with the claim on

- **speaker**: a claim that someone said something names the speaker the span's attribution cue
  names (quotes, "X said", "according to X", "a statement by X that ...", pronouns read back);
- **negation**: the clause of the span that matches a clause of the claim has the same polarity
  ("no threat" vs "a threat");
- **number**: every quantity in the claim is in the span ("$4.2 million" = "4,200,000");
- **date**: every date in the claim agrees with the span's comparable dates ("Tuesday" read
  against the article's date);
- **entity**: every name in the claim is in the span (or its article's title).

The first disagreement makes the claim ``contradicted`` with that kind; spans that score within a
small margin of the best are all tried (an article repeats its lede), and one that agrees is enough.

Example:
    >>> checker = ClaimChecker(embed=MiniLMEmbeddings().embed_array)  # doctest: +SKIP
    >>> claim = "Stoltenberg said Russia plans to destabilise the Balkans"
    >>> checker.check(claim, passages).kind  # doctest: +SKIP
    'speaker'
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence

from rag._query import content_words
from rag.claims.entities import entity_problem
from rag.claims.quantities import dates, dates_agree, numbers, same_number
from rag.claims.result import ClaimCheck, ClaimEvidence, Kind
from rag.claims.speakers import claim_speaker, name_tokens, same_speaker, speaker_of
from rag.records import Passage
from rag.text import sentence_spans, stem, strip_markers, tidy
from rag.verify import Embed, Span, Verifier

__all__ = ["ClaimChecker", "Problem", "span_problem", "split_claims"]

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


def _stems(text: str) -> set[str]:
    return {stem(w) for w in content_words(text)}


def _negated(text: str) -> bool:
    return len(_NEGATION.findall(text)) % 2 == 1


def _clauses(text: str) -> list[str]:
    return [c for c in _CLAUSE.split(text) if c and _stems(c)]


class ClaimChecker:
    """Checks claims against passages.

    Args:
        embed: texts -> L2-normalised vectors (the store's MiniLM); None uses word overlap alone.
        threshold: the support (in [0, 1]) a span needs for the claim to count as found.
        min_overlap: the share of the claim's content words (names and numbers weigh double) the
            span must hold too: a claim that adds what the article never says is not found.
        margin: spans this close to the best one are tried too.
    """

    def __init__(
        self,
        embed: Embed | None = None,
        threshold: float = 0.6,
        min_overlap: float = 0.7,
        margin: float = 0.05,
    ) -> None:
        self.scorer = Verifier(embed=embed, number_penalty=1.0)
        self.threshold = threshold
        self.min_overlap = min_overlap
        self.margin = margin

    def check(
        self, claim: str, passages: Sequence[Passage], articles: Mapping[str, str] | None = None
    ) -> ClaimCheck:
        """The verdict on ``claim`` (``articles``: article id -> full text, to read attributions
        that lie outside a passage)."""
        return self.check_many([claim], passages, articles)[0]

    def check_many(
        self, claims: Sequence[str], passages: Sequence[Passage], articles: Mapping[str, str] | None = None
    ) -> list[ClaimCheck]:
        """The verdict on each claim, against the same passages (scored in one batch)."""
        texts = [tidy(strip_markers(c)) for c in claims]
        if not passages:
            return [
                ClaimCheck(c, "not_found", reason="there are no passages to check it against") for c in texts
            ]
        rows = self.scorer.score(texts, passages)
        return [self._judge(c, row, passages, articles or {}) for c, row in zip(texts, rows, strict=True)]

    def _judge(
        self, claim: str, row: list[Span], passages: Sequence[Passage], articles: Mapping[str, str]
    ) -> ClaimCheck:
        ranked = sorted(row, key=lambda s: s.score, reverse=True)
        best = ranked[0]
        if best.score < self.threshold or best.lexical < self.min_overlap or best.end <= best.start:
            return ClaimCheck(
                claim,
                "not_found",
                reason=f"no passage states it (best match {best.score:.2f}, {best.lexical:.0%} of its words)",
                evidence=[_evidence(passages, best)] if best.end > best.start else [],
                score=best.score,
            )
        floor = max(self.threshold, best.score - self.margin)
        tried: list[tuple[Span, Problem]] = []
        weak: list[Span] = []
        said = _said(claim)
        why = "no passage has the speaker say it"
        for span in (s for s in ranked[:3] if s.score >= floor and s.lexical >= self.min_overlap):
            passage = passages[span.passage]
            text = passage.text[span.start : span.end]
            if said and _coverage(said, text) < 0.5:
                continue  # the speaker's name matches, but not what the claim has them say
            problem = span_problem(claim, passage, span.start, span.end, articles)
            if problem is not None:
                tried.append((span, problem))
            elif added := _added(claim, text, articles.get(passage.article_id, passage.text)):
                why = f"no passage says it: the best one lacks {', '.join(added)}"
            elif _dated(claim, text):
                return _supported(claim, passages, span)
            else:
                weak.append(span)
        if not tried and not weak:
            return ClaimCheck(
                claim, "not_found", reason=why, score=best.score, evidence=[_evidence(passages, best)]
            )
        if not tried:
            return _supported(claim, passages, weak[0])
        span, (kind, reason, corrected) = tried[0]
        return ClaimCheck(
            claim, "contradicted", kind=kind, reason=reason, evidence=[_evidence(passages, span)],
            score=span.score, corrected=corrected,
        )  # fmt: skip


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
    wanted = _stems(claim[:a] + " " + claim[b:]) - _stems(phrase)
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


def _said(claim: str) -> set[str]:
    """The stems of what a claim has its speaker say (empty when it names no speaker)."""
    speaker = claim_speaker(claim)
    if speaker is None:
        return set()
    _, a, b = speaker
    return _stems(claim[:a] + " " + claim[b:]) - _stems(speaker[0])


def _added(claim: str, text: str, article: str) -> list[str]:
    """The claim's words that the span lacks, when they show it says more than the span: two or
    more of its content words are not in the span, and one of them is nowhere in the article
    ("the shows will be filmed for a movie" over a span about rescheduled shows). One missing
    word is a paraphrase; missing words the article uses elsewhere are read as a looser wording."""
    span_stems = _stems(text)
    missing = [w for w in content_words(claim) if stem(w) not in span_stems]
    missing_stems = {stem(w) for w in missing}
    if len(missing_stems) < 2 or not missing_stems - _stems(article):
        return []
    return missing


def _coverage(wanted: set[str], text: str) -> float:
    return len(wanted & _stems(text)) / len(wanted) if wanted else 1.0


def _supported(claim: str, passages: Sequence[Passage], span: Span) -> ClaimCheck:
    return ClaimCheck(
        claim,
        "supported",
        reason="the passage states it",
        evidence=[_evidence(passages, span)],
        score=span.score,
    )


def _dated(claim: str, text: str) -> bool:
    """Whether the span can confirm the claim's dates (it has some, or the claim has none)."""
    return not dates(claim) or bool(dates(text))


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
        want = _stems(clause)
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
    single = [len(want & _stems(c)) / len(want) for c in spans]
    windows, overlap = list(spans), list(single)
    for i, (a, b) in enumerate(itertools.pairwise(spans)):
        both = len(want & (_stems(a) | _stems(b))) / len(want)
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


def _evidence(passages: Sequence[Passage], span: Span) -> ClaimEvidence:
    p = passages[span.passage]
    return ClaimEvidence(p, p.text[span.start : span.end], span.start, span.end)


def split_claims(text: str) -> list[str]:
    """An answer's sentences, each one claim to check."""
    return [text[a:b] for a, b in sentence_spans(text)]
