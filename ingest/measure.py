"""Measure chunk sizes by retrieval: article-level hit@k and MRR@10 with plain dense search.

For each setting the corpus is ingested into a fresh store, every question is embedded and the
nearest chunks are collapsed to articles (first occurrence ranks the article).

Usage::

    python -m ingest.measure ../shared/data/realtimeqa/corpus-1k.jsonl \\
        ../shared/data/realtimeqa/questions-dev.jsonl --sizes 128,160,200,240 --overlap 40
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import typer

from ingest.pipeline import IngestOptions, ingest
from rag import MiniLMEmbeddings, NewsStore

__all__ = ["Measurement", "measure", "score"]


@dataclass(frozen=True)
class Measurement:
    """Retrieval quality of one chunking setting."""

    max_tokens: int
    overlap_tokens: int
    header: bool
    chunks: int
    ingest_seconds: float
    hit1: float
    hit4: float
    hit10: float
    mrr10: float


def _questions(path: Path) -> list[tuple[str, set[str]]]:
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                q = json.loads(line)
                out.append((q["question"], set(q["gold_ids"])))
    return out


def score(store: NewsStore, questions: Path, embeddings: MiniLMEmbeddings) -> dict[str, float]:
    """Article-level hit@1/4/10 and MRR@10 of plain dense search over what ``store`` holds.

    Gold ids stored as another article's alias (a duplicate record) count as that article.
    """
    qs = _questions(questions)
    vectors = embeddings.embed_array([q for q, _ in qs])
    alias = {a: aid for aid, info in store.articles(refresh=True).items() for a in info.aliases}
    hits = {1: 0, 4: 0, 10: 0}
    mrr = 0.0
    for (_, gold), vec in zip(qs, vectors, strict=True):
        ranked: list[str] = []
        for passage, _score in store.dense_search(vec.tolist(), k=100):
            if passage.article_id not in ranked:
                ranked.append(passage.article_id)
        gold_ids = {alias.get(g, g) for g in gold}
        first = next((i for i, aid in enumerate(ranked) if aid in gold_ids), None)
        for k in hits:
            hits[k] += first is not None and first < k
        if first is not None and first < 10:
            mrr += 1.0 / (first + 1)
    n = len(qs)
    return {
        "hit1": round(hits[1] / n, 3),
        "hit4": round(hits[4] / n, 3),
        "hit10": round(hits[10] / n, 3),
        "mrr10": round(mrr / n, 3),
    }


def measure(
    corpus: Path,
    questions: Path,
    max_tokens: int,
    overlap_tokens: int,
    header: bool,
    embeddings: MiniLMEmbeddings,
    work: Path,
) -> Measurement:
    """Ingest ``corpus`` with one setting into a fresh store under ``work`` and score the questions."""
    store = NewsStore(
        work / f"s{max_tokens}-{overlap_tokens}-{int(header)}", "measure", embeddings=embeddings
    )
    try:
        options = IngestOptions(max_tokens=max_tokens, overlap_tokens=overlap_tokens, header=header)
        report = ingest([corpus], store, options=options)
        scores = score(store, questions, embeddings)
        return Measurement(
            max_tokens,
            overlap_tokens,
            header,
            report.chunks_added,
            round(report.seconds, 1),
            scores["hit1"],
            scores["hit4"],
            scores["hit10"],
            scores["mrr10"],
        )
    finally:
        store.close()


def main(
    corpus: Path,
    questions: Path,
    sizes: Annotated[str, typer.Option(help="Chunk sizes to measure, word pieces.")] = "128,160,200,240",
    overlap: Annotated[int, typer.Option(help="Chunk overlap, word pieces.")] = 40,
    no_header: Annotated[
        bool, typer.Option("--no-header", help="Also measure without the chunk header.")
    ] = False,
    backend: Literal["torch", "onnx", "onnx-int8"] = "onnx",
    work: Annotated[Path | None, typer.Option(help="Where the stores go (default: a temp dir).")] = None,
    score_store: Annotated[
        tuple[Path, str] | None,
        typer.Option(
            metavar="HOME COLLECTION",
            help="Only score an existing store (e.g. one `newsrag ingest` filled) and exit.",
        ),
    ] = None,
) -> None:
    """Measure chunk sizes by retrieval; print one JSON line per setting."""
    work = work or Path(tempfile.mkdtemp(prefix="newsrag-measure-"))
    embeddings = MiniLMEmbeddings(backend=backend, home=work / "home")
    if score_store:
        store = NewsStore(score_store[0], score_store[1], embeddings=embeddings)
        print(json.dumps(score(store, questions, embeddings)))
        store.close()
        return
    settings = [(int(s), overlap, True) for s in sizes.split(",")]
    if no_header:
        settings += [(int(s), overlap, False) for s in sizes.split(",")]
    for size, gap, header in settings:
        t0 = time.perf_counter()
        m = measure(corpus, questions, size, gap, header, embeddings, work)
        print(json.dumps({**m.__dict__, "total_seconds": round(time.perf_counter() - t0, 1)}), flush=True)


if __name__ == "__main__":
    typer.run(main)
