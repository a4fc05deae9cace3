"""CLI command ``chat``: the web page (registered on the ``newsrag`` app by :func:`register`).

Serves on ``ui.host:ui.port`` (127.0.0.1:7860 by default), never through a public share link.
Exit codes: 0 stopped with Ctrl+C; 1 the server could not start (port taken, store unreadable);
2 usage errors (bad settings, a login that is not ``user:password``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cli._options import fail, is_loopback, web_command

if TYPE_CHECKING:
    from rag import Settings


def chat(settings: Settings) -> None:
    """Open the chat page in your browser: ask, follow citations, add articles."""
    from rag import ConfigError, NewsRAG, NewsragError
    from ui import create_app, launch, launch_kwargs

    api = NewsRAG(settings)
    try:
        launch_kwargs(settings)  # a bad login setting fails here, before anything is printed
        app = create_app(api, settings)
        if not is_loopback(settings.ui.host) and not settings.ui.auth:
            typer.echo(
                f"warning: listening on {settings.ui.host} without a login: anyone who can reach this "
                "machine can ask and add articles (set --auth user:password)",
                err=True,
            )
        try:
            launch(app, settings, quiet=True, prevent_thread_lock=True)
        except OSError as exc:
            where = f"{settings.ui.host}:{settings.ui.port}"
            raise OSError(f"cannot listen on {where} ({exc}): stop what uses it, or pass --port N") from exc
        url = f"http://{settings.ui.host}:{settings.ui.port}"
        typer.echo(f"newsrag chat on {url}  (articles in {_where(settings.home, settings.chroma_url)})")
        typer.echo("Press Ctrl+C to stop.")
        app.block_thread()
    except ConfigError as exc:
        raise fail(str(exc), 2) from exc
    except (NewsragError, OSError) as exc:
        raise fail(str(exc), 1) from exc
    finally:
        api.close()


def _where(home: Path, chroma_url: str | None) -> str:
    return chroma_url or str(home)


def register(app: typer.Typer) -> None:
    """Add ``chat`` to the ``newsrag`` app."""
    app.command("chat")(web_command(chat))
