"""The extractive generator: an answer made of passage sentences, verbatim, each with its marker.

It needs no LLM. A sentence's score mixes its MiniLM similarity to the question, the share of the
question's content words it contains, and whether it holds the kind of thing the question asks for
(a date for "when", a number for "how many", a name for "who"). The answer is the best sentence,
together with the lede (first sentence) of its article: news puts the main fact first.

Sentences are whole: one that opens inside a quotation is never taken (its speaker would be
lost). A "What did X say ..." question is answered with up to three different points the passages
attribute to X, and never with a sentence they attribute to someone else.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from rag._query import content_words
from rag.claims.speakers import asked_speaker, opens_mid_quote, same_speaker, speaker_of
from rag.embeddings import count_tokens
from rag.records import Passage
from rag.text import MONTH_NAMES, sentence_spans, stem
from rag.verify import content_stems_weighted, with_markers

Embed = Callable[[list[str]], np.ndarray]

_MONTH = rf"(?:{MONTH_NAMES})"
_KINDS: list[tuple[re.Pattern[str], re.Pattern[str]]] = [
    (
        re.compile(r"^\s*(when|what (year|date|day|month|time))\b|\bhow (soon|long)\b", re.I),
        re.compile(
            rf"\b(19|20)\d\d\b|\b{_MONTH}\b|\b(monday|tuesday|wednesday|thursday|friday|saturday|"
            r"sunday|today|tomorrow|yesterday|weeks?|months?|years?|days?)\b",
            re.I,
        ),
    ),
    (
        re.compile(
            r"\bhow (much|many|far|big|large|old|high|fast)\b|\bwhat (percentage|share|number)\b", re.I
        ),
        re.compile(
            r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|"
            r"billion|dozen)\b",
            re.I,
        ),
    ),
    (re.compile(r"^\s*(who|whom|whose)\b", re.I), re.compile(r"\b[A-Z][a-z]+(?: [A-Z][a-z]+)+\b")),
    (
        re.compile(r"^\s*where\b|\bwhich (country|city|state|continent|place)\b", re.I),
        re.compile(r"\b(in|at|from|near) [A-Z][a-z]+"),
    ),
]


@dataclass(frozen=True)
class _Sentence:
    passage: int
    start: int
    end: int
    text: str
    lede: bool


def _sentences(
    passages: Sequence[Passage], whole: bool = False, speaker: str | None = None
) -> list[_Sentence]:
    """The passages' sentences; ``whole``: none that opens inside a quotation; ``speaker``: only
    those the passage does not attribute to someone else."""
    out = []
    for j, p in enumerate(passages):
        first = p.position == 0
        for a, b in sentence_spans(p.text):
            text = p.text[a:b]
            if text.startswith("[") and text.endswith("]"):
                continue  # an editor's note, e.g. "[Sample article written for newsrag; ...]"
            if whole and opens_mid_quote(p.text, a, b):
                continue
            if speaker is not None:
                said_by = speaker_of(p.text, a, b)
                if said_by is not None and not same_speaker(speaker, said_by, p.text):
                    continue
            if len(content_words(text)) >= 3:
                out.append(_Sentence(j, a, b, text, lede=first))
                first = False
    return out


def _kind_bonus(question: str, sentence: str) -> float:
    for asks, holds in _KINDS:
        if asks.search(question):
            return 0.15 if holds.search(sentence) else 0.0
    return 0.0


def _scored(
    question: str, passages: Sequence[Passage], embed: Embed, whole: bool = False
) -> tuple[list[_Sentence], list[float]]:
    """The passages' sentences and how well each answers ``question`` (higher is better);
    ``whole``: only sentences an answer can quote alone (see :func:`_sentences`)."""
    cands = _sentences(passages, whole, asked_speaker(question) if whole else None)
    if not cands:
        return [], []
    weights = content_stems_weighted(question)
    total = sum(weights.values()) or 1.0
    vecs = embed([question, *(c.text for c in cands)])
    sims = vecs[1:] @ vecs[0]
    scores = []
    for c, sim in zip(cands, sims, strict=True):
        stems = {stem(w) for w in content_words(c.text)}
        overlap = sum(w for s, w in weights.items() if s in stems) / total
        rank_prior = 0.05 * (len(passages) - c.passage) / len(passages)
        scores.append(0.5 * float(sim) + 0.5 * overlap + _kind_bonus(question, c.text) + rank_prior)
    return cands, scores


def excerpts(
    question: str, passages: Sequence[Passage], embed: Embed, budget: int
) -> list[tuple[int, Passage]]:
    """The passages cut to the sentences that matter for ``question``, for a generator's prompt.

    Sentences are taken best first while they fit in ``budget`` word pieces (the best one always),
    each with its article's lede when that is among the passages: news states the main fact first.
    A passage keeps its chosen sentences in reading order, gaps marked "…"; a passage with none is
    left out. Returns ``(n, excerpt)`` pairs, ``n`` the passage's 1-based number in ``passages``,
    so source ``[n]`` still means ``passages[n-1]``.
    """
    cands, scores = _scored(question, passages, embed)
    if not cands:
        return list(enumerate(passages, start=1))
    sizes = count_tokens([c.text for c in cands])
    ledes = {passages[c.passage].article_id: i for i, c in enumerate(cands) if c.lede}
    keep: set[int] = set()
    spent = 0
    for i in (int(i) for i in np.argsort(scores)[::-1]):
        lede = ledes.get(passages[cands[i].passage].article_id, i)
        add = {i, lede} - keep
        cost = sum(sizes[j] for j in add)
        if keep and spent + cost > budget:
            continue
        keep |= add
        spent += cost
    out = []
    for j, p in enumerate(passages):
        mine = sorted((i for i in keep if cands[i].passage == j), key=lambda i: cands[i].start)
        if not mine:
            continue
        parts, prev_end = [], 0
        for i in mine:
            if _gap(p.text, prev_end, cands[i].start):
                parts.append("…")
            parts.append(cands[i].text.strip())
            prev_end = cands[i].end
        if _gap(p.text, prev_end, len(p.text)):
            parts.append("…")
        out.append((j + 1, replace(p, text=" ".join(parts))))
    return out


def _gap(text: str, a: int, b: int) -> bool:
    """Whether ``text[a:b]`` holds words (a left-out sentence), not just spaces."""
    return bool(text[a:b].strip())


def best_sentences(
    question: str,
    passages: Sequence[Passage],
    embed: Embed,
    *,
    n: int = 1,
    prefer: Callable[[str], bool] | None = None,
) -> list[tuple[int, str, float]]:
    """The ``n`` whole sentences of ``passages`` that answer ``question`` best, as
    ``(passage index, sentence, score)``, best first, near-duplicates left out; with ``prefer``,
    only sentences it accepts when any is accepted."""
    cands, scores = _scored(question, passages, embed, whole=True)
    order = [int(i) for i in np.argsort(scores)[::-1]] if cands else []
    if prefer is not None and any(prefer(cands[i].text) for i in order):
        order = [i for i in order if prefer(cands[i].text)]
    picked: list[int] = []
    for i in order:
        if len(picked) >= n:
            break
        if not any(_same_fact(cands[i].text, cands[j].text) for j in picked):
            picked.append(i)
    return [(cands[i].passage, cands[i].text.rstrip(), float(scores[i])) for i in picked]


def extractive_answer(question: str, passages: Sequence[Passage], embed: Embed) -> str:
    """An answer from the passages' own sentences, each followed by its source marker ``[n]``.

    Returns "" when the passages hold no usable sentence.
    """
    cands, scores = _scored(question, passages, embed, whole=True)
    if not cands:
        return ""
    order = [int(i) for i in np.argsort(scores)[::-1]]
    best = order[0]
    picked = [best]
    speaker = asked_speaker(question)
    if speaker:
        # "What did X say": the story's lede when the passage says it is X's (an unattributed lede
        # may open a quotation of someone else), then X's other points, best first.
        article = passages[cands[best].passage].article_id
        lede = next(
            (
                i
                for i, c in enumerate(cands)
                if c.lede and passages[c.passage].article_id == article and _said_by(speaker, c, passages)
            ),
            None,
        )
        picked = [best] if lede is None or lede == best else [lede, best]
        for i in order[1:]:
            fresh = not any(_same_fact(cands[i].text, cands[j].text) for j in picked)
            if len(picked) < 4 and scores[i] >= 0.5 * scores[best] and fresh:
                picked.append(i)
    elif cands[best].lede:
        # The lede answers best: add the runner-up if it is nearly as good (it often holds the detail).
        runner = next((i for i in order[1:] if not _same_fact(cands[i].text, cands[best].text)), None)
        if runner is not None and scores[runner] >= 0.8 * scores[best]:
            picked.append(runner)
    else:
        # Put the lede of the best sentence's article first: it states the story's main fact.
        article = passages[cands[best].passage].article_id
        lede = next(
            (i for i, c in enumerate(cands) if c.lede and passages[c.passage].article_id == article), None
        )
        if lede is not None:
            picked.insert(0, lede)
    return " ".join(with_markers(cands[i].text.rstrip(), [cands[i].passage + 1]) for i in picked)


def _said_by(speaker: str, sentence: _Sentence, passages: Sequence[Passage]) -> bool:
    """Whether the passage attributes ``sentence`` to ``speaker``."""
    text = passages[sentence.passage].text
    said = speaker_of(text, sentence.start, sentence.end)
    return said is not None and same_speaker(speaker, said, text)


def _same_fact(a: str, b: str) -> bool:
    """Near-duplicates (the same sentence in two overlapping chunks, or a lede repeated)."""
    wa, wb = set(content_words(a)), set(content_words(b))
    return len(wa & wb) >= 0.7 * max(min(len(wa), len(wb)), 1)
