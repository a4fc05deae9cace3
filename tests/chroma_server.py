"""A real ``chroma run`` server on a free loopback port, for server-mode tests."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests._processes import free_port, running


def chroma_binary() -> str | None:
    """The ``chroma`` CLI installed beside this Python, if any."""
    beside = Path(sys.executable).with_name("chroma")
    return str(beside) if beside.exists() else shutil.which("chroma")


@contextmanager
def chroma_process(path: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """``chroma run`` on loopback ``port`` with its data in ``path``, ready; yield the process; stop it."""
    binary = chroma_binary()
    if binary is None:
        raise RuntimeError("the chroma CLI is not installed (pip install chromadb)")
    argv = [binary, "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(path)]
    ready = f"http://127.0.0.1:{port}/api/v2/heartbeat"
    log = path.parent / f"chroma-{port}.log"
    with running(argv, ready=ready, log=log, what="chroma run", timeout=60) as proc:
        yield proc


@contextmanager
def chroma_server(path: Path) -> Iterator[str]:
    """Start ``chroma run`` on a free loopback port with its data in ``path``; yield its URL; stop it."""
    port = free_port()
    with chroma_process(path, port):
        yield f"http://127.0.0.1:{port}"
