"""The ``newsrag`` command: a client of the ``rag`` library, beside the chat page (``ui``) and the
harness (``eval``). Each command group lives in its own module and registers itself here."""

from __future__ import annotations

import typer

from cli import ask, chat, check, evaluate, feeds, ingest, mcp, serve, stories, watches
from cli._env import set_env_defaults

set_env_defaults()


app = typer.Typer(
    name="newsrag",
    help="Question answering over news articles, with verified citations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

ingest.register(app)  # ingest, stats, delete
ask.register(app)  # ask
evaluate.register(app)  # eval (run, compare, report)
chat.register(app)  # chat (the web page)
feeds.register(app)  # feeds (add, list, remove, poll)
watches.register(app)  # watches (add, list, remove, digest)
serve.register(app)  # serve (the chat, an OpenAI-compatible API and MCP over HTTP)
mcp.register(app)  # mcp (the MCP server over stdio)
check.register(app)  # check, eval claims
stories.register(app)  # timeline, brief, eval stories


def main() -> None:
    """Entry point of the console script."""
    app()
