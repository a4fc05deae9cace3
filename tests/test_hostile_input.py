"""Hostile and broken input: every bad file, line, page or URL is skipped (or capped) with a clear
reason, and the good inputs of the same run all land.

The fixture set is built in ``tmp_path`` by :mod:`tests.hostile` (binary, zero bytes, 50 MB of text,
a 10 MB line, invalid UTF-8, a JSONL with broken lines, HTML full of scripts and iframes, names with
``../``, symlink loops) and the web cases are served on a loopback port (a redirect that never ends,
a redirect to ``file://``, a feed of 10,000 items, binary and endless responses).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ingest import FetchOptions, IngestOptions, ingest
from ingest.web import fetch
from rag.errors import InputError
from rag.store import NewsStore
from tests.hostile import FEED_ITEMS, build_files, hostile_web


def _reasons(report: object) -> dict[str, str]:
    return {f.input: f.reason for f in report.failed}  # type: ignore[attr-defined]


def test_bad_files_are_skipped_with_reasons_and_good_ones_land(store: NewsStore, tmp_path: Path) -> None:
    fx = build_files(tmp_path)
    t0 = time.perf_counter()
    report = ingest([fx.root], store)
    seconds = time.perf_counter() - t0
    reasons = _reasons(report)
    for where, fragment in fx.bad.items():
        assert where in reasons, f"{where} was not reported (failures: {sorted(reasons)})"
        assert fragment in reasons[where], f"{where}: {reasons[where]!r} does not say {fragment!r}"
    assert set(reasons) == set(fx.bad), "no other input failed"
    stored = store.articles(refresh=True)
    assert sorted(stored) == sorted(fx.good_ids)
    assert report.added == len(fx.good_ids)
    # Every stored article is whole: its chunks rebuild the text, no noise got in.
    for aid, info in stored.items():
        chunks = store.article_chunks(aid)
        assert len(chunks) == info.n_chunks >= 1
    html = " ".join(p.text for p in store.article_chunks(f"{fx.root.name}/scripts.html"))
    assert "footbridge" in html and "SCRIPT NOISE" not in html and "IFRAME NOISE" not in html
    # Not UTF-8: decoded with the detected legacy code page and stored, accents intact.
    latin = store.article_chunks(f"{fx.root.name}/latin1.txt")[0].text
    assert "The price of a café crème in the old town rose to £4 this week" in latin
    # A record id with "../" is only an id: nothing outside the folder was written or read.
    assert fx.outside.read_text(encoding="utf-8") == "untouched\n"
    assert "A record whose id is a path" in store.article_chunks("../../../outside-canary.txt")[0].text
    # The keyword index holds exactly what Chroma holds.
    store.sync_keywords(force=True)
    assert set(store.keywords.synced()) == set(stored)
    # Bounded: the 50 MB file is never read and the 10 MB line never chunked.
    print(f"\nhostile files: {len(fx.bad)} skipped with reasons, {report.added} landed, {seconds:.1f} s")
    assert seconds < 120


def test_hostile_web_inputs(store: NewsStore, tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text(
        "Good file\nThe library extended its opening hours to ten at night from next week.\n"
    )
    with hostile_web() as url:
        options = IngestOptions(
            fetch=FetchOptions(
                allow_private=True, timeout_seconds=5, max_feed_items=4, max_bytes=2 * 1024 * 1024
            )
        )
        inputs = [
            f"{url}/forever/0",
            f"{url}/to-file",
            f"{url}/feed.xml",
            f"{url}/scripts",
            f"{url}/binary",
            f"{url}/endless",
            "file:///etc/passwd",
            "ftp://127.0.0.1/news.txt",
            str(tmp_path / "ok.txt"),
        ]
        t0 = time.perf_counter()
        report = ingest(inputs, store, options=options)
        seconds = time.perf_counter() - t0
    reasons = _reasons(report)
    assert "more than 5 redirects" in reasons[f"{url}/forever/0"]
    assert "redirected to file:///etc/passwd" in reasons[f"{url}/to-file"]
    assert "only http:// and https://" in reasons[f"{url}/to-file"]
    assert f"{FEED_ITEMS:,} items" in reasons[f"{url}/feed.xml"]
    assert "ingest.max_feed_items" in reasons[f"{url}/feed.xml"]
    assert "binary" in reasons[f"{url}/binary"]
    assert "size limit" in reasons[f"{url}/endless"]
    assert "only http:// and https://" in reasons["file:///etc/passwd"]
    assert "only http:// and https://" in reasons["ftp://127.0.0.1/news.txt"]
    assert len(reasons) == len(report.failed) == 7
    stored = store.articles(refresh=True)
    assert f"{url}/scripts" in stored and f"{tmp_path.name}/ok.txt" in stored
    assert sum(1 for aid in stored if aid.startswith(f"{url}/feed.xml#")) == 4, "the feed is capped"
    assert report.added == 1 + 4 + 1
    text = " ".join(p.text for p in store.article_chunks(f"{url}/scripts"))
    assert "Bexley" in text and "SCRIPT NOISE" not in text and "IFRAME NOISE" not in text
    print(f"\nhostile web: {len(reasons)} refused or capped, {report.added} landed, {seconds:.1f} s")


def test_private_and_loopback_addresses_need_the_setting() -> None:
    with hostile_web() as url:
        for target in (f"{url}/scripts", "http://localhost:9/", "http://[::1]:9/", "http://10.0.0.1/x"):
            with pytest.raises(InputError, match=r"private/loopback.*allow_private_urls"):
                fetch(target, FetchOptions(timeout_seconds=2))
        assert fetch(f"{url}/scripts", FetchOptions(allow_private=True, timeout_seconds=5)).body
    with pytest.raises(InputError, match="only http:// and https://"):
        fetch("gopher://127.0.0.1/", FetchOptions(allow_private=True))


def test_upload_names_with_dot_dot_stay_in_the_staging_folder(tmp_path: Path) -> None:
    from ui.uploads import stage_uploads

    received = tmp_path / "received"
    received.mkdir()
    one, two = received / "blob1", received / "blob2"
    one.write_text("Title\nA story uploaded under a hostile name.\n")
    two.write_text("Title\nAnother story uploaded under a hostile name.\n")
    dest = tmp_path / "staging"
    staged = stage_uploads(
        [(str(one), "../../../../etc/cron.d/evil.txt"), (str(two), "..\\..\\win.md")], dest, max_mb=1
    )
    assert staged.paths and all(p.parent == dest / "uploads" for p in staged.paths)
    assert sorted(staged.display.values()) == ["evil.txt", "win.md"]
    assert not (tmp_path / "etc").exists()


NAV_ONLY = (
    "<html><head><title>menu</title></head><body><nav><ul>"
    + "".join(
        f"<li><a href='/{w.lower()}'>{w}</a></li>" for w in ("Home", "News", "Sport", "Weather", "Contact us")
    )
    + "</ul></nav></body></html>"
)


def test_malformed_urls_and_navigation_only_pages_are_reported_and_the_folder_is_stored(
    tmp_path: Path,
) -> None:
    import json

    from typer.testing import CliRunner

    from cli import app
    from tests.feed_server import FeedServer, Route

    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "Harbour reopens\nThe harbour reopened on Tuesday after three weeks of repairs.\n"
    )
    (folder / "menu.html").write_text(NAV_ONLY)
    records = [
        {
            "id": "ok-1",
            "title": "Ferry",
            "text": "The morning ferry left on time for the first time in weeks.",
        },
        {"title": "Bad link", "text": "A record whose link is broken.", "url": "http://[::1"},
        {
            "title": "Bad port",
            "text": "A record whose port is out of range.",
            "url": "https://x.example:99999/",
        },
    ]
    (folder / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    with FeedServer() as server:
        server.routes["/menu"] = Route(NAV_ONLY.encode())
        args = ["ingest", str(folder), "http://[::1", "http://x.example:99999/", server.url("/menu")]
        flags = ["--json", "--no-progress", "--allow-private-urls", "--home", str(tmp_path / "home")]
        result = CliRunner().invoke(app, [*args, *flags, "--collection", "hostile"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    reasons = {f["input"]: f["reason"] for f in report["failed"]}
    assert "not a valid URL" in reasons["http://[::1"] and "Invalid IPv6 URL" in reasons["http://[::1"]
    assert "not a valid URL" in reasons["http://x.example:99999/"]
    assert "only navigation" in reasons[server.url("/menu")]
    assert "only navigation" in reasons[str(folder / "menu.html")]
    assert "field url: not a valid URL" in reasons[f"{folder / 'records.jsonl'}:2"]
    assert "field url: not a valid URL" in reasons[f"{folder / 'records.jsonl'}:3"]
    assert len(reasons) == 6
    assert report["added"] == 2  # the folder's good text file and good record
