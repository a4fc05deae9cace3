"""CLI command ``mcp``: the MCP server over stdio, for MCP clients that start it themselves
(registered on the ``newsrag`` app by :func:`register`). Tools: search_news, ask, get_article.

Nothing but the protocol goes to stdout; messages go to stderr. Exit codes: 0 the client closed the
connection; 2 usage errors.
"""

from __future__ import annotations

import typer

from cli._options import BackendOpt, Where, where_flags


@where_flags()
def mcp_command(backend: BackendOpt = None, *, where: Where) -> None:
    """Serve the collection as MCP tools over stdin/stdout (search_news, ask, get_article)."""
    from rag import NewsRAG

    settings = where.settings(**{"llm.backend": backend})

    from server import build_mcp

    api = NewsRAG(settings)
    try:
        build_mcp(api).run("stdio")
    finally:
        api.close()


def register(app: typer.Typer) -> None:
    """Add ``mcp`` to the ``newsrag`` app."""
    app.command("mcp")(mcp_command)
