"""The ``newsrag`` app run in-process, as the CLI tests call it."""

from __future__ import annotations

from typer.testing import CliRunner

from cli import app

_runner = CliRunner()


def run_cli(*args: str) -> tuple[int, str, str]:
    """``newsrag args``: its exit code, stdout and stderr."""
    result = _runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr
