"""``http(s)://`` inputs: a page, or an RSS/Atom feed whose items are read from the feed or fetched.

Fetching is guarded: timeouts, a cap on redirects and on bytes read, and no private, loopback or
link-local addresses (every redirect hop is checked) unless ``allow_private`` is set.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urljoin, urlparse

from ingest.documents import RawArticle
from ingest.report import Failure
from rag import InputError, canonical_url, parse_url

__all__ = [
    "FeedEntries",
    "FetchOptions",
    "Fetched",
    "canonical_url",
    "check_url",
    "entry_article",
    "entry_key",
    "fetch",
    "http_client",
    "is_feed",
    "iter_url",
    "parse_feed",
]

log = logging.getLogger(__name__)

_FEED_TYPES = ("rss", "atom", "application/xml", "text/xml", "application/rdf")
# A feed item's own content is used as the article when it is at least this long; else the page.
_FULL_CONTENT_CHARS = 600


@dataclass(frozen=True)
class FetchOptions:
    """Limits for reading from the web."""

    timeout_seconds: float = 20.0
    max_redirects: int = 5
    max_bytes: int = 50 * 1024 * 1024
    allow_private: bool = False
    max_feed_items: int = 500
    user_agent: str = "newsrag/0.1 (+https://github.com/; news question answering)"


def check_url(url: str, allow_private: bool) -> None:
    """Refuse ``url`` unless it is a well-formed http(s) URL of a public host (or ``allow_private``).

    Raises:
        InputError: malformed, another scheme, unresolvable, or a private/loopback address.
    """
    parts = parse_url(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(url, "only http:// and https:// URLs can be fetched")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise InputError(url, f"cannot resolve host {parts.hostname!r}: {exc.strerror}") from exc
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])
        if not ip.is_global:
            raise InputError(
                url,
                f"refusing to fetch from a private/loopback address ({ip}); "
                "set ingest.allow_private_urls = true to allow it",
            )


@dataclass(frozen=True)
class Fetched:
    """A response body read within limits."""

    url: str  # after redirects
    content_type: str
    body: bytes
    status: int = 200  # 304: not modified since the validators sent (``body`` is empty)
    etag: str = ""
    last_modified: str = ""


def fetch(
    url: str, options: FetchOptions, client: Any = None, headers: Mapping[str, str] | None = None
) -> Fetched:
    """GET ``url`` following at most ``max_redirects`` redirects, reading at most ``max_bytes``.

    ``headers`` go with every request (e.g. ``If-None-Match`` for a conditional GET).

    Raises:
        InputError: unreachable, refused, too large, too many redirects or an HTTP error status.
    """
    import httpx

    own = client is None
    client = client or httpx.Client(
        timeout=httpx.Timeout(options.timeout_seconds),
        follow_redirects=False,
        headers={"User-Agent": options.user_agent, "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
    )
    try:
        current = url
        for _ in range(options.max_redirects + 1):
            try:
                check_url(current, options.allow_private)
            except InputError as exc:
                if current == url:
                    raise
                raise InputError(url, f"redirected to {current}: {exc.reason}") from exc
            try:
                with client.stream("GET", current, headers=dict(headers or {})) as resp:
                    if resp.status_code == 304:
                        return Fetched(str(resp.url), "", b"", 304, resp.headers.get("etag", ""))
                    if resp.is_redirect:
                        location = resp.headers.get("location")
                        if not location:
                            raise InputError(url, f"redirect without a Location from {current}")
                        current = urljoin(current, location)
                        continue
                    if resp.status_code >= 400:
                        raise InputError(url, f"HTTP {resp.status_code} {resp.reason_phrase} from {current}")
                    declared = int(resp.headers.get("content-length") or 0)
                    if declared > options.max_bytes:
                        raise InputError(
                            url,
                            f"response is {_size(declared)}, over the {_size(options.max_bytes)} size limit",
                        )
                    chunks: list[bytes] = []
                    size = 0
                    for part in resp.iter_bytes():
                        size += len(part)
                        if size > options.max_bytes:
                            raise InputError(
                                url, f"response exceeds {_size(options.max_bytes)} (the size limit)"
                            )
                        chunks.append(part)
                    return Fetched(
                        str(resp.url),
                        resp.headers.get("content-type", ""),
                        b"".join(chunks),
                        resp.status_code,
                        resp.headers.get("etag", ""),
                        resp.headers.get("last-modified", ""),
                    )
            except httpx.TimeoutException as exc:
                raise InputError(url, f"timed out after {options.timeout_seconds:g} s ({exc})") from exc
            except httpx.HTTPError as exc:
                raise InputError(url, f"unreachable: {exc}") from exc
            except ValueError as exc:  # a malformed Location or Content-Length from the server
                raise InputError(url, f"malformed response from {current}: {exc}") from exc
        raise InputError(url, f"more than {options.max_redirects} redirects")
    finally:
        if own:
            client.close()


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.0f} kB"


def is_feed(fetched: Fetched) -> bool:
    ctype = fetched.content_type.lower()
    if any(t in ctype for t in _FEED_TYPES):
        return True
    head = fetched.body[:1024].lstrip().lower()
    return head.startswith(b"<?xml") and (b"<rss" in head or b"<feed" in head or b"<rdf" in head)


def _page(fetched: Fetched, requested: str) -> RawArticle:
    from ingest.decoding import decode_bytes
    from ingest.html import extract_html

    html = decode_bytes(fetched.body, requested)
    raw = extract_html(html, "", requested, url=fetched.url)
    url = canonical_url(raw.url or fetched.url)
    return _replace(raw, id=url, url=url, origin=requested)


def _replace(raw: RawArticle, **changes: Any) -> RawArticle:
    from dataclasses import replace

    return replace(raw, **changes)


def iter_url(url: str, options: FetchOptions) -> Iterator[RawArticle | Failure]:
    """The article at ``url``, or every item of the feed at ``url``."""
    try:
        fetched = fetch(url, options)
        if not is_feed(fetched):
            yield _page(fetched, url)
            return
        feed = parse_feed(fetched, url, options)
    except InputError as exc:
        yield Failure(exc.input, exc.reason)
        return
    if feed.skipped:
        yield Failure(url, feed.skipped_reason(options))
    with http_client(options) as client:
        for entry in feed.entries:
            try:
                yield entry_article(entry, feed, options, client)
            except InputError as exc:
                yield Failure(exc.input, exc.reason)


def _entry_date(entry: Any) -> date | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return date(value.tm_year, value.tm_mon, value.tm_mday)
            except ValueError:
                continue
    return None


@dataclass(frozen=True)
class FeedEntries:
    """A parsed RSS/Atom feed: its items (at most ``max_feed_items``) and where it was read."""

    url: str  # as requested
    base: str  # after redirects: item links are relative to it
    site: str
    entries: list[Any]  # feedparser entries
    skipped: int = 0  # items past ``max_feed_items``
    problem: str = ""  # why the feed is not well-formed (its items were read as far as possible)

    def skipped_reason(self, options: FetchOptions) -> str:
        """Why some items were not read."""
        total = len(self.entries) + self.skipped
        return (
            f"feed has {total:,} items: only the first {options.max_feed_items:,} are read, "
            f"{self.skipped:,} skipped (ingest.max_feed_items)"
        )


def parse_feed(fetched: Fetched, url: str, options: FetchOptions) -> FeedEntries:
    """The items of a fetched feed.

    Raises:
        InputError: the body is not a feed feedparser can read, or a broken one without items.
    """
    from xml.sax import SAXException

    import feedparser

    headers = {"content-location": fetched.url, "content-type": fetched.content_type or "application/xml"}
    feed = feedparser.parse(fetched.body, response_headers=headers)
    if not feed.entries and (feed.get("bozo") or not feed.get("version")):
        raise InputError(url, f"not a readable RSS/Atom feed ({feed.get('bozo_exception') or 'no items'})")
    site = (feed.feed.get("title") or urlparse(fetched.url).hostname or "").strip()
    cap = options.max_feed_items
    # Only broken XML is a problem; feedparser also flags a missing content type or a wrong charset.
    trouble = feed.get("bozo_exception")
    problem = str(trouble) if isinstance(trouble, SAXException) else ""
    return FeedEntries(
        url, fetched.url, site, list(feed.entries[:cap]), max(0, len(feed.entries) - cap), problem
    )


def entry_key(entry: Any) -> str:
    """What identifies a feed item from one poll to the next: its id, else its link, else its title."""
    return str(entry.get("id") or entry.get("link") or entry.get("title") or "")


def entry_article(entry: Any, feed: FeedEntries, options: FetchOptions, client: Any) -> RawArticle:
    """The article of one feed item: the item's own content when it is long enough, else its page.

    Raises:
        InputError: the item has neither content nor a link, or its page cannot be read.
    """
    from ingest.html import extract_html

    link = str(entry.get("link") or "")
    where = link or f"{feed.url}#{entry.get('id', '')}"
    contents = [c.get("value", "") for c in entry.get("content", [])] or [entry.get("summary", "")]
    body = max(contents, key=len) if contents else ""
    authors = tuple(a.get("name", "") for a in entry.get("authors", []) if a.get("name"))
    if len(body) >= _FULL_CONTENT_CHARS or not link:
        if not body.strip():
            raise InputError(where, "feed item has neither content nor a link")
        page = extract_html(f"<html><body><article>{body}</article></body></html>", "", where)
        page_url = canonical_url(_join(feed.base, link, where)) if link else ""
        source = feed.site
    else:
        page = _page(fetch(_join(feed.base, link, where), options, client), where)
        page_url = page.url
        source = page.source or feed.site
    article_id = page_url or f"{canonical_url(feed.url)}#{entry.get('id') or entry.get('title', '')}"
    return _replace(
        page,
        id=article_id,
        url=page_url,
        origin=where,
        title=(entry.get("title") or page.title or "").strip(),
        published=_entry_date(entry) or page.published,
        authors=authors or page.authors,
        source=source,
    )


def _join(base: str, link: str, where: str) -> str:
    try:
        return urljoin(base, link)
    except ValueError as exc:
        raise InputError(where, f"not a valid URL: {exc}") from exc


def http_client(options: FetchOptions) -> Any:
    """An httpx client with the limits of ``options`` (it follows no redirects: :func:`fetch`
    checks each hop itself)."""
    import httpx

    return httpx.Client(
        timeout=httpx.Timeout(options.timeout_seconds),
        follow_redirects=False,
        headers={"User-Agent": options.user_agent},
    )
