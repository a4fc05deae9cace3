"""Saved watches: a topic looked for in the articles each feed poll brings, as digests of cited bullets.

A watch matches an arrived article when the retriever, searching for the watch's topic among the
arrived articles only (hybrid search restricted to their ids), finds a chunk of it whose dense cosine
similarity to the topic is at least :data:`MATCH_THRESHOLD` (measured: ``docs/feeds.md``). Each bullet
is the article's sentence that shares most words with the topic, taken verbatim from its best chunk.

Example:
    >>> digest = make_digest(state, retriever, state.watch("nato"), since=0.0)  # doctest: +SKIP
    >>> digest.to_dict()["items"][0]["title"]  # doctest: +SKIP
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingest.feedstate import FeedState, WatchRow
from ingest.web import FetchOptions, check_url, http_client
from rag import InputError, Query, sentence_spans

if TYPE_CHECKING:
    from rag import HybridRetriever, Passage

__all__ = [
    "MATCH_THRESHOLD",
    "Digest",
    "DigestItem",
    "WatchRun",
    "check_watch_name",
    "deliver",
    "make_digest",
    "match_articles",
    "post_webhook",
    "run_watches",
    "score_articles",
    "write_digest",
]

MATCH_THRESHOLD = 0.35
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")
_WORD = re.compile(r"[^\W_]{3,}")
_MAX_SUMMARY = 320


def check_watch_name(name: str) -> str:
    """``name`` if it can name a watch (and its digest folder).

    Raises:
        InputError: not 1-60 letters, digits, ``.``, ``_`` or ``-`` starting with a letter or digit.
    """
    if not _NAME.match(name):
        raise InputError(
            name, "a watch name is 1-60 letters, digits, '.', '_' or '-' (starting with a letter or digit)"
        )
    return name


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class DigestItem:
    """One bullet: an extractive summary and the article it comes from."""

    summary: str
    article_id: str
    title: str
    published: str | None
    source: str
    url: str

    def to_dict(self) -> dict[str, Any]:
        """The bullet as JSON-ready values."""
        return asdict(self)


@dataclass(frozen=True)
class Digest:
    """The articles that matched a watch among those that arrived after ``since``."""

    name: str
    topic: str
    since: float
    made: float
    items: list[DigestItem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """``{"name", "since", "items": [...]}`` plus the topic and when it was made."""
        return {
            "name": self.name,
            "since": _iso(self.since),
            "items": [i.to_dict() for i in self.items],
            "topic": self.topic,
            "made": _iso(self.made),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Digest:
        """A digest kept by :meth:`FeedState.record_digest`."""
        return cls(
            name=data["name"],
            topic=data["topic"],
            since=datetime.fromisoformat(data["since"]).timestamp(),
            made=datetime.fromisoformat(data["made"]).timestamp(),
            items=[DigestItem(**i) for i in data["items"]],
        )

    def markdown(self) -> str:
        """Cited bullets, then the numbered sources."""
        lines = [f"# {self.name}: {self.topic}", "", f"Articles that arrived since {_iso(self.since)}.", ""]
        lines += [f"- {item.summary} [{n}]" for n, item in enumerate(self.items, 1)] or [
            "Nothing new matched."
        ]
        if self.items:
            lines += ["", "## Sources", ""]
            for n, item in enumerate(self.items, 1):
                meta = ", ".join(x for x in (item.source, item.published or "") if x)
                title = f"[{item.title}]({item.url})" if item.url else item.title
                lines.append(f"{n}. {title}" + (f" ({meta})" if meta else "") + f" `{item.article_id}`")
        return "\n".join(lines) + "\n"

    def html(self) -> str:
        """The same digest as a small standalone HTML page."""
        esc = html.escape
        bullets = "".join(
            f'<li>{esc(i.summary)} <a href="#s{n}">[{n}]</a></li>' for n, i in enumerate(self.items, 1)
        )
        sources = "".join(
            f'<li id="s{n}">'
            + (f'<a href="{esc(i.url)}">{esc(i.title)}</a>' if i.url else esc(i.title))
            + f" ({esc(', '.join(x for x in (i.source, i.published or '') if x))})</li>"
            for n, i in enumerate(self.items, 1)
        )
        body = (
            f"<ul>{bullets}</ul><h2>Sources</h2><ol>{sources}</ol>"
            if self.items
            else "<p>Nothing new matched.</p>"
        )
        return (
            f'<!doctype html><html><head><meta charset="utf-8"><title>{esc(self.name)}</title></head><body>'
            f"<h1>{esc(self.name)}: {esc(self.topic)}</h1>"
            f"<p>Articles that arrived since {esc(_iso(self.since))}.</p>{body}</body></html>\n"
        )


def _summary(passage: Passage, topic: str) -> str:
    """The passage's sentence sharing most words with the topic (the first one on a tie)."""
    wanted = {w.lower() for w in _WORD.findall(topic)}
    text = passage.text
    spans = sentence_spans(text) or [(0, len(text))]
    best = max(
        spans, key=lambda s: (len(wanted & {w.lower() for w in _WORD.findall(text[s[0] : s[1]])}), -s[0])
    )
    sentence = " ".join(text[best[0] : best[1]].split())
    return sentence if len(sentence) <= _MAX_SUMMARY else sentence[: _MAX_SUMMARY - 1].rsplit(" ", 1)[0] + "…"


def score_articles(
    retriever: HybridRetriever, topic: str, article_ids: list[str]
) -> list[tuple[DigestItem, float]]:
    """Each of ``article_ids`` the search for ``topic`` finds, with its best chunk's dense cosine
    similarity to the topic, in the retriever's (fused) order."""
    if not article_ids:
        return []
    # Only the new articles, and the topic's words as they are (no dates or outlets read from them).
    query = Query(topic, article_ids=tuple(article_ids), read_scope=False)
    found = retriever.search(query, k=len(article_ids), max_per_article=1)
    out = []
    for hit in found.articles:
        best = max(hit.passages, key=lambda p: found.similarity.get(p.chunk_id, 0.0))
        published = best.published.isoformat() if best.published else None
        item = DigestItem(_summary(best, topic), hit.article_id, best.title, published, best.source, best.url)
        out.append((item, found.similarity.get(best.chunk_id, 0.0)))
    return out


def match_articles(
    retriever: HybridRetriever, topic: str, article_ids: list[str], threshold: float = MATCH_THRESHOLD
) -> list[DigestItem]:
    """The articles among ``article_ids`` that are about ``topic``, best match first."""
    return [item for item, cosine in score_articles(retriever, topic, article_ids) if cosine >= threshold]


def make_digest(
    state: FeedState, retriever: HybridRetriever, watch: WatchRow, since: float, now: float
) -> Digest:
    """The watch's digest of the articles that arrived after ``since``."""
    stored = retriever.store.articles()
    arrived = [a for a in state.arrivals(since) if a in stored]  # not those pruned since
    items = match_articles(retriever, watch.topic, arrived)
    return Digest(watch.name, watch.topic, since, now, items)


def write_digest(digest: Digest, folder: Path) -> tuple[Path, Path]:
    """Write ``<made>.md`` and ``<made>.html`` (and ``latest.md``/``latest.html``) under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.fromtimestamp(digest.made, UTC).strftime("%Y%m%dT%H%M%SZ")
    out = (folder / f"{stamp}.md", folder / f"{stamp}.html")
    for path, text in zip(out, (digest.markdown(), digest.html()), strict=True):
        for target in (path, folder / f"latest{path.suffix}"):
            tmp = target.with_suffix(target.suffix + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(target)
    return out


def post_webhook(url: str, digest: Digest, options: FetchOptions) -> str | None:
    """POST the digest's JSON to ``url``; the reason when that failed, else None."""
    import httpx

    try:
        check_url(url, options.allow_private)
        with http_client(options) as client:
            resp = client.post(
                url, content=json.dumps(digest.to_dict()), headers={"Content-Type": "application/json"}
            )
        if resp.status_code >= 400:
            return f"webhook {url} answered HTTP {resp.status_code}"
    except InputError as exc:
        return f"webhook {exc.input}: {exc.reason}"
    except httpx.HTTPError as exc:
        return f"webhook {url} unreachable: {exc}"
    return None


@dataclass(frozen=True)
class WatchRun:
    """What one watch did after a poll."""

    name: str
    items: int
    files: tuple[Path, ...] = ()
    webhook_error: str | None = None


def deliver(
    state: FeedState,
    retriever: HybridRetriever,
    watch: WatchRow,
    folder: Path,
    options: FetchOptions,
    now: float,
) -> WatchRun:
    """Make the watch's digest of what arrived since its last one; when anything matched, keep it,
    write it under ``folder`` and POST it to the webhook. The watch's next window starts now."""
    digest = make_digest(state, retriever, watch, watch.last_digest, now)
    if not digest.items:
        state.record_digest(watch.name, None, now)
        return WatchRun(watch.name, 0)
    files = write_digest(digest, folder / watch.name)
    error = post_webhook(watch.webhook, digest, options) if watch.webhook else None
    state.record_digest(watch.name, digest.to_dict(), now)
    return WatchRun(watch.name, len(digest.items), files, error)


def run_watches(
    state: FeedState, retriever: HybridRetriever, folder: Path, options: FetchOptions, now: float
) -> list[WatchRun]:
    """:func:`deliver` every watch (after a poll)."""
    return [deliver(state, retriever, w, folder, options, now) for w in state.watches()]
