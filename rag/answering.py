"""From a question to a verified answer: condense -> retrieve -> evidence gate -> generate -> verify.

Generation goes through one seam, a LangChain ``BaseChatModel`` (the local llama.cpp model, an
OpenAI-compatible server, or a fake in tests); ``None`` means the *extractive* generator, which
answers with the best-supported sentences of the top passages and needs no LLM.

Whether to answer is decided here, not by the model (small models answer from memory anyway):

- before generation, an evidence gate: the question's content words must be covered by the
  retrieved passages, and the best passage must be semantically close to the question;
- after generation, the verifier: an answer with no sentence a source supports becomes an
  abstention ("The ingested articles don't say ...") listing the closest articles.

:meth:`AnswerEngine.stream` yields text deltas as the generator writes them, then the final
:class:`~rag.records.Answer` (verified: its text may drop sentences the stream showed).
"""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import KW_ONLY, dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from rag._extractive import excerpts, extractive_answer
from rag._query import content_words
from rag.claims.speakers import asked_speaker
from rag.conflicts import conflict_note, find_conflicts
from rag.errors import LLMUnavailableError
from rag.question import Query
from rag.records import Answer, Passage
from rag.retrieval import HybridRetriever, Retrieval
from rag.text import sentence_spans, stem
from rag.verify import Embed, EmbeddingCache, Verified, Verifier, content_stems_weighted

log = logging.getLogger(__name__)

__all__ = [
    "ABSTAIN_PREFIX",
    "AnswerEngine",
    "Evidence",
    "History",
    "LLMUnavailableWithPassages",
    "abstention_text",
    "build_messages",
    "condense_fallback",
    "load_prompt",
    "normalize_history",
]

ABSTAIN_PREFIX = "The ingested articles don't say"
NOT_IN_SOURCES = "NOT IN SOURCES"

# A conversation so far: (role, text) pairs, dicts with "role"/"content" (Gradio's messages
# format) or LangChain messages. Roles: "user"/"human" and "assistant"/"ai".
History = Sequence[tuple[str, str] | dict[str, Any] | BaseMessage]


class LLMUnavailableWithPassages(LLMUnavailableError):
    """The LLM could not be reached; the passages retrieved for the question are attached.

    Attributes:
        passages: the passages that would have been shown to the model.
        question: the standalone question they were retrieved for.
    """

    def __init__(self, message: str, passages: list[Passage], question: str) -> None:
        super().__init__(message)
        self.passages = passages
        self.question = question


@cache
def load_prompt(name: str) -> str:
    """A prompt template shipped in ``rag/prompts/<name>.txt``."""
    return resources.files("rag").joinpath("prompts", f"{name}.txt").read_text(encoding="utf-8")


# ---- prompts ------------------------------------------------------------------------------------

_DELIMITER = re.compile(r"</?\s*(sources?|article)\b[^>]*>", re.I)


# Sentences written to steer a chatbot rather than to inform a reader ("ignore previous instructions",
# "reply only with this link", "reveal your prompt", "Note to the chatbot: ..."). The system prompt
# already says sources are data, but a small model still obeys them (measured: with such a passage
# among its sources Qwen2.5-1.5B answered "NOT IN SOURCES" to a question it otherwise answered), so
# the model never sees them. They are dropped without a trace: a "[removed]" marker in their place
# made it decline just the same (tests/test_injection.py, the Edinburgh tram cost question).
# Citations and verification still use the whole passage.
_STEERING = re.compile(
    r"\b(ignore|disregard|forget|override)\s+(all\s+|any\s+|the\s+)?(previous|prior|above|earlier|"
    r"later|your|my|these|system)\s+(\w+\s+){0,3}?(instructions?|rules|prompts?|guidelines)\b"
    r"|\b(reveal|print|show|repeat|output)\b[^.!?\n]{0,40}\b(system )?prompt\b"
    r"|\bsystem (prompt|notice|message|instruction)s?\b"
    r"|\b(reply|respond|answer)\s+(only|just|solely)\s+(with\b|['\"‘“])"
    r"|\bwhatever the question\b"
    r"|^\W*(note|message|notice|attention)?\s*(to\s+)?(the\s+|all\s+)?"
    r"(ai|assistants?|chatbots?|language models?|llms?)\b\s*[,:]",
    re.I,
)


def _without_steering(text: str) -> str:
    """``text`` without the sentences that address the model."""
    if not _STEERING.search(text):
        return text
    spans = sentence_spans(text)
    nexts = [a for a, _ in spans[1:]] + [len(text)]
    kept = (text[a:nxt] for (a, b), nxt in zip(spans, nexts, strict=True) if not _STEERING.search(text[a:b]))
    return "".join(kept).strip()


def _defang(text: str) -> str:
    """Neutralise anything in a passage that could close or open the sources block, and the
    sentences in it that address the model."""
    text = _without_steering(text)
    return _DELIMITER.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text)


def format_sources(passages: Sequence[Passage] | Sequence[tuple[int, Passage]]) -> str:
    """The sources block: each article's title, date and source once, then its passages, each
    labelled with its number (``[n]``, what the answer cites). ``passages`` are numbered 1, 2, ...
    in order, or given as ``(n, passage)`` pairs (an excerpt that leaves passages out)."""
    numbered = [p if isinstance(p, tuple) else (i, p) for i, p in enumerate(passages, start=1)]
    template = load_prompt("source")
    blocks: list[str] = []
    for _, group in itertools.groupby(numbered, key=lambda np_: np_[1].article_id):
        items = list(group)
        first = items[0][1]
        blocks.append(
            template.format(
                title=_short(_defang(first.title)) or "(untitled)",
                date=first.published.isoformat() if first.published else "unknown",
                source=_defang(first.source) or "unknown",
                passages="\n".join(f"[{n}] {_defang(p.text)}" for n, p in items),
            ).strip()
        )
    return "\n".join(blocks)


def _short(title: str, words: int = 16) -> str:
    """A title cut to its first ``words`` words (some feeds put the whole lede in the title)."""
    parts = title.split()
    return title if len(parts) <= words else " ".join(parts[:words]) + " …"


def build_messages(
    question: str, passages: Sequence[Passage] | Sequence[tuple[int, Passage]]
) -> list[BaseMessage]:
    """The chat messages that ask the model to answer ``question`` from ``passages`` (as
    :func:`format_sources` takes them)."""
    return [
        SystemMessage(load_prompt("answer_system").strip()),
        HumanMessage(
            load_prompt("answer_user").format(sources=format_sources(passages), question=question).strip()
        ),
    ]


# ---- history and follow-ups ---------------------------------------------------------------------


def normalize_history(history: History | None) -> list[tuple[str, str]]:
    """The history as ``(role, text)`` pairs with roles ``user``/``assistant``."""
    out: list[tuple[str, str]] = []
    for turn in history or ():
        role: str
        text: str
        if isinstance(turn, BaseMessage):
            role, text = turn.type, str(turn.text)
        elif isinstance(turn, dict):
            role, text = str(turn.get("role", "")), str(turn.get("content") or "")
        else:
            role, text = turn
        role = {"human": "user", "ai": "assistant"}.get(role, role)
        if role in ("user", "assistant") and text.strip():
            out.append((role, text.strip()))
    return out


_FOLLOW_UP = re.compile(
    r"^(and|but|also|so|what about|how about|then)\b|\b(he|she|they|him|her|them|his|their|it|its|this|that|"
    r"these|those|there|the same)\b",
    re.I,
)


def condense_fallback(question: str, history: list[tuple[str, str]]) -> str:
    """A deterministic standalone question: a follow-up gets the earlier questions' topic words.

    Example:
        >>> condense_fallback("And what did the prime minister say?",
        ...                   [("user", "What did Stoltenberg say about Balkan destabilization?")])
        'And what did the prime minister say? (context: Stoltenberg Balkan destabilization)'
    """
    previous = [text for role, text in history if role == "user"]
    if not previous:
        return question
    own = set(content_words(question))
    if len(own) >= 4 and not _FOLLOW_UP.search(question):
        return question  # already stands on its own
    context: list[str] = []
    for text in reversed(previous[-2:]):
        for w in re.findall(r"[^\W_]+(?:['’][^\W_]+)*", text):
            lw = w.lower()
            if lw in content_words(w) and lw not in own and lw not in {c.lower() for c in context}:
                context.append(w)
    return f"{question} (context: {' '.join(context)})" if context else question


def _history_text(history: list[tuple[str, str]], limit: int = 6) -> str:
    lines = []
    for role, text in history[-limit:]:
        short = text if len(text) < 600 else text[:600] + "..."
        lines.append(f"{'User' if role == 'user' else 'Assistant'}: {short}")
    return "\n".join(lines)


# ---- the evidence gate --------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """How well the retrieved passages cover the question."""

    coverage: float  # weighted share of the question's content words found in the top passages
    similarity: float  # best cosine between the question and a top passage
    enough: bool


def _passage_words(p: Passage) -> set[str]:
    return {stem(w) for w in content_words(f"{p.title} {p.text}")}


# ---- the engine ---------------------------------------------------------------------------------


@dataclass(eq=False)
class AnswerEngine:
    """Answers questions over a retriever, with any chat model (or none: extractive).

    Args:
        retriever: the hybrid retriever.
        verifier: checks answers against passages (shares the embedding model).
        k: passages shown to the generator.
        min_coverage: the evidence gate's least weighted share of question words found in the
            top passages.
        min_similarity: the evidence gate's least cosine between question and best passage.
        source_tokens: a chat model is shown each passage's best sentences, about this many word
            pieces in all (see :func:`~rag._extractive.excerpts`); None shows whole passages.
            Verification always checks against the whole passages.
    """

    retriever: HybridRetriever
    verifier: Verifier
    _: KW_ONLY
    k: int = 5
    min_coverage: float = 0.5
    min_similarity: float = 0.4
    source_tokens: int | None = None

    @property
    def embed(self) -> Embed:
        """The verifier's embedding function (cached), shared by the gate and the extractive generator."""
        return self.verifier.embed or self.retriever.store.embeddings.embed_array

    def evidence(self, question: str, found: Retrieval) -> Evidence:
        """Whether the retrieved passages plausibly answer ``question`` (checked before generating)."""
        passages = found.passages
        if not passages:
            return Evidence(0.0, 0.0, False)
        weights = content_stems_weighted(question)
        total = sum(weights.values())
        words: set[str] = set()
        for p in passages:
            words |= _passage_words(p)
        coverage = sum(w for s, w in weights.items() if s in words) / total if total else 0.0
        similarity = max((found.similarity.get(p.chunk_id, -1.0) for p in passages), default=-1.0)
        unscored = [p.text for p in passages if p.chunk_id not in found.similarity]
        if unscored:  # keyword-only hits: Chroma did not score them
            if found.reading is not None and found.reading.vector:
                vecs = self.embed(unscored)
                asked = np.asarray(found.reading.vector, dtype=vecs.dtype)
            else:
                vecs = self.embed([question, *unscored])
                vecs, asked = vecs[1:], vecs[0]
            similarity = max(similarity, float(np.max(vecs @ asked)))
        enough = coverage >= self.min_coverage and similarity >= self.min_similarity
        return Evidence(coverage, similarity, enough)

    def search(self, query: Query, *, k: int, max_per_article: int | None = None) -> Retrieval:
        """The retriever's search; the question's vector it computed goes into the verifier's
        cache, so the extractive generator, the excerpts and the verifier do not embed it again."""
        found = self.retriever.search(query, k=k, max_per_article=max_per_article)
        embed = self.verifier.embed
        if isinstance(embed, EmbeddingCache) and found.reading is not None and found.reading.vector:
            embed.remember(found.reading.text, found.reading.vector)
        return found

    def condense(self, question: str, history: History | None, model: BaseChatModel | None) -> str:
        """The follow-up rewritten as a standalone question (unchanged without history)."""
        turns = normalize_history(history)
        if not turns:
            return question
        if model is not None:
            prompt = load_prompt("condense").format(history=_history_text(turns), question=question)
            try:
                text = model.invoke([HumanMessage(prompt)]).text.strip()
            except LLMUnavailableError:
                raise
            except Exception as exc:  # a bad rewrite must not lose the question
                log.warning("rewriting the follow-up failed (%s); using the deterministic rewrite", exc)
                text = ""
            text = text.strip().strip('"').splitlines()[0].strip() if text.strip() else ""
            text = re.sub(r"^(standalone question:\s*)", "", text, flags=re.I)
            if 3 <= len(text) <= 400:
                return text
        return condense_fallback(question, turns)

    def stream(
        self,
        query: Query | str,
        *,
        model: BaseChatModel | None,
        backend: str,
    ) -> Iterator[str | Answer]:
        """Yield text deltas as they are generated, then the verified :class:`Answer`.

        Raises:
            EmptyStoreError: nothing has been ingested.
            LLMUnavailableWithPassages: the LLM server could not be reached (sources attached).
            ModelError: the model failed.
        """
        query = Query(query) if isinstance(query, str) else query
        question = query.question
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        standalone = self.condense(question, query.history, model)
        timings["condense"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        found = self.search(query.asking(standalone), k=self.k)
        passages = found.passages
        evidence = self.evidence(standalone, found)
        timings["retrieve"] = time.perf_counter() - t1
        answer = Answer(
            question=question,
            text="",
            passages=passages,
            standalone_question=standalone,
            backend=backend,
            scope=found.search_scope(),
        )
        if not evidence.enough:
            log.info("abstaining before generation: %s", evidence)
            yield from self._abstain(answer, found, timings, t0)
            return

        t2 = time.perf_counter()
        if model is None:
            text = extractive_answer(standalone, passages, self.embed)
            timings["first_token"] = time.perf_counter() - t2
            yield text
        else:
            parts: list[str] = []
            shown: Sequence[Passage] | Sequence[tuple[int, Passage]] = passages
            if self.source_tokens:
                shown = excerpts(standalone, passages, self.embed, self.source_tokens)
            try:
                for chunk in model.stream(build_messages(standalone, shown)):
                    delta = chunk.text
                    if not delta:
                        continue
                    if not parts:
                        timings["first_token"] = time.perf_counter() - t2
                    parts.append(delta)
                    yield delta
            except LLMUnavailableError as exc:
                raise LLMUnavailableWithPassages(str(exc), passages, standalone) from exc
            text = "".join(parts)
        timings["generate"] = time.perf_counter() - t2

        t3 = time.perf_counter()
        verified = self._verify(text, standalone, passages, extractive=model is None)
        timings["verify"] = time.perf_counter() - t3
        if verified.supported == 0:
            log.info("abstaining after generation: no sentence supported")
            answer.unsupported = verified.unsupported
            answer.corrections = verified.corrections
            yield from self._abstain(answer, found, timings, t0, delta=False)
            return
        answer.conflicts = find_conflicts(verified.citations, standalone)
        answer.text = "\n\n".join([verified.text, *(conflict_note(c) for c in answer.conflicts)])
        answer.citations = verified.citations
        answer.unsupported = verified.unsupported
        answer.corrections = verified.corrections
        timings["total"] = time.perf_counter() - t0
        answer.timings = timings
        yield answer

    def _verify(self, text: str, question: str, passages: Sequence[Passage], *, extractive: bool) -> Verified:
        """The draft checked against the passages; a model's decline, or a draft with no supported
        sentence, is replaced by the extractive answer: past the evidence gate the passages answer the
        question, and a small model declines what its top source answers. The draft's unsupported
        sentences stay recorded in ``unsupported``; ``supported == 0`` means abstain."""
        verified = self.verifier.verify(text, passages)
        if NOT_IN_SOURCES.lower() in text.lower():
            verified = Verified(text="", citations=[], unsupported=verified.unsupported)
        if extractive or (verified.supported and not _misquotes_the_asked(question, verified)):
            return verified
        log.info("the model declined, wrote nothing supported or misquoted; answering extractively")
        fallback = self.verifier.verify(extractive_answer(question, passages, self.embed), passages)
        fallback.unsupported = [*verified.unsupported, *fallback.unsupported]
        fallback.corrections = [*verified.corrections, *fallback.corrections]
        return fallback

    def _abstain(
        self, answer: Answer, found: Retrieval, timings: dict[str, float], t0: float, delta: bool = True
    ) -> Iterator[str | Answer]:
        answer.abstained = True
        answer.text = abstention_text(answer.standalone_question or answer.question, found)
        answer.citations = []
        timings["total"] = time.perf_counter() - t0
        answer.timings = timings
        if delta:
            yield answer.text
        yield answer


def _misquotes_the_asked(question: str, verified: Verified) -> bool:
    """Whether a "What did X say" draft put another speaker's words in X's mouth: the checker
    rewrote them to their real speaker, so the draft answers a question nobody asked."""
    return asked_speaker(question) is not None and any(c.kind == "speaker" for c in verified.corrections)


def abstention_text(question: str, found: Retrieval, n: int = 3) -> str:
    """The abstention message ("The ingested articles don't say ...") listing the closest articles."""
    lines = [f"{ABSTAIN_PREFIX} anything that answers this question."]
    closest = [hit.passages[0] for hit in found.articles[:n]]
    if closest:
        lines.append("The closest articles are:")
        for p in closest:
            meta = ", ".join(x for x in (p.source, p.published.isoformat() if p.published else "") if x)
            lines.append(f"- {p.title or '(untitled)'}" + (f" ({meta})" if meta else ""))
    return "\n".join(lines)
