"""The pipeline against a real Chroma store and the real model: idempotence, updates, prune, duplicates."""

from __future__ import annotations

import itertools
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ingest import IngestOptions, ingest
from rag.store import NewsStore

STORY = (
    "Local council approves budget\n"
    "The city council approved next year's budget on Tuesday after a debate that lasted six hours. "
    "Roads and schools get most of the new money, the mayor said after the vote.\n"
    "Opposition members said the plan did too little for public transport and promised to keep pushing "
    "for more buses on the night routes that workers depend on.\n"
)


def _write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _folder(tmp_path: Path) -> Path:
    root = tmp_path / "news"
    _write(root, "budget.txt", STORY)
    _write(
        root,
        "sport/match.txt",
        "Late goal wins the derby\nA header in the last minute won the derby for the home side.\n",
    )
    _write(
        root,
        "tech/chips.txt",
        "Chip maker opens plant\nThe new plant will employ 2,000 people by 2026, the company said.\n",
    )
    return root


class _Counting:
    """Counts texts embedded through the store's model."""

    def __init__(self, store: NewsStore) -> None:
        self.n = 0
        inner = store.embeddings.embed_array

        def embed_array(texts: list[str]) -> Any:
            self.n += len(texts)
            return inner(texts)

        store.embeddings.embed_array = embed_array  # type: ignore[method-assign]


def _chunks_consistent(store: NewsStore) -> None:
    """Every complete article has exactly its chunks, in order, and each is a slice of one text."""
    for aid, info in store.articles(refresh=True).items():
        passages = store.article_chunks(aid)
        assert len(passages) == info.n_chunks, aid
        assert [p.position for p in passages] == list(range(info.n_chunks))
        assert all(p.chunk_id == f"{aid}#{p.position}" for p in passages)


def test_rerun_embeds_nothing_and_adds_nothing(store: NewsStore, tmp_path: Path) -> None:
    root = _folder(tmp_path)
    counter = _Counting(store)
    first = ingest([root], store)
    assert (first.added, first.updated, first.unchanged, first.duplicates, first.failed) == (3, 0, 0, 0, [])
    assert first.chunks_added == counter.n > 0
    stats = store.stats()
    counter.n = 0
    second = ingest([root], store)
    assert (second.added, second.updated, second.unchanged, second.chunks_added) == (0, 0, 3, 0)
    assert counter.n == 0
    assert store.stats() == stats
    _chunks_consistent(store)


def test_chunks_carry_metadata_and_spans(store: NewsStore, tmp_path: Path) -> None:
    root = _folder(tmp_path)
    ingest([root], store, options=IngestOptions(max_tokens=32, overlap_tokens=8))
    info = store.articles()["news/budget.txt"]
    assert info.title == "Local council approves budget" and info.published is None
    assert info.origin == str((root / "budget.txt").resolve())
    passages = store.article_chunks("news/budget.txt")
    assert len(passages) > 1
    body = STORY.split("\n", 1)[1].strip().replace("\n", "\n\n")
    for p in passages:
        assert p.title == "Local council approves budget"
        assert body[p.start : p.end] == p.text


def test_a_changed_article_replaces_its_chunks(store: NewsStore, tmp_path: Path) -> None:
    root = _folder(tmp_path)
    ingest([root], store, options=IngestOptions(max_tokens=32, overlap_tokens=0))
    before = store.articles()["news/budget.txt"].n_chunks
    _write(root, "budget.txt", "Local council approves budget\nThe vote was postponed to March.\n")
    report = ingest([root], store, options=IngestOptions(max_tokens=32, overlap_tokens=0))
    assert (report.added, report.updated, report.unchanged) == (0, 1, 2)
    passages = store.article_chunks("news/budget.txt")
    assert before > 1 and [p.text for p in passages] == ["The vote was postponed to March."]
    assert store.keyword_search(["buses"], 5) == []
    assert store.keyword_search(["postponed"], 5)[0][0] == "news/budget.txt#0"
    _chunks_consistent(store)


def test_new_chunk_settings_re_embed_stored_articles(store: NewsStore, tmp_path: Path) -> None:
    root = _folder(tmp_path)
    ingest([root], store, options=IngestOptions(max_tokens=64))
    assert ingest([root], store, options=IngestOptions(max_tokens=64)).unchanged == 3
    report = ingest([root], store, options=IngestOptions(max_tokens=32, overlap_tokens=0))
    assert (report.updated, report.unchanged) == (3, 0)
    assert max(p.end - p.start for p in store.article_chunks("news/budget.txt")) < 200
    _chunks_consistent(store)


def test_prune_removes_vanished_files_only_when_asked(store: NewsStore, tmp_path: Path) -> None:
    root = _folder(tmp_path)
    other = _write(tmp_path / "other", "note.txt", "Other note\nA note from another folder.\n")
    ingest([root, other.parent], store)
    (root / "sport" / "match.txt").unlink()
    kept = ingest([root], store)
    assert kept.pruned == 0 and "news/sport/match.txt" in store.articles(refresh=True)
    pruned = ingest([root], store, options=IngestOptions(prune=True))
    assert pruned.pruned == 1
    ids = set(store.articles(refresh=True))
    assert ids == {"news/budget.txt", "news/tech/chips.txt", "other/note.txt"}, "other inputs untouched"
    _chunks_consistent(store)


def test_prune_keeps_articles_whose_file_failed_to_read(store: NewsStore, tmp_path: Path) -> None:
    root = _folder(tmp_path)
    ingest([root], store)
    (root / "tech" / "chips.txt").write_bytes(b"")
    report = ingest([root], store, options=IngestOptions(prune=True))
    assert report.pruned == 0 and len(report.failed) == 1
    assert "news/tech/chips.txt" in store.articles(refresh=True)


def test_duplicates_are_stored_once_with_both_sources(store: NewsStore, tmp_path: Path) -> None:
    root = _folder(tmp_path)
    _write(root, "copy/budget-again.txt", STORY.replace("six hours.", "six  hours. ").upper())
    records = tmp_path / "wire.jsonl"
    body = STORY.split("\n", 1)[1]
    records.write_text(
        json.dumps({"id": "wire-1", "title": "Budget", "text": body, "source": "wire.example"}) + "\n"
    )
    first = ingest([root, records], store)
    assert (first.added, first.duplicates) == (3, 2)
    assert first.duplicate_of == {
        "news/copy/budget-again.txt": "news/budget.txt",
        "wire-1": "news/budget.txt",
    }
    info = store.articles(refresh=True)["news/budget.txt"]
    assert set(info.aliases) == {"news/copy/budget-again.txt", "wire-1"}
    assert "wire.example" in info.also_sources
    assert len(store.articles()) == 3
    again = ingest([root, records], store)
    assert (again.added, again.duplicates, again.unchanged, again.chunks_added) == (0, 0, 5, 0)


def test_duplicates_within_one_batch(store: NewsStore, tmp_path: Path) -> None:
    other = "Harbour reopens\nThe harbour reopened on Tuesday after three weeks of repairs.\n"
    _write(tmp_path / "old", "c.txt", other)
    ingest([tmp_path / "old"], store)
    root = tmp_path / "twins"
    _write(root, "a.txt", STORY)
    _write(root, "b.txt", STORY)  # same as a.txt, which is still in the unwritten batch
    _write(root, "d.txt", other)  # same as old/c.txt, already stored
    report = ingest([root], store, options=IngestOptions(batch_chunks=10_000))
    assert (report.added, report.duplicates) == (1, 2)
    infos = store.articles(refresh=True)
    assert infos["twins/a.txt"].aliases == ("twins/b.txt",)
    assert infos["old/c.txt"].aliases == ("twins/d.txt",)
    again = ingest([root], store)
    assert (again.unchanged, again.duplicates) == (3, 0)


def test_bad_inputs_are_reported_and_the_rest_ingested(store: NewsStore, tmp_path: Path) -> None:
    root = _folder(tmp_path)
    (root / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (root / "empty.md").write_text("")
    records = _write(tmp_path, "r.jsonl", '{"id": "ok", "text": "A fine record."}\n{"id": broken\n')
    report = ingest([root, records, tmp_path / "missing"], store)
    assert report.added == 4
    failed = {Path(f.input).name: f.reason for f in report.failed}
    assert set(failed) == {"binary.txt", "empty.md", "r.jsonl:2", "missing"}
    assert "ok" in store.articles()


def test_same_id_twice_in_one_run_with_different_text_fails_the_second(
    store: NewsStore, tmp_path: Path
) -> None:
    records = _write(
        tmp_path,
        "r.jsonl",
        '{"id": "x", "text": "First text of x."}\n{"id": "x", "text": "Another text for x."}\n',
    )
    report = ingest([records], store)
    assert report.added == 1 and len(report.failed) == 1
    assert "already used" in report.failed[0].reason


@pytest.mark.data
def test_sample_article_chunks_carry_title_date_source(store: NewsStore, data_dir: Path) -> None:
    report = ingest([data_dir / "articles"], store)
    assert report.added == 1
    aid = "articles/mia-2023-11-21-stoltenberg-skopje.txt"
    info = store.articles()[aid]
    assert (info.published, info.source) == (date(2023, 11, 21), "MIA")
    passages = store.article_chunks(aid)
    for p in passages:
        assert p.title.startswith("We don't see any imminent military threat from Russia")
        assert (p.published, p.source) == (date(2023, 11, 21), "MIA")
    text = "".join(p.text for p in passages if p.position == 0)
    assert text.count("we remain vigilant") == 1
    rebuilt = {}
    for p in passages:
        rebuilt.update({i: c for i, c in zip(range(p.start, p.end), p.text, strict=True)})
    full = "".join(rebuilt.get(i, " ") for i in range(max(rebuilt) + 1))
    assert full.count("we remain vigilant, we monitor closely") == 1
    assert "Photo: Print screen" not in full


@pytest.mark.data
def test_corpus_records_keep_ids_and_dates(store: NewsStore, data_dir: Path, tmp_path: Path) -> None:
    sample = tmp_path / "corpus-8.jsonl"
    with (data_dir / "realtimeqa" / "corpus-1k.jsonl").open(encoding="utf-8") as fh:
        lines = list(itertools.islice(fh, 8))
    sample.write_text("".join(lines), encoding="utf-8")
    report = ingest([sample], store)
    records = [json.loads(line) for line in lines]
    infos = store.articles(refresh=True)
    assert report.added + report.duplicates == 8 and not report.failed
    for r in records:
        aid = r["id"] if r["id"] in infos else report.duplicate_of[r["id"]]
        assert infos[aid].published == date.fromisoformat(r["published"])
        assert infos[aid].source == r["source"]
