"""Retrieval on the RealTime QA dev questions: newsrag's hybrid, time-aware retriever against the
LangChain tutorial pipeline, measured in the same run, at article level.

    .venv/bin/python bench/retrieval_dev.py            # ingests corpus-1k once (cached), prints the table
    .venv/bin/python bench/retrieval_dev.py --json out.json

Rows:
- ``tutorial``: the LangChain tutorial pipeline of ``eval/tutorial.py`` (RecursiveCharacterTextSplitter
  1000/200 over title + text, MiniLM through ``HuggingFaceEmbeddings``, ``Chroma`` top-k, no dates).
- ``bm25-window``: FINDINGS' reference: Okapi BM25 over whole articles published in the 7 days up
  to the question's date.
- ``newsrag``: ``HybridRetriever.search(Query(question, as_of=date))``, articles in fused order;
  and ablations (dense or keyword alone, no ranking of whole articles, no recency weighting).

Every row is measured twice: each question as of its quiz date, and with the date removed (as a
user types it into the chat; relative phrases such as "this week" then have no anchor).
Metrics per question over distinct articles: hit@1, hit@4, hit@10, MRR@10 (gold = ``gold_ids``).
The caches live under ``--cache`` (default ``.newsrag/bench``); delete it to re-ingest.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cli._env import set_env_defaults  # noqa: E402

set_env_defaults()

from eval.metrics import hit_at_k, mrr_at_k  # noqa: E402
from eval.tutorial import load_jsonl, tutorial_store  # noqa: E402
from rag import HybridRetriever, MiniLMEmbeddings, NewsStore, Query, Settings  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "realtimeqa"
Ranker = Callable[[dict[str, Any]], list[str]]


@dataclass
class Row:
    name: str
    hit1: float
    hit4: float
    hit10: float
    mrr10: float
    p50_ms: float
    undated: Row | None = None  # the same pipeline asked each question without its date


# ---- newsrag's store ------------------------------------------------------------------------------


def newsrag_store(corpus: Path, cache: Path, embeddings: MiniLMEmbeddings) -> NewsStore:
    """The corpus ingested as ``newsrag ingest`` would (chunk sizes from Settings), cached; a cache
    made with other chunk settings is brought up to date by the (idempotent) pipeline."""
    from ingest import IngestOptions, ingest

    options = IngestOptions.from_settings(Settings())
    chunking = f"{options.max_tokens}/{options.overlap_tokens}/{options.header}/{embeddings.backend}"
    store = NewsStore(
        cache / "newsrag" / embeddings.backend, collection="realtimeqa-1k", embeddings=embeddings
    )
    stamp = cache / "newsrag" / embeddings.backend / "ingested.json"
    if not stamp.exists() or json.loads(stamp.read_text()).get("chunking") != chunking:
        t = time.perf_counter()
        report = ingest([str(corpus)], store, options=options)
        took = time.perf_counter() - t
        stamp.write_text(json.dumps({"seconds": took, "chunking": chunking, "report": str(report)}))
        print(f"ingested {corpus.name} with newsrag ({chunking}) in {took:.0f} s", file=sys.stderr)
    return store


# ---- FINDINGS' BM25 over whole articles in a 7-day window ---------------------------------------

_TOKEN = re.compile(r"[a-z0-9]+")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


class ArticleBM25:
    """Okapi BM25 (k1=1.2, b=0.75) over title + text of whole articles."""

    def __init__(self, articles: list[dict[str, Any]]) -> None:
        self.ids = [a["id"] for a in articles]
        self.published = [date.fromisoformat(a["published"]) for a in articles]
        self.tf = [Counter(_tokens(f"{a['title'] or ''} {a['text']}")) for a in articles]
        self.lengths = [sum(tf.values()) for tf in self.tf]
        self.avg = statistics.mean(self.lengths)
        df: Counter[str] = Counter()
        for tf in self.tf:
            df.update(tf.keys())
        n = len(articles)
        self.idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}

    def rank(self, query: str, lo: date, hi: date, k1: float = 1.2, b: float = 0.75) -> list[str]:
        terms = set(_tokens(query))
        scored = []
        for i, tf in enumerate(self.tf):
            if not lo <= self.published[i] <= hi:
                continue
            s = 0.0
            for t in terms:
                f = tf.get(t, 0)
                if f:
                    s += self.idf[t] * f * (k1 + 1) / (f + k1 * (1 - b + b * self.lengths[i] / self.avg))
            if s > 0:
                scored.append((s, self.ids[i]))
        return [aid for _, aid in sorted(scored, reverse=True)]


# ---- running --------------------------------------------------------------------------------------


def measure(name: str, questions: Sequence[dict[str, Any]], rank: Ranker) -> Row:
    hits: dict[int, list[float]] = {1: [], 4: [], 10: []}
    mrr: list[float] = []
    ms: list[float] = []
    for q in questions:
        t = time.perf_counter()
        ranked = rank(q)
        ms.append((time.perf_counter() - t) * 1000)
        for k in hits:
            hits[k].append(hit_at_k(ranked, q["gold_ids"], k) or 0.0)
        mrr.append(mrr_at_k(ranked, q["gold_ids"], 10) or 0.0)
    return Row(
        name,
        statistics.mean(hits[1]),
        statistics.mean(hits[4]),
        statistics.mean(hits[10]),
        statistics.mean(mrr),
        statistics.median(ms),
    )


def measure_both(name: str, questions: Sequence[dict[str, Any]], rank: Ranker) -> Row:
    """``measure`` with each question's date, and again with it removed (``undated``)."""
    row = measure(name, questions, rank)
    row.undated = measure(name, [{k: v for k, v in q.items() if k != "date"} for q in questions], rank)
    return row


def articles_of(ids: Iterable[str], n: int = 10) -> list[str]:
    return list(dict.fromkeys(ids))[:n]


def _ours(retriever: HybridRetriever) -> Ranker:
    def rank(q: dict[str, Any]) -> list[str]:
        as_of = date.fromisoformat(q["date"]) if "date" in q else None
        found = retriever.search(Query(q["question"], as_of=as_of), k=10)
        return [hit.article_id for hit in found.articles[:10]]

    return rank


ABLATIONS: list[tuple[str, dict[str, Any]]] = [
    ("newsrag hybrid (default settings)", {}),
    ("  ablation: dense only", {"retrieval.hybrid": False}),
    ("  ablation: keyword only", {"retrieval.dense_weight": 0.0}),
    ("  ablation: no whole-article ranking", {"retrieval.article_weight": 0.0}),
    ("  ablation: no recency weighting", {"retrieval.recency_window_days": None}),
]


def _newsrag_rows(store: NewsStore, questions: list[dict[str, Any]]) -> list[Row]:
    """newsrag's retriever with default settings, then one part of it switched off at a time; each
    built as the app builds it (``HybridRetriever.from_settings``)."""
    base = Settings()
    return [
        measure_both(name, questions, _ours(HybridRetriever.from_settings(store, base.with_overrides(sets))))
        for name, sets in ABLATIONS
    ]


def _print_table(rows: list[Row], questions: int, articles: int, corpus: Path) -> None:
    print(f"\n{questions} questions, {articles} articles ({corpus.name}); article level")
    print("each question asked as of its date, then with its date removed\n")
    print(f"| {'pipeline':<50} | hit@1 | hit@4 | MRR@10 | no date: hit@1 | hit@4 | MRR@10 | p50 ms |")
    print(f"|{'-' * 52}|------:|------:|-------:|---------------:|------:|-------:|-------:|")
    for r in rows:
        u = r.undated or r
        scores = (
            f"{r.hit1:.3f} | {r.hit4:.3f} | {r.mrr10:.3f}  | {u.hit1:14.3f} | {u.hit4:.3f} | {u.mrr10:.3f}  "
        )
        print(f"| {r.name:<50} | {scores}| {r.p50_ms:6.0f} |")


def main(
    corpus: Annotated[Path, typer.Option(help="The articles (JSONL).")] = DATA / "corpus-1k.jsonl",
    questions_path: Annotated[Path, typer.Option("--questions", help="The dev questions (JSONL).")] = DATA
    / "questions-dev.jsonl",
    cache: Annotated[Path, typer.Option(help="Where the ingested stores are kept.")] = REPO
    / ".newsrag"
    / "bench",
    no_tutorial: Annotated[bool, typer.Option("--no-tutorial", help="Skip the tutorial pipeline.")] = False,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the table as JSON here.")
    ] = None,
) -> None:
    """Retrieval on the RealTime QA dev questions: newsrag's retrievers against the tutorial's."""
    if not corpus.exists():
        print(f"needs the RealTime QA data at {corpus}", file=sys.stderr)
        raise typer.Exit(2)
    cache.mkdir(parents=True, exist_ok=True)
    articles = load_jsonl(corpus)
    questions = load_jsonl(questions_path)
    embeddings = MiniLMEmbeddings()
    rows: list[Row] = []

    if not no_tutorial:
        tutorial = tutorial_store(articles, cache)
        rows.append(
            measure_both(
                "tutorial (recursive 1000/200, MiniLM, Chroma)",
                questions,
                lambda q: articles_of(
                    d.metadata["article_id"] for d in tutorial.similarity_search(q["question"], k=50)
                ),
            )
        )

    bm25 = ArticleBM25(articles)

    def window(q: dict[str, Any]) -> list[str]:
        if "date" not in q:
            return bm25.rank(q["question"], date.min, date.max)[:10]
        asked = date.fromisoformat(q["date"])
        return bm25.rank(q["question"], asked - timedelta(days=7), asked)[:10]

    rows.append(measure_both("bm25-window (whole articles, 7 days up to as_of)", questions, window))

    store = newsrag_store(corpus, cache, embeddings)
    # Ingest stores a duplicate story once and keeps the other inputs' ids as aliases.
    canonical = {alias: aid for aid, info in store.articles().items() for alias in info.aliases}
    questions = [{**q, "gold_ids": [canonical.get(g, g) for g in q["gold_ids"]]} for q in questions]
    rows += _newsrag_rows(store, questions)
    _print_table(rows, len(questions), len(articles), corpus)
    if json_out:
        json_out.write_text(json.dumps([asdict(r) for r in rows], indent=2))
    store.close()


if __name__ == "__main__":
    typer.run(main)
