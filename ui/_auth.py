"""Login for the whole app: with a login set, no ``/gradio_api/`` route answers an anonymous caller.

Gradio guards its data routes (``/config``, ``/gradio_api/queue/join``, ``/gradio_api/call/...``,
uploads, files) with the login cookie, but a few session routes (``heartbeat``, ``cancel``, ``reset``,
``stream``) answer anyone. This middleware closes them too. It reads the login cookie the way Gradio
does (``access-token[-unsecure]-<cookie_id>`` in ``app.tokens``), so a session logged in through the
page or ``gradio_client.Client(url, auth=(user, password))`` passes unchanged.
"""

from __future__ import annotations

import json
from http.cookies import SimpleCookie
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from rag import ConfigError

__all__ = ["RequireLogin", "logged_in", "parse_auth"]

_PROTECTED_PREFIX = "/gradio_api/"
# Gradio's launch() calls this itself, without a login, to run startup events once; later calls
# only return ``false``.
_OPEN = frozenset({"/gradio_api/startup-events"})
# FastAPI's own schema and docs pages describe every API route: not for anonymous callers either.
_SCHEMA = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``"user:password"`` as a pair, None for no login.

    Raises:
        ConfigError: not ``user:password`` (both parts non-empty).
    """
    if value is None or not value.strip():
        return None
    user, sep, password = value.partition(":")
    if not sep or not user.strip() or not password:
        raise ConfigError("the login must look like user:password (set ui.auth or pass --auth user:password)")
    return user.strip(), password


def _cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is simply not a login
                continue
    return {key: morsel.value for key, morsel in jar.items()}


def logged_in(scope: Scope, app: Any) -> bool:
    """Whether the request in ``scope`` carries a valid login cookie of the Gradio app ``app``."""
    cookie_id = getattr(app, "cookie_id", None)
    tokens = getattr(app, "tokens", None) or {}
    if cookie_id is None:
        return False
    cookies = _cookies(scope)
    for name in (f"access-token-{cookie_id}", f"access-token-unsecure-{cookie_id}"):
        token = cookies.get(name)
        if token and token in tokens:
            return True
    return False


class RequireLogin:
    """ASGI middleware: a 401 for every ``/gradio_api/`` request without a valid login, when the app
    has a login (``launch(auth=...)``). Pages, scripts and styles stay public so the login form loads;
    so does ``startup-events``, which ``launch()`` calls before anyone can log in (it does nothing
    after the first call)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] in ("http", "websocket") and (
            (path.startswith(_PROTECTED_PREFIX) and path not in _OPEN) or path in _SCHEMA
        ):
            gradio_app = scope.get("app")
            if getattr(gradio_app, "auth", None) is not None and not logged_in(scope, gradio_app):
                await _deny(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _deny(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    body = json.dumps({"detail": {"error": "Not authenticated", "auth_message": None}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
