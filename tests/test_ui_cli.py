"""``newsrag chat``: where it listens, the login, and usage errors (the server itself is not started)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import ui
from cli import app
from tests._processes import taken_port


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace ``ui.launch`` so the command returns at once; record what it would serve with."""
    calls: list[dict[str, Any]] = []

    def fake_launch(blocks: Any, settings: Any, **overrides: Any) -> tuple[Any, str, str]:
        calls.append({**ui.launch_kwargs(settings), **overrides, "blocks": blocks})
        blocks.block_thread = lambda: None  # as if stopped with Ctrl+C at once
        return None, "", ""

    monkeypatch.setattr(ui, "launch", fake_launch)
    for name in [n for n in os.environ if n.startswith("NEWSRAG_UI__")]:
        monkeypatch.delenv(name)
    return calls


def test_chat_serves_on_loopback_7860_by_default(launched: list[dict[str, Any]], tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["chat", "--home", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (kw,) = launched
    assert (kw["server_name"], kw["server_port"], kw["share"], kw["auth"]) == ("127.0.0.1", 7860, False, None)
    assert "http://127.0.0.1:7860" in result.output


def test_chat_flags_set_host_port_and_login(launched: list[dict[str, Any]], tmp_path: Path) -> None:
    args = ["chat", "--home", str(tmp_path), "--host", "127.0.0.2", "--port", "8123", "--auth", "ann:pw"]
    result = CliRunner().invoke(app, [*args, "--max-upload-mb", "3"])
    assert result.exit_code == 0, result.output
    (kw,) = launched
    assert (kw["server_name"], kw["server_port"], kw["auth"]) == ("127.0.0.2", 8123, ("ann", "pw"))
    assert kw["max_file_size"] == 3 * 1024 * 1024


def test_login_from_the_environment(
    launched: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSRAG_UI__AUTH", "env:secret")
    result = CliRunner().invoke(app, ["chat", "--home", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert launched[0]["auth"] == ("env", "secret")


def test_public_host_without_login_is_warned_about(launched: list[dict[str, Any]], tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["chat", "--home", str(tmp_path), "--host", "0.0.0.0"])
    assert result.exit_code == 0
    assert "without a login" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--auth", "just-a-user"], "user:password"),
        (["--backend", "gpt"], "is not one of"),
        (["--port", "70000"], "65535"),
    ],
)
def test_usage_errors_exit_2(
    launched: list[dict[str, Any]], tmp_path: Path, args: list[str], message: str
) -> None:
    result = CliRunner().invoke(app, ["chat", "--home", str(tmp_path), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not launched


def test_a_port_in_use_is_explained(tmp_path: Path) -> None:
    with taken_port() as port:
        result = CliRunner().invoke(app, ["chat", "--home", str(tmp_path), "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output and "--port" in result.output
    assert "newsrag chat on" not in result.output  # the address is printed only once it answers
