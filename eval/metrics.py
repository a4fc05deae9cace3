"""Evaluation metrics: pure functions over ids, strings and flags, with no dependency on the store.

Conventions shared by every function here:

- A metric that is undefined for its input (0/0: no gold ids, nothing cited, no answerable question)
  returns ``None``; ``aggregate`` skips ``None`` when it takes a mean. ``ValueError`` is raised only
  for malformed input (``k < 1``, sequences of different lengths, no latency values).
- Per-question scores are floats in [0, 1] so that a mean over questions is the reported metric.
- Retrieval metrics are generic over ids: pass article ids for article-level scores, chunk ids (with
  gold chunk ids) for chunk-level scores.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from eval.containment import answer_contains, answer_contains_strict, normalize_answer, strip_citations
from eval.grounding import content_tokens
from rag import sentences

CHOICE_OVERLAP_THRESHOLD = 0.5
"""Fallback choice matching: least share of a choice's content words that the answer must contain."""

# --------------------------------------------------------------------------------------------------
# Retrieval
# --------------------------------------------------------------------------------------------------


def _top_k(ranked_ids: Sequence[str], gold_ids: Iterable[str], k: int) -> tuple[list[str], set[str]]:
    """The first ``k`` distinct ranked ids (each at its first occurrence) and the gold ids as a set.
    ``ValueError`` when ``k < 1``: so do the retrieval metrics below."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    return list(dict.fromkeys(ranked_ids))[:k], set(gold_ids)


def hit_at_k(ranked_ids: Sequence[str], gold_ids: Iterable[str], k: int) -> float | None:
    """Hit@k: 1.0 if any gold id is among the first ``k`` distinct ranked ids, else 0.0.

    ``ranked_ids`` may repeat an id (several chunks of one article): it is deduplicated keeping the
    first occurrence *before* the cut at ``k``, so ``k`` counts distinct ids.

    Returns:
        1.0 or 0.0; ``None`` when ``gold_ids`` is empty.
    """
    top, gold = _top_k(ranked_ids, gold_ids, k)
    if not gold:
        return None
    return 1.0 if any(i in gold for i in top) else 0.0


def recall_at_k(ranked_ids: Sequence[str], gold_ids: Iterable[str], k: int) -> float | None:
    """Recall@k: ``|gold ∩ top-k| / |gold|`` over distinct ids.

    ``ranked_ids`` is deduplicated keeping first occurrences before the cut at ``k``; ``gold_ids``
    is taken as a set.

    Returns:
        A share in [0, 1]; ``None`` when ``gold_ids`` is empty.
    """
    top, gold = _top_k(ranked_ids, gold_ids, k)
    if not gold:
        return None
    found = gold.intersection(top)
    return len(found) / len(gold)


def mrr_at_k(ranked_ids: Sequence[str], gold_ids: Iterable[str], k: int = 10) -> float | None:
    """Reciprocal rank at k (MRR@k once averaged): ``1 / rank`` of the first gold id, 0.0 if none.

    Ranks are 1-based positions in ``ranked_ids`` deduplicated keeping first occurrences; only the
    first ``k`` distinct ids are looked at. Example: gold first at rank 3 -> 1/3.

    Returns:
        A value in {0} ∪ [1/k, 1]; ``None`` when ``gold_ids`` is empty.
    """
    top, gold = _top_k(ranked_ids, gold_ids, k)
    if not gold:
        return None
    for rank, i in enumerate(top, start=1):
        if i in gold:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked_ids: Sequence[str], gold_ids: Iterable[str], k: int = 10) -> float | None:
    """nDCG@k with binary relevance.

    ``DCG = Σ_{r=1..k} rel_r / log2(r + 1)`` where ``rel_r`` is 1 when the id at 1-based rank ``r``
    (after deduplicating ``ranked_ids`` keeping first occurrences) is gold, else 0.
    ``IDCG = Σ_{r=1..min(|gold|, k)} 1 / log2(r + 1)`` (every gold id ranked first).
    Returns ``DCG / IDCG``.

    Returns:
        A value in [0, 1]; ``None`` when ``gold_ids`` is empty.
    """
    top, gold = _top_k(ranked_ids, gold_ids, k)
    if not gold:
        return None
    dcg = sum(1.0 / math.log2(r + 1) for r, i in enumerate(top, start=1) if i in gold)
    idcg = sum(1.0 / math.log2(r + 1) for r in range(1, min(len(gold), k) + 1))
    return dcg / idcg


# --------------------------------------------------------------------------------------------------
# Answers
# --------------------------------------------------------------------------------------------------


def _token_f1(prediction: str, gold: str) -> float:
    pred_tokens = normalize_answer(prediction).split()
    gold_tokens = normalize_answer(gold).split()
    if not pred_tokens or not gold_tokens:
        return 1.0 if pred_tokens == gold_tokens else 0.0
    common = sum((Counter(pred_tokens) & Counter(gold_tokens)).values())
    if common == 0:
        return 0.0
    precision = common / len(pred_tokens)
    recall = common / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def answer_f1(answer: str, golds: Sequence[str]) -> float | None:
    """Token F1 (SQuAD): the maximum over gold answers of the F1 of bag-of-token overlap.

    Citation marks (``[1]``) are removed from the answer; both sides are ``normalize_answer``-ed and
    split on spaces; ``common`` is the size of the multiset intersection of the two token lists;
    ``P = common / |answer tokens|``, ``R = common / |gold tokens|``, ``F1 = 2PR / (P + R)``
    (0.0 when nothing is common; 1.0 when both are empty).

    Returns:
        A value in [0, 1]; ``None`` when ``golds`` is empty.
    """
    if not golds:
        return None
    answer = strip_citations(answer)
    return max(_token_f1(answer, g) for g in golds)


def _word_spans(tokens: list[str], needle: list[str]) -> list[tuple[int, int]]:
    """Token spans ``[start, end)`` where ``needle`` occurs in ``tokens``."""
    n = len(needle)
    return [(i, i + n) for i in range(len(tokens) - n + 1) if tokens[i : i + n] == needle]


def _inside_longer(span: tuple[int, int], others: list[tuple[int, int]]) -> bool:
    """Whether ``span`` lies inside a strictly longer span of ``others``."""
    s, e = span
    return any(a <= s and e <= b and b - a > e - s for a, b in others)


def match_choice(answer: str, choices: Sequence[str]) -> int | None:
    """Index of the choice a free-text answer picks, or ``None`` when it picks none or is ambiguous.

    1. Containment, sentence by sentence: the answer is split into sentences; the first sentence that
       contains any normalised choice as whole words decides. A choice whose every occurrence lies
       inside a longer occurrence of another choice is ignored ("Asia" inside "Southeast Asia").
       If exactly one choice remains it is the match; if several remain the answer names several
       choices at once and the result is ``None`` (hedging is not rewarded).
    2. Overlap fallback, when no sentence contains any choice: each choice scores the share of its
       distinct content words (stopwords removed, Snowball-stemmed, as in ``supports``) found in the
       answer; the unique best choice with a score >= ``CHOICE_OVERLAP_THRESHOLD`` is the match;
       ties and low scores give ``None``.

    Citation marks (``[1]``) are removed from the answer first. Choices that normalise to the same
    text count as one (the first index is returned).
    """
    firsts: dict[str, int] = {}
    for idx, choice in enumerate(choices):
        norm = normalize_answer(choice)
        if norm:
            firsts.setdefault(norm, idx)
    if not firsts:
        return None

    answer = strip_citations(answer)
    for sentence in sentences(answer):
        tokens = normalize_answer(sentence).split()
        spans = {norm: _word_spans(tokens, norm.split()) for norm in firsts}
        spans = {norm: s for norm, s in spans.items() if s}
        if not spans:
            continue
        longer = {n: [sp for o, sps in spans.items() if o != n for sp in sps] for n in spans}
        kept = [n for n, own in spans.items() if not all(_inside_longer(sp, longer[n]) for sp in own)]
        return firsts[kept[0]] if len(kept) == 1 else None

    answer_words = set(content_tokens(answer))
    best: list[tuple[float, int]] = []
    for norm, idx in firsts.items():
        words = set(content_tokens(norm))
        if words:
            best.append((len(words & answer_words) / len(words), idx))
    if not best:
        return None
    best.sort(key=lambda t: -t[0])
    top = best[0][0]
    if top < CHOICE_OVERLAP_THRESHOLD or (len(best) > 1 and best[1][0] == top):
        return None
    return best[0][1]


def choice_accuracy(answer: str, choices: Sequence[str], golds: Sequence[str]) -> float | None:
    """1.0 if the choice the answer picks (see ``match_choice``) is a gold answer, else 0.0.

    The picked choice and the golds are compared after ``normalize_answer``, so "“Squid Game”"
    matches the gold "“Squid Game”" however the answer quotes it. No pick (no choice named, or
    several named in the deciding sentence) scores 0.0.

    Returns:
        1.0 or 0.0; ``None`` when ``choices`` or ``golds`` is empty.
    """
    if not choices or not golds:
        return None
    idx = match_choice(answer, choices)
    if idx is None:
        return 0.0
    gold_norms = {normalize_answer(g) for g in golds}
    return 1.0 if normalize_answer(choices[idx]) in gold_norms else 0.0


# --------------------------------------------------------------------------------------------------
# Citations
# --------------------------------------------------------------------------------------------------


def citation_precision(cited_article_ids: Iterable[str], gold_ids: Iterable[str]) -> float | None:
    """Share of the distinct cited articles that are gold: ``|cited ∩ gold| / |cited|`` (as sets).

    Returns:
        A share in [0, 1]; ``None`` when nothing is cited (precision is undefined, e.g. on abstention).
    """
    cited = set(cited_article_ids)
    if not cited:
        return None
    return len(cited & set(gold_ids)) / len(cited)


def citation_recall(cited_article_ids: Iterable[str], gold_ids: Iterable[str]) -> float | None:
    """Share of the gold articles that are cited: ``|cited ∩ gold| / |gold|`` (as sets).

    Citing nothing scores 0.0.

    Returns:
        A share in [0, 1]; ``None`` when ``gold_ids`` is empty.
    """
    gold = set(gold_ids)
    if not gold:
        return None
    return len(gold & set(cited_article_ids)) / len(gold)


# --------------------------------------------------------------------------------------------------
# Abstention and latency
# --------------------------------------------------------------------------------------------------


def abstention_rate(flags: Sequence[bool]) -> float | None:
    """Share of questions on which the system abstained; ``None`` when there are no questions."""
    return _mean(flags)


def false_abstention_rate(abstained_flags: Sequence[bool], answerable_flags: Sequence[bool]) -> float | None:
    """Share of the answerable questions on which the system abstained.

    ``|abstained ∧ answerable| / |answerable|``, pairing the two sequences by position.

    Returns:
        A share in [0, 1]; ``None`` when no question is answerable.

    Raises:
        ValueError: the sequences differ in length.
    """
    if len(abstained_flags) != len(answerable_flags):
        raise ValueError(
            f"{len(abstained_flags)} abstention flags but {len(answerable_flags)} answerable flags"
        )
    on_answerable = [a for a, ok in zip(abstained_flags, answerable_flags, strict=True) if ok]
    return _mean(on_answerable)


def percentiles(values_ms: Sequence[float]) -> dict[str, float]:
    """p50 and p95 by the nearest-rank method: the value at 1-based rank ``ceil(p/100 * n)`` when sorted.

    Nearest-rank always returns an observed value (for 1..100: p50 = 50, p95 = 95).

    Raises:
        ValueError: ``values_ms`` is empty.
    """
    if not values_ms:
        raise ValueError("percentiles of no values")
    ordered = sorted(values_ms)
    n = len(ordered)

    def rank(p: float) -> float:
        return float(ordered[max(1, math.ceil(p / 100 * n)) - 1])

    return {"p50": rank(50), "p95": rank(95)}


# --------------------------------------------------------------------------------------------------
# Per-question rows and the summary
# --------------------------------------------------------------------------------------------------


@dataclass
class QuestionResult:
    """What the harness records for one question; every field but ``id`` may be left unset.

    Example:
        >>> row = QuestionResult(id="q1", gold_ids=["a1"], retrieved_article_ids=["a9", "a1"])
        >>> aggregate([row])["mrr@10"]
        0.5
    """

    id: str
    question: str = ""
    gold_ids: list[str] | None = None  # gold article ids
    answers: list[str] | None = None  # gold answer strings
    choices: list[str] | None = None  # multiple-choice options, when the dataset has them
    type: str | None = None  # the kind of question (summaries are also given per type)
    parts: list[str] | None = None  # facts a multi-part answer must contain ("a|b": either)
    answerable: bool | None = None  # whether the corpus holds the answer
    retrieved_article_ids: list[str] | None = None  # ranked; may repeat (several chunks per article)
    answer: str | None = None  # the system's answer text
    abstained: bool | None = None
    cited_article_ids: list[str] | None = None
    grounding_flags: list[bool] | None = None  # per answer sentence: supported by its cited passages
    timings_ms: dict[str, float] = field(default_factory=dict)  # per stage name, milliseconds


def _mean(values: Iterable[float | bool | None]) -> float | None:
    """Mean of the values that are not None; None when there are none."""
    kept = [float(v) for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def question_scores(row: QuestionResult) -> dict[str, float | None]:
    """The per-question scores behind ``aggregate`` (``None`` where a score does not apply to the row).

    - ``hit@1``, ``hit@4``, ``hit@10``, ``recall@10``, ``mrr@10``, ``ndcg@10``: need
      ``retrieved_article_ids`` (an empty list scores 0) and non-empty ``gold_ids``.
    - ``answer_contains`` (read loosely, see ``eval.containment``), ``answer_contains_strict``,
      ``answer_f1``: need ``answer`` and non-empty ``answers``; ``choice_accuracy`` also needs
      ``choices``. An abstained row scores 0.0 on these four.
    - ``parts_contained``: the share of ``parts`` the answer contains (each read as
      ``answer_contains`` reads an answer, ``"a|b"`` either); 0.0 when it abstained.
    - ``citation_precision``: needs ``cited_article_ids`` and ``gold_ids``; ``None`` when nothing
      was cited. ``citation_recall``: needs ``cited_article_ids`` and non-empty ``gold_ids``.
    - ``grounding``: the share of true ``grounding_flags``; ``None`` when there are none.
    """
    scores: dict[str, float | None] = {}
    ranked, gold = row.retrieved_article_ids, row.gold_ids or []
    if ranked is not None and gold:
        for k in (1, 4, 10):
            scores[f"hit@{k}"] = hit_at_k(ranked, gold, k)
        scores["recall@10"] = recall_at_k(ranked, gold, 10)
        scores["mrr@10"] = mrr_at_k(ranked, gold, 10)
        scores["ndcg@10"] = ndcg_at_k(ranked, gold, 10)
    if row.answer is not None and row.answers:
        answer_metrics = {
            "answer_contains": answer_contains(row.answer, row.answers),
            "answer_contains_strict": answer_contains_strict(row.answer, row.answers),
            "answer_f1": answer_f1(row.answer, row.answers),
            "choice_accuracy": choice_accuracy(row.answer, row.choices or [], row.answers),
        }
        for key, value in answer_metrics.items():
            scores[key] = 0.0 if value is not None and row.abstained else value
    if row.answer is not None and row.parts:
        found = [answer_contains(row.answer, part.split("|")) for part in row.parts]
        scores["parts_contained"] = 0.0 if row.abstained else _mean(found)
    if row.cited_article_ids is not None and gold:
        scores["citation_precision"] = citation_precision(row.cited_article_ids, gold)
        scores["citation_recall"] = citation_recall(row.cited_article_ids, gold)
    scores["grounding"] = _mean(row.grounding_flags or [])
    return scores


def aggregate(rows: Sequence[QuestionResult], *, by_type: bool = True) -> dict[str, Any]:
    """Summarise per-question rows, with keys in ``SUMMARY_KEYS`` order.

    - Per-question metrics (see ``question_scores``): the mean over rows, skipping ``None``;
      ``grounding`` is thus a macro average (each row's share of supported sentences, then the mean).
    - ``abstention_rate``: over rows with ``abstained`` set. ``false_abstention_rate``: over rows with
      both ``abstained`` and ``answerable`` set, the share of the answerable ones that abstained.
    - ``latency``: per stage name in ``timings_ms``, ``percentiles`` over the rows that timed that
      stage: ``{"retrieve": {"p50": ms, "p95": ms}, ...}``.
    - ``questions``: the number of rows.
    - ``by_type``: when rows have a ``type``, the same summary for each type's rows.

    A key whose inputs are absent (or undefined) for every row is omitted.
    """
    per_row = [question_scores(r) for r in rows]
    found: dict[str, Any] = {"questions": len(rows)}
    for key in SUMMARY_KEYS:
        value = _mean(scores.get(key) for scores in per_row)
        if value is not None:
            found[key] = value

    flagged = [r for r in rows if r.abstained is not None]
    rate = abstention_rate([bool(r.abstained) for r in flagged])
    if rate is not None:
        found["abstention_rate"] = rate
    both = [r for r in flagged if r.answerable is not None]
    false_rate = false_abstention_rate([bool(r.abstained) for r in both], [bool(r.answerable) for r in both])
    if false_rate is not None:
        found["false_abstention_rate"] = false_rate

    stages: dict[str, list[float]] = {}
    for r in rows:
        for stage, ms in r.timings_ms.items():
            stages.setdefault(stage, []).append(ms)
    if stages:
        found["latency"] = {stage: percentiles(values) for stage, values in stages.items()}
    types = sorted({r.type for r in rows if r.type})
    if by_type and types:
        found["by_type"] = {t: aggregate([r for r in rows if r.type == t], by_type=False) for t in types}
    return {key: found[key] for key in SUMMARY_KEYS if key in found}


SUMMARY_KEYS: tuple[str, ...] = (
    *("questions", "hit@1", "hit@4", "hit@10", "recall@10", "mrr@10", "ndcg@10"),
    *("answer_contains", "answer_contains_strict", "answer_f1", "choice_accuracy", "parts_contained"),
    *("citation_precision", "citation_recall"),
    *("grounding", "abstention_rate", "false_abstention_rate", "latency", "by_type"),
)
"""Every key ``aggregate`` may return, in report order."""
