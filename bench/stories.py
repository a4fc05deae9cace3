"""Story timelines and briefings timed over a built store (the issue's targets: a timeline over the
3,753-article corpus in <= 2 s with extractive summaries; a briefing with the local model <= 30 s).

:func:`story_speed` builds the timeline of every story of the dev story set (once to warm the
caches, then timed), and the briefing of the first ``briefs`` stories with extractive summaries and
with the local model (the model's load timed apart). The store is one ``newsrag eval ... --corpus``
or ``newsrag ingest`` built; nothing is ingested here.
"""

from __future__ import annotations

import logging
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from bench._measure import REPO, summary_ms

log = logging.getLogger("bench")

STORY_SET = REPO / "eval" / "sets" / "stories-dev.jsonl"


def story_speed(
    home: Path,
    collection: str | None = None,
    *,
    models_home: Path | None = None,
    stories: Path = STORY_SET,
    briefs: int = 3,
    backend: str | None = "local",
) -> dict[str, Any]:
    """Timeline and briefing times over the store in ``home`` (its ``collection``); ``models_home``
    holds the models (default ``home``); ``backend`` words the timed briefings (None: not timed)."""
    from eval.stories import load_stories
    from rag import NewsRAG, NewsragError, NewsStore, Settings, local_llm_available

    settings = Settings(home=home)
    if collection:
        settings = settings.with_overrides({"collection": collection})
    store = NewsStore.from_settings(settings)
    if models_home is not None:
        settings = settings.with_overrides({"home": models_home})
    items = load_stories(stories)
    out: dict[str, Any] = {"stories": len(items)}
    with closing(NewsRAG(settings, store=store)) as rag:
        out["articles"] = rag.stats().articles
        rag.timeline(items[0].query)  # loads the embedding model and the keyword index
        timed: list[float] = []
        for s in items:
            t = time.perf_counter()
            rag.timeline(s.query)
            timed.append(time.perf_counter() - t)
        out["timeline"] = summary_ms(timed)
        extractive = []
        for s in items[:briefs]:
            t = time.perf_counter()
            rag.brief(s.query)
            extractive.append(time.perf_counter() - t)
        out["brief_extractive"] = summary_ms(extractive)
        if backend is None:
            out["brief_model"] = {"skipped": "no model asked for"}
            return out
        if backend == "local" and not local_llm_available(settings.llm.model):
            out["brief_model"] = {"skipped": f"the local model {settings.llm.model!r} is not installed"}
            return out
        try:
            t = time.perf_counter()
            model = rag.chat_model(backend)
            if model is not None:
                model.invoke("Say OK.")  # loads the weights
            load = time.perf_counter() - t
            written = []
            for s in items[:briefs]:
                t = time.perf_counter()
                rag.brief(s.query, backend=backend)
                written.append(time.perf_counter() - t)
            out["brief_model"] = {"backend": backend, "load_s": round(load, 2), **summary_ms(written)}
        except NewsragError as exc:
            out["brief_model"] = {"skipped": f"the model failed: {exc}"}
    log.info("stories: timeline p50 %.0f ms", out["timeline"]["p50_ms"])
    return out
