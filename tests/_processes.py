"""Child processes for the tests: a free (or a taken) loopback port, servers started and waited for until
ready, then stopped, and the small story corpus children ingest."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from cli._env import DEFAULTS

REPO = Path(__file__).resolve().parents[1]


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a child process running this checkout's code: offline, no telemetry."""
    return {**os.environ, **DEFAULTS, "PYTHONPATH": str(REPO), **extra}


def newsrag_argv(*args: str) -> list[str]:
    """The ``newsrag`` console script as a child's argv: ``cli`` from the child's path (this
    checkout, or an installed copy)."""
    return [sys.executable, "-c", "from cli import main; main()", *args]


def run_newsrag(*args: str, env: Mapping[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``newsrag args`` run to its end (at most 10 minutes), its output captured as text."""
    return subprocess.run(newsrag_argv(*args), cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def python_child(code: str, *args: str, cwd: Path) -> subprocess.Popen[str]:
    """``python -c code args`` in its own session; its stdout a text pipe, its stderr dropped."""
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=child_env(),
        cwd=cwd,
        start_new_session=True,
    )


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def taken_port() -> Iterator[int]:
    """A loopback port something listens on for the length of the ``with`` block."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def write_stories(root: Path, n: int) -> None:
    """``n`` short council stories, one text file each, under the new folder ``root``."""
    root.mkdir(parents=True)
    for i in range(n):
        (root / f"{i:04d}.txt").write_text(
            f"Council {i} approves harbour plan\n"
            f"The council of district {i} approved harbour plan {i} on Tuesday by {i % 9 + 3} votes. "
            f"Work will begin in spring and cost {i * 13 + 100} thousand pounds, the chair said.\n"
            f"Residents of district {i} wrote {i % 50 + 10} letters about the plan.\n",
            encoding="utf-8",
        )


def wait_for_http(url: str, proc: subprocess.Popen[bytes], log: Path, what: str, timeout: float) -> None:
    """Until ``GET url`` answers 200; a clear error with the log's tail if ``proc`` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            tail = log.read_text()[-3000:]
            raise RuntimeError(f"{what} did not answer {url} within {timeout:.0f} s:\n{tail}")
        time.sleep(0.3)


def stop(proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """Terminate ``proc`` (continuing it first if a test stopped it), killing it if it does not exit."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGCONT)
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def running(
    argv: Sequence[str],
    *,
    ready: str,
    log: Path,
    what: str,
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``argv`` (output appended to ``log``), wait until ``ready`` answers 200, yield it; stop it."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            list(argv), env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_for_http(ready, proc, log, what, timeout)
        yield proc
    finally:
        stop(proc)


@contextmanager
def chat_server(home: Path, *, ingest: Path | None = None) -> Iterator[str]:
    """``newsrag chat`` (extractive, no other ``NEWSRAG_`` settings) over ``home``, after ingesting
    ``ingest`` there when given; yields the page's URL and stops the server after."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSRAG_")}
    env |= {"NEWSRAG_HOME": str(home), "NEWSRAG_LLM__BACKEND": "extractive", "PYTHONPATH": str(REPO)}
    if ingest is not None:
        done = run_newsrag("ingest", str(ingest), "--no-progress", env=env, cwd=REPO)
        assert done.returncode == 0, done.stderr
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    argv = newsrag_argv("chat", "--port", str(port))
    with running(argv, ready=url, log=home / "chat.log", what="newsrag chat", timeout=240, env=env, cwd=REPO):
        yield url
