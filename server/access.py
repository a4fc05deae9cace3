"""Who may call the program routes (``/v1/...``, ``/mcp``): a bearer API key, or the chat's login.

- ``NEWSRAG_API_KEYS`` set: ``Authorization: Bearer <key>`` with one of them, or a browser session
  logged in to the chat page (when the chat has a login).
- no keys but a chat login (``ui.auth``): only a logged-in session.
- neither: anyone who can reach the address (loopback by default).

Anything else gets 401 with an OpenAI-style error body and ``WWW-Authenticate: Bearer``.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from ui import logged_in

__all__ = ["PROTECTED", "RequireKey"]

PROTECTED = ("/v1/", "/mcp")


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else None
    return None


def _key_matches(token: str, keys: frozenset[str]) -> bool:
    # Compare with every key, in constant time per key: how long a refusal takes says nothing.
    found = False
    for key in keys:
        found |= hmac.compare_digest(token.encode(), key.encode())
    return found


class RequireKey:
    """ASGI middleware guarding :data:`PROTECTED` paths as the module docstring says.

    Args:
        app: the app behind it.
        keys: the accepted API keys (empty: none).
        chat: returns the mounted Gradio app (its login tokens), or None when the chat has no login.
    """

    def __init__(self, app: ASGIApp, keys: frozenset[str], chat: Callable[[], Any | None]) -> None:
        self.app = app
        self.keys = keys
        self.chat = chat

    def allowed(self, scope: Scope) -> tuple[bool, str]:
        """(whether the request may pass, why not)."""
        chat = self.chat()
        if not self.keys and chat is None:
            return True, ""
        token = _bearer(scope)
        if token is not None and self.keys and _key_matches(token, self.keys):
            return True, ""
        if chat is not None and logged_in(scope, chat):
            return True, ""
        if token is None:
            return False, "missing API key: send Authorization: Bearer <key> (a key from NEWSRAG_API_KEYS)"
        if not self.keys:
            return False, "this server takes no API keys (NEWSRAG_API_KEYS is unset): log in to the chat"
        return False, "invalid API key"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] == "http" and path.startswith(PROTECTED):
            ok, why = self.allowed(scope)
            if not ok:
                await _deny(send, why)
                return
        await self.app(scope, receive, send)


async def _deny(send: Send, why: str) -> None:
    body = json.dumps(
        {"error": {"message": why, "type": "invalid_request_error", "code": "invalid_api_key"}}
    ).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"www-authenticate", b"Bearer"),
    ]
    await send({"type": "http.response.start", "status": 401, "headers": headers})
    await send({"type": "http.response.body", "body": body})
