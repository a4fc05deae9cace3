"""URLs and feeds, served from a loopback http.server started by the test (no other network)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from ingest import FetchOptions, IngestOptions, canonical_url, ingest
from ingest.web import fetch, iter_url
from rag.errors import InputError
from rag.store import NewsStore
from tests._http import QuietHandler, http_server

PAGE = """<html><head><title>Harbour reopens | Port News</title>
<link rel="canonical" href="{base}/news/harbour">
<meta name="author" content="Ana Ruiz"><meta property="article:published_time" content="2024-03-05">
<script>trackEverything("SCRIPT NOISE")</script></head>
<body><nav>Home | News | Contact</nav><iframe src="/ad">AD FRAME</iframe>
<article><h1>Harbour reopens</h1>
<p>The harbour reopened on Tuesday after three weeks of repairs to the storm-damaged breakwater.</p>
<p>Fishing boats were the first to leave, followed by the morning ferry to the islands.</p>
</article></body></html>"""

LONG = " ".join(["The festival drew record crowds to the old town on Saturday evening."] * 12)

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Port News</title><link>{base}/</link>
<item><title>Harbour reopens</title><link>{base}/news/harbour?utm_source=rss</link>
<pubDate>Tue, 05 Mar 2024 08:00:00 GMT</pubDate><description>Short teaser.</description></item>
<item><title>Festival breaks records</title><link>{base}/news/festival</link>
<pubDate>Sun, 10 Mar 2024 08:00:00 GMT</pubDate>
<content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/"><![CDATA[<p>{long}</p>]]></content:encoded>
</item>
<item><title>Gone</title><link>{base}/missing</link></item>
</channel></rss>"""


class _Handler(QuietHandler):
    def do_GET(self) -> None:
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        path = self.path.split("?")[0]
        if path == "/news/harbour":
            self.send_body(200, PAGE.format(base=base).encode())
        elif path == "/feed.xml":
            self.send_body(200, FEED.format(base=base, long=LONG).encode(), "application/rss+xml")
        elif path == "/loop":
            self.send_body(302, b"", Location="/loop")
        elif path == "/hop":
            self.send_body(301, b"", Location="/news/harbour")
        elif path == "/huge":
            self.send_body(200, b"<html><body><p>" + b"x" * 300_000 + b"</p></body></html>")
        else:
            self.send_body(404, b"not here")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with http_server(_Handler) as url:
        yield url


LOCAL = FetchOptions(allow_private=True, timeout_seconds=5)


def test_a_page_by_url(server: str) -> None:
    (article,) = list(iter_url(f"{server}/hop", LOCAL))
    assert not hasattr(article, "reason")
    assert article.id == article.url == f"{server}/news/harbour"
    assert article.title == "Harbour reopens"
    assert article.published == date(2024, 3, 5) and article.authors == ("Ana Ruiz",)
    assert "breakwater" in article.text
    assert "SCRIPT NOISE" not in article.text and "AD FRAME" not in article.text


def test_private_addresses_are_refused_by_default(server: str) -> None:
    with pytest.raises(InputError, match="private/loopback"):
        fetch(f"{server}/news/harbour", FetchOptions())


def test_redirect_loops_size_caps_and_errors(server: str) -> None:
    with pytest.raises(InputError, match="more than 2 redirects"):
        fetch(f"{server}/loop", FetchOptions(allow_private=True, max_redirects=2))
    with pytest.raises(InputError, match=r"size limit|over the limit"):
        fetch(f"{server}/huge", FetchOptions(allow_private=True, max_bytes=100_000))
    with pytest.raises(InputError, match="HTTP 404"):
        fetch(f"{server}/nothing", LOCAL)
    with pytest.raises(InputError, match=r"unreachable|timed out"):
        fetch("http://127.0.0.1:9/", LOCAL)  # the discard port: nothing listens


def test_feed_items_from_content_or_their_page(server: str, store: NewsStore) -> None:
    options = IngestOptions(fetch=LOCAL)
    report = ingest([f"{server}/feed.xml"], store, options=options)
    assert report.added == 2
    assert [f.input for f in report.failed] == [f"{server}/missing"]
    infos = store.articles(refresh=True)
    harbour = infos[f"{server}/news/harbour"]
    assert (harbour.title, harbour.published, harbour.authors) == (
        "Harbour reopens",
        date(2024, 3, 5),
        ("Ana Ruiz",),
    )
    festival = infos[f"{server}/news/festival"]
    assert festival.published == date(2024, 3, 10) and festival.source == "Port News"
    assert "record crowds" in store.article_chunks(festival.id)[0].text
    again = ingest([f"{server}/feed.xml"], store, options=options)
    assert (again.added, again.unchanged, again.chunks_added) == (0, 2, 0)


def test_unreachable_url_is_reported_and_files_still_ingested(store: NewsStore, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Title\nSome text.")
    report = ingest(["http://127.0.0.1:9/x", str(tmp_path)], store, options=IngestOptions(fetch=LOCAL))
    assert report.added == 1
    assert report.failed[0].input == "http://127.0.0.1:9/x"


def test_canonical_url() -> None:
    assert (
        canonical_url("HTTPS://Example.COM:443/a/b?utm_source=x&id=3#frag") == "https://example.com/a/b?id=3"
    )
    assert canonical_url("http://example.com") == "http://example.com/"
