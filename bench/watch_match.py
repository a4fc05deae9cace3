"""How a watch's topic should match new articles: a threshold sweep on the RealTime QA dev questions.

Each dev question plays a watch's topic; the articles "that arrived" are every corpus-1k article
published in the seven days up to the question's date (the same week's news, often about the same
events) plus its gold articles. A watch matches an article when ``ingest.watches.score_articles``
(hybrid search restricted to the arrived ids) finds a chunk of it with dense cosine >= the
threshold. Per threshold: recall (gold articles matched), precision (matched articles that are
gold) and the median number of articles a digest would list.

    .venv/bin/python bench/watch_match.py --home STORE_HOME --collection NAME [--limit 40]

STORE_HOME is a NEWSRAG_HOME holding corpus-1k (as ``newsrag eval ... --corpus corpus-1k.jsonl``
builds it).
"""

from __future__ import annotations

import json
import statistics
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cli._env import set_env_defaults  # noqa: E402

set_env_defaults()

from ingest.watches import score_articles  # noqa: E402
from rag import HybridRetriever, NewsStore, Settings  # noqa: E402

QUESTIONS = REPO.parent / "shared" / "data" / "realtimeqa" / "questions-dev.jsonl"
THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)


def main(
    home: Annotated[Path, typer.Option(help="A NEWSRAG_HOME holding corpus-1k.")],
    collection: Annotated[str, typer.Option(help="Its collection.")],
    limit: Annotated[int | None, typer.Option(help="First N questions only.")] = None,
    days: Annotated[int, typer.Option(help="The arrival window before the quiz date.")] = 7,
) -> None:
    """How a watch's topic should match new articles: a threshold sweep on the dev questions."""
    store = NewsStore.from_settings(Settings(home=home, collection=collection))
    retriever = HybridRetriever(store, recency_window_days=None)
    infos = store.articles()
    questions = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    runs = []
    for q in questions[:limit]:
        day = date.fromisoformat(q["date"])
        week = [
            a for a, i in infos.items() if i.published and day - timedelta(days=days) <= i.published <= day
        ]
        arrived = list(dict.fromkeys([*week, *(g for g in q["gold_ids"] if g in infos)]))
        scored = [(item.article_id, cos) for item, cos in score_articles(retriever, q["question"], arrived)]
        runs.append((set(q["gold_ids"]) & set(infos), scored, len(arrived)))
    print(f"questions {len(runs)}, arrived per question median {statistics.median(r[2] for r in runs):.0f}")
    print("threshold  recall  precision  listed(median)  questions with gold listed")
    for t in THRESHOLDS:
        gold_hit = gold_all = listed_all = listed_gold = 0
        listed_n, with_gold = [], 0
        for gold, scored, _ in runs:
            listed = {a for a, c in scored if c >= t}
            gold_hit += len(gold & listed)
            gold_all += len(gold)
            listed_all += len(listed)
            listed_gold += len(gold & listed)
            listed_n.append(len(listed))
            with_gold += bool(gold & listed)
        precision = listed_gold / listed_all if listed_all else 0.0
        print(
            f"{t:9.2f}  {gold_hit / gold_all:6.3f}  {precision:9.3f}  {statistics.median(listed_n):14.0f}"
            f"  {with_gold}/{len(runs)}"
        )
    store.close()


if __name__ == "__main__":
    typer.run(main)
