"""The Timeline tab in a real browser: ``newsrag chat`` over a temporary home holding one small
story (a ferry strike told by two outlets over two weeks) and two articles about other things.

A reader opens the Timeline tab beside Sources, names the story and gets its events in date order,
each with a one-line summary, its outlets and citation links; the unrelated articles stay out. The
page is saved to ``docs/img/timeline.png`` (the screenshot in docs/stories.md).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests._processes import chat_server
from tests.test_ui_browser import chromium  # noqa: F401  (chromium: the browser fixture)

pytestmark = [pytest.mark.slow, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[1]
SCREENSHOT = REPO / "docs" / "img" / "timeline.png"
ARTIFACTS = REPO / "test-artifacts" / "ui"
STORY = "Port Ellery ferry strike"
# Test articles written for newsrag (a made-up town): the story's five, oldest first, and two others.
ARTICLES = [
    ("2024-03-01", "harbourpost.example", "Port Ellery ferry crews vote to strike over rosters",
     "Port Ellery ferry crews voted on Friday to strike from Monday over new rosters, their union "
     "said. The ferry company said the rosters were needed to keep the island route running."),
    ("2024-03-04", "harbourpost.example", "Ferry strike halts Port Ellery crossings",
     "The Port Ellery ferry strike began on Monday and no boats crossed to the island. Islanders "
     "queued for a small water taxi while the ferry company called the strike unnecessary."),
    ("2024-03-04", "coastnews.example", "Port Ellery islanders stranded as ferry strike starts",
     "Hundreds of islanders were stranded on Monday as the Port Ellery ferry strike started. Shops "
     "on the island said deliveries of fresh food had stopped."),
    ("2024-03-09", "coastnews.example", "Talks open to end the Port Ellery ferry strike",
     "The union and the ferry company met on Saturday for the first talks since the Port Ellery "
     "ferry strike began. A mediator said both sides would meet again next week."),
    ("2024-03-14", "harbourpost.example", "Deal ends Port Ellery ferry strike after ten days",
     "The Port Ellery ferry strike ended on Thursday after the union accepted a deal on rosters and "
     "pay. The first ferry of the morning crossed to the island full of passengers."),
    ("2024-03-05", "coastnews.example", "Orchard fair returns to the valley",
     "The valley orchard fair returns this weekend with cider tastings, a tractor parade and a "
     "pie contest judged by the mayor."),
    ("2024-03-12", "harbourpost.example", "Library extends opening hours for exam season",
     "The town library will open until ten in the evening during the exam season, the council "
     "said, after students asked for more quiet places to study."),
]  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, chromium: Any) -> Iterator[str]:  # noqa: F811
    """``newsrag chat`` (extractive) over a fresh home holding the articles above."""
    home = tmp_path_factory.mktemp("timeline-home")
    corpus = home / "story.jsonl"
    corpus.write_text(
        "".join(
            json.dumps({"id": f"pe{i}", "published": day, "source": src, "title": title, "text": text,
                        "url": f"https://{src}/{i}"}) + "\n"
            for i, (day, src, title, text) in enumerate(ARTICLES)
        )
    )  # fmt: skip
    with chat_server(home, ingest=corpus) as url:
        yield url


def test_timeline_tab_shows_the_story_as_dated_events(server: str, chromium: Any) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page = chromium.new_page(viewport={"width": 1280, "height": 760})
    page.goto(server)
    page.get_by_role("tab", name="Timeline").click()
    box = page.locator("#nr-timeline-query textarea, #nr-timeline-query input").first
    box.fill(STORY)
    page.locator("#nr-timeline-go").click()
    events = page.locator("#nr-timeline li.nr-event")
    expect(events.first).to_be_visible(timeout=120_000)

    days = [e.get_attribute("data-date") for e in events.all()]
    assert days == sorted(days) and days[0] == "2024-03-01" and days[-1] == "2024-03-14"
    assert len(days) >= 3
    heads = page.locator("#nr-timeline .nr-event-head").all_inner_texts()
    assert any("coastnews.example" in h and "harbourpost.example" in h for h in heads)  # Mar 4: both
    summaries = page.locator("#nr-timeline p.nr-event-summary").all_inner_texts()
    assert all("[" in s for s in summaries)  # every event cites its articles
    assert "ended" in summaries[-1] or "Deal" in summaries[-1]
    titles = page.locator("#nr-timeline li.nr-tl-article").all_inner_texts()
    assert len(titles) == 5 and not any("orchard" in t.lower() or "library" in t.lower() for t in titles)

    # the picture in docs/stories.md: refreshed on request only (a test run leaves docs/ as it is)
    shot = SCREENSHOT if os.environ.get("NEWSRAG_UPDATE_SCREENSHOT") else ARTIFACTS / "timeline.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), type="png")
    Image.open(shot).convert("RGB").quantize(colors=64).save(shot, optimize=True)  # small

    # a citation link goes to its article in the list below the events
    page.locator("#nr-timeline a.nr-tl-cite").last.click()
    expect(page.locator("#nr-tl-a5")).to_be_in_viewport()
    page.close()
