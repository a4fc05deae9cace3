"""The records that flow between stages: articles, chunks, retrieved passages, answers."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

_WS = re.compile(r"\s+")


def normalized_text_hash(text: str) -> str:
    """SHA-1 of the text lower-cased with white space folded: equal for the same story stored twice."""
    return hashlib.sha1(_WS.sub(" ", text).strip().lower().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Article:
    """One cleaned news article.

    ``id`` is stable across runs (a record's own id, or derived from its path or URL);
    ``content_hash`` covers the text and the metadata, so a changed article is re-embedded.
    """

    id: str
    title: str
    text: str
    published: date | None = None
    source: str = ""
    url: str = ""
    authors: tuple[str, ...] = ()
    place: str = ""
    origin: str = ""  # the file, ``file:line`` or URL it was loaded from
    # How it is chunked and embedded (e.g. "chunks=128/40/header"); part of ``content_hash`` when set,
    # so changing the chunk settings re-embeds stored articles instead of silently keeping old chunks.
    indexing: str = ""

    @property
    def text_hash(self) -> str:
        """Hash of the normalised text alone (duplicate detection)."""
        return normalized_text_hash(self.text)

    @property
    def content_hash(self) -> str:
        """Hash of everything that is stored, so any change triggers a re-embed."""
        parts = [
            self.title,
            self.text,
            self.published.isoformat() if self.published else "",
            self.source,
            self.url,
            "|".join(self.authors),
            self.place,
        ]
        if self.indexing:
            parts.append(self.indexing)
        return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()


def iso_date(day: date | None) -> str | None:
    """``day`` as JSON writes it: ``YYYY-MM-DD``, or None for no date."""
    return day.isoformat() if day else None


def chunk_id(article_id: str, position: int) -> str:
    """A chunk's id: ``<article id>#<position>`` (the store reads the article back out of it)."""
    return f"{article_id}#{position}"


def article_of(chunk_id: str) -> str:
    """The article id in a chunk id."""
    return chunk_id.rpartition("#")[0]


@dataclass(frozen=True)
class Chunk:
    """A passage of an article: ``article.text[start:end] == text``."""

    id: str
    article_id: str
    position: int
    text: str
    start: int
    end: int
    n_tokens: int
    embed_text: str  # what is embedded: a short header (title, date, source) + the text


@dataclass(frozen=True)
class ArticleInfo:
    """An article's metadata as kept in the store (no text)."""

    id: str
    title: str
    published: date | None
    source: str
    url: str
    authors: tuple[str, ...]
    content_hash: str
    text_hash: str
    n_chunks: int
    also_sources: tuple[str, ...] = ()  # other sources that carried the same story (duplicates)
    aliases: tuple[str, ...] = ()  # other inputs' ids for the same story (e.g. a duplicate record's id)
    origin: str = ""


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its article's metadata and how it ranked."""

    chunk_id: str
    article_id: str
    text: str
    start: int
    end: int
    position: int
    title: str
    published: date | None
    source: str
    url: str
    score: float = 0.0
    dense_rank: int | None = None
    keyword_rank: int | None = None

    def to_dict(self, n: int | None = None, *, text: bool = False) -> dict[str, Any]:
        """The passage's article as JSON (``n``: its number in an answer; ``text``: with the passage)."""
        out: dict[str, Any] = {} if n is None else {"n": n}
        out |= {
            "article_id": self.article_id,
            "title": self.title,
            "published": iso_date(self.published),
            "source": self.source,
            "url": self.url,
        }
        if text:
            out["text"] = self.text
        return out


@dataclass(frozen=True)
class Citation:
    """A marker ``[n]`` in an answer, resolved to the passage and the exact span that supports it."""

    n: int
    passage: Passage
    quote: str  # the supporting span, verbatim from passage.text
    quote_start: int  # offsets of the quote inside passage.text
    quote_end: int

    def to_dict(self, *, passage: bool = False) -> dict[str, Any]:
        """The citation as JSON: the passage's article, the quote and its offsets (``passage``:
        with the passage's whole text, which the offsets index)."""
        out = self.passage.to_dict(self.n)
        out |= {"quote": self.quote, "quote_start": self.quote_start, "quote_end": self.quote_end}
        if passage:
            out["passage"] = self.passage.text
        return out


@dataclass(frozen=True)
class Correction:
    """An answer sentence the claim checker would not show as written: ``removed``, or
    ``rewritten`` as ``replacement`` (the speaker the passage names); ``kind`` is what it got wrong
    (speaker, negation, number, date, entity)."""

    claim: str
    action: str  # "removed" or "rewritten"
    kind: str
    reason: str
    replacement: str = ""

    def to_dict(self) -> dict[str, str]:
        """The correction as JSON."""
        out = {"claim": self.claim, "action": self.action, "kind": self.kind, "reason": self.reason}
        if self.replacement:
            out["replacement"] = self.replacement
        return out


@dataclass(frozen=True)
class SearchScope:
    """What a search was limited to: the dates and sources applied, the question's words they were
    read from, and whether the question's own limits matched nothing and were dropped (``widened``)."""

    since: date | None = None
    until: date | None = None
    sources: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()  # the question's words the limits were read from
    widened: bool = False

    def to_dict(self) -> dict[str, Any]:
        """``{"since", "until", "sources", "from", "widened"}``, dates as ``YYYY-MM-DD``."""
        return {
            "since": iso_date(self.since),
            "until": iso_date(self.until),
            "sources": list(self.sources),
            "from": list(self.phrases),
            "widened": self.widened,
        }


@dataclass(frozen=True)
class ReportedValue:
    """One value a cited passage gives for a fact: ``text`` as written (``"at least 45"``), the
    number it reads as, and the citation ``[n]`` it was read from, with the article's source and date."""

    text: str
    value: float
    n: int
    source: str
    published: date | None

    def to_dict(self) -> dict[str, Any]:
        """The value as JSON (its fields, the date as ``YYYY-MM-DD``)."""
        return asdict(self) | {"published": iso_date(self.published)}


@dataclass(frozen=True)
class Conflict:
    """Cited passages that give different values for the same ``fact`` (e.g. ``"killed"``):
    ``kind`` is ``update`` (a later report revises an earlier one) or ``disagreement`` (outlets
    differ at the same time); ``values`` oldest first."""

    fact: str
    kind: str
    values: tuple[ReportedValue, ...]

    def to_dict(self) -> dict[str, Any]:
        """The conflict as JSON."""
        return {"fact": self.fact, "kind": self.kind, "values": [v.to_dict() for v in self.values]}


@dataclass(frozen=True)
class SubAnswer:
    """One sub-question of a multi-article question: what was searched, the articles it found
    (their numbers ``[n]`` among the answer's sources) and the sentences taken from them."""

    question: str
    found: tuple[int, ...]  # source numbers, best first
    sentences: tuple[str, ...] = ()

    def to_dict(self, sources: list[Passage] | None = None) -> dict[str, Any]:
        """The sub-question as JSON; with ``sources``, each found number with its article."""
        found: list[Any] = list(self.found)
        if sources is not None:
            found = [sources[n - 1].to_dict(n) for n in self.found if 0 < n <= len(sources)]
        return {"question": self.question, "found": found, "sentences": list(self.sentences)}


@dataclass
class Answer:
    """What ``ask`` returns."""

    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)  # every passage the generator was shown
    abstained: bool = False
    unsupported: list[str] = field(default_factory=list)  # answer sentences no cited passage supports
    standalone_question: str = ""  # the question after follow-up rewriting
    backend: str = ""
    timings: dict[str, float] = field(default_factory=dict)  # seconds: retrieve, first_token, generate, total
    corrections: list[Correction] = field(
        default_factory=list
    )  # sentences the claim checker removed or rewrote
    scope: SearchScope = field(default_factory=SearchScope)  # what the search was limited to
    # A question that needs several articles: its kind (comparison, change, order, aggregate),
    # the sub-questions searched and what each found; "" and [] for a plain question.
    kind: str = ""
    trace: list[SubAnswer] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)  # cited passages that disagree

    def to_dict(self, *, passages: bool = False) -> dict[str, Any]:
        """The answer as JSON, the one shape that ``newsrag ask --json``, the chat's API and eval
        use (``passages``: each citation also with its passage's text)."""
        return {
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [c.to_dict(passage=passages) for c in self.citations],
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "backend": self.backend,
            "standalone_question": self.standalone_question,
            "unsupported": self.unsupported,
            "corrections": [c.to_dict() for c in self.corrections],
            "scope": self.scope.to_dict(),
            "kind": self.kind,
            "trace": [t.to_dict(self.passages) for t in self.trace],
            "conflicts": [c.to_dict() for c in self.conflicts],
        }
