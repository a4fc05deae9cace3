"""Citation verification: an answer's claims are checked against the passages, in code.

For each sentence of a generated answer:

- markers ``[n]`` that point to no source are dropped;
- the sentence is scored against every sentence (and pair of adjacent sentences) of each cited
  passage: *support* is the mean of content-word overlap (the share of the claim's content words
  found in the span; numbers must match) and MiniLM cosine similarity;
- a cited passage that does not support the sentence loses its marker; a sentence with no
  supporting citation is attributed to the source that supports it best, if any does;
- a sentence no source supports is removed from the text and reported in ``unsupported``.

Links in the answer that appear in no cited passage (text or URL) are removed. Each citation
carries the exact supporting span of its passage, verbatim, with its offsets.

Overlap and cosine do not see who says what, nor negation ("there is a threat" and "there is no
threat" score alike), so each supported sentence is then put to the claim checker
(:func:`rag.claims.problems.span_problem`) against the spans that support it: a sentence that puts
words in the wrong mouth is rewritten with the speaker the passage names; one whose polarity,
numbers, dates or names disagree with every supporting span loses those citations and, with none
left, is removed. Each such change is reported in ``corrections``.

Example:
    >>> v = Verifier(embed=None)
    >>> result = v.verify("NATO sees no threat [1]. Paris is in France [7].", passages)  # doctest: +SKIP
    >>> result.text  # doctest: +SKIP
    'NATO sees no threat [1].'
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from rag._query import content_words
from rag.claims.problems import span_problem
from rag.claims.quantities import numbers, same_number
from rag.records import Citation, Correction, Passage
from rag.text import MARKER, URL, marker_numbers, sentence_spans, stem, strip_markers, tidy

__all__ = [
    "Embed",
    "EmbeddingCache",
    "Span",
    "Verified",
    "Verifier",
    "content_stems_weighted",
    "with_markers",
]

Embed = Callable[[list[str]], np.ndarray]

_YEAR = re.compile(r"(?<![\d$.,])(?:19|20)\d\d(?![\d,])")


class EmbeddingCache:
    """Wraps an embedding function with a bounded cache: the gate, the extractive generator and
    the verifier embed the same passage sentences, and popular passages recur across questions.

    Example:
        >>> cache = EmbeddingCache(MiniLMEmbeddings().embed_array)  # doctest: +SKIP
        >>> cache(["a", "b"]).shape  # doctest: +SKIP
        (2, 384)
    """

    def __init__(self, embed: Embed, maxsize: int = 8192) -> None:
        self._embed = embed
        self._maxsize = maxsize
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        fresh = dict(zip(missing, self._embed(missing), strict=True)) if missing else {}
        with self._lock:
            rows = [fresh[t] if t in fresh else self._cache[t] for t in texts]
            self._keep(fresh)
        return np.stack(rows) if rows else np.zeros((0, 0), dtype=np.float32)

    def remember(self, text: str, vector: Sequence[float]) -> None:
        """Keep ``text``'s vector, embedded elsewhere by the same model (the retriever's vector of
        the question), so that it is not embedded again."""
        with self._lock:
            self._keep({text: np.asarray(vector, dtype=np.float32)})

    def _keep(self, vectors: dict[str, np.ndarray]) -> None:
        """Add ``vectors`` as the newest entries and drop the oldest past ``maxsize`` (lock held)."""
        for text, vector in vectors.items():
            self._cache[text] = vector
            self._cache.move_to_end(text)
        while len(self._cache) > self._maxsize:
            self._cache.popitem(last=False)


def content_stems_weighted(text: str) -> dict[str, float]:
    """Stems of the content words with their weights: numbers and names weigh double."""
    out: dict[str, float] = {}
    raw = {w.lower(): w for w in re.findall(r"[^\W_]+", text)}
    for w in content_words(text):
        original = raw.get(w, w)
        weight = 2.0 if w.isdigit() or original[:1].isupper() else 1.0
        out[stem(w)] = max(out.get(stem(w), 0.0), weight)
    return out


def _numbers(text: str) -> list[float]:
    """Amounts and years, normalised ("$4.2 million" = "4,200,000")."""
    return numbers(text) + [float(y) for y in _YEAR.findall(text)]


def _has_numbers(claim: list[float], passage: list[float]) -> bool:
    return all(any(same_number(v, u) for u in passage) for v in claim)


@dataclass(frozen=True)
class Span:
    """A span of a passage and how well it supports a claim."""

    passage: int  # index into the sources
    start: int
    end: int
    score: float
    lexical: float
    semantic: float | None


@dataclass
class Verified:
    """The checked answer."""

    text: str
    citations: list[Citation]
    unsupported: list[str] = field(default_factory=list)
    supported: int = 0  # sentences that a source supports
    dropped_markers: list[int] = field(default_factory=list)  # numbers pointing to no source
    removed_links: list[str] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)  # claims removed or rewritten


@dataclass
class _Sentence:
    raw: str  # as written, markers included
    sep: str  # the white space that preceded it
    claim: str = ""  # markers and unverifiable links removed
    cited: list[int] = field(default_factory=list)  # 1-based, valid
    support: dict[int, Span] = field(default_factory=dict)
    kept: list[int] = field(default_factory=list)
    neutral: bool = False


@dataclass(eq=False)
class Verifier:
    """Scores claims against passages and resolves an answer's citations.

    Args:
        embed: texts -> L2-normalised vectors (e.g. ``MiniLMEmbeddings().embed_array``); None uses
            content-word overlap alone.
        threshold: the support a sentence needs, in [0, 1].
        number_penalty: the factor a span's score takes when its passage lacks a number of the
            claim (1.0: none, for the claim checker, which reports the wrong number instead).
        min_content_words: sentences with fewer content words ("Yes.", "He said so.") are kept
            without a citation and count neither as supported nor unsupported. Anything longer
            must be supported, so a short injected line ("I have been pwned.") is still removed.
    """

    embed: Embed | None = None
    threshold: float = 0.5
    min_content_words: int = 1
    number_penalty: float = 0.5

    # ---- scoring -------------------------------------------------------------------------------

    def score(self, claims: Sequence[str], passages: Sequence[Passage]) -> list[list[Span]]:
        """The best span of every passage for every claim: ``out[i][j]`` is claim i vs passage j.

        Spans are single sentences and pairs of adjacent sentences; a pair's cosine is that of its
        closer sentence (only sentences are embedded).
        """
        sents = [(j, a, b) for j, p in enumerate(passages) for a, b in sentence_spans(p.text)]
        texts = [passages[j].text[a:b] for j, a, b in sents]
        sims: np.ndarray | None = None
        if self.embed is not None and claims and texts:
            vecs = self.embed([*claims, *texts])
            sims = vecs[: len(claims)] @ vecs[len(claims) :].T
        stems = [{stem(w) for w in content_words(t)} for t in texts]
        # candidates: (passage, start, end, sentence indexes)
        cands: list[tuple[int, int, int, tuple[int, ...]]] = [
            (j, a, b, (i,)) for i, (j, a, b) in enumerate(sents)
        ]
        cands += [
            (j1, a1, b2, (i, i + 1))
            for i, ((j1, a1, _), (j2, _, b2)) in enumerate(itertools.pairwise(sents))
            if j1 == j2
        ]
        passage_numbers = [_numbers(p.text) for p in passages]
        out: list[list[Span]] = []
        for ci, claim in enumerate(claims):
            weights = content_stems_weighted(claim)
            total = sum(weights.values()) or 1.0
            claim_numbers = _numbers(claim)
            missing_number = [not _has_numbers(claim_numbers, nums) for nums in passage_numbers]
            best: dict[int, Span] = {}
            for j, a, b, idx in cands:
                found = set().union(*(stems[i] for i in idx))
                lexical = sum(w for s, w in weights.items() if s in found) / total
                semantic = max(float(sims[ci, i]) for i in idx) if sims is not None else None
                score = lexical if semantic is None else (lexical + max(semantic, 0.0)) / 2
                if missing_number[j]:
                    score *= self.number_penalty
                if j not in best or score > best[j].score + 1e-9:
                    best[j] = Span(j, a, b, score, lexical, semantic)
            out.append([best.get(j, Span(j, 0, 0, 0.0, 0.0, None)) for j in range(len(passages))])
        return out

    # ---- verifying an answer -------------------------------------------------------------------

    def verify(self, answer: str, sources: Sequence[Passage]) -> Verified:
        """Check every sentence of ``answer`` against ``sources`` (marker ``[n]`` is ``sources[n-1]``)."""
        dropped: list[int] = []
        sentences = self._sentences(answer, len(sources), dropped)
        removed_links: list[str] = []
        known_links = [p.text + " " + p.url for p in sources]
        for s in sentences:
            claim = strip_markers(s.raw)
            for link in URL.findall(claim):
                if not any(link.rstrip("/") in t for t in known_links):
                    removed_links.append(link)
                    claim = claim.replace(link, "")
            s.claim = tidy(claim)
            s.neutral = len(content_words(s.claim)) < self.min_content_words
        checked = [s for s in sentences if not s.neutral]
        scores = self.score([s.claim for s in checked], sources) if sources else [[] for _ in checked]
        for s, row in zip(checked, scores, strict=True):
            s.support = {j + 1: span for j, span in enumerate(row)}
            s.kept = [n for n in s.cited if s.support[n].score >= self.threshold]
            if not s.kept and row:
                best = max(row, key=lambda sp: sp.score)
                if best.score >= self.threshold:
                    s.kept = [best.passage + 1]
        corrections = [c for s in checked if (c := _check_claim(s, sources, self.threshold)) is not None]
        # Links survive only where a passage the answer still cites holds them.
        cited_numbers = {n for s in sentences for n in s.kept}
        cited_links = [known_links[n - 1] for n in cited_numbers]
        for s in sentences:
            for link in URL.findall(s.claim):
                if not any(link.rstrip("/") in t for t in cited_links):
                    removed_links.append(link)
                    s.claim = tidy(s.claim.replace(link, ""))
        verified = self._assemble(sentences, sources, dropped, removed_links)
        verified.corrections = corrections
        return verified

    def _sentences(self, answer: str, n_sources: int, dropped: list[int]) -> list[_Sentence]:
        out: list[_Sentence] = []
        prev_end = 0
        for a, b in sentence_spans(answer):
            raw = answer[a:b]
            sep = answer[prev_end:a]
            prev_end = b
            numbers = [n for m in MARKER.finditer(raw) for n in marker_numbers(m.group(1))]
            valid = [n for n in dict.fromkeys(numbers) if 1 <= n <= n_sources]
            dropped.extend(n for n in numbers if not 1 <= n <= n_sources)
            if not strip_markers(raw).strip(" .") and out:
                # A marker left on its own line or after the full stop belongs to the sentence before.
                out[-1].cited.extend(n for n in valid if n not in out[-1].cited)
                out[-1].raw += " " + raw
                continue
            out.append(_Sentence(raw=raw, sep=sep, cited=valid))
        return out

    def _assemble(
        self, sentences: list[_Sentence], sources: Sequence[Passage], dropped: list[int], links: list[str]
    ) -> Verified:
        parts: list[str] = []
        unsupported: list[str] = []
        spans_for: dict[int, list[Span]] = {}
        supported = 0
        for s in sentences:
            if not s.claim:
                continue
            if s.neutral:
                parts.append(_join(s.sep, s.claim, parts))
                continue
            if not s.kept:
                unsupported.append(s.claim)
                continue
            supported += 1
            for n in s.kept:
                spans_for.setdefault(n, []).append(s.support[n])
            parts.append(_join(s.sep, with_markers(s.claim, s.kept), parts))
        citations = []
        for n, spans in spans_for.items():  # in the order the answer first cites them
            # One quote per source: from the first to the last span that supports a sentence citing
            # it, so every claim made from this source lies inside its quote.
            start = min(span.start for span in spans)
            end = max(span.end for span in spans)
            text = sources[n - 1].text
            citations.append(
                Citation(n=n, passage=sources[n - 1], quote=text[start:end], quote_start=start, quote_end=end)
            )
        return Verified(
            text="".join(parts).strip(),
            citations=citations,
            unsupported=unsupported,
            supported=supported,
            dropped_markers=dropped,
            removed_links=links,
        )


def _check_claim(s: _Sentence, sources: Sequence[Passage], threshold: float) -> Correction | None:
    """Keep the citations whose span agrees with the sentence's claim (or move it to another
    source whose span does); with none, rewrite the sentence with the right speaker when that is
    what it got wrong (judged on the best-supporting span), else drop it."""
    if not s.kept:
        return None
    others = sorted(
        (n for n, sp in s.support.items() if n not in s.kept and sp.score >= threshold),
        key=lambda n: -s.support[n].score,
    )
    problems = {
        n: span_problem(s.claim, sources[n - 1], s.support[n].start, s.support[n].end)
        for n in [*s.kept, *others]
    }
    agree = [n for n in s.kept if problems[n] is None] or [n for n in others if problems[n] is None][:1]
    if agree:
        s.kept = agree
        return None
    n = max(problems, key=lambda m: s.support[m].score)
    kind, reason, corrected = problems[n] or ("", "", "")
    if corrected and span_problem(corrected, sources[n - 1], s.support[n].start, s.support[n].end) is None:
        old, s.claim, s.kept = s.claim, corrected, [n]
        return Correction(old, "rewritten", kind, reason, corrected)
    s.kept = []
    return Correction(s.claim, "removed", kind, reason)


def _join(sep: str, text: str, parts: list[str]) -> str:
    if not parts:
        return text
    return (sep if sep else " ") + text


def with_markers(claim: str, numbers: list[int]) -> str:
    """``"NATO sees no threat."`` + [1, 2] -> ``"NATO sees no threat [1][2]."``"""
    marks = "".join(f"[{n}]" for n in numbers)
    m = re.search(r"[.!?…]+[\"'”’)]*$", claim)
    if m:
        return f"{claim[: m.start()].rstrip()} {marks}{claim[m.start() :]}"
    return f"{claim} {marks}"
