"""Opening Chroma (embedded or a ``chroma run`` server) with our own embedding function."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from rag.embeddings import MiniLMEmbeddings
from rag.errors import StoreError

log = logging.getLogger(__name__)


class ChromaEmbeddingFunction:
    """Our own embedding function for Chroma, so Chroma never downloads its default model."""

    def __init__(self, embeddings: MiniLMEmbeddings) -> None:
        self._embeddings = embeddings

    def __call__(self, input: list[str]) -> list[np.ndarray]:
        return list(self._embeddings.embed_array(list(input)))

    def embed_query(self, input: list[str]) -> list[np.ndarray]:
        return self(input)

    @staticmethod
    def name() -> str:
        return "newsrag-minilm"

    def is_legacy(self) -> bool:
        return False

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine"]

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbeddingFunction:
        return ChromaEmbeddingFunction(MiniLMEmbeddings())


def _limit_http_time(client: Any, seconds: float) -> None:
    """Chroma's HTTP client waits for ever (``httpx.Client(timeout=None)``): a hung server would hang
    every question. Give its session a timeout, so a hung server fails like a stopped one."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(seconds, connect=min(seconds, 5.0))
    else:  # pragma: no cover - a chromadb version that moved its session
        log.warning("cannot set a timeout on Chroma's HTTP client (chromadb internals changed)")


def chroma_client(home: Path, chroma_url: str | None, timeout_seconds: float = 60.0) -> Any:
    """A Chroma client: the server at ``chroma_url``, else the embedded store under ``home``."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    try:
        if chroma_url:
            url = urlparse(chroma_url)
            if url.scheme not in ("http", "https") or not url.hostname:
                raise StoreError(f"NEWSRAG_CHROMA_URL must look like http://host:port, got {chroma_url!r}")
            client = chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
            _limit_http_time(client, timeout_seconds)
            return client
        path = home / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except StoreError:
        raise
    except Exception as exc:
        where = chroma_url or str(home / "chroma")
        raise StoreError(f"cannot open the Chroma store at {where}: {exc}") from exc
