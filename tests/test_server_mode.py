"""Server mode end to end: ``NEWSRAG_CHROMA_URL`` points every process at one ``chroma run`` server.

- CLI ingest and ask in separate processes, each with its own ``NEWSRAG_HOME`` (its own keyword
  index): what one process ingests, the other answers from, both ways.
- What keeping each instance's keyword index in step costs (a full manifest read per sync), measured
  and written to ``test-artifacts/sync.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from rag.embeddings import MiniLMEmbeddings
from rag.records import Article, Chunk, chunk_id
from rag.store import NewsStore
from tests.chroma_server import chroma_binary, chroma_server

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"

pytestmark = pytest.mark.skipif(chroma_binary() is None, reason="the chroma CLI is not installed")

CLI = "from cli import main; main()"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """A real ``chroma run`` on a free loopback port."""
    with chroma_server(tmp_path / "server-data") as url:
        yield url


def newsrag(args: list[str], home: Path, url: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``newsrag ARGS`` in a fresh process with its own home, pointed at the server by environment."""
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "NEWSRAG_HOME": str(home),
        "NEWSRAG_CHROMA_URL": url,
        "NEWSRAG_COLLECTION": "shared",
        "NEWSRAG_LLM__BACKEND": "extractive",
        "NEWSRAG_RETRIEVAL__KEYWORD_SYNC_SECONDS": "0",
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }
    return subprocess.run(
        [sys.executable, "-c", CLI, *args],
        env=env,
        cwd=home.parent,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _ask(question: str, home: Path, url: str) -> dict[str, Any]:
    done = newsrag(["ask", question, "--json"], home, url)
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.slow
def test_two_processes_share_one_server(server: str, tmp_path: Path) -> None:
    """App A ingests the samples; app B (another home) answers from them; B adds a story, A finds it."""
    home_a, home_b = tmp_path / "a" / ".newsrag", tmp_path / "b" / ".newsrag"
    home_a.parent.mkdir()
    home_b.parent.mkdir()
    samples = REPO / "samples"

    done = newsrag(["ingest", str(samples), "--json", "--no-progress"], home_a, server)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1])["added"] == 4
    assert not (home_a / "chroma").exists(), "server mode must not create an embedded store"

    answer = _ask("What did Stoltenberg say about Balkan destabilization?", home_b, server)
    assert not answer["abstained"]
    assert any("nato-skopje" in c["article_id"] for c in answer["citations"])

    story = tmp_path / "b" / "lighthouse.txt"
    story.write_text(
        "Lighthouse keeper retires after forty years\n"
        "Arbroath, 3 March 2024 - Morag Lindsay, the last keeper of the Bell Rock lighthouse, retired on "
        "Friday after forty years of service. She said she would miss the sound of the sea most of all.\n",
        encoding="utf-8",
    )
    done = newsrag(["ingest", str(story), "--json", "--no-progress"], home_b, server)
    assert done.returncode == 0, done.stderr[-2000:]

    answer = _ask("Who was the last keeper of the Bell Rock lighthouse?", home_a, server)
    assert not answer["abstained"], answer
    assert any("lighthouse" in c["article_id"] for c in answer["citations"])
    assert "Lindsay" in answer["answer"]

    stats = newsrag(["stats", "--json"], home_b, server)
    assert json.loads(stats.stdout)["articles"] == 5
    # Each home keeps only its own keyword index, named after the server.
    for home in (home_a, home_b):
        assert [p.name for p in home.glob("keyword-*.sqlite3")] == [
            p.name for p in home_a.glob("keyword-*.sqlite3")
        ]


def _synthetic(n: int, start: int = 0) -> list[tuple[Article, list[Chunk]]]:
    items: list[tuple[Article, list[Chunk]]] = []
    for i in range(start, start + n):
        text = f"Report {i}: the council of town {i} approved budget line {i * 7} for the harbour works."
        a = Article(id=f"syn-{i}", title=f"Town {i} budget", text=text, published=date(2024, 1, 1 + i % 28))
        half = len(text) // 2
        chunks = [
            Chunk(
                id=chunk_id(a.id, j),
                article_id=a.id,
                position=j,
                text=text[s:e],
                start=s,
                end=e,
                n_tokens=0,
                embed_text=text[s:e],
            )
            for j, (s, e) in enumerate(((0, half), (half, len(text))))
        ]
        items.append((a, chunks))
    return items


@pytest.mark.slow
def test_keyword_sync_cost(server: str, tmp_path: Path, embeddings: MiniLMEmbeddings) -> None:
    """What another instance pays to keep its keyword index in step with the shared manifest."""
    n = 1000
    writer = NewsStore(tmp_path / "w", collection="sync", chroma_url=server, embeddings=embeddings)
    reader = NewsStore(tmp_path / "r", collection="sync", chroma_url=server, embeddings=embeddings)
    try:
        for start in range(0, n, 250):
            writer.write_articles(_synthetic(250, start))
        t0 = time.perf_counter()
        reader.sync_keywords(force=True)
        full = time.perf_counter() - t0
        assert len(reader.keywords.synced()) == n
        noop: list[float] = []
        for _ in range(5):
            t0 = time.perf_counter()
            reader.sync_keywords(force=True)
            noop.append(time.perf_counter() - t0)
        writer.write_articles(_synthetic(10, n))
        t0 = time.perf_counter()
        reader.sync_keywords(force=True)
        delta = time.perf_counter() - t0
        assert len(reader.keywords.synced()) == n + 10
        hits = reader.keyword_search(["council", f"town {n + 3}"], k=3)
        assert hits and hits[0][0].startswith(f"syn-{n + 3}#")
    finally:
        writer.close()
        reader.close()
    figures = {
        "articles": n,
        "chunks": 2 * n,
        "first_sync_s": round(full, 3),
        "noop_sync_s_median": round(sorted(noop)[len(noop) // 2], 4),
        "sync_10_new_s": round(delta, 3),
        "keyword_sync_seconds_default": 5.0,
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "sync.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"\nkeyword sync over HTTP: {json.dumps(figures)}")
