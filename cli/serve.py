"""CLI command ``serve``: the chat page, its ``/ask`` endpoint, the OpenAI-compatible API (``/v1``) and
the MCP server (``/mcp``) in one web app (registered on the ``newsrag`` app by :func:`register`).

Serves on ``ui.host:ui.port`` (127.0.0.1:7860 by default). Programs authenticate with a bearer key
from ``NEWSRAG_API_KEYS``; browsers with the chat's login. Exit codes: 0 stopped with Ctrl+C;
1 the server could not start (port taken); 2 usage errors (bad settings or login).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from cli._options import fail, is_loopback, web_command

if TYPE_CHECKING:
    from rag import Settings


def serve(settings: Settings) -> None:
    """Serve the chat page, an OpenAI-compatible API (/v1) and an MCP server (/mcp) on one port."""
    import uvicorn

    from rag import ConfigError, NewsRAG
    from server import create_server_app

    api = NewsRAG(settings)
    try:
        app = create_server_app(api, settings)
    except ConfigError as exc:
        api.close()
        raise fail(str(exc), 2) from exc
    ui = settings.ui
    if not is_loopback(ui.host) and not ui.auth and not settings.api_key_set():
        typer.echo(
            f"warning: listening on {ui.host} without a login or API keys: anyone who can reach this "
            "machine can ask, add articles and call /v1 and /mcp (set --auth and NEWSRAG_API_KEYS)",
            err=True,
        )
    url = f"http://{ui.host}:{ui.port}"
    typer.echo(f"newsrag serve on {url}: chat /, OpenAI API {url}/v1, MCP {url}/mcp")
    typer.echo("Press Ctrl+C to stop.")
    config = uvicorn.Config(app, host=ui.host, port=ui.port, log_level="warning", lifespan="on")
    try:
        uvicorn.Server(config).run()
    except SystemExit as exc:  # uvicorn exits 1 when it cannot bind (it has logged why)
        typer.echo(
            f"error: cannot listen on {ui.host}:{ui.port}: stop what uses it, or pass --port N", err=True
        )
        raise typer.Exit(1) from exc
    finally:
        api.close()


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the ``newsrag`` app."""
    app.command("serve")(web_command(serve))
