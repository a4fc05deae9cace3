"""Ingest-side steps: the embedding limit, the LangChain tutorial baseline, newsrag's own ingest.

Each returns plain JSON-ready dicts; :mod:`bench.run` puts them together.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench._data import Question, article_scores, read_jsonl
from bench._measure import ChildRun, python_child, run_child, summary_ms

log = logging.getLogger("bench")

RETRIEVE_CHUNKS = 40  # chunks fetched per question before collapsing them to articles


def newsrag_chunk_texts(corpus: Path) -> tuple[list[str], int, float]:
    """Exactly the texts ``newsrag ingest`` embeds for ``corpus`` (cleaned, de-duplicated, chunked with
    the default options), the number of articles they come from, and the seconds this took."""
    from ingest import IngestOptions, LoadOptions, RawArticle, chunk_article, iter_input, make_article
    from rag import Settings

    opts = IngestOptions.from_settings(Settings())  # the chunk sizes `newsrag ingest` uses
    start = time.perf_counter()
    texts: list[str] = []
    seen_ids: set[str] = set()
    seen_text: set[str] = set()
    articles = 0
    for item in iter_input(str(corpus), LoadOptions()):
        if not isinstance(item, RawArticle) or len(item.text) > opts.max_article_chars:
            continue
        article = make_article(item)
        if not article.text.strip() or article.id in seen_ids or article.text_hash in seen_text:
            continue
        seen_ids.add(article.id)
        seen_text.add(article.text_hash)
        chunks = chunk_article(article, opts.max_tokens, opts.overlap_tokens, header=opts.header)
        if chunks:
            articles += 1
            texts.extend(c.embed_text for c in chunks)
    return texts, articles, time.perf_counter() - start


def embedding_limit(corpus: Path, backends: list[str], models_home: Path) -> dict[str, Any]:
    """The model alone embedding newsrag's chunks: sentence-transformers ``encode`` for torch, the
    ONNX session (tokenise, sort, run) for the ONNX backends. Model loading is not counted."""
    from sentence_transformers import SentenceTransformer

    from rag import MAX_TOKENS, MiniLMEmbeddings, model_path

    texts, n_articles, prep_s = newsrag_chunk_texts(corpus)
    out: dict[str, Any] = {
        "articles": n_articles,
        "chunks": len(texts),
        "prepare_s": round(prep_s, 2),
    }
    vectors: dict[str, np.ndarray] = {}
    for backend in backends:
        if backend == "torch":
            model = SentenceTransformer(str(model_path()), device="cpu")
            model.max_seq_length = MAX_TOKENS
            model.encode(texts[:8], batch_size=8, show_progress_bar=False)  # warm-up
            start = time.perf_counter()
            vecs = model.encode(
                texts,
                batch_size=32,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        else:
            emb = MiniLMEmbeddings(backend=backend, home=models_home)  # type: ignore[arg-type]
            emb.load()
            emb.embed_array(texts[:8])  # warm-up
            start = time.perf_counter()
            vecs = emb.embed_array(texts)
        seconds = time.perf_counter() - start
        vectors[backend] = np.asarray(vecs, dtype=np.float32)
        out[backend] = {
            "seconds": round(seconds, 2),
            "chunks_per_s": round(len(texts) / seconds, 1),
            "articles_per_s": round(n_articles / seconds, 2),
        }
        log.info("limit %s: %d chunks in %.1f s", backend, len(texts), seconds)
    if "torch" in vectors:
        for backend, vecs in vectors.items():
            if backend != "torch":
                cos = (vecs * vectors["torch"]).sum(axis=1)
                out[backend]["cosine_vs_torch"] = {
                    "min": round(float(cos.min()), 6),
                    "mean": round(float(cos.mean()), 6),
                }
    return out


def tutorial_baseline(corpus: Path, questions: list[Question], work: Path) -> dict[str, Any]:
    """The LangChain tutorial pipeline of ``eval/tutorial.py``: 1000/200 character splits,
    ``HuggingFaceEmbeddings``, ``Chroma.from_documents``; timed from reading the file to a searchable
    store."""
    import chromadb.config
    from langchain_chroma import Chroma

    from eval.tutorial import tutorial_embeddings, tutorial_splits

    where = Path(tempfile.mkdtemp(prefix="tutorial-", dir=work))
    try:
        start = time.perf_counter()
        rows = read_jsonl(corpus)
        docs = [r for r in rows if r.get("text")]
        splits = tutorial_splits(docs)
        split_s = time.perf_counter() - start
        store = Chroma.from_documents(
            documents=splits,
            embedding=tutorial_embeddings(),
            persist_directory=str(where),
            client_settings=chromadb.config.Settings(anonymized_telemetry=False, is_persistent=True),
        )
        seconds = time.perf_counter() - start
        log.info("tutorial: %d articles, %d chunks in %.1f s", len(docs), len(splits), seconds)
        ranked: list[list[str]] = []
        latencies: list[float] = []
        for q in questions:
            t = time.perf_counter()
            found = store.similarity_search(q.question, k=RETRIEVE_CHUNKS)
            latencies.append(time.perf_counter() - t)
            ranked.append([d.metadata["article_id"] for d in found])
        return {
            "articles": len(docs),
            "chunks": len(splits),
            "split_s": round(split_s, 2),
            "seconds": round(seconds, 2),
            "articles_per_s": round(len(docs) / seconds, 2),
            "chunks_per_s": round(len(splits) / seconds, 1),
            "dense": {**article_scores(ranked, [q.gold_ids for q in questions]), **summary_ms(latencies)},
        }
    finally:
        shutil.rmtree(where, ignore_errors=True)


def store_home(work: Path, corpus: Path, backend: str) -> Path:
    """Where the benchmark keeps newsrag's store for a corpus and backend."""
    return work / f"store-{corpus.stem}-{backend}"


def _child_result(run: ChildRun, what: str) -> dict[str, Any]:
    result = run.last_json()
    result["wall_s"] = round(run.wall_s, 2)
    result["child_peak_rss_mb"] = round(run.peak_rss_mb, 1)
    if run.returncode not in (0, 1):  # 1: some inputs failed, the rest were stored
        raise RuntimeError(f"{what} exited {run.returncode}: {run.stderr[-2000:]}")
    return result


def _library_ingest(corpus: Path, home: Path, backend: str, models_home: Path) -> dict[str, Any]:
    argv = python_child(
        "bench._child",
        "ingest",
        str(corpus),
        "--home",
        str(home),
        "--models-home",
        str(models_home),
        "--backend",
        backend,
    )
    result = _child_result(run_child(argv), f"ingest of {corpus.name}")
    result["via"] = "ingest library API (bench/_child.py)"
    return result


def _cli_ingest(corpus: Path, home: Path, backend: str) -> dict[str, Any]:
    argv = [
        *python_child("bench._child", "cli"),
        "ingest",
        "--json",
        "--no-progress",
        "--home",
        str(home),
        str(corpus),
    ]
    env = {"NEWSRAG_HOME": str(home), "NEWSRAG_EMBEDDING_BACKEND": backend}
    run = run_child(argv, env=env)
    result = _child_result(run, f"newsrag ingest {corpus.name}")
    result["via"] = "newsrag ingest (CLI)"
    result["failed"] = len(result.get("failed") or [])
    result.pop("duplicate_of", None)
    return result


def newsrag_ingest(
    corpus: Path, backend: str, work: Path, models_home: Path, *, cli: bool = False
) -> dict[str, Any]:
    """newsrag's ingest of ``corpus`` into a fresh store in a child process, then again (unchanged).

    ``cli`` runs the ``newsrag ingest`` command itself (the store's home also caches its ONNX export,
    which is made beforehand so that it is not timed); otherwise the ingest library API with the
    export cached in ``models_home``.
    """
    from rag import onnx_model_file

    home = store_home(work, corpus, backend)
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    if cli:
        if backend != "torch":
            onnx_model_file(backend, home)  # type: ignore[arg-type]
        first = _cli_ingest(corpus, home, backend)
        again = _cli_ingest(corpus, home, backend)
    else:
        if backend != "torch":
            onnx_model_file(backend, models_home)  # type: ignore[arg-type]
        first = _library_ingest(corpus, home, backend, models_home)
        again = _library_ingest(corpus, home, backend, models_home)
    articles = first["added"] + first.get("duplicates", 0)
    first["articles_per_s"] = round(articles / first["seconds"], 2) if first["seconds"] else None
    first["chunks_per_s"] = round(first["chunks_added"] / first["seconds"], 1) if first["seconds"] else None
    log.info(
        "newsrag ingest %s (%s): %.1f s, again %.1f s, peak RSS %.0f MB",
        corpus.name,
        backend,
        first["seconds"],
        again["seconds"],
        first["child_peak_rss_mb"],
    )
    return {"home": str(home), "first": first, "again": again}


def canonical_ids(store: Any) -> dict[str, str]:
    """Duplicate input id -> the id of the article stored in its place."""
    return {alias: aid for aid, info in store.articles(refresh=True).items() for alias in info.aliases}


def dense_quality(home: Path, backend: str, models_home: Path, questions: list[Question]) -> dict[str, Any]:
    """Plain dense retrieval over newsrag's store (no dates, no keywords), scored at article level."""
    from rag import MiniLMEmbeddings, NewsStore

    emb = MiniLMEmbeddings(backend=backend, home=models_home)  # type: ignore[arg-type]
    store = NewsStore(home, embeddings=emb)
    try:
        canonical = canonical_ids(store)
        emb.embed_query("warm-up")
        ranked: list[list[str]] = []
        latencies: list[float] = []
        for q in questions:
            t = time.perf_counter()
            hits = store.dense_search(emb.embed_query(q.question), RETRIEVE_CHUNKS)
            latencies.append(time.perf_counter() - t)
            ranked.append([p.article_id for p, _ in hits])
        return {**article_scores(ranked, [q.gold_ids for q in questions], canonical), **summary_ms(latencies)}
    finally:
        store.close()
