"""`newsrag feeds` and `newsrag watches` end to end, through the CLI, against a loopback feed server:
a feed gains an item and drops one between polls (kept or pruned as configured), a watch on the new
item's topic lists it, and a poll of the unchanged feed gets 304 and embeds nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests._cli import run_cli
from tests.feed_server import STORIES, FeedServer, item


@pytest.fixture
def where(tmp_path: Path) -> list[str]:
    return ["--home", str(tmp_path / "home"), "--collection", "feedtest"]


def _poll(where: list[str], *extra: str) -> dict[str, dict[str, Any]]:
    code, out, err = run_cli(
        "feeds", "poll", "--once", "--json", "--no-progress", "--allow-private-urls", *extra, *where
    )
    assert code == 0, (out, err)
    return {r["url"]: r for r in json.loads(out)}


def _stored(where: list[str]) -> set[str]:
    from rag import NewsStore, Settings

    home, collection = where[1], where[3]
    store = NewsStore.from_settings(Settings(home=Path(home), collection=collection))
    try:
        return set(store.articles(refresh=True))
    finally:
        store.close()


def test_feeds_poll_keep_prune_watch_digest_and_304(where: list[str], tmp_path: Path) -> None:
    with FeedServer() as server:
        server.feeds["/pruned.xml"] = [item("p-orchard", "orchard"), item("p-chess", "chess")]
        server.feeds["/kept.xml"] = [
            item("k-library", "library"),
            item("k-chess", "chess", text=_other_chess()),
        ]
        pruned, kept = server.url("/pruned.xml"), server.url("/kept.xml")
        assert run_cli("feeds", "add", pruned, "--every", "1h", "--on-removed", "prune", *where)[0] == 0
        assert run_cli("feeds", "add", kept, "--on-removed", "keep", *where)[0] == 0
        code, out, _ = run_cli("feeds", "list", "--json", *where)
        assert code == 0 and [(f["url"], f["on_removed"]) for f in json.loads(out)] == [
            (pruned, "prune"),
            (kept, "keep"),
        ]

        first = _poll(where)
        assert {u: (r["status"], r["added"], r["removed"]) for u, r in first.items()} == {
            pruned: (200, 2, 0),
            kept: (200, 2, 0),
        }
        before = _stored(where)
        assert len(before) == 4
        hook = server.url("/hook")
        assert run_cli("watches", "add", "trams", "the new tram line", "--webhook", hook, *where)[0] == 0

        # Both feeds gain the tram story and drop their chess item; the orchard story is corrected.
        corrected = STORIES["orchard"][1] + " An earlier version misstated the start of the season."
        server.feeds["/pruned.xml"] = [item("p-orchard", "orchard", text=corrected), item("p-tram", "tram")]
        server.feeds["/kept.xml"] = [item("k-library", "library"), item("k-tram", "tram")]
        second = _poll(where, "--all")
        assert (second[pruned]["status"], second[pruned]["added"], second[pruned]["removed"]) == (200, 1, 1)
        assert second[pruned]["updated"] == 1
        assert second[pruned]["pruned"] == 1
        assert (second[kept]["status"], second[kept]["removed"], second[kept]["pruned"]) == (200, 1, 0)
        # The kept feed's tram item is the same story: stored once, as the other's alias.
        assert second[kept]["added"] == 0
        after = _stored(where)
        gone, new = before - after, after - before
        assert len(gone) == 1 and len(new) == 1  # the pruned feed's chess article left; the tram one came
        (tram_id,) = new
        assert len(before & after) == 3  # the kept feed's chess article is still there

        code, out, err = run_cli("watches", "digest", "trams", "--json", *where)
        assert code == 0, err
        digest = json.loads(out)
        assert digest["name"] == "trams" and digest["since"]
        assert [i["article_id"] for i in digest["items"]] == [tram_id]  # not the corrected orchard story
        bullet = digest["items"][0]
        assert (
            "tram" in bullet["summary"].lower()
            and bullet["title"] == "Riverside tram line opens to passengers"
        )
        assert set(bullet) == {"summary", "article_id", "title", "published", "source", "url"}
        assert [p["items"][0]["article_id"] for p in server.posted] == [tram_id]
        folder = Path(where[1]) / "digests" / "feedtest" / "trams"
        assert "Riverside tram line" in (folder / "latest.md").read_text()
        assert "Riverside tram line" in (folder / "latest.html").read_text()

        third = _poll(where, "--all")
        assert {u: (r["status"], r["chunks_added"], r["added"]) for u, r in third.items()} == {
            pruned: (304, 0, 0),
            kept: (304, 0, 0),
        }
        assert server.not_modified == 2
        assert _stored(where) == after

        code, out, _ = run_cli("watches", "list", *where)
        assert code == 0 and "trams: the new tram line" in out
        assert run_cli("watches", "remove", "trams", *where)[0] == 0
        assert run_cli("watches", "remove", "trams", *where)[0] == 1
        assert run_cli("feeds", "remove", kept, *where)[0] == 0
        code, out, _ = run_cli("feeds", "list", "--json", *where)
        assert [f["url"] for f in json.loads(out)] == [pruned]


def _other_chess() -> str:
    """A different chess story from the one the other feed carries (so both are stored)."""
    return (
        "The veteran grandmaster of the city club retired from competitive chess on Saturday after "
        "forty years of tournaments, saying he would now teach beginners at the community centre. "
        "He won the city championship eleven times and played for the national team at six "
        "olympiads. Club members organised a simultaneous exhibition in his honour, in which he "
        "faced thirty players at once and lost only two games. He said the game had changed with "
        "computers but that the joy of a well played sacrifice had not. His farewell match will be "
        "broadcast by the local radio station, which has covered the club since it was founded."
    )


def test_bad_feed_urls_and_names_are_usage_errors(where: list[str]) -> None:
    code, _, err = run_cli("feeds", "add", "http://[::1", *where)
    assert code == 2 and "not a valid URL" in err
    code, _, err = run_cli("feeds", "add", "ftp://example.com/feed", *where)
    assert code == 2 and "http" in err
    code, _, err = run_cli("feeds", "add", "https://example.com/feed", "--every", "soon", *where)
    assert code == 2 and "duration" in err
    code, _, err = run_cli("feeds", "add", "https://example.com/feed", "--on-removed", "burn", *where)
    assert code == 2 and "keep or prune" in err
    code, _, err = run_cli("watches", "add", "../up", "topic", *where)
    assert code == 2 and "watch name" in err
    code, _, err = run_cli("watches", "digest", "nobody", *where)
    assert code == 1 and "no watch named" in err
