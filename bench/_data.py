"""The corpora and dev questions the benchmark reads, and article-level retrieval scores."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bench._measure import REPO

DATA = REPO.parent / "shared" / "data" / "realtimeqa"
CORPUS_1K = DATA / "corpus-1k.jsonl"
CORPUS_FULL = DATA / "corpus.jsonl"
QUESTIONS = DATA / "questions-dev.jsonl"


@dataclass(frozen=True)
class Question:
    """A dev question: when it was asked and which corpus articles answer it."""

    id: str
    question: str
    date: date | None
    gold_ids: tuple[str, ...]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every JSON object of a JSONL file."""
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_questions(path: Path, limit: int | None = None) -> list[Question]:
    """The questions of ``path`` (at most ``limit``)."""
    out = [
        Question(
            id=str(q["id"]),
            question=str(q["question"]),
            date=date.fromisoformat(q["date"]) if q.get("date") else None,
            gold_ids=tuple(str(g) for g in q.get("gold_ids") or ()),
        )
        for q in read_jsonl(path)
    ]
    return out[:limit] if limit is not None else out


def count_lines(path: Path) -> int:
    """Non-empty lines (articles) of a JSONL file."""
    with path.open(encoding="utf-8") as f:
        return sum(1 for line in f if line.strip())


def make_quick_corpus(source: Path, questions: Sequence[Question], n_articles: int, out: Path) -> Path:
    """The first ``n_articles`` of ``source``, the questions' gold articles first (a small, fair sample)."""
    gold = {g for q in questions for g in q.gold_ids}
    rows = read_jsonl(source)
    picked = [r for r in rows if r["id"] in gold]
    picked += [r for r in rows if r["id"] not in gold][: max(0, n_articles - len(picked))]
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for r in picked[:n_articles]:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return out


def article_scores(
    ranked: Sequence[Sequence[str]], gold: Sequence[Iterable[str]], canonical: Mapping[str, str] | None = None
) -> dict[str, float]:
    """hit@1/4/10 and MRR@10 over article ids, best first; ``canonical`` maps a duplicate's id to the
    id of the article stored in its place (newsrag keeps one copy of a story)."""
    canonical = canonical or {}
    hits = {1: 0, 4: 0, 10: 0}
    rr = 0.0
    n = 0
    for ids, golds in zip(ranked, gold, strict=True):
        wanted = {canonical.get(g, g) for g in golds}
        if not wanted:
            continue
        n += 1
        order = list(dict.fromkeys(ids))
        rank = next((i for i, a in enumerate(order[:10], start=1) if a in wanted), None)
        if rank is not None:
            rr += 1.0 / rank
            for k in hits:
                if rank <= k:
                    hits[k] += 1
    if not n:
        return {"hit@1": float("nan"), "hit@4": float("nan"), "hit@10": float("nan"), "mrr@10": float("nan")}
    return {
        "hit@1": round(hits[1] / n, 4),
        "hit@4": round(hits[4] / n, 4),
        "hit@10": round(hits[10] / n, 4),
        "mrr@10": round(rr / n, 4),
        "questions": n,
    }
