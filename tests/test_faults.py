"""Faults: ``kill -9`` of an ingest at random points, the Chroma server stopped or hung mid-query, the
LLM server unreachable or slow (the disk and concurrent writers: test_faults_disk.py). Each gives a
clear error naming what failed; retrieval-only answers are still offered when the LLM is the part
that failed; nothing is left written half.
"""

from __future__ import annotations

import json
import os
import queue
import random
import signal
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest

from ingest import IngestOptions, RawArticle, ingest, iter_input, make_article
from ingest.loaders import LoadOptions
from rag.answering import LLMUnavailableWithPassages
from rag.api import NewsRAG
from rag.embeddings import MiniLMEmbeddings
from rag.errors import LLMUnavailableError, StoreError
from rag.records import Answer
from rag.settings import LLMSettings, Settings
from rag.store import NewsStore
from tests._fault_samples import QUESTION, write_samples
from tests._http import QuietHandler, http_server
from tests._processes import free_port, python_child
from tests.chroma_server import chroma_binary, chroma_process

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
# ---- kill -9 at random points --------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from ingest import IngestOptions, ingest
    from rag.store import NewsStore

    store = NewsStore(Path(sys.argv[1]), collection="faults")
    print("REPAIRED", len(store.repair()), flush=True)

    class SlowDisk:  # a slow disk: the window between "pending" and "complete" grows to ~0.5 s
        def __init__(self, inner):
            self.inner = inner
        def __getattr__(self, name):
            return getattr(self.inner, name)
        def add(self, **kw):
            self.inner.add(**kw)
            time.sleep(0.5)

    store.chunks = SlowDisk(store.chunks)
    report = ingest(
        [sys.argv[2]],
        store,
        options=IngestOptions(batch_chunks=int(sys.argv[3])),
        progress=lambda p: print("WROTE", p.chunks, flush=True),
    )
    print("DONE", report.added, report.unchanged, flush=True)
    """
)

TOWNS = ["Arbroath", "Bala", "Cobh", "Dunbar", "Ely", "Fowey", "Girvan", "Hythe", "Irvine", "Jarrow"]


def _corpus(root: Path, n: int) -> None:
    root.mkdir(parents=True)
    for i in range(n):
        town = f"{TOWNS[i % len(TOWNS)]} {i}"
        (root / f"{i:04d}.txt").write_text(
            f"{town} council approves harbour plan number {i}\n"
            f"The council of {town} met on Tuesday and approved plan {i} for the harbour by {i % 9 + 3} "
            f"votes to {i % 4}. The chair said work would begin in spring and cost {i * 13 + 100} "
            f"thousand pounds. Residents of {town} had written {i % 50 + 10} letters about it.\n"
            f"Opponents said the plan for {town} would harm the fishing fleet and the seals that breed "
            f"on the sandbanks. The council will publish a full report on plan {i} next month.\n",
            encoding="utf-8",
        )


class _Lines:
    """A child's stdout lines, read in a thread so the test can wait for one with a timeout."""

    def __init__(self, stream: Any) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: Any) -> None:
        for line in stream:
            self.lines.put(line.strip())

    def wait_for(self, prefix: str, timeout: float, at_least: int = 0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            self.seen.append(line)
            if line.startswith(prefix) and int(line.split()[1]) >= at_least:
                return line
            if line.startswith("DONE"):
                return line
        return ""


@pytest.mark.slow
def test_kill_9_at_random_points_then_rerun(tmp_path: Path, embeddings: MiniLMEmbeddings) -> None:
    n_articles, kills = 200, 8
    root = tmp_path / "stories"
    _corpus(root, n_articles)
    home = tmp_path / "home"
    rng = random.Random(20240305)
    landed, finished, repaired_total, t_start = 0, 0, 0, time.perf_counter()
    log: list[dict[str, object]] = []
    for round_no in range(kills):
        child = python_child(CHILD, str(home), str(root), "4", cwd=tmp_path)
        try:
            lines = _Lines(child.stdout)
            repaired = lines.wait_for("REPAIRED", 180)
            assert repaired, "the child did not open the store"
            # Wait for two batches of this run to be written (the first one also warms the model
            # up), then kill at a random moment of the next batch cycle (embedding, then writing),
            # however busy the machine is.
            first = lines.wait_for("WROTE", 180, at_least=1)
            t_first = time.monotonic()
            if not first.startswith("DONE"):
                first = lines.wait_for("WROTE", 180, at_least=int(first.split()[1]) + 1)
            delay = rng.uniform(0.0, time.monotonic() - t_first)
            time.sleep(delay)
            if child.poll() is None and not first.startswith("DONE"):
                os.kill(child.pid, signal.SIGKILL)
                landed += 1
                outcome = "killed"
            else:
                finished += 1
                outcome = "finished first"
            child.wait(timeout=30)
            while not lines.lines.empty():
                lines.seen.append(lines.lines.get())
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        wrote = [int(x.split()[1]) for x in lines.seen if x.startswith("WROTE")]
        repaired_n = int(repaired.split()[1])
        repaired_total += repaired_n
        log.append(
            {
                "round": round_no,
                "delay_s": round(delay, 2),
                "outcome": outcome,
                "half_written_repaired_at_start": repaired_n,
                "chunks_written_before_kill": max(wrote, default=0),
            }
        )
    assert landed >= kills // 2, f"most kills must land mid-run ({log})"

    store = NewsStore(home, collection="faults", embeddings=embeddings)
    try:
        pending = len(store.pending_ids())
        report = ingest([root], store, options=IngestOptions(batch_chunks=4))
        assert not report.failed
        assert report.added + report.unchanged == n_articles
        infos = store.articles(refresh=True)
        assert len(infos) == n_articles and not store.pending_ids()

        everything = store.chunks.get(include=["metadatas"])
        ids = everything["ids"]
        assert len(ids) == len(set(ids)) == sum(i.n_chunks for i in infos.values()), "no stray chunks"
        by_article: dict[str, int] = {}
        for meta in everything["metadatas"]:
            by_article[meta["article_id"]] = by_article.get(meta["article_id"], 0) + 1
        assert by_article == {aid: info.n_chunks for aid, info in infos.items()}

        # Each article is whole: its chunks, in order, are slices of the cleaned text covering it all.
        expected = {
            raw.id: make_article(raw).text
            for raw in iter_input(str(root), LoadOptions())
            if isinstance(raw, RawArticle)
        }
        for aid, info in infos.items():
            text = expected[aid]
            chunks = store.article_chunks(aid)
            assert len(chunks) == info.n_chunks
            covered = 0
            for c in chunks:
                assert c.text == text[c.start : c.end]
                assert not text[covered : c.start].strip(), f"{aid}: a gap before chunk {c.position}"
                covered = max(covered, c.end)
            assert not text[covered:].strip(), f"{aid}: the end is missing"

        # The keyword index agrees with Chroma, chunk for chunk.
        fts = {cid for (cid,) in store.keywords._db.execute("SELECT chunk_id FROM chunks").fetchall()}
        assert fts == set(ids)
        assert store.keywords.synced() == {aid: info.content_hash for aid, info in infos.items()}
        again = ingest([root], store)
        assert (again.added, again.unchanged, again.chunks_added, again.repaired) == (0, n_articles, 0, 0)
    finally:
        store.close()
    seconds = time.perf_counter() - t_start
    figures = {
        "articles": n_articles,
        "kill_rounds": kills,
        "kills_mid_run": landed,
        "runs_finished_before_kill": finished,
        "pending_left_by_last_kill": pending,
        "repaired_on_rerun": report.repaired,
        "half_written_articles_repaired_over_all_runs": repaired_total + report.repaired,
        "seconds": round(seconds, 1),
        "rounds": log,
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "kill9.json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(
        f"\nkill -9: {landed} kills mid-run, {repaired_total} half-written articles repaired, {seconds:.0f} s"
    )


# ---- the Chroma server stopped or hung -----------------------------------------------------------


def _wait_stopped(pid: int, timeout: float = 10.0) -> None:
    """Until every thread of ``pid`` is stopped (a busy machine may take a moment to deliver it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = []
        for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
            try:
                states.append(stat.read_text().rsplit(")", 1)[1].split()[0])
            except OSError:
                continue
        if states and all(st in ("T", "t") for st in states):
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} did not stop")


@pytest.mark.slow
@pytest.mark.skipif(chroma_binary() is None, reason="the chroma CLI is not installed")
def test_chroma_server_stopped_or_hung_mid_query(tmp_path: Path, embeddings: MiniLMEmbeddings) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data = tmp_path / "server-data"
    settings = Settings(
        home=tmp_path / "home", chroma_url=url, collection="faults", llm=LLMSettings(backend="extractive")
    )
    with chroma_process(data, port):
        store = NewsStore(
            settings.home, collection="faults", chroma_url=url, embeddings=embeddings, timeout_seconds=3.0
        )
        ingest([write_samples(tmp_path / "in")], store)
        rag = NewsRAG(settings, store=store)
        assert not rag.ask(QUESTION).abstained

    # Stopped: asks fail at once with a StoreError that names the server; nothing else escapes.
    t0 = time.perf_counter()
    with pytest.raises(StoreError, match=f"Chroma .* failed at {url}"):
        rag.ask(QUESTION)
    assert time.perf_counter() - t0 < 10

    # Killed while questions are in flight: each one is answered or fails with a StoreError.
    outcomes: list[str] = []
    with chroma_process(data, port) as proc:
        assert not rag.ask(QUESTION).abstained, "answers again once the server is back"
        stop = threading.Event()

        def asker() -> None:
            while not stop.is_set():
                try:
                    rag.retrieve(QUESTION)
                    outcomes.append("ok")
                except StoreError as exc:
                    assert url in str(exc)
                    outcomes.append("store-error")
                except Exception as exc:  # pragma: no cover - the failure this test exists to catch
                    outcomes.append(f"other: {type(exc).__name__}: {exc}")

        threads = [threading.Thread(target=asker) for _ in range(3)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        proc.kill()
        proc.wait()
        time.sleep(1.5)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in threads)
    assert "ok" in outcomes and "store-error" in outcomes
    assert all(o in ("ok", "store-error") for o in outcomes), sorted(set(outcomes))

    # Hung (SIGSTOP): a query times out with a StoreError instead of waiting for ever.
    with chroma_process(data, port) as proc:
        rag.ask(QUESTION)
        os.kill(proc.pid, signal.SIGSTOP)
        _wait_stopped(proc.pid)
        t0 = time.perf_counter()
        with pytest.raises(StoreError, match=url):
            store.articles(refresh=True)
        hung = time.perf_counter() - t0
        os.kill(proc.pid, signal.SIGCONT)
        assert hung < 15, f"a hung server held a query for {hung:.0f} s"
        assert rag.ask(QUESTION).citations
    store.close()


# ---- the LLM server unreachable or slow ------------------------------------------------------------


class _SlowLLM(QuietHandler):
    delay = 5.0

    def do_POST(self) -> None:
        time.sleep(self.delay)
        body = b'{"error": "too late"}'
        with suppress(OSError):
            self.send_body(500, body, "application/json")


@contextmanager
def _slow_llm() -> Iterator[str]:
    with http_server(_SlowLLM) as url:
        yield f"{url}/v1"


def test_llm_server_unreachable_or_slow_gives_passages(filled_store: NewsStore, tmp_path: Path) -> None:
    from ui.handlers import ChatHandlers

    dead = f"http://127.0.0.1:{free_port()}/v1"
    with _slow_llm() as slow:
        for base_url, what in ((dead, "cannot reach"), (slow, "timed out")):
            settings = Settings(
                home=tmp_path / "home",
                collection="faults",
                llm=LLMSettings(backend="openai", base_url=base_url, timeout_seconds=1.0),
            )
            rag = NewsRAG(settings, store=filled_store)
            t0 = time.perf_counter()
            with pytest.raises(LLMUnavailableWithPassages) as info:
                rag.ask(QUESTION)
            assert time.perf_counter() - t0 < 15, "bounded by the timeout and one retry"
            assert what in str(info.value) and base_url in str(info.value)
            assert "nato.txt" in info.value.passages[0].article_id, "retrieval results come with it"
            # The page's API gives the same: the error and the retrieved passages.
            out = ChatHandlers(rag, settings).ask(QUESTION)
            assert base_url in out["error"] and out["passages"][0]["title"].startswith("NATO chief")
            # Retrieval-only answers are still there.
            answer = rag.ask(QUESTION, backend="extractive")
            assert isinstance(answer, Answer) and not answer.abstained and "Stoltenberg" in answer.text
    assert isinstance(info.value, LLMUnavailableError)
