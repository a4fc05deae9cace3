"""Retrieval on the RealTime QA dev questions meets its targets, with each question's date and with
it removed (slow: reuses the session's corpus-1k store, shared with test_ingest_data). The
comparison with the LangChain tutorial pipeline is `bench/retrieval_dev.py` (`make bench`)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.data]


def _scores(retriever: Any, questions: list[dict[str, Any]], dated: bool) -> tuple[float, float]:
    """hit@4 and MRR@10 over distinct articles, each question as of its date or with none."""
    from rag import Query

    hits, ranks = 0, 0.0
    for q in questions:
        as_of = date.fromisoformat(q["date"]) if dated else None
        found = retriever.search(Query(q["question"], as_of=as_of), k=10)
        ids = [h.article_id for h in found.articles[:10]]
        first = next((i for i, a in enumerate(ids, start=1) if a in q["gold_ids"]), None)
        hits += first is not None and first <= 4
        ranks += 1.0 / first if first else 0.0
    return hits / len(questions), ranks / len(questions)


def test_dev_questions_find_their_articles_with_and_without_dates(corpus_1k, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from rag import HybridRetriever, Settings

    _, store, _ = corpus_1k
    # Ingest stores a duplicate story once and keeps the other ids as aliases.
    canonical = {alias: aid for aid, info in store.articles().items() for alias in info.aliases}
    lines = (data_dir / "realtimeqa" / "questions-dev.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line) for line in lines if line.strip()]
    for q in questions:
        q["gold_ids"] = {canonical.get(g, g) for g in q["gold_ids"]}
    retriever = HybridRetriever.from_settings(store, Settings())

    hit4, mrr = _scores(retriever, questions, dated=True)
    # Measured 0.990 / 0.939, and 0.990 / 0.934 on a fresh ingest with today's packages
    # (docs/retrieval.md); the floors allow a question's noise (a first hit ranked second: MRR -0.005).
    assert hit4 >= 0.97 and mrr >= 0.925, (hit4, mrr)
    hit4, mrr = _scores(retriever, questions, dated=False)
    # Measured 0.878 / 0.783, and 0.888 / 0.780 on a fresh ingest with today's packages
    # (docs/retrieval.md); issue #12's target hit@4 0.90 is not reached yet, so these floors guard
    # what is measured, less a question's noise: a regression below them fails.
    assert hit4 >= 0.87 and mrr >= 0.775, (hit4, mrr)
