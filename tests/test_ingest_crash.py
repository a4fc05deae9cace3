"""kill -9 in the middle of writing a batch, then run again: no duplicates, no half articles."""

from __future__ import annotations

import os
import signal
import textwrap
import time
from pathlib import Path

import pytest

from ingest import ingest
from rag.store import NewsStore
from tests._processes import REPO, python_child, write_stories

# Runs the real ingest in a child process; once the second batch's chunks are in Chroma (and the
# articles are still marked pending), it says so and waits to be killed.
CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from ingest import IngestOptions, ingest
    from rag.store import NewsStore

    store = NewsStore(Path(sys.argv[1]), collection="crash")

    class Chunks:
        def __init__(self, inner):
            self.inner, self.adds = inner, 0
        def __getattr__(self, name):
            return getattr(self.inner, name)
        def add(self, **kw):
            self.inner.add(**kw)
            self.adds += 1
            if self.adds == 2:
                print("MIDWRITE", flush=True)
                time.sleep(600)

    store.chunks = Chunks(store.chunks)
    ingest([sys.argv[2]], store, options=IngestOptions(batch_chunks=8))
    print("FINISHED", flush=True)
    """
)


@pytest.mark.slow
def test_kill_9_mid_ingest_then_rerun(tmp_path: Path, embeddings: object) -> None:
    root = tmp_path / "stories"
    write_stories(root, 30)
    home = tmp_path / "home"
    child = python_child(CHILD, str(home), str(root), cwd=REPO)
    try:
        assert child.stdout is not None
        deadline = time.monotonic() + 300
        line = ""
        while time.monotonic() < deadline:
            line = child.stdout.readline()
            if line.strip() in ("MIDWRITE", "FINISHED") or not line:
                break
        assert line.strip() == "MIDWRITE", f"the child did not reach the middle of a write: {line!r}"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()

    store = NewsStore(home, collection="crash", embeddings=embeddings)  # type: ignore[arg-type]
    try:
        half = store.pending_ids()
        assert half, "the kill landed while articles were pending"
        done_before = set(store.articles(refresh=True))
        assert not set(half) & done_before
        report = ingest([root], store)
        assert report.repaired == len(half)
        assert report.added + report.unchanged == 30 and not report.failed
        assert report.unchanged == len(done_before)
        infos = store.articles(refresh=True)
        assert len(infos) == 30 and not store.pending_ids()
        everything = store.chunks.get(include=["metadatas"])
        ids = everything["ids"]
        assert len(ids) == len(set(ids)) == sum(i.n_chunks for i in infos.values()), "no stray chunks"
        for aid, info in infos.items():
            assert len(store.article_chunks(aid)) == info.n_chunks
        assert len(store.keywords.synced()) == 30
        again = ingest([root], store)
        assert (again.added, again.unchanged, again.chunks_added, again.repaired) == (0, 30, 0, 0)
    finally:
        store.close()
