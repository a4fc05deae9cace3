"""Hybrid, time-aware retrieval on a small real store (real Chroma, real MiniLM, real FTS5)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from langchain_core.documents import Document

from rag._dates import time_scope
from rag._fusion import recency_weight, rrf
from rag._query import content_words
from rag.errors import EmptyStoreError, ModelError
from rag.question import Query
from rag.records import chunk_id
from rag.retrieval import HybridRetriever, NewsRetriever
from rag.store import KeywordIndex, NewsStore
from tests.answering_data import build_store

FILLER = (
    "Council members discussed the municipal budget, pensions, street lighting and school repairs at length. "
)
ARTICLES = [
    {
        "id": "tram-2024",
        "title": "Riverton opens its new tram line",
        "text": "The city of Riverton opened its new tram line on Monday. Trams run every seven minutes "
        "between the central station and the university campus.",
        "published": "2024-03-04",
        "source": "Riverton Wire",
    },
    {
        "id": "tram-2023",
        "title": "Riverton tram line work starts",
        "text": "Work on the Riverton tram line started on Tuesday. The tram line will link the central "
        "station and the university campus.",
        "published": "2023-01-10",
        "source": "City Herald",
    },
    {
        "id": "tram-future",
        "title": "Riverton tram line carries its millionth rider",
        "text": "The Riverton tram line carried its millionth rider, officials said on Friday.",
        "published": "2024-06-01",
        "source": "Riverton Wire",
    },
    {
        "id": "zxq",
        "title": "Chess festival draws players",
        "text": "Grandmaster Zxqvilda Moratanu won the open chess festival in the old town hall on Sunday.",
        "published": "2024-02-26",
        "source": "City Herald",
    },
    {
        "id": "council",
        "title": "Council meeting runs late over the budget",
        "text": " ".join(
            f"Part {i}: the council debated the tram budget again. {FILLER * 6}" for i in range(8)
        ),
        "published": "2024-03-01",
        "source": "City Herald",
    },
    {
        "id": "space",
        "title": "Probe launched towards Jupiter",
        "text": "A space probe was launched towards Jupiter and its icy moons on Friday.",
        "published": "2024-03-02",
        "source": "Science Daily",
    },
]


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory, embeddings) -> Iterator[NewsStore]:  # type: ignore[no-untyped-def]
    records = tmp_path_factory.mktemp("town") / "town.jsonl"
    records.write_text("\n".join(json.dumps(a) for a in ARTICLES), encoding="utf-8")
    store = build_store(tmp_path_factory.getbasetemp(), "town", [records], embeddings)
    yield store
    store.close()


def _articles(found) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.article_id for h in found.articles]


# ---- reading the question ------------------------------------------------------------------------


def test_time_scope_reads_relative_and_explicit_dates() -> None:
    asked = date(2022, 6, 16)
    week = time_scope("Which show was renewed this week?", asked)
    assert (week.since, week.until, week.recent) == (date(2022, 6, 9), asked, True)
    assert time_scope("What happened last month?", asked).since == date(2022, 4, 15)
    assert time_scope("Who won the vote yesterday?", asked).since == date(2022, 6, 14)
    june = time_scope("What did the Fed do in June 2022?", None)
    assert (june.since, june.until) == (date(2022, 6, 1), date(2022, 6, 30))
    assert time_scope("What was decided in 2021?", asked).until == date(2021, 12, 31)
    recent = time_scope("What did the president recently announce?", None)
    assert recent.recent and recent.since is None
    plain = time_scope("Who is the prime minister of Japan?", asked)
    assert not plain.recent and plain.since is None


def test_content_words_drop_function_and_time_words() -> None:
    assert content_words("What did Stoltenberg's NATO say this week about the Balkans?") == [
        "stoltenberg",
        "nato",
        "balkans",
    ]


def test_rrf_and_recency_weight() -> None:
    fused = rrf([(["a", "b", "c"], 1.0), (["c", "a"], 1.0)], k=60)
    assert sorted(fused, key=lambda x: -fused[x]) == ["a", "c", "b"]
    anchor = date(2024, 3, 4)
    assert recency_weight(date(2024, 3, 1), anchor, 7, 30) == 1.0
    assert recency_weight(date(2024, 1, 27), anchor, 7, 30) == pytest.approx(0.5)  # 30 days past the window
    assert recency_weight(None, anchor, 7, 30) == 0.5


# ---- searching -----------------------------------------------------------------------------------


def test_empty_store_raises_with_the_ingest_command(store: NewsStore) -> None:
    with pytest.raises(EmptyStoreError, match="newsrag ingest"):
        HybridRetriever(store).search("anything")


def test_as_of_excludes_later_articles_and_prefers_recent_ones(town: NewsStore) -> None:
    r = HybridRetriever(town, k=10)
    found = r.search(Query("Riverton tram line", as_of=date(2024, 3, 5)))
    ids = _articles(found)
    assert "tram-future" not in ids
    assert ids.index("tram-2024") < ids.index("tram-2023")
    assert found.anchor == date(2024, 3, 5)
    without = _articles(r.search("Riverton tram line"))
    assert "tram-future" in without


def test_an_archive_question_without_as_of_applies_no_recency(town: NewsStore) -> None:
    """The collection ends long before today: its newest week is not the week "recently" means, so
    the time word changes nothing (the old rule anchored at the newest match and ranked worse)."""
    r = HybridRetriever(town, k=10)
    found = r.search("What happened recently with the Riverton tram line?")
    assert found.anchor is None and not found.widened
    assert _articles(found) == _articles(r.search("What happened with the Riverton tram line?"))


def test_dates_and_sources_named_in_the_question_filter(town: NewsStore) -> None:
    r = HybridRetriever(town, k=10)
    march = r.search("What happened with the tram line in March 2024?")
    assert (march.filters.since, march.filters.until) == (date(2024, 3, 1), date(2024, 3, 31))
    assert set(_articles(march)) <= {"tram-2024", "council", "space"} and not march.widened
    assert march.search_scope().phrases == ("in March 2024",)
    herald = r.search("What did the City Herald report about the tram line?")
    assert herald.filters.sources == ("City Herald",)
    assert {h.passages[0].source for h in herald.articles} == {"City Herald"}
    empty = r.search("What happened with the tram line in May 2020?")
    assert empty.widened and empty.filters.since is None
    assert empty.search_scope().to_dict() == {
        "since": None,
        "until": None,
        "sources": [],
        "from": ["in May 2020"],
        "widened": True,
    }
    plain = r.search(Query("What happened with the tram line in March 2024?", read_scope=False))
    assert plain.filters.since is None and "tram-2023" in _articles(plain)


def test_excluded_articles_are_never_found(town: NewsStore) -> None:
    found = HybridRetriever(town, k=10).search(Query("Riverton tram line", excluded_ids=("tram-2024",)))
    assert "tram-2024" not in _articles(found) and "tram-2023" in _articles(found)


def test_question_date_range_filters_and_widens_when_empty(town: NewsStore) -> None:
    r = HybridRetriever(town, k=10)
    week = r.search(Query("Which tram line opened this week?", as_of=date(2024, 3, 5)))
    assert not week.widened
    assert set(_articles(week)) <= {"tram-2024", "council", "space", "zxq"}
    assert week.filters.since == date(2024, 2, 27)
    none_that_week = r.search(Query("Which tram line opened this week?", as_of=date(2023, 8, 1)))
    assert none_that_week.widened
    assert _articles(none_that_week)[0] == "tram-2023"


def test_filters_by_source_dates_and_ids(town: NewsStore) -> None:
    r = HybridRetriever(town, k=10)
    herald = _articles(r.search(Query("tram line", sources=("City Herald",))))
    assert set(herald) <= {"tram-2023", "council", "zxq"}
    dated = _articles(r.search(Query("tram line", since=date(2024, 3, 3), until=date(2024, 3, 31))))
    assert dated == ["tram-2024"]
    assert _articles(r.search(Query("tram line", article_ids=["space"]))) == ["space"]


def test_a_filter_the_pool_misses_still_finds_its_articles(town: NewsStore) -> None:
    """With a pool of 2 nearest chunks, a filter to an unrelated article admits none of them: the
    filtered search must run instead, for the dense and the keyword ranking alike."""
    r = HybridRetriever(town, k=10, fetch_k=2, pool_factor=1, min_pool_hits=1)
    found = r.search(Query("tram line", article_ids=["space"]))
    assert _articles(found) == ["space"]
    assert found.passages[0].dense_rank == 1
    assert _articles(r.search(Query("Jupiter probe", sources=("City Herald",), until=date(2024, 3, 5))))


def test_pool_filtering_matches_filtered_search(town: NewsStore) -> None:
    """The pool (every chunk here) filtered in memory gives what Chroma's filtered search gives."""
    r = HybridRetriever(town, k=10, hybrid=False, recency_window_days=None)
    for kwargs in ({"until": date(2024, 3, 2)}, {"sources": ["Riverton Wire"]}, {"since": date(2024, 3, 1)}):
        pooled = r.search(Query("Riverton tram line", **kwargs))  # type: ignore[arg-type]
        exact = town.dense_search(town.embeddings.embed_query("Riverton tram line"), 40, pooled.filters)
        assert [c for c in pooled.similarity] == [p.chunk_id for p, _ in exact]


def _index(path: Path, rows: list[tuple[str, int, str, str, str]], **options: Any) -> KeywordIndex:
    index = KeywordIndex(path, **options)
    index.replace({row[0].split("#")[0]: ("h", [row]) for row in rows})
    return index


def test_keyword_search_leaves_out_terms_most_chunks_hold(tmp_path: Path) -> None:
    rows = [(chunk_id(f"a{i}", 0), 1, "s", "Council", f"The council met on day {i}.") for i in range(9)]
    rows += [(chunk_id(f"b{i}", 0), 1, "s", "Ferry", f"The ferry sailed on day {i}.") for i in range(10)]
    rows.append((chunk_id("rare", 0), 1, "s", "Zxq", "Zxq spoke."))
    index = _index(tmp_path / "kw.sqlite3", rows, common_fraction=0.3, common_floor=0)
    assert [cid for cid, _ in index.search(["council", "zxq"], 20)] == ["rare#0"]  # council: 9 of 20
    assert len(index.search(["council"], 20)) == 9  # every term common: all are kept
    assert len(index.search(["council", "nowhere"], 20)) == 9  # nor is a word found nowhere left alone
    small = KeywordIndex(tmp_path / "kw.sqlite3", common_fraction=0.3)  # under the floor: none left out
    assert len(small.search(["council", "zxq"], 20)) == 10
    small.close()
    index.delete([f"a{i}" for i in range(6)])  # council now in 3 of 14 chunks: no longer common
    assert {cid for cid, _ in index.search(["council", "zxq"], 20)} == {"rare#0", "a6#0", "a7#0", "a8#0"}
    index.close()


def test_a_hit_on_words_nearly_every_chunk_holds_is_no_evidence(tmp_path: Path) -> None:
    """In a small store no term is left out as common, but one that most chunks hold scores next to
    nothing beside a real match: a chunk matching only such words then takes no keyword rank (it
    would tie the real matches in the fusion)."""
    rows = [(chunk_id(f"n{i}", 0), 1, "s", "NATO", f"Russia was discussed, point {i}.") for i in range(4)]
    rows.append((chunk_id("pm", 0), 1, "s", "NATO", "Russia's influence exists, the prime minister said."))
    index = _index(tmp_path / "kw.sqlite3", rows)
    assert [cid for cid, _ in index.search(["russia", "influence"], 10)] == ["pm#0"]
    assert len(index.search(["russia"], 10)) == 5  # alone, it is all there is to rank by
    index.close()


def test_whole_articles_are_ranked_by_words_no_one_chunk_holds(tmp_path: Path) -> None:
    index = KeywordIndex(tmp_path / "kw.sqlite3", common_floor=0)
    spread = [
        (chunk_id("spread", 0), 5, "s", "Harbour", "The ferry strike began."),
        (chunk_id("spread", 1), 5, "s", "Harbour", "Dockers walked out at dawn."),
    ]
    one = [(chunk_id("one", 0), 9, "s", "Boats", "A ferry sailed.")]
    index.replace({"spread": ("h1", spread), "one": ("h2", one)})
    assert [aid for aid, _ in index.search_articles(["ferry", "dockers"], 5)] == ["spread", "one"]
    assert index.title_days(["harbour"], date(1970, 1, 1), date(1970, 1, 31)) == {date(1970, 1, 6): 1}
    index.delete(["spread"])
    assert [aid for aid, _ in index.search_articles(["ferry", "dockers"], 5)] == ["one"]
    index.close()


def test_an_index_made_before_the_article_table_fills_it_from_its_chunks(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE VIRTUAL TABLE chunks USING fts5(chunk_id UNINDEXED, article_id UNINDEXED,
            published_day UNINDEXED, source UNINDEXED, title, text, tokenize = 'porter');
        CREATE TABLE synced(article_id TEXT PRIMARY KEY, content_hash TEXT NOT NULL);
        INSERT INTO chunks VALUES ('a#0', 'a', 3, 's', 'Ferry strike', 'The strike began.');
        INSERT INTO chunks VALUES ('a#1', 'a', 3, 's', 'Ferry strike', 'Dockers walked out.');
        """
    )
    db.commit()
    db.close()
    index = KeywordIndex(path, common_floor=0)
    assert index.search_articles(["strike", "dockers"], 5)[0][0] == "a"
    index.close()


def test_an_event_the_question_dates_by_is_dated_by_the_articles_about_it(town: NewsStore) -> None:
    r = HybridRetriever(town, k=10)
    found = r.search(Query("What has happened on the tram line since the opening?", as_of=date(2024, 6, 30)))
    assert found.filters.since == date(2024, 3, 4)  # "Riverton opens its new tram line"
    assert found.search_scope().phrases == ("since the opening",)
    assert set(_articles(found)) == {"tram-2024", "tram-future"}
    unknown = r.search(Query("What has happened on the tram line since the flood?", as_of=date(2024, 6, 30)))
    assert unknown.filters.since is None and "tram-2023" in _articles(unknown)


def test_one_long_article_cannot_fill_every_slot(town: NewsStore) -> None:
    found = HybridRetriever(town, k=5, max_per_article=2).search("council tram budget debate")
    per_article: dict[str, int] = {}
    for p in found.passages:
        per_article[p.article_id] = per_article.get(p.article_id, 0) + 1
    assert per_article.get("council", 0) == 2
    assert len(per_article) >= 3
    council = [p for p in found.passages if p.article_id == "council"]
    assert council[0].position == 0  # the lede comes with the article's best passage
    assert len(town.article_chunks("council")) > 2


def test_keyword_search_finds_a_rare_name_dense_alone_misses(town: NewsStore) -> None:
    hybrid = HybridRetriever(town, k=3).search("Zxqvilda Moratanu")
    assert _articles(hybrid)[0] == "zxq"
    top = hybrid.passages[0]
    assert top.keyword_rank == 1 and top.score > 0


def test_langchain_retriever_returns_documents(town: NewsStore) -> None:
    retriever = NewsRetriever(retriever=HybridRetriever(town), k=2, as_of=date(2024, 3, 5))
    docs = retriever.invoke("Riverton tram line")
    assert len(docs) == 2 and all(isinstance(d, Document) for d in docs)
    assert docs[0].metadata["article_id"] == "tram-2024"
    assert docs[0].metadata["published"] == "2024-03-04"
    assert docs[0].page_content.startswith("The city of Riverton opened")
    batch = retriever.batch(["tram", "chess festival"])
    assert batch[1][0].metadata["article_id"] == "zxq"


def test_reranker_path_must_exist(town: NewsStore, tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        HybridRetriever(town, reranker_path=tmp_path / "nope").search("tram")


def test_reranker_reorders_with_a_local_cross_encoder(town: NewsStore, tmp_path: Path) -> None:
    from sentence_transformers import CrossEncoder

    from rag.embeddings import model_path

    # No cross-encoder weights ship here: a MiniLM with a fresh scoring head exercises the plumbing.
    CrossEncoder(str(model_path()), num_labels=1, device="cpu").save(str(tmp_path / "ce"))
    plain = HybridRetriever(town, k=10).search("Riverton tram line")
    reranked = HybridRetriever(town, k=10, reranker_path=tmp_path / "ce", rerank_top=3).search(
        "Riverton tram line"
    )
    assert set(_articles(reranked)[:3]) == set(_articles(plain)[:3])
    assert _articles(reranked)[3:] == _articles(plain)[3:]
    assert reranked.articles[0].score > plain.articles[0].score  # scores now come from the reranker
