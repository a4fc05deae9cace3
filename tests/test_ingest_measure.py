"""The chunk-size measurement scores retrieval at article level, counting aliases as their article."""

from __future__ import annotations

import json
from pathlib import Path

from ingest import ingest
from ingest.measure import score
from rag.store import NewsStore


def test_score_ranks_articles_and_resolves_aliases(store: NewsStore, tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    records = [
        {"id": "harbour", "title": "Harbour reopens", "text": "The harbour reopened after storm repairs."},
        {"id": "harbour-copy", "title": "Harbour", "text": "The harbour reopened after storm repairs."},
        {"id": "budget", "title": "Budget passed", "text": "The council passed the city budget for roads."},
    ]
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records))
    ingest([corpus], store)
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps({"question": "When did the harbour reopen after the storm?", "gold_ids": ["harbour-copy"]})
        + "\n"
        + json.dumps({"question": "What did the council pass for roads?", "gold_ids": ["budget"]})
        + "\n"
    )
    assert score(store, questions, store.embeddings) == {"hit1": 1.0, "hit4": 1.0, "hit10": 1.0, "mrr10": 1.0}
