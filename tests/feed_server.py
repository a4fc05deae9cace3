"""A loopback HTTP server for feed tests: RSS feeds whose items the test changes between polls,
with ``ETag``/``If-None-Match`` and ``Last-Modified``/``If-Modified-Since`` as real servers do,
plus slow, huge and broken responses and a webhook that records what was POSTed to it.

Example:
    >>> with FeedServer() as server:  # doctest: +SKIP
    ...     server.feeds["/a.xml"] = [item("a1", "Tram line opens", TRAM_TEXT)]
    ...     poll(server.url("/a.xml"))
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from xml.sax.saxutils import escape

# Made-up stories, long enough (over 600 characters) to be read from the feed without a page fetch.
STORIES = {
    "tram": (
        "Riverside tram line opens to passengers",
        "The new Riverside tram line carried its first passengers on Monday morning, linking the "
        "central station with the hospital and the university campus in eleven minutes. The city "
        "transport office said trams will run every six minutes at peak hours and every twelve "
        "minutes in the evening. Construction of the tram line took three years and cost less than "
        "planned, according to the deputy mayor, who rode the first tram with commuters. Shops along "
        "the route, closed for months during the works, reported more customers on opening day. A "
        "second tram line towards the airport is due to be approved by the council next spring.",
    ),
    "orchard": (
        "Apple growers expect a record harvest",
        "Apple growers in the valley expect the largest harvest in a decade after a mild spring and a "
        "wet summer, the regional growers' association said on Tuesday. Pickers from neighbouring "
        "towns have been hired for the season, which starts two weeks earlier than usual. Cold "
        "storage warehouses are already close to full, and some farmers plan to press more of the "
        "fruit into juice and cider. Prices paid to growers are expected to fall because of the "
        "large supply, the association warned, while shoppers should see cheaper apples in markets "
        "from October. Export orders from abroad have also risen compared with last year.",
    ),
    "chess": (
        "Schoolgirl wins the national chess final",
        "A fourteen-year-old schoolgirl won the national chess championship on Sunday after a tense "
        "final game that lasted more than five hours. She defeated the defending champion with the "
        "black pieces, converting a small endgame advantage into a win after move ninety. Her coach "
        "said she trains every evening after school and studies classic games from the last century. "
        "The tournament drew a record number of entrants this year, and organisers credited the "
        "growing popularity of online chess among teenagers. The winner will represent the country "
        "at the world youth championship in the autumn, her first tournament abroad.",
    ),
    "library": (
        "City library extends its opening hours",
        "The central city library will open until ten in the evening on weekdays from next month, "
        "the culture department announced on Wednesday. The longer hours follow a survey in which "
        "students and shift workers asked for a quiet place to read and study at night. Two extra "
        "librarians will be hired and the reading room on the top floor will be renovated with new "
        "lamps and desks. The library also plans weekend workshops for children and a repair café "
        "where volunteers help residents fix lamps, radios and bicycles. Membership remains free "
        "for every resident of the city and the surrounding villages, and cards can now be renewed online.",
    ),
}


def item(
    key: str, story: str | None = None, link: str | None = None, text: str | None = None
) -> dict[str, str]:
    """One RSS item: guid ``key``, the title and text of ``STORIES[story]`` (or ``text``)."""
    title, body = STORIES[story or key]
    return {"guid": key, "title": title, "body": text if text is not None else body, "link": link or ""}


def rss(items: list[dict[str, str]], title: str = "Town News") -> bytes:
    """An RSS 2.0 document holding ``items``."""
    parts = [
        f'<item><guid isPermaLink="false">{escape(i["guid"])}</guid>'
        + f"<title>{escape(i['title'])}</title>"
        + (f"<link>{escape(i['link'])}</link>" if i["link"] else "")
        + "<pubDate>Mon, 06 Jan 2025 08:00:00 GMT</pubDate>"
        + f"<description>{escape(i['body'])}</description></item>"
        for i in items
    ]
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>http://town.example/</link>{''.join(parts)}</channel></rss>"
    ).encode()


@dataclass
class Route:
    """A fixed response: body, content type, status and a delay before answering."""

    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    delay: float = 0.0


@dataclass
class FeedServer:
    """The server; ``feeds`` maps a path to its items (edit it between polls), ``routes`` a path to a
    fixed :class:`Route`; ``requests`` counts GETs by path and ``posted`` keeps every POSTed JSON."""

    feeds: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    routes: dict[str, Route] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    posted: list[Any] = field(default_factory=list)
    not_modified: int = 0

    def __enter__(self) -> FeedServer:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def url(self, path: str) -> str:
        """The full URL of ``path``."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{path}"


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def do_GET(self) -> None:
            server.requests[self.path] = server.requests.get(self.path, 0) + 1
            if self.path in server.feeds:
                body = rss(server.feeds[self.path])
                etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
                stamp = formatdate(1_700_000_000 + len(body), usegmt=True)
                if self.headers.get("If-None-Match") == etag:
                    server.not_modified += 1
                    self._send(304, b"", {"ETag": etag})
                    return
                self._send(
                    200, body, {"Content-Type": "application/rss+xml", "ETag": etag, "Last-Modified": stamp}
                )
                return
            route = server.routes.get(self.path)
            if route is None:
                self._send(404, b"not found", {"Content-Type": "text/plain"})
                return
            time.sleep(route.delay)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # a client that gave up
                self._send(route.status, route.body, {"Content-Type": route.content_type})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            server.posted.append(json.loads(self.rfile.read(length)))
            self._send(204, b"", {})

    return Handler
