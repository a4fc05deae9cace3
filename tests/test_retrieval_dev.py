"""Retrieval on the RealTime QA dev questions beats the LangChain tutorial pipeline (slow: ingests
corpus-1k with newsrag, shared with test_ingest_data, and with the tutorial pipeline, cached under
.newsrag/bench; `bench/retrieval_dev.py` prints the table)."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.data]

REPO = Path(__file__).resolve().parents[1]


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("retrieval_dev", REPO / "bench" / "retrieval_dev.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["retrieval_dev"] = module
    spec.loader.exec_module(module)
    return module


def test_hybrid_time_aware_retrieval_beats_the_tutorial_pipeline(corpus_1k, data_dir: Path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("langchain_huggingface")
    from rag import HybridRetriever, Query

    bench = _bench()
    corpus, store, _ = corpus_1k
    questions = bench.load_jsonl(data_dir / "realtimeqa" / "questions-dev.jsonl")
    cache = REPO / ".newsrag" / "bench"
    cache.mkdir(parents=True, exist_ok=True)
    tutorial = bench.tutorial_store(bench.load_jsonl(corpus), cache)
    baseline = bench.measure(
        "tutorial",
        questions,
        lambda q: bench.articles_of(
            d.metadata["article_id"] for d in tutorial.similarity_search(q["question"], k=50)
        ),
    )
    retriever = HybridRetriever(store)

    def ranked(q: dict[str, str]) -> list[str]:
        found = retriever.search(Query(q["question"], as_of=date.fromisoformat(q["date"])), k=10)
        return [h.article_id for h in found.articles[:10]]

    ours = bench.measure("newsrag", questions, ranked)
    assert ours.hit4 > baseline.hit4 and ours.mrr10 > baseline.mrr10, (ours, baseline)
