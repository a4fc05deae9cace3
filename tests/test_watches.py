"""Watches at library level: matching among the arrived articles only, a webhook that is down,
``--since`` windows, and articles pruned after they arrived."""

from __future__ import annotations

import socket
from pathlib import Path

from ingest import IngestOptions
from ingest.feeds import FeedPoller, add_feed
from ingest.feedstate import FeedState
from ingest.watches import Digest, deliver, make_digest
from ingest.web import FetchOptions
from rag import HybridRetriever, NewsStore
from tests.feed_server import STORIES, FeedServer, item


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_watch_digest_webhook_down_since_and_pruned_arrivals(store: NewsStore, tmp_path: Path) -> None:
    fetch = FetchOptions(allow_private=True, timeout_seconds=2.0)
    state = FeedState(tmp_path / "state.sqlite")
    retriever = HybridRetriever(store, recency_window_days=None)
    hook = f"http://127.0.0.1:{_closed_port()}/hook"
    state.add_watch("chess", "chess championship final", hook, now=10.0)
    state.add_watch("apples", "the apple harvest", "", now=10.0)
    with FeedServer() as server:
        server.feeds["/f.xml"] = [item("c", "chess"), item("t", "tram"), item("o", "orchard")]
        add_feed(state, server.url("/f.xml"), 600, "prune", now=20.0)
        poller = FeedPoller(store, state, IngestOptions(fetch=fetch), clock=lambda: 30.0)
        (result,) = poller.poll(state.feeds())
        assert result.added == 3 and len(result.arrived) == 3

        run = deliver(state, retriever, state.watch("chess"), tmp_path / "digests", fetch, now=40.0)
        assert run.items == 1 and run.webhook_error and "unreachable" in run.webhook_error
        kept = state.last_digest("chess")
        assert kept is not None
        assert [i.title for i in Digest.from_dict(kept).items] == [STORIES["chess"][0]]
        assert (tmp_path / "digests" / "chess" / "latest.md").exists()
        # The window moved on: nothing new since, and a --since window looks back again.
        assert make_digest(state, retriever, state.watch("chess"), 40.0, 50.0).items == []
        assert len(make_digest(state, retriever, state.watch("chess"), 0.0, 50.0).items) == 1
        apples = make_digest(state, retriever, state.watch("apples"), 0.0, 50.0)
        assert [i.title for i in apples.items] == [STORIES["orchard"][0]]

        server.feeds["/f.xml"] = [item("t", "tram")]  # chess and orchard leave and are pruned
        (result,) = poller.poll(state.feeds())
        assert (result.removed, result.pruned) == (2, 2)
    assert make_digest(state, retriever, state.watch("chess"), 0.0, 60.0).items == []
    state.close()
