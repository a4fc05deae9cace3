"""The story and claim commands end to end through the CLI: ``timeline`` and ``brief`` with their
``--since/--until/--source`` window, and ``eval stories``/``eval claims`` ingesting a corpus into
its own eval collection first. The corpus is a made-up flood story told in three reports."""

from __future__ import annotations

import json
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli import app
from eval.options import corpus_collection
from rag import NewsRAG, Settings

REPORTS = [
    ("flood-1", "2024-03-01", "Riverton Wire", "Flood in Riverton as the Ash river bursts its banks",
     "The Ash river burst its banks in Riverton on Friday after two days of heavy rain, flooding about "
     "40 homes near the old mill, the town council said."),
    ("flood-2", "2024-03-03", "Valley Post", "Riverton flood: 200 people moved to shelters",
     "About 200 people spent Sunday night in shelters in Riverton as the flood spread to 120 homes, "
     "the council said, and the school on Mill Lane was closed."),
    ("flood-3", "2024-03-06", "Riverton Wire", "Riverton flood waters recede and the clean-up begins",
     "Flood waters in Riverton fell on Wednesday and residents began clearing mud from 120 homes; "
     "the council said the school would reopen on Monday."),
    ("concert", "2024-03-02", "Valley Post", "Lakeside orchestra opens its spring season",
     "The Lakeside orchestra opened its spring season on Saturday with a programme of Dvorak and "
     "Sibelius, and tickets for the rest of the month are sold out."),
]  # fmt: skip


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "riverton.jsonl"
    rows = [{"id": i, "published": d, "source": s, "title": t, "text": x} for i, d, s, t, x in REPORTS]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> Path:
    """A state folder whose default collection holds the corpus."""
    home = tmp_path_factory.mktemp("home")
    ingested = _run("ingest", str(corpus), "--json", "--no-progress", "--home", str(home))
    assert ingested["added"] == len(REPORTS)
    return home


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def _run(*args: str) -> dict[str, Any]:
    result = _invoke(*args)
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.stdout)
    return out


def _articles(home: Path, collection: str) -> int:
    with closing(NewsRAG(Settings(home=home, collection=collection))) as rag:
        return rag.stats().articles


def test_timeline_keeps_the_story_in_date_order_within_its_window(home: Path) -> None:
    whole = _run("timeline", "Riverton flood", "--json", "--home", str(home))
    ids = [a["article_id"] for a in whole["articles"]]
    assert set(ids) >= {"flood-1", "flood-2", "flood-3"} and "concert" not in ids
    dates = [e["date"] for e in whole["events"]]
    assert dates == sorted(dates) and dates[0] == "2024-03-01"
    window = _run("timeline", "Riverton flood", "--since", "2024-03-02", "--until", "2024-03-04",
                  "--json", "--home", str(home))  # fmt: skip
    assert [a["article_id"] for a in window["articles"]] == ["flood-2"]
    assert (window["since"], window["until"]) == ("2024-03-02", "2024-03-04")
    wire = _run("timeline", "Riverton flood", "--source", "Riverton Wire", "--json", "--home", str(home))
    assert {a["article_id"] for a in wire["articles"]} == {"flood-1", "flood-3"}
    text = _invoke("timeline", "Riverton flood", "--home", str(home)).stdout
    assert "2024-03-01" in text and "[1] Flood in Riverton" in text and "Riverton Wire" in text


def test_a_window_flag_that_is_not_a_date_is_a_usage_error(home: Path) -> None:
    for command in ("timeline", "brief"):
        bad = _invoke(command, "Riverton flood", "--since", "March 2024", "--home", str(home))
        assert bad.exit_code == 2 and "--since" in bad.output
    bad = _invoke("ask", "How many homes flooded?", "--until", "2024-02-30", "--home", str(home))
    assert bad.exit_code == 2 and "--until" in bad.output
    # brief has no --until: its window is "since" (what happened from then on)
    assert _invoke("brief", "Riverton flood", "--until", "2024-03-04", "--home", str(home)).exit_code == 2


def test_brief_gives_cited_bullets_newest_first(home: Path) -> None:
    out = _run("brief", "Riverton flood", "--json", "--home", str(home))
    dates = [b["date"] for b in out["bullets"]]
    assert dates == sorted(dates, reverse=True) and dates[0] == "2024-03-06"
    later = _run("brief", "Riverton flood", "--since", "2024-03-03", "--json", "--home", str(home))
    assert all(b["date"] >= "2024-03-03" for b in later["bullets"])
    empty = _invoke("timeline", "Riverton flood", "--since", "2025-01-01", "--home", str(home))
    assert empty.exit_code == 0 and "No articles about 'Riverton flood'" in empty.stdout


def test_eval_stories_ingests_the_corpus_into_its_own_collection(corpus: Path, tmp_path: Path) -> None:
    stories = tmp_path / "stories.jsonl"
    story = {"id": "flood", "query": "Riverton flood", "article_ids": ["flood-1", "flood-2", "flood-3"]}
    stories.write_text(json.dumps(story) + "\n", encoding="utf-8")
    home = tmp_path / "home"
    for _ in range(2):  # the second run reuses the collection the first one filled
        report = _run("eval", "stories", str(stories), "--corpus", str(corpus), "--json", "--home", str(home))
        assert report["recall"] == 1.0 and report["stories"] == 1
    own = corpus_collection(corpus, Settings(home=home))
    assert _articles(home, own) == len(REPORTS)
    named = "mine"
    args = ("--corpus", str(corpus), "--json", "--home", str(home), "--collection", named)
    assert _run("eval", "stories", str(stories), *args)["recall"] == 1.0
    assert _articles(home, named) == len(REPORTS)
    missing = _invoke(
        "eval", "stories", str(stories), "--corpus", str(tmp_path / "nope.jsonl"), "--home", str(home)
    )
    assert missing.exit_code == 2 and "nope.jsonl" in missing.output


def test_eval_claims_checks_each_claim_against_its_own_article(corpus: Path, tmp_path: Path) -> None:
    claims = tmp_path / "claims.jsonl"
    rows = [
        {"id": "c1", "claim": "About 200 people spent Sunday night in shelters in Riverton.",
         "article_id": "flood-2", "label": "supported", "kind": "supported"},
        {"id": "c2", "claim": "About 900 people spent Sunday night in shelters in Riverton.",
         "article_id": "flood-2", "label": "contradicted", "kind": "number"},
        {"id": "c3", "claim": "The orchestra opened its season on Saturday.",
         "article_id": "not-in-the-corpus", "label": "supported", "kind": "supported"},
    ]  # fmt: skip
    claims.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = _run("eval", "claims", str(claims), "--corpus", str(corpus), "--json", "--home", str(tmp_path))
    assert report["n"] == 2 and report["skipped"] == ["c3"]
    assert report["kinds"]["supported"]["caught"] == 1.0 and report["kinds"]["number"]["caught"] == 1.0
