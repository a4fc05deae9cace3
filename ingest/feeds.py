"""Feeds that keep themselves current: conditional GETs, new and changed items ingested, items that
leave the feed kept or pruned, failures backed off.

Each poll of a feed sends the ``ETag``/``Last-Modified`` of its last good poll; a ``304`` costs one
request and embeds nothing. Otherwise only items that are new or whose entry changed (title, link,
dates, summary or content) are read and go through :func:`ingest.pipeline.ingest_items`, the
pipeline ``newsrag ingest`` uses, so an unchanged article is never embedded twice. A feed that is
down, slow, too large or malformed is recorded with its reason and tried again after
``every * 2**(failures - 1)`` seconds (at most a day); the other feeds go on.

Example:
    >>> poller = FeedPoller(store, FeedState(state_path(home, "news")), IngestOptions())  # doctest: +SKIP
    >>> [r.to_dict() for r in poller.poll(poller.due())]  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ingest.feedstate import FeedRow, FeedState, ItemRow
from ingest.pipeline import IngestOptions, ingest_items
from ingest.report import Failure, Progress
from ingest.web import FeedEntries, check_url, entry_article, entry_key, fetch, http_client, parse_feed
from rag import InputError

if TYPE_CHECKING:
    from rag import NewsStore

__all__ = ["ON_REMOVED", "FeedPoller", "PollResult", "add_feed", "backoff_seconds", "parse_every"]

log = logging.getLogger(__name__)

ON_REMOVED = ("keep", "prune")
_MAX_BACKOFF = 24 * 3600
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_EVERY = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")


def parse_every(text: str) -> int:
    """Seconds in ``"90s"``, ``"30m"``, ``"2h"``, ``"1d"`` (a bare number is minutes).

    Raises:
        ValueError: not such a duration, or zero.
    """
    m = _EVERY.match(text.lower())
    if not m or int(m.group(1)) == 0:
        raise ValueError(f"expected a duration such as 90s, 30m, 2h or 1d, got {text!r}")
    return int(m.group(1)) * _UNITS[m.group(2) or "m"]


def backoff_seconds(every_seconds: int, failures: int) -> int:
    """How long a feed waits after ``failures`` failed polls in a row: ``every``, then twice as long
    after each further failure, at most a day (or ``every``, if that is longer)."""
    return int(min(every_seconds * 2 ** max(0, failures - 1), max(every_seconds, _MAX_BACKOFF)))


def _fingerprint(entry: Any) -> str:
    """A hash of what an entry says: a changed one is read again, an unchanged one is not."""
    parts = [entry.get(k) or "" for k in ("title", "link", "published", "updated", "summary")]
    parts += [c.get("value", "") for c in entry.get("content", [])]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:32]


@dataclass
class PollResult:
    """What one poll of one feed did (``feeds poll --json`` prints :meth:`to_dict` per feed)."""

    url: str
    status: int | str  # 200, 304 or "error"
    added: int = 0
    updated: int = 0
    removed: int = 0  # items that left the feed since its last good poll
    pruned: int = 0  # of their articles, how many were deleted (``--on-removed prune``)
    error: str | None = None
    failed: list[Failure] = field(default_factory=list)  # items that could not be read
    chunks_added: int = 0
    arrived: list[str] = field(default_factory=list)  # article ids added or changed

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready values (without ``arrived``)."""
        values = asdict(self)
        del values["arrived"]
        return values


def add_feed(
    state: FeedState, url: str, every_seconds: int, on_removed: str, now: float | None = None
) -> bool:
    """Add a feed (due at once) or change its schedule; True when it was new.

    Raises:
        InputError: the URL is malformed or not http(s); ``on_removed`` is not keep/prune.
    """
    check_url(url, allow_private=True)  # its form only: the address is checked at each poll
    if on_removed not in ON_REMOVED:
        raise InputError(on_removed, "--on-removed must be keep or prune")
    return state.add_feed(url.strip(), every_seconds, on_removed, time.time() if now is None else now)


class FeedPoller:
    """Polls the feeds kept in a :class:`FeedState` into a store.

    Args:
        store: where articles go.
        state: the feeds, their items and their poll history.
        options: the ingest options (web limits and URL safety included) every poll uses.
        clock: seconds since the epoch (tests pass their own).
    """

    def __init__(
        self,
        store: NewsStore,
        state: FeedState,
        options: IngestOptions,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.state = state
        self.options = options
        self.clock = clock

    def due(self, everything: bool = False) -> list[FeedRow]:
        """The feeds whose time has come (all of them with ``everything``)."""
        now = self.clock()
        return [f for f in self.state.feeds() if everything or f.next_due <= now]

    def poll(
        self, feeds: list[FeedRow], progress: Callable[[FeedRow, Progress | None], None] | None = None
    ) -> list[PollResult]:
        """Poll each feed once; a failure is recorded for its feed and the others go on."""
        results = []
        for feed in feeds:
            if progress:
                progress(feed, None)
            step = (lambda p, f=feed: progress(f, p)) if progress else None
            results.append(self.poll_one(feed, step))
        return results

    def poll_one(self, feed: FeedRow, progress: Callable[[Progress], None] | None = None) -> PollResult:
        """Fetch ``feed`` (conditionally), ingest its new and changed items, handle removed ones."""
        headers = {"Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"}
        if feed.etag:
            headers["If-None-Match"] = feed.etag
        if feed.last_modified:
            headers["If-Modified-Since"] = feed.last_modified
        try:
            fetched = fetch(feed.url, self.options.fetch, headers=headers)
            if fetched.status == 304:
                self.state.record_success(replace(feed, last_status="304"), None, (), self.clock())
                return PollResult(feed.url, 304)
            parsed = parse_feed(fetched, feed.url, self.options.fetch)
            feed = replace(feed, etag=fetched.etag, last_modified=fetched.last_modified, last_status="200")
            return self._ingest(feed, parsed, progress)
        except InputError as exc:
            return self._failed(feed, exc.reason)
        except (OSError, UnicodeError, ValueError, LookupError) as exc:  # whatever a hostile feed provokes
            log.warning("poll of %s failed", feed.url, exc_info=True)
            return self._failed(feed, f"{type(exc).__name__}: {exc}")

    def _failed(self, feed: FeedRow, reason: str) -> PollResult:
        now = self.clock()
        failures = feed.failures + 1
        self.state.record_failure(feed.url, reason, now + backoff_seconds(feed.every_seconds, failures), now)
        return PollResult(feed.url, "error", error=reason)

    def _ingest(
        self, feed: FeedRow, parsed: FeedEntries, progress: Callable[[Progress], None] | None
    ) -> PollResult:
        known = self.state.items(feed.url)
        current: dict[str, ItemRow] = {}
        changed: list[tuple[str, str, Any]] = []
        failed: list[Failure] = []
        if parsed.skipped:
            failed.append(Failure(feed.url, parsed.skipped_reason(self.options.fetch)))
        if parsed.problem:
            failed.append(Failure(feed.url, f"malformed feed ({parsed.problem}): no item counts as removed"))
        for entry in parsed.entries:
            key, fingerprint = entry_key(entry), _fingerprint(entry)
            old = known.get(key)
            if not key:
                failed.append(Failure(feed.url, "feed item has no id, link or title: skipped"))
            elif old is not None and old.fingerprint == fingerprint:
                current[key] = old
            else:
                changed.append((key, fingerprint, entry))
        before = {aid: info.content_hash for aid, info in self.store.articles(refresh=True).items()}

        def items() -> Iterator[Any]:
            yield from failed
            with http_client(self.options.fetch) as client:
                for key, fingerprint, entry in changed:
                    try:
                        raw = entry_article(entry, parsed, self.options.fetch, client)
                    except InputError as exc:
                        if key in known:  # still in the feed: not removed, read again next time
                            current[key] = replace(known[key], fingerprint="")
                        yield Failure(exc.input, exc.reason)
                        continue
                    current[key] = ItemRow(key, raw.id, fingerprint)
                    yield raw

        report = ingest_items(
            items(), self.store, options=replace(self.options, prune=False), progress=progress
        )
        after = self.store.articles(refresh=True)
        arrived = [a for a in report.article_ids if a in after and before.get(a) != after[a].content_hash]
        still = {row.article_id for row in current.values()}
        if parsed.problem:  # a truncated or broken document: what is missing may still be there
            current = {**known, **current}
        gone = [k for k in known if k not in current]
        gone_ids = {known[k].article_id for k in gone} - still
        pruned = (
            self.store.delete_articles(sorted(gone_ids)) if feed.on_removed == "prune" and gone_ids else 0
        )
        if report.failed:  # read the whole feed again next time, to retry what failed
            feed = replace(feed, etag="", last_modified="")
        self.state.record_success(feed, current.values(), arrived, self.clock())
        return PollResult(
            feed.url,
            200,
            added=report.added,
            updated=report.updated,
            removed=len(gone),
            pruned=pruned,
            failed=list(report.failed),
            chunks_added=report.chunks_added,
            arrived=arrived,
        )
