"""The chat's Watches panel: each watch with its latest digest, escaped, and a hint when there is none."""

from __future__ import annotations

from pathlib import Path

from ingest.feedstate import FeedState, state_path
from ui.watches import watches_html


def test_the_panel_lists_each_watch_with_its_latest_digest(tmp_path: Path) -> None:
    assert "No watches yet" in watches_html(tmp_path, "news")
    assert not state_path(tmp_path, "news").exists(), "the panel only reads"
    state = FeedState(state_path(tmp_path, "news"))
    state.add_watch("trams", "new <tram> lines", "", 100.0)
    state.add_watch("quiet", "nothing happens here", "", 100.0)
    item = {
        "summary": "The Riverside line carried its first passengers.",
        "article_id": "feed#t1",
        "title": "Riverside tram line opens",
        "published": "2025-01-06",
        "source": "Town News",
        "url": "https://town.example/tram",
    }
    state.record_digest(
        "trams", {"name": "trams", "made": "2025-01-06T09:00:00+00:00", "items": [item]}, 200.0
    )
    state.close()
    html = watches_html(tmp_path, "news")
    assert "new &lt;tram&gt; lines" in html and "<tram>" not in html
    assert "The Riverside line carried its first passengers." in html
    assert "href='https://town.example/tram'" in html and "Town News, 2025-01-06" in html
    assert "digest of 2025-01-06 09:00 UTC" in html
    quiet = html.split("quiet")[1].split("trams")[0]
    assert "Nothing matched yet." in quiet
