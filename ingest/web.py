"""``http(s)://`` inputs: a page, or an RSS/Atom feed whose items are read from the feed or fetched.

Fetching is guarded: timeouts, a cap on redirects and on bytes read, and no private, loopback or
link-local addresses (every redirect hop is checked) unless ``allow_private`` is set.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlparse, urlunparse

from ingest.documents import RawArticle
from ingest.report import Failure
from rag import InputError

__all__ = ["FetchOptions", "canonical_url", "fetch", "iter_url"]

log = logging.getLogger(__name__)

_FEED_TYPES = ("rss", "atom", "application/xml", "text/xml", "application/rdf")
_TRACKING = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "ocid", "cmpid")
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


def canonical_url(url: str) -> str:
    """The URL without fragment, tracking parameters, default port or trailing ``?``; host lower-case."""
    parts = urlparse(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith(_TRACKING)]
    netloc = (parts.hostname or "").lower()
    if parts.port and not (
        (parts.scheme == "http" and parts.port == 80) or (parts.scheme == "https" and parts.port == 443)
    ):
        netloc += f":{parts.port}"
    return urlunparse((parts.scheme.lower(), netloc, parts.path or "/", "", urlencode(query), ""))


def _check_host(url: str, allow_private: bool) -> None:
    parts = urlparse(url)
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


def fetch(url: str, options: FetchOptions, client: Any = None) -> Fetched:
    """GET ``url`` following at most ``max_redirects`` redirects, reading at most ``max_bytes``.

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
                _check_host(current, options.allow_private)
            except InputError as exc:
                if current == url:
                    raise
                raise InputError(url, f"redirected to {current}: {exc.reason}") from exc
            try:
                with client.stream("GET", current) as resp:
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
                        raise InputError(url, f"response is {declared / 1e6:.1f} MB, over the limit")
                    chunks: list[bytes] = []
                    size = 0
                    for part in resp.iter_bytes():
                        size += len(part)
                        if size > options.max_bytes:
                            raise InputError(
                                url, f"response exceeds {options.max_bytes / 1e6:.1f} MB (the size limit)"
                            )
                        chunks.append(part)
                    return Fetched(str(resp.url), resp.headers.get("content-type", ""), b"".join(chunks))
            except httpx.TimeoutException as exc:
                raise InputError(url, f"timed out after {options.timeout_seconds:g} s ({exc})") from exc
            except httpx.HTTPError as exc:
                raise InputError(url, f"unreachable: {exc}") from exc
        raise InputError(url, f"more than {options.max_redirects} redirects")
    finally:
        if own:
            client.close()


def _is_feed(fetched: Fetched) -> bool:
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
    except InputError as exc:
        yield Failure(exc.input, exc.reason)
        return
    if not _is_feed(fetched):
        try:
            yield _page(fetched, url)
        except InputError as exc:
            yield Failure(exc.input, exc.reason)
        return
    yield from _feed_items(fetched, url, options)


def _entry_date(entry: Any) -> date | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return date(value.tm_year, value.tm_mon, value.tm_mday)
            except ValueError:
                continue
    return None


def _feed_items(fetched: Fetched, url: str, options: FetchOptions) -> Iterator[RawArticle | Failure]:
    import feedparser

    from ingest.html import extract_html

    feed = feedparser.parse(fetched.body, response_headers={"content-location": fetched.url})
    if not feed.entries:
        reason = f"feed has no items ({feed.get('bozo_exception') or 'empty'})"
        yield Failure(url, reason)
        return
    site = (feed.feed.get("title") or urlparse(fetched.url).hostname or "").strip()
    extra = len(feed.entries) - options.max_feed_items
    if extra > 0:
        yield Failure(
            url,
            f"feed has {len(feed.entries):,} items: only the first {options.max_feed_items:,} are read, "
            f"{extra:,} skipped (ingest.max_feed_items)",
        )
    with _client(options) as client:
        for entry in feed.entries[: options.max_feed_items]:
            link = entry.get("link") or ""
            where = link or f"{url}#{entry.get('id', '')}"
            contents = [c.get("value", "") for c in entry.get("content", [])] or [entry.get("summary", "")]
            body = max(contents, key=len) if contents else ""
            authors = tuple(a.get("name", "") for a in entry.get("authors", []) if a.get("name"))
            try:
                if len(body) >= _FULL_CONTENT_CHARS or not link:
                    if not body.strip():
                        raise InputError(where, "feed item has neither content nor a link")
                    page = extract_html(f"<html><body><article>{body}</article></body></html>", "", where)
                    page_url = canonical_url(link) if link else ""
                    source = site
                else:
                    fetched_item = fetch(urljoin(fetched.url, link), options, client)
                    page = _page(fetched_item, where)
                    page_url = page.url
                    source = page.source or site
            except InputError as exc:
                yield Failure(exc.input, exc.reason)
                continue
            article_id = page_url or f"{canonical_url(url)}#{entry.get('id') or entry.get('title', '')}"
            yield _replace(
                page,
                id=article_id,
                url=page_url,
                origin=where,
                title=(entry.get("title") or page.title or "").strip(),
                published=_entry_date(entry) or page.published,
                authors=authors or page.authors,
                source=source,
            )


def _client(options: FetchOptions) -> Any:
    import httpx

    return httpx.Client(
        timeout=httpx.Timeout(options.timeout_seconds),
        follow_redirects=False,
        headers={"User-Agent": options.user_agent},
    )
