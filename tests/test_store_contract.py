"""One contract, two modes: the embedded store and a real ``chroma run`` server behave the same."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from rag.embeddings import MiniLMEmbeddings
from rag.errors import StoreError
from rag.records import Article, Chunk, article_of, chunk_id
from rag.store import Filters, NewsStore
from tests.chroma_server import chroma_binary, chroma_server


def _article(aid: str, text: str, day: date, source: str = "MIA", title: str = "") -> Article:
    return Article(id=aid, title=title or f"Title {aid}", text=text, published=day, source=source)


def _chunks(a: Article) -> list[Chunk]:
    half = len(a.text) // 2
    cut = a.text.rfind(" ", 0, half) or half
    spans = [(0, cut), (cut, len(a.text))]
    return [
        Chunk(
            id=chunk_id(a.id, i),
            article_id=a.id,
            position=i,
            text=a.text[s:e],
            start=s,
            end=e,
            n_tokens=0,
            embed_text=f"{a.title} | {a.text[s:e]}",
        )
        for i, (s, e) in enumerate(spans)
    ]


def _write(store: NewsStore, *articles: Article) -> None:
    items = [(a, _chunks(a)) for a in articles]
    store.write_articles(items)


NATO = _article(
    "nato",
    "NATO's chief said in Skopje that the alliance sees no imminent military threat from Russia. "
    "He added that allies remain vigilant and united.",
    date(2023, 11, 21),
)
TRAM = _article(
    "tram",
    "The city opened its first tram line on Monday. Trains run every seven minutes between the "
    "station and the university.",
    date(2024, 3, 4),
    source="Local Wire",
)


@pytest.fixture(params=["embedded", "server"])
def any_store(
    request: pytest.FixtureRequest, tmp_path: Path, embeddings: MiniLMEmbeddings
) -> Iterator[NewsStore]:
    """The same store API over an embedded Chroma and over a real Chroma server."""
    if request.param == "embedded":
        s = NewsStore(tmp_path / "home", collection="contract", embeddings=embeddings)
        yield s
        s.close()
        return
    if chroma_binary() is None:
        pytest.skip("the chroma CLI is not installed")
    with chroma_server(tmp_path / "server-data") as url:
        s = NewsStore(tmp_path / "home", collection="contract", chroma_url=url, embeddings=embeddings)
        yield s
        s.close()


class TestStoreContract:
    """What the store promises over an embedded Chroma and over a Chroma server alike."""

    def test_write_search_filter_delete(self, any_store: NewsStore) -> None:
        _write(any_store, NATO, TRAM)
        stats = any_store.stats()
        assert (stats.articles, stats.chunks) == (2, 4)
        assert stats.first_published == date(2023, 11, 21)
        assert stats.last_published == date(2024, 3, 4)

        hits = any_store.dense_search(any_store.embeddings.embed_query("threat from Russia"), 4)
        assert hits[0][0].article_id == "nato"
        assert hits[0][0].text in NATO.text
        assert hits[0][0].title == "Title nato" and hits[0][0].published == date(2023, 11, 21)

        only_2024 = any_store.dense_search(
            any_store.embeddings.embed_query("threat from Russia"), 4, Filters(since=date(2024, 1, 1))
        )
        assert {p.article_id for p, _ in only_2024} == {"tram"}
        kw = any_store.keyword_search(["tram", "university"], 5)
        assert kw and kw[0][0].startswith("tram#")
        assert any_store.keyword_search(["tram"], 5, Filters(sources=("MIA",))) == []

        assert any_store.delete_articles(["nato"]) == 1
        assert set(any_store.articles(refresh=True)) == {"tram"}
        (top, _), *_ = any_store.dense_search(any_store.embeddings.embed_query("Russia"), 4)
        assert top.article_id == "tram"
        assert any_store.keyword_search(["russia"], 5) == []

    def test_replacing_an_article_leaves_no_old_chunks(self, any_store: NewsStore) -> None:
        _write(any_store, NATO)
        changed = _article("nato", "A shorter corrected text about NATO and Russia.", date(2023, 11, 22))
        _write(any_store, changed)
        chunks = any_store.article_chunks("nato")
        assert "".join(p.text for p in chunks) == changed.text
        assert any_store.articles()["nato"].published == date(2023, 11, 22)
        assert any_store.keyword_search(["vigilant"], 5) == []

    def test_half_written_articles_are_invisible_and_repaired(self, any_store: NewsStore) -> None:
        _write(any_store, TRAM)
        # What a writer killed between its chunk insert and its commit leaves behind.
        ch = _chunks(NATO)
        any_store.manifest.upsert(
            ids=["nato"], embeddings=[[0.0] * 384], metadatas=[{"status": "pending", "title": "x"}]
        )
        any_store.chunks.add(
            ids=[c.id for c in ch],
            embeddings=any_store.embeddings.embed_array([c.embed_text for c in ch]),
            documents=[c.text for c in ch],
            metadatas=[{"article_id": "nato", "published_day": 0, "source": "MIA", "title": "x"} for _ in ch],
        )
        hits = any_store.dense_search(any_store.embeddings.embed_query("threat from Russia"), 4)
        assert {p.article_id for p, _ in hits} == {"tram"}
        assert any_store.repair() == ["nato"]
        assert any_store.chunks.count() == 2
        assert any_store.stats().articles == 1

    def test_in_memory_filters_agree_with_chroma_where(self, any_store: NewsStore) -> None:
        """Retrieval filters a pool of nearest chunks in memory (Filters.admits) and falls back to
        Chroma's ``where`` (Filters.chroma_where): both must admit the same articles."""
        store = any_store
        undated = _article(
            "undated", "A council report with no date on it about the tram budget.", date(2000, 1, 1)
        )
        _write(store, NATO, TRAM, replace(undated, published=None))
        cases = [
            Filters(),
            Filters(until=date(2024, 1, 1)),
            Filters(since=date(2023, 11, 21), until=date(2024, 3, 4)),
            Filters(since=date(2024, 3, 5)),
            Filters(sources=("Local Wire",)),
            Filters(article_ids=("undated", "nato")),
            Filters(until=date(2030, 1, 1), sources=("MIA",)),
        ]
        vector = store.embeddings.embed_query("tram")
        infos = store.articles()
        for f in cases:
            in_memory = {aid for aid, info in infos.items() if f.admits(info)}
            by_chroma = {p.article_id for p, _ in store.dense_search(vector, 10, f)}
            words = ["tram", "russia", "council"]
            by_fts = {article_of(cid) for cid, _ in store.keyword_search(words, 10, f)}
            assert in_memory == by_chroma, f
            assert by_fts <= in_memory, f
        assert not Filters(until=date(2030, 1, 1)).admits(infos["undated"])  # a date bound drops undated
        assert not Filters().restricts() and Filters(sources=("x",)).restricts()


def test_second_instance_sees_first_writers_articles(tmp_path: Path, embeddings: MiniLMEmbeddings) -> None:
    """Two app processes sharing one server: the keyword index of the reader catches up."""
    if chroma_binary() is None:
        pytest.skip("the chroma CLI is not installed")
    with chroma_server(tmp_path / "server-data") as url:
        writer = NewsStore(tmp_path / "a", "shared", chroma_url=url, embeddings=embeddings)
        reader = NewsStore(
            tmp_path / "b", "shared", chroma_url=url, embeddings=embeddings, keyword_sync_seconds=0
        )
        assert reader.keyword_search(["tram"], 5) == []
        _write(writer, TRAM)
        assert reader.keyword_search(["tram"], 5)[0][0].startswith("tram#")
        writer.delete_articles(["tram"])
        assert reader.keyword_search(["tram"], 5) == []


def test_unreachable_server_is_a_clear_error(tmp_path: Path, embeddings: MiniLMEmbeddings) -> None:
    from tests._processes import free_port

    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreError, match=f"127.0.0.1:{url.rsplit(':', 1)[1]}"):
        NewsStore(tmp_path / "home", chroma_url=url, embeddings=embeddings)


def test_chunk_ids_must_name_their_article_and_position(tmp_path: Path, embeddings: MiniLMEmbeddings) -> None:
    store = NewsStore(tmp_path / "home", embeddings=embeddings)
    bad = [replace(c, id=f"nato:{c.position}") for c in _chunks(NATO)]
    with pytest.raises(ValueError, match="should be 'nato#0'"):
        store.write_articles([(NATO, bad)])
    assert store.stats().articles == 0 and store.chunks.count() == 0
    assert store.written_with is None and not store.chunks.metadata  # no trace of the refused batch
    store.close()


def test_the_collection_remembers_which_embedding_backend_wrote_it(
    any_store: NewsStore, caplog: pytest.LogCaptureFixture
) -> None:
    assert any_store.written_with is None
    _write(any_store, NATO)
    mine = any_store.embeddings.backend
    assert any_store.written_with == mine
    other = "torch" if mine != "torch" else "onnx"
    with caplog.at_level("WARNING", logger="rag.store"):
        reader = NewsStore(
            any_store.home,
            collection="contract",
            chroma_url=any_store.chroma_url,
            embeddings=MiniLMEmbeddings(backend=other, home=any_store.home),  # type: ignore[arg-type]
        )
        assert reader.written_with == mine
        reader._record_backend()  # what a write from this reader records: nothing, it warns
        reader._record_backend()
    assert f"holds {mine} embeddings and is read with {other} ones" in caplog.text
    assert caplog.text.count(f"adding {other} embeddings") == 1
    assert reader.chunks.metadata["newsrag_embedding_backend"] == mine
    hits = reader.dense_search(any_store.embeddings.embed_query("threat from Russia"), 2)
    assert hits[0][0].article_id == "nato"  # the collection still searches (cosine HNSW kept)
    reader.close()
