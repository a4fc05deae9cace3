"""The LangChain tutorial pipeline's retrieval as a baseline beside newsrag, on the same questions.

The index is built by ``bench/retrieval_dev.py`` (``tutorial_store``: RecursiveCharacterTextSplitter
1000/200 over title + text, MiniLM through ``langchain_huggingface``, ``langchain_chroma`` top-k, no
dates), so the eval table and the benchmark measure the same thing. It lives in a cache folder per
corpus file under ``<home>/eval-baselines/`` and is built once (about 6 minutes for corpus-1k on 2 cores).
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from eval.pipelines import Pipeline, Retrieved
from eval.questions import Question
from rag import Answer, ConfigError, InputError, Passage

__all__ = ["TutorialPipeline"]

TUTORIAL_DEPTH = 50
"""Chunks fetched per question before reducing them to distinct articles (as the benchmark does)."""


def _corpus_key(corpus: Path) -> str:
    stat = corpus.stat()
    blob = json.dumps([str(corpus.resolve()), stat.st_size, int(stat.st_mtime)])
    return hashlib.sha1(blob.encode()).hexdigest()[:10]


class TutorialPipeline(Pipeline):
    """Top-k similarity search over the tutorial's chunks, reduced to a ranking of articles."""

    name = "tutorial"
    answers = False

    def __init__(self, store: Any) -> None:
        self.store = store

    @classmethod
    def build(cls, corpus: Path, home: Path, progress: bool = False) -> TutorialPipeline:
        """Open (or build, the first time) the tutorial index of a JSONL corpus.

        Raises:
            ConfigError: the benchmark code or ``langchain-huggingface`` is not installed.
            InputError: the corpus is not a JSONL file of articles.
        """
        checkout = Path(__file__).resolve().parents[1]
        if (checkout / "bench" / "retrieval_dev.py").is_file() and str(checkout) not in sys.path:
            sys.path.append(str(checkout))  # the console script does not run from the checkout
        try:
            from bench.retrieval_dev import load_jsonl, tutorial_store
        except ImportError as exc:
            raise ConfigError(
                "--baseline tutorial needs the repository's bench/ package (run from a checkout) and "
                f"langchain-huggingface (pip install 'newsrag[bench]'): {exc}"
            ) from exc
        if corpus.suffix.lower() not in (".jsonl", ".ndjson") or not corpus.is_file():
            raise InputError(str(corpus), "the tutorial baseline indexes a JSONL corpus file")
        cache = Path(home) / "eval-baselines" / f"tutorial-{corpus.stem}-{_corpus_key(corpus)}"
        cache.mkdir(parents=True, exist_ok=True)
        articles = load_jsonl(corpus)
        return cls(tutorial_store(articles, cache))

    def retrieve(self, question: Question, exclude: frozenset[str]) -> Retrieved:
        t0 = time.perf_counter()
        docs = self.store.similarity_search(question.question, k=TUTORIAL_DEPTH)
        seconds = time.perf_counter() - t0
        passages = [
            Passage(
                chunk_id=str(d.id or ""),
                article_id=str(d.metadata.get("article_id", "")),
                text=d.page_content,
                start=0,
                end=len(d.page_content),
                position=i,
                title="",
                published=None,
                source="",
                url="",
            )
            for i, d in enumerate(docs)
        ]
        ids = [p.article_id for p in passages if p.article_id not in exclude]
        return Retrieved(article_ids=list(dict.fromkeys(ids)), passages=passages[:10], seconds=seconds)

    def ask(self, question: Question, text: str, exclude: frozenset[str]) -> Answer:
        raise ConfigError("the tutorial baseline is measured on retrieval only")
