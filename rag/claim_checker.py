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

from collections.abc import Mapping, Sequence

from rag._query import content_words
from rag.claims.problems import Problem, span_problem, stems_of
from rag.claims.quantities import dates
from rag.claims.result import ClaimCheck, ClaimEvidence
from rag.claims.speakers import claim_speaker
from rag.records import Passage
from rag.text import sentence_spans, stem, strip_markers, tidy
from rag.verify import Embed, Span, Verifier

__all__ = ["ClaimChecker", "split_claims"]


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


def _said(claim: str) -> set[str]:
    """The stems of what a claim has its speaker say (empty when it names no speaker)."""
    speaker = claim_speaker(claim)
    if speaker is None:
        return set()
    _, a, b = speaker
    return stems_of(claim[:a] + " " + claim[b:]) - stems_of(speaker[0])


def _added(claim: str, text: str, article: str) -> list[str]:
    """The claim's words that the span lacks, when they show it says more than the span: two or
    more of its content words are not in the span, and one of them is nowhere in the article
    ("the shows will be filmed for a movie" over a span about rescheduled shows). One missing
    word is a paraphrase; missing words the article uses elsewhere are read as a looser wording."""
    span_stems = stems_of(text)
    missing = [w for w in content_words(claim) if stem(w) not in span_stems]
    missing_stems = {stem(w) for w in missing}
    if len(missing_stems) < 2 or not missing_stems - stems_of(article):
        return []
    return missing


def _coverage(wanted: set[str], text: str) -> float:
    return len(wanted & stems_of(text)) / len(wanted) if wanted else 1.0


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


def _evidence(passages: Sequence[Passage], span: Span) -> ClaimEvidence:
    p = passages[span.passage]
    return ClaimEvidence(p, p.text[span.start : span.end], span.start, span.end)


def split_claims(text: str) -> list[str]:
    """An answer's sentences, each one claim to check."""
    return [text[a:b] for a, b in sentence_spans(text)]
