"""``newsrag serve``: one web app with the chat page, its ``/ask`` endpoint, an OpenAI-compatible API
(``/v1/models``, ``/v1/chat/completions``) and an MCP server (streamable HTTP at ``/mcp``).

A client of ``rag`` and ``ui``; only ``cli`` imports it.

Example:
    >>> from rag import NewsRAG, Settings
    >>> settings = Settings()
    >>> app = create_server_app(NewsRAG(settings), settings)  # doctest: +SKIP
    >>> import uvicorn; uvicorn.run(app, host="127.0.0.1", port=7860)  # doctest: +SKIP
"""

from __future__ import annotations

from server.app import create_server_app
from server.tools import build_mcp

__all__ = ["build_mcp", "create_server_app"]
