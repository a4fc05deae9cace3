"""What the feed poller and the watches remember between runs, in one SQLite file per collection.

Every change is one transaction, so the file is whole after a crash or ``kill -9``: a poll that dies
half-way leaves the feed's previous state, and the next poll redoes the work (ingest is idempotent).

Tables: ``feeds`` (one row a feed: schedule, validators, last success/error, failures in a row),
``items`` (the items each feed held at its last good poll, with the article each became),
``arrivals`` (articles a poll added or changed, and when) and ``watches``/``digests``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["FeedRow", "FeedState", "ItemRow", "WatchRow", "state_path"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY, every_seconds INTEGER NOT NULL, on_removed TEXT NOT NULL,
    added_at REAL NOT NULL, etag TEXT NOT NULL DEFAULT '', last_modified TEXT NOT NULL DEFAULT '',
    last_polled REAL, last_success REAL, last_status TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT '', failures INTEGER NOT NULL DEFAULT 0, next_due REAL NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    feed TEXT NOT NULL, key TEXT NOT NULL, article_id TEXT NOT NULL, fingerprint TEXT NOT NULL,
    PRIMARY KEY (feed, key));
CREATE TABLE IF NOT EXISTS arrivals (article_id TEXT NOT NULL, feed TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS arrivals_at ON arrivals (at);
CREATE TABLE IF NOT EXISTS watches (
    name TEXT PRIMARY KEY, topic TEXT NOT NULL, webhook TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL, last_digest REAL NOT NULL);
CREATE TABLE IF NOT EXISTS digests (watch TEXT NOT NULL, made REAL NOT NULL, body TEXT NOT NULL);
"""


def state_path(home: Path, collection: str) -> Path:
    """Where the feeds and watches of ``collection`` are kept under ``NEWSRAG_HOME``."""
    return Path(home) / "feeds" / f"{collection}.sqlite"


@dataclass(frozen=True)
class FeedRow:
    """One feed and how its polls went."""

    url: str
    every_seconds: int
    on_removed: str  # "keep" or "prune"
    added_at: float
    etag: str = ""
    last_modified: str = ""
    last_polled: float | None = None
    last_success: float | None = None
    last_status: str = ""  # "200", "304" or "error"
    last_error: str = ""
    failures: int = 0  # failed polls in a row
    next_due: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The row as JSON-ready values (``feeds list --json``)."""
        row = {k: v for k, v in asdict(self).items() if k not in ("added_at", "etag", "last_modified")}
        return row | {"last_error": self.last_error or None}


@dataclass(frozen=True)
class ItemRow:
    """An item a feed held at its last good poll."""

    key: str
    article_id: str
    fingerprint: str


@dataclass(frozen=True)
class WatchRow:
    """A saved watch: a topic looked for in every poll's new articles."""

    name: str
    topic: str
    webhook: str
    created: float
    last_digest: float  # arrivals after this moment go into the next digest

    def to_dict(self) -> dict[str, Any]:
        """The watch as JSON-ready values (``watches list --json``)."""
        last = datetime.fromtimestamp(self.last_digest, UTC).isoformat(timespec="seconds")
        return {"name": self.name, "topic": self.topic, "webhook": self.webhook or None, "last_digest": last}


class FeedState(AbstractContextManager["FeedState"]):
    """The state file (created on first use); one connection, closed by :meth:`close` or at the end
    of a ``with`` block."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All writes inside commit together or not at all."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # ---- feeds ---------------------------------------------------------------------------------

    def add_feed(self, url: str, every_seconds: int, on_removed: str, now: float) -> bool:
        """Add a feed (due at once) or change its schedule; True when it was new."""
        sql = (
            "INSERT INTO feeds (url, every_seconds, on_removed, added_at, next_due) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (url) DO UPDATE SET every_seconds = excluded.every_seconds, "
            "on_removed = excluded.on_removed"
        )
        return self._upsert(("feeds", "url"), sql, (url, every_seconds, on_removed, now, now))

    def remove_feed(self, url: str) -> bool:
        """Forget a feed and its items (its articles stay in the store); True when it was known."""
        return self._forget(("feeds", "url"), ("items", "feed"), url)

    def feeds(self) -> list[FeedRow]:
        """Every feed, in the order they were added."""
        cur = self._db.execute("SELECT * FROM feeds ORDER BY added_at, url")
        names = [c[0] for c in cur.description]
        return [FeedRow(**dict(zip(names, row, strict=True))) for row in cur.fetchall()]

    def items(self, url: str) -> dict[str, ItemRow]:
        """The items ``url`` held at its last good poll, by key."""
        rows = self._db.execute("SELECT key, article_id, fingerprint FROM items WHERE feed = ?", (url,))
        return {key: ItemRow(key, aid, fp) for key, aid, fp in rows.fetchall()}

    def record_success(
        self,
        feed: FeedRow,
        items: Iterable[ItemRow] | None,
        arrived: Iterable[str],
        now: float,
    ) -> None:
        """A good poll: its validators, status and items (None: unchanged, a 304) and new arrivals."""
        with self.transaction() as db:
            if items is not None:
                db.execute("DELETE FROM items WHERE feed = ?", (feed.url,))
                db.executemany(
                    "INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?)",
                    [(feed.url, i.key, i.article_id, i.fingerprint) for i in items],
                )
            db.executemany("INSERT INTO arrivals VALUES (?, ?, ?)", [(a, feed.url, now) for a in arrived])
            db.execute(
                "UPDATE feeds SET etag = ?, last_modified = ?, last_polled = ?, last_success = ?, "
                "last_status = ?, last_error = '', failures = 0, next_due = ? WHERE url = ?",
                (
                    feed.etag,
                    feed.last_modified,
                    now,
                    now,
                    feed.last_status,
                    now + feed.every_seconds,
                    feed.url,
                ),
            )

    def record_failure(self, url: str, error: str, next_due: float, now: float) -> None:
        """A failed poll: the reason, one more failure in a row, and when to try again."""
        with self.transaction() as db:
            db.execute(
                "UPDATE feeds SET last_polled = ?, last_status = 'error', last_error = ?, "
                "failures = failures + 1, next_due = ? WHERE url = ?",
                (now, error, next_due, url),
            )

    def arrivals(self, since: float) -> list[str]:
        """Articles that polls added or changed after ``since``, oldest first, each once."""
        rows = self._db.execute("SELECT article_id FROM arrivals WHERE at > ? ORDER BY at", (since,))
        return list(dict.fromkeys(r[0] for r in rows.fetchall()))

    # ---- watches -------------------------------------------------------------------------------

    def add_watch(self, name: str, topic: str, webhook: str, now: float) -> bool:
        """Save a watch (its first digest covers what arrives from now on); True when it was new."""
        sql = (
            "INSERT INTO watches VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
            "topic = excluded.topic, webhook = excluded.webhook"
        )
        return self._upsert(("watches", "name"), sql, (name, topic, webhook, now, now))

    def remove_watch(self, name: str) -> bool:
        """Forget a watch and its digests; True when it was known."""
        return self._forget(("watches", "name"), ("digests", "watch"), name)

    def _upsert(self, row: tuple[str, str], sql: str, params: tuple[Any, ...]) -> bool:
        """Run the insert-or-update ``sql``; True when table ``row[0]`` held no row whose column
        ``row[1]`` is ``params[0]`` before."""
        with self.transaction() as db:
            known = _has(db, *row, params[0])
            db.execute(sql, params)
        return not known

    def _forget(self, row: tuple[str, str], children: tuple[str, str], key: str) -> bool:
        """Delete the row whose column ``row[1]`` of table ``row[0]`` is ``key``, and the rows of
        ``children`` (table, column) that point at it; True when the row was there."""
        with self.transaction() as db:
            gone = db.execute(f"DELETE FROM {row[0]} WHERE {row[1]} = ?", (key,)).rowcount
            db.execute(f"DELETE FROM {children[0]} WHERE {children[1]} = ?", (key,))
        return bool(gone)

    def watches(self) -> list[WatchRow]:
        """Every watch, by name."""
        rows = self._db.execute(
            "SELECT name, topic, webhook, created, last_digest FROM watches ORDER BY name"
        )
        return [WatchRow(*row) for row in rows.fetchall()]

    def watch(self, name: str) -> WatchRow | None:
        """The watch called ``name``, if any."""
        return next((w for w in self.watches() if w.name == name), None)

    def record_digest(self, name: str, digest: dict[str, Any] | None, now: float) -> None:
        """Keep a digest (None: nothing matched) and start the watch's next window at ``now``."""
        with self.transaction() as db:
            if digest is not None:
                db.execute("INSERT INTO digests VALUES (?, ?, ?)", (name, now, json.dumps(digest)))
            db.execute("UPDATE watches SET last_digest = ? WHERE name = ?", (now, name))

    def last_digest(self, name: str) -> dict[str, Any] | None:
        """The watch's latest digest, if it has one."""
        row = self._db.execute(
            "SELECT body FROM digests WHERE watch = ? ORDER BY made DESC LIMIT 1", (name,)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _has(db: sqlite3.Connection, table: str, column: str, key: str) -> bool:
    """Whether ``table`` has a row whose ``column`` is ``key`` (table and column are ours, not input)."""
    return db.execute(f"SELECT 1 FROM {table} WHERE {column} = ?", (key,)).fetchone() is not None
