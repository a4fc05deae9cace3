"""Shared fixtures: offline switches, the data folder, a fresh store per test."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.update(
    HF_HUB_OFFLINE="1",
    TRANSFORMERS_OFFLINE="1",
    ANONYMIZED_TELEMETRY="False",
    GRADIO_ANALYTICS_ENABLED="False",
    TOKENIZERS_PARALLELISM="false",
)


class NetworkBlocked(OSError):
    """A test tried to reach an address off this machine."""


def _is_loopback_ip(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:  # a host name other than localhost
        return False


def _loopback_only(connect: Any) -> Any:
    def guarded(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = str(address[0])
            if host != "localhost" and not _is_loopback_ip(host):
                raise NetworkBlocked(f"tests may only connect to loopback, not {host}")
        return connect(sock, address)

    return guarded


# Tests run offline: a connection to anything but loopback fails at once (the stack's telemetry and
# version checks are switched off above; this catches what a switch missed). Child processes are
# not covered: they get the offline switches through the environment.
socket.socket.connect = _loopback_only(socket.socket.connect)  # type: ignore[method-assign]
socket.socket.connect_ex = _loopback_only(socket.socket.connect_ex)  # type: ignore[method-assign]

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
SAMPLES = REPO / "samples"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """../shared/data, or a skip with the reason when it is absent."""
    if not (DATA / "README.md").exists():
        pytest.skip(f"needs the shared news data at {DATA} (absent on this machine)")
    return DATA


@pytest.fixture(scope="session")
def embeddings():  # type: ignore[no-untyped-def]
    """The real bundled model, loaded once per test session."""
    from rag.embeddings import MiniLMEmbeddings

    return MiniLMEmbeddings()


@pytest.fixture(scope="session")
def corpus_1k(data_dir: Path, embeddings, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """corpus-1k.jsonl ingested once per session as ``newsrag ingest`` does it (chunk sizes from the
    Settings): ``(path, store, report)``. Shared by the id/date test and the dev-set retrieval test,
    so CI embeds the thousand articles once."""
    from ingest import IngestOptions, ingest
    from rag.settings import Settings
    from rag.store import NewsStore

    path = data_dir / "realtimeqa" / "corpus-1k.jsonl"
    s = NewsStore(tmp_path_factory.mktemp("corpus-1k"), collection="realtimeqa-1k", embeddings=embeddings)
    report = ingest([path], s, options=IngestOptions.from_settings(Settings()))
    yield path, s, report
    s.close()


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory, data_dir: Path, embeddings) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A store of the seed article among the other news inputs (``answering_data.news_inputs``)."""
    from tests.answering_data import build_store, news_inputs

    store = build_store(tmp_path_factory.getbasetemp(), "news", news_inputs(data_dir), embeddings)
    yield store
    store.close()


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory, embeddings) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A store of the project's own sample articles (``samples/``), the Skopje story among them:
    for tests that need the story but not the seed article's messiness (no ../shared/data needed)."""
    from tests.answering_data import SAMPLES, build_store

    store = build_store(tmp_path_factory.getbasetemp(), "samples", [SAMPLES], embeddings)
    yield store
    store.close()


@pytest.fixture
def store(tmp_path: Path, embeddings) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh embedded Chroma store in a temp dir."""
    from rag.store import NewsStore

    s = NewsStore(tmp_path / "home", collection="test", embeddings=embeddings)
    yield s
    s.close()


@pytest.fixture
def filled_store(tmp_path: Path, embeddings) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh store holding the fault tests' two stories (tests/_fault_samples.py)."""
    from ingest import ingest
    from rag.store import NewsStore
    from tests._fault_samples import write_samples

    s = NewsStore(tmp_path / "home", collection="faults", embeddings=embeddings)
    ingest([write_samples(tmp_path / "in")], s)
    yield s
    s.close()
