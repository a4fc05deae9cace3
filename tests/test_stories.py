"""Story timelines and briefings: grouping into events, summaries, briefings, the story set's scoring,
and (data) the Hurricane Ian timeline over a small store of real articles."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from eval.stories import LabelledStory, load_stories, score_timeline
from rag import InputError, read_brief_request
from rag.briefing import build_briefing, rewrite_bullets
from rag.stories import Event, StoryArticle, Timeline, group_events, summarize
from ui.timeline import timeline_html


def _article(aid: str, day: str, opening: str, title: str = "") -> StoryArticle:
    return StoryArticle(
        article_id=aid,
        title=title or opening.split(".")[0],
        published=date.fromisoformat(day),
        source="example.org",
        url=f"https://example.org/{aid}",
        relevance=1.0,
        cover=1.0,
        opening=opening,
    )


def _vec(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


LANDFALL = "The storm made landfall in Florida on Wednesday with winds of 150 mph."
LANDFALL_2 = "The hurricane made landfall in Florida with winds near 150 mph, officials said."
TOLL = "The death toll from the storm in Florida rose to 76 on Sunday as rescuers searched homes."
TOLL_2 = "Florida officials said the death toll rose past 100 as crews searched flooded homes."


def test_adjacent_similar_articles_form_one_event_and_far_ones_another() -> None:
    arts = [
        _article("a", "2022-09-28", LANDFALL),
        _article("b", "2022-09-29", LANDFALL_2),
        _article("c", "2022-10-02", TOLL),
        _article("d", "2022-10-03", TOLL_2),
    ]
    vecs = {"a": _vec(1, 0.1, 0), "b": _vec(1, 0.2, 0), "c": _vec(0.1, 1, 0), "d": _vec(0.2, 1, 0)}
    events = group_events(arts, vecs)
    assert [e.article_ids for e in events] == [["a", "b"], ["c", "d"]]
    assert [e.date for e in events] == [date(2022, 9, 28), date(2022, 10, 2)]
    assert events[0].end == date(2022, 9, 29)


def test_same_day_but_unrelated_articles_are_separate_events() -> None:
    arts = [_article("a", "2022-09-28", LANDFALL), _article("b", "2022-09-28", TOLL)]
    events = group_events(arts, {"a": _vec(1, 0, 0), "b": _vec(0, 0, 1)})
    assert sorted(e.article_ids for e in events) == [["a"], ["b"]]


def test_a_gap_of_days_splits_even_similar_articles() -> None:
    arts = [_article("a", "2022-09-20", LANDFALL), _article("b", "2022-09-28", LANDFALL_2)]
    events = group_events(arts, {"a": _vec(1, 0, 0), "b": _vec(1, 0, 0)})
    assert len(events) == 2


def test_summary_is_the_sentence_the_event_shares_most() -> None:
    odd = "Boilerplate about a newsletter nobody needs to read today at all."
    arts = [
        _article("a", "2022-09-28", f"{odd} {LANDFALL}", title="Storm makes landfall in Florida"),
        _article("b", "2022-09-28", LANDFALL_2, title="Hurricane landfall in Florida with 150 mph winds"),
    ]
    text, source = summarize(arts)
    assert text in (LANDFALL, LANDFALL_2)
    assert source == ("a" if text == LANDFALL else "b")


def _timeline() -> Timeline:
    arts = [
        _article("a", "2022-09-28", LANDFALL),
        _article("c", "2022-10-02", TOLL),
        _article("d", "2022-10-04", TOLL_2),
    ]
    events = [
        Event(a.published, a.published, a.opening, a.article_id, (a,)) for a in arts
    ]  # one event per article
    return Timeline(query="the storm", events=events, articles=arts)


def test_briefing_is_newest_first_with_what_changed() -> None:
    brief = build_briefing(_timeline(), min_bullets=1)
    assert [b.date for b in brief.bullets] == [date(2022, 10, 4), date(2022, 10, 2), date(2022, 9, 28)]
    newest = brief.bullets[0]
    assert newest.numbers == (3,)
    assert newest.previous == date(2022, 10, 2)
    assert "100" in newest.changed  # the new figure, absent from the previous report
    assert brief.bullets[-1].previous is None and "(first report)" in brief.text
    assert brief.text.splitlines()[0].startswith("- **2022-10-04**")


def test_a_digests_other_items_are_not_what_changed_in_the_story() -> None:
    """A morning digest names the storm in its title, but its opening is about other news: none of
    those sentences is the storm's "what changed"; a story article's new figure still is."""
    digest = _article(
        "z", "2022-10-05",
        "Markets in Asia opened lower after a volatile week for technology shares. Voters in the "
        "capital queued for hours to cast ballots in the runoff election on Tuesday.",
        title="Five things to know: the storm, markets, a runoff",
    )  # fmt: skip
    arts = [*_timeline().articles, digest]
    events = [Event(a.published, a.published, a.opening, a.article_id, (a,)) for a in arts]
    brief = build_briefing(Timeline(query="the storm", events=events, articles=arts), min_bullets=1)
    newest, story = brief.bullets[0], brief.bullets[1]
    assert newest.numbers == (4,) and newest.changed == ""
    assert "100" in story.changed


def test_briefing_since_keeps_later_developments_and_compares_with_the_one_before() -> None:
    brief = build_briefing(_timeline(), since=date(2022, 10, 1), min_bullets=1)
    assert [b.date for b in brief.bullets] == [date(2022, 10, 4), date(2022, 10, 2)]
    assert brief.bullets[-1].previous == date(2022, 9, 28)


def test_briefing_of_nothing_says_so() -> None:
    empty = Timeline(query="nothing", events=[], articles=[])
    assert "nothing on 'nothing'" in build_briefing(empty).text


def test_a_digest_is_summarised_by_its_sentence_about_the_story() -> None:
    digest = _article(
        "g",
        "2022-09-28",
        "Stocks fell sharply on Tuesday as traders sold bank shares. "
        "Lawmakers argued about the budget late into the night again. "
        "The Mars rover sent back new pictures of an old river bed. "
        "Hurricane Ian made landfall in Florida as a Category 4 storm on Wednesday.",
        title="Stocks, budget, Mars: your morning digest",
    )
    text, source = summarize([digest], {"hurrican", "ian"})
    assert text.startswith("Hurricane Ian made landfall") and source == "g"
    assert summarize([digest])[0].startswith("Stocks fell")  # no story name: the first sentences


def test_timeline_json_numbers_citations_by_date() -> None:
    out = json.loads(json.dumps(_timeline().to_dict()))
    assert set(out) >= {"query", "events", "articles"}
    assert [e["date"] for e in out["events"]] == ["2022-09-28", "2022-10-02", "2022-10-04"]
    first = out["events"][0]
    assert set(first) >= {"date", "summary", "article_ids", "citations"}
    assert first["summary"] == LANDFALL and first["article_ids"] == ["a"]
    assert [c["n"] for e in out["events"] for c in e["citations"]] == [1, 2, 3]
    assert [a["article_id"] for a in out["articles"]] == ["a", "c", "d"]


def test_timeline_html_lists_events_in_date_order_escaped_with_links() -> None:
    tl = _timeline()
    tl.query = "<b>storm</b>"
    page = timeline_html(tl)
    assert "<b>storm</b>" not in page and "&lt;b&gt;storm&lt;/b&gt;" in page
    days = [page.index(f'data-date="{d}"') for d in ("2022-09-28", "2022-10-02", "2022-10-04")]
    assert days == sorted(days)
    assert 'href="#nr-tl-a3">[3]</a>' in page and 'id="nr-tl-a3"' in page
    assert "No articles about" in timeline_html(Timeline(query="x", events=[], articles=[]))


def test_a_model_rewrites_the_bullets_and_a_line_it_drops_stays_extractive() -> None:
    brief = build_briefing(_timeline(), min_bullets=1)
    reply = "1. Florida's death toll passed 100 as crews kept searching.\n3. " + "word " * 60
    model = FakeListChatModel(responses=[reply])
    written = rewrite_bullets(brief, model, "local")
    assert written.backend == "local" and written.to_dict()["backend"] == "local"
    assert written.bullets[0].summary == "Florida's death toll passed 100 as crews kept searching."
    assert written.bullets[0].numbers == brief.bullets[0].numbers  # citations are the articles'
    assert brief.bullets[0].changed == brief.bullets[0].summary  # the summary was the news ...
    assert written.bullets[0].text().endswith("(new since 2022-10-02)")  # ... and still is
    assert [b.summary for b in written.bullets[1:]] == [b.summary for b in brief.bullets[1:]]
    assert [b.date for b in written.bullets] == [b.date for b in brief.bullets]


def test_a_briefing_as_a_chat_answer_cites_the_sentences_it_quotes() -> None:
    answer = build_briefing(_timeline(), min_bullets=1).as_answer()
    assert answer.text.startswith("• 2022-10-04:") and not answer.abstained
    assert [c.n for c in answer.citations] == [1, 2, 3]
    assert answer.citations[2].quote == TOLL_2  # the bullet's summary, found in the article


def test_brief_requests_are_read_with_their_date() -> None:
    today = date(2022, 11, 1)
    assert read_brief_request("Brief me on Hurricane Ian since October 1", today) == (
        "Hurricane Ian",
        date(2022, 10, 1),
    )
    assert read_brief_request("catch me up on the Artemis launch?", today) == ("the Artemis launch", None)
    assert read_brief_request("What did Stoltenberg say?", today) is None


def test_score_timeline_counts_related_articles_as_neither() -> None:
    tl = _timeline()
    story = LabelledStory("s", "the storm", article_ids=("a", "c", "x"), related_ids=("d",))
    row = score_timeline(story, tl)
    assert row["recall"] == pytest.approx(2 / 3, abs=1e-3)  # a, c of a, c, x
    assert row["precision"] == 1.0  # d is related: not counted against it
    assert row["ordering"] == 1.0 and row["in_date_order"]
    assert row["missed"] == ["x"]


def test_story_set_errors_name_the_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "stories.jsonl"
    path.write_text('{"id": "a", "query": "Q", "article_ids": ["x"]}\n{"id": "b", "query": "Q"}\n')
    with pytest.raises(InputError, match=r"stories\.jsonl:2.*article_ids"):
        load_stories(path)


def test_the_dev_story_set_holds_ten_multi_week_stories() -> None:
    stories = load_stories(Path(__file__).resolve().parents[1] / "eval" / "sets" / "stories-dev.jsonl")
    assert len(stories) >= 10
    assert all(len(s.article_ids) >= 4 for s in stories)


IAN = [
    "01b2536c060a", "279132b03340", "e6a0c5f4845a", "bbedaeffb127", "c8e658700eaf", "53bb0d150bab",
    "69d93d5fbbe7", "17ac38c6f4bf", "3002bbff8cca", "8537129c17e5", "ea8008059292", "d7ce14ad64d3",
    "6449a1f96ecd", "455a803a2992", "c78c5d407165", "b5219a8329da", "4195e628b136",
]  # fmt: skip


@pytest.mark.data
def test_hurricane_ian_timeline_over_real_articles(data_dir: Path, store: object, tmp_path: Path) -> None:
    """17 Hurricane Ian articles among 60 other articles of the same weeks: the timeline finds the
    storm's articles and lays them out as events in date order."""
    from ingest import IngestOptions, ingest
    from rag import NewsRAG, Settings

    rows = [json.loads(line) for line in (data_dir / "realtimeqa" / "corpus.jsonl").open()]
    others = [r for r in rows if "2022-09-15" <= (r.get("published") or "") <= "2022-10-15"]
    others = [r for r in others if "Ian" not in (r.get("text") or "") and r["id"] not in IAN][:60]
    path = tmp_path / "ian.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows if r["id"] in IAN) + "".join(
        json.dumps(r) + "\n" for r in others
    ))  # fmt: skip
    ingest([path], store, options=IngestOptions.from_settings(Settings()))  # type: ignore[arg-type]
    rag = NewsRAG(Settings(home=tmp_path / "unused"), store=store)  # type: ignore[arg-type]
    timeline = rag.timeline("Hurricane Ian")
    found = {a.article_id for a in timeline.articles}
    assert len(found & set(IAN)) >= 15
    assert len(found - set(IAN)) <= 2
    dates = [e.date for e in timeline.events if e.date is not None]
    assert dates == sorted(dates) and len(timeline.events) >= 4
    assert all(e.summary and e.article_ids for e in timeline.events)
    out = timeline.to_dict()
    assert set(out) >= {"query", "events", "articles"}
    assert set(out["events"][0]) >= {"date", "summary", "article_ids", "citations"}
    brief = rag.brief("Hurricane Ian", since=date(2022, 10, 1))
    assert 1 <= len(brief.bullets) <= 8
    assert all(b.date is None or b.date >= date(2022, 9, 30) for b in brief.bullets)
