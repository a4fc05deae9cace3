"""``newsrag chat`` (or ``serve``) in a child process on a free loopback port, for the access, load and
integration tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests._processes import REPO, child_env, free_port, running

__all__ = ["REPO", "chat_app", "listening_addresses", "newsrag_env"]


def newsrag_env(home: Path, **settings: str) -> dict[str, str]:
    """The environment of a newsrag child process: offline, its own home, ``NEWSRAG_*`` settings."""
    named = {f"NEWSRAG_{k.upper()}": v for k, v in settings.items()}
    return child_env(NEWSRAG_HOME=str(home), **named)


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a socket listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found: set[str] = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state = fields[1], fields[3]
            addr_hex, port_hex = local.split(":")
            if state != "0A" or int(port_hex, 16) != port:  # 0A: LISTEN
                continue
            if width == 8:
                raw = bytes.fromhex(addr_hex)[::-1]
                found.add(".".join(str(b) for b in raw))
            else:
                groups = [bytes.fromhex(addr_hex[i : i + 8])[::-1].hex() for i in range(0, 32, 8)]
                found.add(":".join(g[j : j + 4] for g in groups for j in (0, 4)))
    return found


@contextmanager
def chat_app(
    home: Path,
    *args: str,
    settings: dict[str, str] | None = None,
    timeout: float = 180,
    command: str = "chat",
) -> Iterator[tuple[str, int]]:
    """Start ``newsrag <command>`` with ``args`` and ``NEWSRAG_<settings>``; yield (URL, port); stop it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-c", "from cli import main; main()", command, "--port", str(port), *args]
    env = newsrag_env(home, **(settings or {}))
    log = home.parent / f"{command}-{port}.log"
    what = f"newsrag {command}"
    with running(argv, ready=f"{url}/", log=log, what=what, timeout=timeout, env=env, cwd=home.parent):
        yield url, port
