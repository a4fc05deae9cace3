"""Whole data sets from ../shared/data (slow: thousands of articles through the real model)."""

from __future__ import annotations

import collections
import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ingest import ingest
from rag.store import NewsStore

pytestmark = [pytest.mark.data, pytest.mark.slow]


def _count_embedded(store: NewsStore) -> list[int]:
    seen = [0]
    inner = store.embeddings.embed_array

    def embed_array(texts: list[str]) -> Any:
        seen[0] += len(texts)
        return inner(texts)

    store.embeddings.embed_array = embed_array  # type: ignore[method-assign]
    return seen


def test_bbc_all_files_duplicates_once_latin1_intact_and_rerun_unchanged(
    store: NewsStore, data_dir: Path
) -> None:
    bbc = data_dir / "bbc"
    report = ingest([bbc], store)
    assert report.failed == []
    assert report.added + report.duplicates == 2225
    # Files repeating another byte for byte are all reported as duplicates.
    by_bytes: dict[str, list[str]] = collections.defaultdict(list)
    for path in sorted(bbc.rglob("*.txt")):
        if path.name != "README.TXT":
            by_bytes[hashlib.sha1(path.read_bytes()).hexdigest()].append(
                f"bbc/{path.relative_to(bbc).as_posix()}"
            )
    repeats = [i for ids in by_bytes.values() for i in ids[1:]]
    assert len(repeats) == 98
    assert set(repeats) <= set(report.duplicate_of)
    infos = store.articles(refresh=True)
    assert len(infos) == report.added <= 2127
    for dup, canon in report.duplicate_of.items():
        assert dup in infos[canon].aliases
    pounds = [p.text for p in store.article_chunks("bbc/sport/199.txt")]
    assert any("£" in t for t in pounds) and not any("\ufffd" in t for t in pounds)

    embedded = _count_embedded(store)
    again = ingest([bbc], store)
    assert (again.added, again.updated, again.duplicates, again.unchanged) == (0, 0, 0, 2225)
    assert again.chunks_added == 0 and embedded[0] == 0


def test_corpus_1k_keeps_every_id_and_date(corpus_1k: tuple[Path, NewsStore, Any]) -> None:
    path, store, report = corpus_1k
    assert report.failed == []
    infos = store.articles(refresh=True)
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            aid = record["id"] if record["id"] in infos else report.duplicate_of[record["id"]]
            assert infos[aid].published == date.fromisoformat(record["published"])
            assert infos[aid].url  # kept from the record
