"""Tests run offline: only loopback can be reached (tests/conftest.py)."""

from __future__ import annotations

import socket
import threading

import pytest


def test_an_address_off_the_machine_is_refused_at_once() -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s,
        pytest.raises(OSError, match="only connect to loopback"),
    ):
        s.connect(("93.184.216.34", 80))
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s, pytest.raises(OSError, match="loopback"):
        s.connect_ex(("2001:db8::1", 80))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, pytest.raises(OSError, match="loopback"):
        s.connect(("example.org", 80))


def test_loopback_still_works() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        accepted = threading.Thread(target=lambda: server.accept()[0].close())
        accepted.start()
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
        accepted.join(5)
