"""The keyword index: BM25 over chunk text and titles in SQLite FTS5, kept in step with Chroma; and
the same over whole articles (their chunks joined), for a ranking of articles."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from rag.errors import StoreError
from rag.store.filters import Filters, day_date, day_number

__all__ = ["KeywordIndex"]

_IN_BATCH = 500  # ids per SQL ``IN (...)`` (SQLite allows 999 parameters in older builds)
# FTS5 gives a term found in at least half the rows an IDF of 1e-6, so a hit on such terms alone
# scores about a millionth of a real match: it says nothing of the question, yet in a small store
# (where no term is left out as common) it would take a rank in the fusion beside real matches.
# Hits under this share of the best hit's score are dropped.
_NO_EVIDENCE = 1e-3


class KeywordIndex:
    """BM25 over chunk text and titles, in SQLite FTS5 (persistent, transactional).

    Args:
        path: the SQLite file.
        common_fraction: a search leaves out the terms found in more than this fraction of the
            chunks (unless all its terms are), as Lucene's common-terms query does: their IDF is low,
            and FTS5 scores every chunk a term matches ("new" is in 40% of the RealTime QA chunks).
            At 49,200 chunks 0.1 cuts a search from 20 to 11 ms; the dev questions' hit@1/4 and
            MRR@10 are unchanged (0.05 lost 3 points of hit@1).
        common_floor: a term in at most this many chunks is never left out (a small store is fast
            anyway, and there a fraction would drop every word that occurs at all).
    """

    def __init__(self, path: Path, common_fraction: float = 0.1, common_floor: int = 100) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.common_fraction = common_fraction
        self.common_floor = common_floor
        self._rows: int | None = None  # chunks in the index (cached: FTS5 counts by scanning)
        self._found_in: dict[str, int] = {}  # term -> chunks holding it (cleared with _rows)
        self._version = -1  # the database's data_version when the two were counted
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            had_articles = self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'articles'").fetchone()
            self._db.executescript(
                """
                CREATE VIRTUAL TABLE IF NOT EXISTS chunks USING fts5(
                    chunk_id UNINDEXED, article_id UNINDEXED, published_day UNINDEXED,
                    source UNINDEXED, title, text, tokenize = 'porter unicode61 remove_diacritics 2');
                CREATE VIRTUAL TABLE IF NOT EXISTS articles USING fts5(
                    article_id UNINDEXED, published_day UNINDEXED,
                    source UNINDEXED, title, text, tokenize = 'porter unicode61 remove_diacritics 2');
                CREATE TABLE IF NOT EXISTS synced(article_id TEXT PRIMARY KEY, content_hash TEXT NOT NULL);
                """
            )
            if not had_articles:  # an index made before the article table: fill it from the chunks
                self._db.execute(
                    "INSERT INTO articles(article_id, published_day, source, title, text) "
                    "SELECT article_id, published_day, source, title, group_concat(text, ' ') "
                    "FROM chunks GROUP BY article_id"
                )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the keyword index at {path}: {exc}") from exc

    def synced(self) -> dict[str, str]:
        """Article id -> content hash of what the index holds."""
        with self._lock:
            return dict(self._db.execute("SELECT article_id, content_hash FROM synced").fetchall())

    def replace(self, rows_by_article: dict[str, tuple[str, list[tuple[str, int, str, str, str]]]]) -> None:
        """Replace whole articles: ``{id: (content_hash, [(chunk_id, day, source, title, text)])}``."""
        with self._lock:
            self._rows = None  # recount (and forget the terms' counts) at the next search
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._delete_rows(self._held(list(rows_by_article)))
                for article_id, (content_hash, rows) in rows_by_article.items():
                    self._db.executemany(
                        "INSERT INTO chunks(chunk_id, article_id, published_day, source, title, text) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        [
                            (cid, article_id, day, source, title, text)
                            for cid, day, source, title, text in rows
                        ],
                    )
                    if rows:
                        self._db.execute(
                            "INSERT INTO articles(article_id, published_day, source, title, text) "
                            "VALUES (?, ?, ?, ?, ?)",
                            (article_id, rows[0][1], rows[0][2], rows[0][3], " ".join(r[4] for r in rows)),
                        )
                    self._db.execute(
                        "INSERT OR REPLACE INTO synced(article_id, content_hash) VALUES (?, ?)",
                        (article_id, content_hash),
                    )
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise StoreError(f"cannot write the keyword index at {self.path}: {exc}") from exc

    def delete(self, article_ids: Iterable[str]) -> None:
        """Remove articles from the index."""
        ids = list(article_ids)
        with self._lock:
            self._rows = None  # recount (and forget the terms' counts) at the next search
            try:
                self._db.execute("BEGIN IMMEDIATE")
                held = self._held(ids)
                self._delete_rows(held)
                for start in range(0, len(held), _IN_BATCH):
                    part = held[start : start + _IN_BATCH]
                    self._db.execute(
                        f"DELETE FROM synced WHERE article_id IN ({','.join('?' * len(part))})", part
                    )
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise StoreError(f"cannot write the keyword index at {self.path}: {exc}") from exc

    def _held(self, article_ids: list[str]) -> list[str]:
        """Those of ``article_ids`` the index holds rows for (a new article needs no delete)."""
        held: list[str] = []
        for start in range(0, len(article_ids), _IN_BATCH):
            part = article_ids[start : start + _IN_BATCH]
            rows = self._db.execute(
                f"SELECT article_id FROM synced WHERE article_id IN ({','.join('?' * len(part))})", part
            ).fetchall()
            held.extend(r[0] for r in rows)
        return held

    def _delete_rows(self, article_ids: list[str]) -> None:
        # article_id is not indexed in FTS5, so each DELETE scans the table: one scan per batch of
        # articles, not one per article (per-article deletes made ingest quadratic in the corpus).
        for start in range(0, len(article_ids), _IN_BATCH):
            part = article_ids[start : start + _IN_BATCH]
            marks = ",".join("?" * len(part))
            self._db.execute(f"DELETE FROM chunks WHERE article_id IN ({marks})", part)
            self._db.execute(f"DELETE FROM articles WHERE article_id IN ({marks})", part)

    def search(self, terms: Sequence[str], k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """Chunk ids ranked by BM25 (best first) for any of ``terms``; scores are higher-is-better."""
        return self._search("chunks", "chunk_id, bm25(chunks, 0, 0, 0, 0, 2.0, 1.0)", terms, k, filters)

    def search_articles(
        self, terms: Sequence[str], k: int, filters: Filters | None = None
    ) -> list[tuple[str, float]]:
        """Article ids ranked by BM25 over whole articles (title weighted 2), best first; the
        terms left out are those :meth:`search` leaves out (common in the chunks)."""
        return self._search("articles", "article_id, bm25(articles, 0, 0, 0, 2.0, 1.0)", terms, k, filters)

    def _search(
        self, table: str, columns: str, terms: Sequence[str], k: int, filters: Filters | None
    ) -> list[tuple[str, float]]:
        terms = _unquoted(terms)
        if not terms:
            return []
        with self._lock:
            try:
                terms = self._uncommon(terms)
            except sqlite3.Error as exc:
                raise StoreError(f"keyword search failed on {self.path}: {exc}") from exc
        query = " OR ".join(f'"{t}"' for t in terms)
        sql = f"SELECT {columns} AS s FROM {table} WHERE {table} MATCH ?"
        args: list[Any] = [query]
        if filters:
            if filters.since:
                sql += " AND published_day >= ?"
                args.append(day_number(filters.since))
            if filters.until:
                sql += " AND published_day <= ? AND published_day >= 0"
                args.append(day_number(filters.until))
            if filters.sources:
                sql += f" AND source IN ({','.join('?' * len(filters.sources))})"
                args.extend(filters.sources)
            if filters.article_ids:
                sql += f" AND article_id IN ({','.join('?' * len(filters.article_ids))})"
                args.extend(filters.article_ids)
        sql += " ORDER BY s LIMIT ?"
        args.append(k)
        hits = [(cid, -float(score)) for cid, score in self._fetch(sql, args)]
        return [(cid, score) for cid, score in hits if score >= _NO_EVIDENCE * hits[0][1]]

    def title_days(self, terms: Sequence[str], since: date, until: date) -> dict[date, int]:
        """How many articles published each day from ``since`` to ``until`` have all of ``terms``
        in their title (stemmed as the index stems them)."""
        terms = _unquoted(terms)
        if not terms:
            return {}
        sql = (
            "SELECT published_day, count(*) FROM articles WHERE articles MATCH ? "
            "AND published_day BETWEEN ? AND ? GROUP BY published_day"
        )
        query = " AND ".join(f'title : "{t}"' for t in terms)
        rows = self._fetch(sql, [query, day_number(since), day_number(until)])
        return {day_date(day): int(n) for day, n in rows}

    def _fetch(self, sql: str, args: Sequence[Any]) -> list[Any]:
        """The rows of a search query, run under the lock; a failure as a :class:`StoreError`."""
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"keyword search failed on {self.path}: {exc}") from exc

    def _uncommon(self, terms: list[str]) -> list[str]:
        """``terms`` less the common ones; all of them when what is left matches nothing."""
        version = int(self._db.execute("PRAGMA data_version").fetchone()[0])  # moves on others' commits
        if self._rows is None or version != self._version:
            self._found_in.clear()
            self._version = version
            self._rows = int(self._db.execute("SELECT count(*) FROM chunks").fetchone()[0])
        limit = max(self.common_fraction * self._rows, self.common_floor)
        count = "SELECT count(*) FROM chunks WHERE chunks MATCH ?"
        for t in terms:
            if t not in self._found_in:
                self._found_in[t] = int(self._db.execute(count, [f'"{t}"']).fetchone()[0])
        kept = [t for t in terms if self._found_in[t] <= limit]
        return kept if any(self._found_in[t] for t in kept) else terms

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()


def _unquoted(terms: Sequence[str]) -> list[str]:
    """``terms`` without double quotes (they would end an FTS5 phrase), empty ones dropped."""
    return [t.replace('"', "") for t in terms if t.strip('"')]
