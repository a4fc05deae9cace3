"""Feeds that fail: down, slow, huge, malformed or carrying bad items are reported and retried later
with backoff while the others go on; the poll state survives a restart and a ``kill -9``."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from ingest import IngestOptions
from ingest.feeds import FeedPoller, add_feed, backoff_seconds, parse_every
from ingest.feedstate import FeedState, state_path
from ingest.web import FetchOptions
from rag import NewsStore
from tests.feed_server import STORIES, FeedServer, Route, item, rss

REPO = Path(__file__).resolve().parents[1]


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _options(**fetch: object) -> IngestOptions:
    base = FetchOptions(allow_private=True, timeout_seconds=1.0)
    return IngestOptions(fetch=replace(base, **fetch))  # type: ignore[arg-type]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_parse_every_and_backoff() -> None:
    assert (
        parse_every("90s"),
        parse_every("30m"),
        parse_every("2h"),
        parse_every("1d"),
        parse_every("5"),
    ) == (
        90,
        1800,
        7200,
        86400,
        300,
    )
    for bad in ("", "0m", "soon", "-5m", "1w"):
        with pytest.raises(ValueError, match="duration"):
            parse_every(bad)
    assert [backoff_seconds(600, n) for n in (1, 2, 3, 4)] == [600, 1200, 2400, 4800]
    assert backoff_seconds(600, 20) == 86400  # at most a day
    assert backoff_seconds(2 * 86400, 5) == 2 * 86400  # never sooner than the feed's own schedule


def test_down_slow_huge_malformed_feeds_are_reported_and_the_good_one_goes_on(
    store: NewsStore, tmp_path: Path
) -> None:
    huge = rss([item(f"h{n}", "tram") for n in range(60)])
    assert len(huge) > 30_000
    with FeedServer() as server:
        server.feeds["/good.xml"] = [
            item("g-tram", "tram"),
            item("g-bad-link", "chess", link="http://town.example:99999/x"),
        ]
        server.feeds["/good.xml"][1]["body"] = "Short teaser."  # so its (malformed) link is followed
        server.routes["/slow.xml"] = Route(rss([item("s1", "orchard")]), "application/rss+xml", delay=3.0)
        server.routes["/huge.xml"] = Route(huge, "application/rss+xml")
        server.routes["/broken.xml"] = Route(
            b"<?xml version='1.0'?><rss><channel><item><title>x", "application/xml"
        )
        server.routes["/binary.xml"] = Route(bytes(range(256)) * 8, "application/rss+xml")
        server.routes["/page.html"] = Route(b"<html><body><p>Not a feed at all.</p></body></html>")
        server.routes["/gone.xml"] = Route(b"gone", "text/plain", status=500)
        urls = {
            "down": f"http://127.0.0.1:{_closed_port()}/feed.xml",
            "slow": server.url("/slow.xml"),
            "huge": server.url("/huge.xml"),
            "broken": server.url("/broken.xml"),
            "binary": server.url("/binary.xml"),
            "page": server.url("/page.html"),
            "gone": server.url("/gone.xml"),
            "good": server.url("/good.xml"),
        }
        state = FeedState(tmp_path / "state.sqlite")
        for url in urls.values():
            add_feed(state, url, 600, "keep", now=0.0)
        poller = FeedPoller(store, state, _options(max_bytes=30_000))
        results = {r.url: r for r in poller.poll(poller.due())}
    reasons = {name: (results[url].status, results[url].error or "") for name, url in urls.items()}
    assert reasons["down"][0] == "error" and "unreachable" in reasons["down"][1]
    assert reasons["slow"][0] == "error" and "timed out" in reasons["slow"][1]
    assert reasons["huge"][0] == "error" and "size limit" in reasons["huge"][1]
    broken = results[urls["broken"]]  # read as far as it goes, its trouble reported, nothing pruned
    assert broken.status == 200 and any("malformed feed" in f.reason for f in broken.failed)
    assert reasons["binary"][0] == "error" and "not a readable RSS/Atom feed" in reasons["binary"][1]
    assert reasons["page"][0] == "error" and "not a readable RSS/Atom feed" in reasons["page"][1]
    assert reasons["gone"][0] == "error" and "HTTP 500" in reasons["gone"][1]
    good = results[urls["good"]]
    assert (good.status, good.added, good.error) == (200, 1, None)
    assert [(f.input, "not a valid URL" in f.reason) for f in good.failed] == [
        ("http://town.example:99999/x", True)
    ]
    assert any(i.title == STORIES["tram"][0] for i in store.articles(refresh=True).values())
    rows = {f.url: f for f in state.feeds()}
    assert all(
        rows[u].failures == 1 and rows[u].last_error for k, u in urls.items() if k not in ("good", "broken")
    )
    assert rows[urls["good"]].failures == 0 and rows[urls["good"]].last_success is not None
    state.close()


def test_failures_back_off_and_a_success_resets_them(store: NewsStore, tmp_path: Path) -> None:
    clock = Clock()
    with FeedServer() as server:
        server.routes["/flaky.xml"] = Route(b"down for maintenance", "text/plain", status=503)
        url = server.url("/flaky.xml")
        state = FeedState(tmp_path / "state.sqlite")
        add_feed(state, url, 600, "keep", now=clock.now)
        poller = FeedPoller(store, state, _options(), clock=clock)
        waits = []
        for _ in range(3):
            (result,) = poller.poll(poller.due())
            assert result.status == "error" and "HTTP 503" in (result.error or "")
            (row,) = state.feeds()
            waits.append(row.next_due - clock.now)
            assert poller.due() == []  # not retried before its time
            clock.now = row.next_due
        assert waits == [600, 1200, 2400]
        server.routes["/flaky.xml"] = Route(rss([item("f1", "library")]), "application/rss+xml")
        (result,) = poller.poll(poller.due())
        (row,) = state.feeds()
    assert (result.status, result.added) == (200, 1)
    assert (row.failures, row.last_error, row.next_due - clock.now) == (0, "", 600)
    state.close()


def test_state_survives_a_restart(store: NewsStore, tmp_path: Path) -> None:
    path = state_path(tmp_path / "home", "news")
    with FeedServer() as server:
        server.feeds["/a.xml"] = [item("a1", "chess"), item("a2", "orchard")]
        state = FeedState(path)
        add_feed(state, server.url("/a.xml"), 600, "prune")
        first = FeedPoller(store, state, _options()).poll(state.feeds())
        state.close()
        assert first[0].added == 2

        state = FeedState(path)  # a new process: everything it needs is in the file
        (row,) = state.feeds()
        assert row.etag and row.last_status == "200" and len(state.items(row.url)) == 2
        again = FeedPoller(store, state, _options()).poll(state.feeds())
        assert (again[0].status, again[0].chunks_added) == (304, 0)
        server.feeds["/a.xml"] = [item("a1", "chess")]
        later = FeedPoller(store, state, _options()).poll(state.feeds())
        state.close()
    assert (later[0].removed, later[0].pruned) == (1, 1)
    assert {i.title for i in store.articles(refresh=True).values()} == {STORIES["chess"][0]}


@pytest.mark.slow
def test_a_poll_killed_mid_way_leaves_state_that_the_next_poll_completes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "PYTHONPATH": str(REPO), "NEWSRAG_HOME": str(home), "NEWSRAG_COLLECTION": "killed"}
    cli = [sys.executable, "-m", "cli"]
    with FeedServer() as server:
        # The second item's page answers slowly: the first poll is killed while it waits for it.
        server.feeds["/a.xml"] = [item("k1", "tram"), item("k2", "orchard", link="/slow", text="Teaser.")]
        page = (
            f"<html><body><article><h1>{STORIES['orchard'][0]}</h1><p>{STORIES['orchard'][1]}</p></article>"
        )
        server.routes["/slow"] = Route(page.encode() + b"</body></html>", delay=60.0)
        subprocess.run([*cli, "feeds", "add", server.url("/a.xml")], env=env, check=True, capture_output=True)
        proc = subprocess.Popen(
            [*cli, "feeds", "poll", "--once", "--allow-private-urls", "--no-progress"], env=env
        )
        deadline = time.monotonic() + 120
        while server.requests.get("/slow", 0) == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert server.requests.get("/slow", 0) == 1, "the poll never reached the slow page"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

        server.routes["/slow"] = replace(server.routes["/slow"], delay=0.0)
        done = subprocess.run(
            [*cli, "feeds", "poll", "--once", "--all", "--json", "--allow-private-urls", "--no-progress"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert done.returncode == 0, done.stderr
    (result,) = json.loads(done.stdout)
    assert (result["status"], result["added"], result["failed"]) == (200, 2, [])
    state = FeedState(state_path(home, "killed"))
    assert len(state.items(result["url"])) == 2 and state.feeds()[0].failures == 0
    state.close()
