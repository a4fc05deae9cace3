"""The combined app: FastAPI routes first (``/v1``, ``/mcp``), the Gradio chat mounted at ``/``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from rag import NewsRAG, Settings
from server.access import RequireKey
from server.openai_api import chat_router
from server.tools import build_mcp

__all__ = ["create_server_app"]


def create_server_app(api: NewsRAG, settings: Settings) -> FastAPI:
    """The app ``newsrag serve`` runs (not started: hand it to uvicorn).

    Raises:
        ConfigError: ``ui.auth`` is not ``user:password``.
    """
    from ui import create_app, gradio_server, mount

    mcp = build_mcp(api)
    # Loopback hosts get the SDK's DNS-rebinding protection (Host and Origin must be local).
    mcp_http = mcp.streamable_http_app(streamable_http_path="/mcp", host=settings.ui.host)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with mcp.session_manager.run():
            yield

    app = FastAPI(title="newsrag", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(chat_router(api))
    app.router.routes.extend(mcp_http.routes)
    mount(app, create_app(api, settings), settings)
    chat = gradio_server(app)

    def login_app() -> Any | None:
        return chat if getattr(chat, "auth", None) is not None else None

    app.add_middleware(RequireKey, keys=settings.api_key_set(), chat=login_app)
    return app
