"""Faults of the disk and of concurrent writers: a store on a read-only disk, a disk turning
read-only mid-ingest, a second writer starting mid-write. Each gives a clear error naming what failed,
and nothing is left written half.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from ingest import ingest
from rag.api import NewsRAG
from rag.embeddings import MiniLMEmbeddings
from rag.errors import StoreError
from rag.settings import LLMSettings, Settings
from rag.store import NewsStore
from tests._fault_samples import QUESTION, write_samples
from tests._processes import child_env

# ---- a read-only disk ------------------------------------------------------------------------------
#
# A tmpfs cannot be remounted read-only while a process holds files on it open for writing (the
# kernel answers "busy"), and root ignores file modes, so the two cases are: a store on a disk that
# really is read-only (built by a child process, then the tmpfs remounted), and a disk that turns
# read-only under a running ingest, simulated at the lowest level Python reaches: Chroma's insert
# raising the very error the real read-only disk gave.

READONLY = "error returned from database: (code: 8) attempt to write a readonly database"


@contextmanager
def _tmpfs(path: Path) -> Iterator[Path]:
    """A small tmpfs at ``path`` that the test can remount read-only (root and mount rights needed)."""
    path.mkdir(parents=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", str(path)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip()}): read-only test not run")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


FILL = (
    "import sys; from pathlib import Path; from ingest import ingest; from rag.store import NewsStore; "
    "s = NewsStore(Path(sys.argv[1]), collection='faults'); ingest([sys.argv[2]], s); s.close()"
)


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_store_on_a_read_only_disk(tmp_path: Path) -> None:
    with _tmpfs(tmp_path / "disk") as disk:
        home = disk / "home"
        subprocess.run(
            [sys.executable, "-c", FILL, str(home), str(write_samples(tmp_path / "in"))],
            env=child_env(),
            check=True,
            capture_output=True,
            timeout=300,
        )
        before = sorted(p.name for p in home.rglob("*"))
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True, capture_output=True)
        with pytest.raises(StoreError) as info:
            NewsStore(home, collection="faults")
        message = str(info.value)
        assert str(home / "chroma") in message and "readonly" in message
        assert sorted(p.name for p in home.rglob("*")) == before, "nothing was written"


def test_disk_turning_read_only_mid_ingest(filled_store: NewsStore, tmp_path: Path) -> None:
    store = filled_store
    before = {aid: i.content_hash for aid, i in store.articles(refresh=True).items()}
    chunks_before = len(store.chunks.get(include=[])["ids"])
    more = tmp_path / "more"
    more.mkdir()
    for i in range(3):
        (more / f"ferry-{i}.txt").write_text(
            f"Ferry strike day {i}\nFerry crews walked out at dawn on day {i} over pay, "
            f"cancelling every crossing to island {i}.\n"
        )
    inner = store.chunks

    class ReadOnlyChunks:
        def __getattr__(self, name: str) -> object:
            return getattr(inner, name)

        def add(self, **kwargs: object) -> None:
            raise RuntimeError(READONLY)

    store.chunks = ReadOnlyChunks()
    try:
        with pytest.raises(StoreError, match=r"Chroma insert failed at .*readonly"):
            ingest([more], store)
        # Asking still works: reads do not need the disk to be writable.
        rag = NewsRAG(
            Settings(home=store.home, collection="faults", llm=LLMSettings(backend="extractive")), store=store
        )
        assert "Stoltenberg" in rag.ask(QUESTION).text
        # Nothing written half is visible: the failed batch was taken out again (or, where even that
        # fails, left pending, which readers never see and the next ingest repairs).
        assert {a: i.content_hash for a, i in store.articles(refresh=True).items()} == before
        left = len(store.pending_ids())
    finally:
        store.chunks = inner
    report = ingest([more], store)
    assert (report.repaired, report.added, len(report.failed)) == (left, 3, 0)
    infos = store.articles(refresh=True)
    assert len(store.chunks.get(include=[])["ids"]) == chunks_before + sum(
        infos[a].n_chunks for a in infos if a not in before
    )
    assert set(store.keywords.synced()) == set(infos)


# ---- two writers at once -------------------------------------------------------------------------


def test_a_second_writer_starting_mid_write_does_not_lose_the_first_ones_articles(
    tmp_path: Path, embeddings: MiniLMEmbeddings
) -> None:
    folder = write_samples(tmp_path / "in")
    writer_a = NewsStore(tmp_path / "home", collection="writers", embeddings=embeddings)
    writer_b = NewsStore(tmp_path / "home", collection="writers", embeddings=embeddings)
    inner = writer_a.chunks

    class SecondWriterStarts:
        def __getattr__(self, name: str) -> object:
            return getattr(inner, name)

        def add(self, **kwargs: Any) -> None:
            inner.add(**kwargs)
            writer_b.repair()  # another ingest starts now, on another machine, and repairs first

    writer_a.chunks = SecondWriterStarts()
    try:
        report = ingest([folder], writer_a)
    finally:
        writer_a.chunks = inner
    assert report.added == 2 and not report.failed
    infos = writer_b.articles(refresh=True)
    assert len(infos) == 2, f"articles A reported added are gone: {sorted(infos)}"
    for aid, info in infos.items():
        assert len(writer_b.article_chunks(aid)) == info.n_chunks
    writer_a.close()
    writer_b.close()
