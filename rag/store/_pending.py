"""The store's write protocol, the parts outside Chroma: who left a *pending* record and whether it
can still be finished, and the placeholder vectors of manifest records."""

from __future__ import annotations

import hashlib
import os
import socket
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["PENDING_LEASE_SECONDS", "placeholders", "writer_is_gone", "writer_stamp"]

_HOST = socket.gethostname()
# A pending record from another machine is only taken for dead after this long: no batch write takes it.
PENDING_LEASE_SECONDS = 900.0


def writer_stamp() -> dict[str, Any]:
    """What a pending record carries about its writer: this host and process, and when it began."""
    return {"writer": f"{_HOST}:{os.getpid()}", "pending_since": time.time()}


def writer_is_gone(meta: dict[str, Any], now: float) -> bool:
    """Whether the writer that left this pending record can no longer finish it."""
    since = float(meta.get("pending_since") or 0.0)
    if now - since > PENDING_LEASE_SECONDS:
        return True
    host, _, pid = str(meta.get("writer", "")).rpartition(":")
    if host != _HOST or not pid.isdigit():
        return False  # another machine's writer: trust it until its lease runs out
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def placeholders(ids: Sequence[str]) -> np.ndarray:
    """A fixed pseudo-random vector per article id for the manifest (never searched; Chroma wants
    one per record). All-zero vectors made every manifest write several times slower: identical
    points are the worst case for its HNSW index."""
    out = np.empty((len(ids), 384), dtype=np.float32)
    for row, aid in enumerate(ids):
        seed = int.from_bytes(hashlib.blake2b(aid.encode("utf-8"), digest_size=8).digest(), "little")
        out[row] = np.random.default_rng(seed).standard_normal(384, dtype=np.float32)
    return out
