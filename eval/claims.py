"""Scoring the claim checker on a labelled claim set (``newsrag eval claims SET --corpus ...``).

A set is JSON lines: ``{"id", "claim", "article_id", "label", "kind", "note"}`` where ``label`` is
``supported``, ``contradicted`` or ``not_found`` and ``kind`` one of ``supported``, ``speaker``,
``negation``, ``number``, ``date``, ``entity``, ``unstated``. Each claim is checked against its
article alone. Per kind the report gives *caught*: the share the checker got right in the way that
matters to a reader (a supported claim kept; any other claim not passed as supported), and
*exact*: the verdict and, for contradictions, the kind too.

Example:
    >>> claims = load_claims("eval/sets/claims-dev.jsonl")  # doctest: +SKIP
    >>> score_claims(claims, NewsRAG(settings))["kinds"]["speaker"]["caught"]  # doctest: +SKIP
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval._sets import set_rows
from rag import InputError, NewsRAG

__all__ = ["CLAIM_KINDS", "LabelledClaim", "load_claims", "score_claims", "summarize_claims"]

CLAIM_KINDS = ("supported", "speaker", "negation", "number", "date", "entity", "unstated")
_LABELS = {"supported": "supported", "unstated": "not_found"}


@dataclass(frozen=True)
class LabelledClaim:
    """One line of a claim set."""

    id: str
    claim: str
    article_id: str
    label: str
    kind: str
    note: str = ""


def load_claims(path: Path | str) -> list[LabelledClaim]:
    """The claims of a set file.

    Raises:
        InputError: a line is not JSON or lacks a field, naming ``file:line`` and the field.
    """
    out = []
    for where, row in set_rows(path, "claim set"):
        missing = [f for f in ("id", "claim", "article_id", "label", "kind") if not row.get(f)]
        if missing:
            raise InputError(where, f"missing field {missing[0]!r}")
        if row["kind"] not in CLAIM_KINDS:
            raise InputError(where, f"kind {row['kind']!r} is not one of {', '.join(CLAIM_KINDS)}")
        expected = _LABELS.get(row["kind"], "contradicted")
        if row["label"] != expected:
            raise InputError(where, f"label {row['label']!r} does not fit kind {row['kind']!r} ({expected})")
        out.append(LabelledClaim(**{k: str(row.get(k, "")) for k in LabelledClaim.__dataclass_fields__}))
    return out


def _right(claim: LabelledClaim, verdict: str, kind: str | None) -> tuple[bool, bool]:
    """(caught, exact) for one verdict."""
    if claim.kind == "supported":
        ok = verdict == "supported"
        return ok, ok
    caught = verdict != "supported"
    if claim.kind == "unstated":
        return caught, verdict == "not_found"
    return caught, verdict == "contradicted" and kind == claim.kind


def score_claims(
    claims: Sequence[LabelledClaim],
    rag: NewsRAG,
    progress: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Check every claim against its article; per-kind accuracy, timings and each verdict.

    Claims whose article is not in ``rag``'s store are counted in ``skipped``.
    """
    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    seconds: list[float] = []
    for c in claims:
        t0 = time.perf_counter()
        try:
            result = rag.check(c.claim, article_id=c.article_id)
        except InputError:
            skipped.append(c.id)
            continue
        finally:
            if progress is not None:
                progress()
        seconds.append(time.perf_counter() - t0)
        caught, exact = _right(c, result.verdict, result.kind)
        rows.append(
            {"id": c.id, "kind": c.kind, "verdict": result.verdict, "got_kind": result.kind,
             "caught": caught, "exact": exact, "reason": result.reason, "claim": c.claim}
        )  # fmt: skip
    articles = len({c.article_id for c in claims if c.id not in skipped})
    return summarize_claims(rows, skipped=skipped, articles=articles, seconds=seconds)


def summarize_claims(
    rows: Sequence[dict[str, Any]], *, skipped: Sequence[str], articles: int, seconds: Sequence[float]
) -> dict[str, Any]:
    """The report over checked claims' rows: per-kind *caught* and *exact*, overall accuracy and
    the median seconds per claim (``seconds`` keeps each claim's time)."""
    kinds: dict[str, dict[str, Any]] = {}
    for kind in CLAIM_KINDS:
        mine = [r for r in rows if r["kind"] == kind]
        if mine:
            kinds[kind] = {
                "n": len(mine),
                "caught": round(sum(r["caught"] for r in mine) / len(mine), 3),
                "exact": round(sum(r["exact"] for r in mine) / len(mine), 3),
            }
    return {
        "n": len(rows),
        "articles": articles,
        "skipped": list(skipped),
        "accuracy": round(sum(r["caught"] for r in rows) / len(rows), 3) if rows else 0.0,
        "kinds": kinds,
        "seconds_p50": round(statistics.median(seconds), 4) if seconds else 0.0,
        "seconds": [round(t, 4) for t in seconds],
        "rows": list(rows),
    }
