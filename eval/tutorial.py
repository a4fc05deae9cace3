"""The LangChain tutorial RAG pipeline, the baseline newsrag is measured against in ``eval`` and ``bench``.

The pipeline of LangChain's RAG tutorial, with the models newsrag bundles:

- index: ``RecursiveCharacterTextSplitter(1000, 200)`` over title + text, MiniLM through
  ``langchain_huggingface.HuggingFaceEmbeddings``, ``langchain_chroma.Chroma`` (no dates);
- retrieve: ``similarity_search`` top-k;
- answer: the tutorial's plain prompt (:data:`TUTORIAL_PROMPT`: use the context, say you don't know,
  three sentences at most) over the top :data:`TUTORIAL_CONTEXT` chunks, one human message to the
  same bundled chat model newsrag's ``local`` backend runs. It cites nothing.

For ``eval --baseline tutorial`` the index lives in a cache folder per corpus file under
``<home>/eval-baselines/`` and is built once (about 6 minutes for corpus-1k on 2 cores).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from eval.pipelines import Pipeline, Retrieved
from eval.questions import Question
from rag import Answer, ConfigError, InputError, Passage

__all__ = [
    "TUTORIAL_PROMPT",
    "TutorialPipeline",
    "load_jsonl",
    "tutorial_embeddings",
    "tutorial_splits",
    "tutorial_store",
]

log = logging.getLogger(__name__)

CHUNK_SIZE, CHUNK_OVERLAP = 1000, 200
"""The tutorial's splitter settings (characters)."""

TUTORIAL_DEPTH = 50
"""Chunks fetched per question before reducing them to distinct articles (as the benchmark does)."""

TUTORIAL_CONTEXT = 4
"""Chunks put in the prompt: ``similarity_search``'s default k, as in the tutorial."""

TUTORIAL_PROMPT = (
    "You are an assistant for question-answering tasks. Use the following pieces of retrieved context "
    "to answer the question. If you don't know the answer, just say that you don't know. Use three "
    "sentences maximum and keep the answer concise.\n"
    "Question: {question} \n"
    "Context: {context} \n"
    "Answer:"
)
"""The tutorial's prompt (LangChain hub ``rlm/rag-prompt``), sent as one human message."""

_DONT_KNOW = re.compile(r"\b(?:don[’']t|do not|does not|doesn[’']t) (?:know|say|mention|provide)\b", re.I)


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    """The articles of a JSONL corpus file, one JSON object a line."""
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def tutorial_splits(articles: Iterable[Mapping[str, Any]]) -> list[Any]:
    """The tutorial's chunks of the articles (title + text), each with its ``article_id``."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    kept = [a for a in articles if a.get("text")]
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    return splitter.create_documents(
        [f"{a.get('title') or ''}\n\n{a['text']}" for a in kept],
        metadatas=[
            {"article_id": a["id"], "title": a.get("title") or "", "published": a.get("published") or ""}
            for a in kept
        ],
    )


def tutorial_embeddings() -> Any:
    """The bundled MiniLM through ``langchain_huggingface.HuggingFaceEmbeddings``, as in the tutorial."""
    from langchain_huggingface import HuggingFaceEmbeddings

    from rag import model_path

    return HuggingFaceEmbeddings(model_name=str(model_path()))


def tutorial_store(articles: list[dict[str, Any]], cache: Path) -> Any:
    """The tutorial's Chroma index of the articles under ``cache/tutorial``, built the first time."""
    import chromadb
    from langchain_chroma import Chroma

    client = chromadb.PersistentClient(
        path=str(cache / "tutorial"), settings=chromadb.config.Settings(anonymized_telemetry=False)
    )
    store = Chroma(collection_name="tutorial", embedding_function=tutorial_embeddings(), client=client)
    stamp = cache / "tutorial" / "ingested.json"
    if not stamp.exists():
        t = time.perf_counter()
        docs = tutorial_splits(articles)
        for start in range(0, len(docs), 256):
            store.add_documents(docs[start : start + 256])
        took = time.perf_counter() - t
        stamp.write_text(json.dumps({"seconds": took, "chunks": len(docs)}))
        log.info("ingested %d tutorial chunks in %.0f s", len(docs), took)
    return store


def _corpus_key(corpus: Path) -> str:
    stat = corpus.stat()
    blob = json.dumps([str(corpus.resolve()), stat.st_size, int(stat.st_mtime)])
    return hashlib.sha1(blob.encode()).hexdigest()[:10]


def _passage(doc: Any, position: int) -> Passage:
    return Passage(
        chunk_id=str(doc.id or ""),
        article_id=str(doc.metadata.get("article_id", "")),
        text=doc.page_content,
        start=0,
        end=len(doc.page_content),
        position=position,
        title=str(doc.metadata.get("title", "")),
        published=None,
        source="",
        url="",
    )


class TutorialPipeline(Pipeline):
    """Top-k similarity search over the tutorial's chunks and, with a chat model, its plain answer."""

    name = "tutorial"

    def __init__(self, store: Any, chat_model: Any | None = None) -> None:
        self.store = store
        self.chat_model = chat_model
        self.answers = chat_model is not None

    @classmethod
    def build(cls, corpus: Path, home: Path, chat_model: Any | None = None) -> TutorialPipeline:
        """Open (or build, the first time) the tutorial index of a JSONL corpus.

        Args:
            corpus: the JSONL corpus file.
            home: the eval home; the index is cached under ``home/eval-baselines``.
            chat_model: the model that answers (None: the baseline is measured on retrieval only).

        Raises:
            ConfigError: ``langchain-huggingface`` is not installed.
            InputError: the corpus is not a JSONL file of articles.
        """
        try:
            import langchain_chroma  # noqa: F401
            import langchain_huggingface  # noqa: F401
        except ImportError as exc:
            raise ConfigError(
                f"--baseline tutorial needs langchain-huggingface (pip install 'newsrag[bench]'): {exc}"
            ) from exc
        if corpus.suffix.lower() not in (".jsonl", ".ndjson") or not corpus.is_file():
            raise InputError(str(corpus), "the tutorial baseline indexes a JSONL corpus file")
        cache = Path(home) / "eval-baselines" / f"tutorial-{corpus.stem}-{_corpus_key(corpus)}"
        cache.mkdir(parents=True, exist_ok=True)
        return cls(tutorial_store(load_jsonl(corpus), cache), chat_model)

    def retrieve(self, question: Question, exclude: frozenset[str]) -> Retrieved:
        t0 = time.perf_counter()
        docs = self.store.similarity_search(question.question, k=TUTORIAL_DEPTH)
        seconds = time.perf_counter() - t0
        passages = [_passage(d, i) for i, d in enumerate(docs)]
        ids = [p.article_id for p in passages if p.article_id not in exclude]
        return Retrieved(article_ids=list(dict.fromkeys(ids)), passages=passages[:10], seconds=seconds)

    def ask(self, question: Question, text: str, exclude: frozenset[str]) -> Answer:
        """The tutorial's answer: its prompt over the top chunks, one call to the chat model."""
        if self.chat_model is None:
            raise ConfigError("the tutorial baseline has no chat model: it is measured on retrieval only")
        from langchain_core.messages import HumanMessage

        t0 = time.perf_counter()
        docs = self.store.similarity_search(text, k=TUTORIAL_CONTEXT)
        retrieved = time.perf_counter()
        context = "\n\n".join(d.page_content for d in docs)
        prompt = TUTORIAL_PROMPT.format(question=text, context=context)
        pieces: list[str] = []
        first: float | None = None
        for chunk in self.chat_model.stream([HumanMessage(prompt)]):
            if first is None:
                first = time.perf_counter()
            pieces.append(str(chunk.content))
        done = time.perf_counter()
        reply = "".join(pieces).strip()
        return Answer(
            question=text,
            text=reply,
            passages=[_passage(d, i) for i, d in enumerate(docs)],
            abstained=not reply or bool(_DONT_KNOW.search(reply)),
            backend="tutorial",
            timings={
                "retrieve": retrieved - t0,
                "first_token": (first or done) - retrieved,
                "total": done - t0,
            },
        )
