"""A set of bad and broken inputs, built in a temporary folder (nothing big or binary is committed).

:func:`build_files` writes the files; :class:`HostileWeb` serves the web cases on a loopback port.
Each bad case is listed with a fragment of the reason the ingest report must give for it, and the
good inputs mixed in with them are listed by the article ids they must land under.

Example:
    >>> fx = build_files(tmp_path)  # doctest: +SKIP
    >>> report = ingest([fx.root], store)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests._http import QuietHandler, http_server

MB = 1024 * 1024

GOOD_TEXT = (
    "Harbour {n} reopens after repairs\n"
    "The harbour of Port {n} reopened on Tuesday after three weeks of repairs to the breakwater. "
    "Fishing boats were the first to leave, followed by the morning ferry to island {n}. "
    "The mayor said the works came in under budget and thanked the crews who worked at night.\n"
)

SCRIPT_PAGE = """<html><head><title>{town} bridge vote passes</title>
{scripts}
</head><body>
<nav>Home | News | Sport</nav>
{iframes}
<article><h1>{town} bridge vote passes</h1>
<p>The council of {town} voted on Thursday to build a new footbridge across the river at Millbank.</p>
<p>Work is due to start in the spring and the bridge should open to walkers within two years.</p>
<p>Residents who campaigned for the crossing said they were delighted with the decision.</p>
</article>
<script>document.write("SCRIPT NOISE IN BODY")</script>
</body></html>"""

ONLY_SCRIPTS = (
    "<html><head><script>var x = 'ONLY SCRIPT';</script></head><body>"
    + ("<iframe src='https://ads.example/x'></iframe><script>track('ONLY SCRIPT')</script>" * 200)
    + "</body></html>"
)


@dataclass
class HostileFiles:
    """What :func:`build_files` wrote.

    Attributes:
        root: the folder holding every case (give it to ``ingest`` as one input).
        bad: file (or ``file:line``) path -> a fragment of the reason its failure must give.
        good_ids: the article ids the good inputs in the folder must be stored under.
        outside: a file outside ``root`` that nothing may create or change.
    """

    root: Path
    bad: dict[str, str] = field(default_factory=dict)
    good_ids: list[str] = field(default_factory=list)
    outside: Path = Path()


def _good(n: int) -> str:
    return GOOD_TEXT.format(n=n)


def build_files(base: Path, big_mb: float = 50.0, line_mb: float = 10.0) -> HostileFiles:
    """Write the file cases under ``base/hostile`` (about ``big_mb + line_mb`` MB on disk).

    Args:
        base: a scratch folder (pytest's ``tmp_path``).
        big_mb: size of the "huge text file" case, just over the default 50 MB file limit.
        line_mb: size of the single-line case.
    """
    root = base / "hostile"
    root.mkdir(parents=True)
    name = root.name
    fx = HostileFiles(root=root, outside=base / "outside-canary.txt")
    fx.outside.write_text("untouched\n", encoding="utf-8")

    # Good inputs, mixed in with the bad ones.
    for n in range(3):
        (root / f"good-{n}.txt").write_text(_good(n), encoding="utf-8")
        fx.good_ids.append(f"{name}/good-{n}.txt")

    # Binary data under a text name, and an image under an HTML name.
    (root / "binary.txt").write_bytes(bytes(range(256)) * 64)
    fx.bad[str(root / "binary.txt")] = "binary file"
    (root / "picture.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(4096))
    fx.bad[str(root / "picture.html")] = "binary file"

    # Zero bytes, and only whitespace.
    (root / "zero.txt").write_bytes(b"")
    fx.bad[str(root / "zero.txt")] = "empty file"
    (root / "blank.md").write_bytes(b" \n\n\t \n")
    fx.bad[str(root / "blank.md")] = "empty file"

    # 50 MB of text (real text, written in blocks): over the file-size limit, never read whole.
    block = (_good(9).replace("\n", " ") + "\n").encode() * 2000
    with (root / "huge.txt").open("wb") as fh:
        written = 0
        target = int(big_mb * MB) + 1024
        while written < target:
            fh.write(block)
            written += len(block)
    fx.bad[str(root / "huge.txt")] = "over the 50 MB limit"

    # One line of 10 MB under a title, and a file that is a single 10 MB line.
    sentence = b"The committee met again and agreed to meet again. "
    line = sentence * int(line_mb * MB / len(sentence))
    (root / "one-line.txt").write_bytes(b"A title\n" + line)
    fx.bad[str(root / "one-line.txt")] = "ingest.max_article_chars"
    (root / "only-line.txt").write_bytes(line)
    fx.bad[str(root / "only-line.txt")] = "ingest.max_article_chars"

    # Invalid UTF-8: a whole file (decoded with the detected legacy encoding, so it lands),
    # and one line of a JSONL file (that line fails, the others land).
    (root / "latin1.txt").write_bytes(
        "Caf\xe9 prices rise\nThe price of a caf\xe9 cr\xe8me in the old town rose to \xa34 this week, "
        "owners blamed the cost of milk and rent.\n".encode("latin-1")
    )
    fx.good_ids.append(f"{name}/latin1.txt")
    (root / "garbage.txt").write_bytes(bytes(range(0x80, 0x100)) * 64)
    fx.bad[str(root / "garbage.txt")] = "cannot recognise the text encoding"

    records = root / "records.jsonl"
    lines = [
        json.dumps({"id": "rec-1", "title": "Tram opens", "text": "The tram line opened on Monday. " * 5}),
        '{"id": "rec-2", "title": "Broken", "text": "this line is cut off',
        json.dumps({"id": "rec-3", "title": "Ferry strike", "text": "Ferry crews walked out at dawn. " * 5}),
        '{"id": "rec-4", "text": "caf\xe9"}',  # written as latin-1 below: invalid UTF-8
        json.dumps(
            {
                "id": "../../../outside-canary.txt",
                "title": "Dots",
                "text": "A record whose id is a path. " * 4,
            }
        ),
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "rec-7", "title": "No text"}),
    ]
    with records.open("wb") as fh:
        for i, text in enumerate(lines):
            fh.write(text.encode("latin-1" if i == 3 else "utf-8") + b"\n")
    # The invalid byte makes the whole file decode as the legacy Western code page: rec-4 lands.
    fx.good_ids += ["rec-1", "rec-3", "rec-4", "../../../outside-canary.txt"]
    fx.bad[f"{records}:2"] = "malformed JSON"
    fx.bad[f"{records}:6"] = "expected a JSON object"
    fx.bad[f"{records}:7"] = "record has no text"

    # HTML full of scripts and iframes around a real article; and a page that is nothing but.
    scripts = "\n".join(f"<script>trackEverything('SCRIPT NOISE {i}')</script>" for i in range(300))
    iframes = "\n".join(f"<iframe src='https://ads.example/{i}'>IFRAME NOISE</iframe>" for i in range(100))
    (root / "scripts.html").write_text(
        SCRIPT_PAGE.format(town="Ashford", scripts=scripts, iframes=iframes), encoding="utf-8"
    )
    fx.good_ids.append(f"{name}/scripts.html")
    (root / "only-scripts.html").write_text(ONLY_SCRIPTS, encoding="utf-8")
    fx.bad[str(root / "only-scripts.html")] = "no article text"

    # Names with "../": a record id above (never used as a path), an encoded one here; the upload
    # form's names are tested on ui.uploads.
    sub = root / "sub"
    sub.mkdir()
    (sub / "%2E%2E%2Fescape.txt").write_text(_good(8), encoding="utf-8")  # "../" URL-encoded
    fx.good_ids.append(f"{name}/sub/%2E%2E%2Fescape.txt")

    # Symlink loops: two links naming each other, and a folder link back to its parent.
    os.symlink("loop-b.txt", root / "loop-a.txt")
    os.symlink("loop-a.txt", root / "loop-b.txt")
    fx.bad[str(root / "loop-a.txt")] = "symlink loop"
    fx.bad[str(root / "loop-b.txt")] = "symlink loop"
    os.symlink("..", sub / "up")
    return fx


# ---- the web cases --------------------------------------------------------------------------------

FEED_ITEMS = 10_000


def _feed(n: int) -> bytes:
    items = "".join(
        f"<item><title>Item {i}</title><guid isPermaLink='false'>item-{i}</guid>"
        f"<description>Short notice number {i} about the town's bin collection schedule.</description></item>"
        for i in range(n)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Busy Feed</title>'
        f"<link>http://example.invalid/</link>{items}</channel></rss>"
    ).encode()


class _Handler(QuietHandler):
    feed = _feed(FEED_ITEMS)

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path.startswith("/forever/"):  # a new address every hop: never the same URL twice
            n = int(path.rsplit("/", 1)[1] or 0)
            self.send_body(302, b"", Location=f"/forever/{n + 1}")
        elif path == "/to-file":
            self.send_body(302, b"", Location="file:///etc/passwd")
        elif path == "/feed.xml":
            self.send_body(200, self.feed, "application/rss+xml")
        elif path == "/scripts":
            scripts = "".join(f"<script>trackEverything('SCRIPT NOISE {i}')</script>" for i in range(300))
            iframes = "".join(f"<iframe src='/ad/{i}'>IFRAME NOISE</iframe>" for i in range(100))
            self.send_body(200, SCRIPT_PAGE.format(town="Bexley", scripts=scripts, iframes=iframes).encode())
        elif path == "/binary":
            self.send_body(200, bytes(range(256)) * 64, "application/octet-stream")
        elif path == "/endless":
            # Claims nothing about its length and sends more than any limit allows.
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                for _ in range(64):
                    self.wfile.write(b"<p>" + b"spam " * 20_000 + b"</p>")
            except (BrokenPipeError, ConnectionResetError):
                pass
        else:
            self.send_body(404, b"not here")


@contextmanager
def hostile_web() -> Iterator[str]:
    """A loopback server for the web cases; yields its base URL."""
    with http_server(_Handler) as url:
        yield url
