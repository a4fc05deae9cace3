"""Access: the chat binds to loopback by default; with a login set, no route (the API included)
answers without it; uploads are limited in size and type."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingest import ingest
from rag.settings import LLMSettings, Settings, UISettings
from tests.chat_server import chat_app, listening_addresses

USER, PASSWORD = "editor", "correct horse battery"
QUESTION = "What did Stoltenberg say about Balkan destabilization?"
SAMPLES = Path(__file__).resolve().parents[1] / "samples"

# Served to anyone so the login form can load: the page shell, its scripts, styles and fonts; and
# startup-events, which launch() calls itself before anyone can log in (afterwards it only says false).
PUBLIC = re.compile(
    r"^/($|login|logout|favicon\.ico|manifest\.json|robots\.txt|theme\.css|static/|assets/|svelte/|"
    r"custom_component/|pwa_icon|gradio_api/(login|logout|startup-events$)|__)"
)


def test_default_settings_bind_to_loopback() -> None:
    from ui.app import launch_kwargs

    kwargs = launch_kwargs(Settings())
    assert kwargs["server_name"] == "127.0.0.1" and kwargs["share"] is False and kwargs["auth"] is None


@pytest.fixture(scope="module")
def app_with_login(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """The chat page served in this process with a login and a 1 MB upload limit."""
    from rag.api import NewsRAG
    from ui.app import create_app, launch

    home = tmp_path_factory.mktemp("access") / "home"
    settings = Settings(
        home=home,
        collection="access",
        llm=LLMSettings(backend="extractive"),
        ui=UISettings(auth=f"{USER}:{PASSWORD}", port=0, max_upload_mb=1.0),
    )
    api = NewsRAG(settings)
    ingest([SAMPLES], api.store)
    demo = create_app(api, settings)
    from tests._processes import free_port

    fastapi_app, url, _ = launch(
        demo, settings, server_port=free_port(), prevent_thread_lock=True, quiet=True
    )
    try:
        yield url.rstrip("/"), fastapi_app
    finally:
        demo.close()
        api.close()


def _routes(routes: list[Any], prefix: str = "") -> list[tuple[str, str]]:
    """Every (method, path) served, included routers too; ``{api_name}`` is ``ask``, other path
    parameters ``x``."""
    out: list[tuple[str, str]] = []
    for route in routes:
        router = getattr(route, "original_router", None)  # FastAPI's included routers
        if router is not None:
            out.extend(_routes(router.routes, prefix + route.include_context.prefix))
            continue
        path = prefix + getattr(route, "path", "")
        path = re.sub(r"\{[^}:]+(:path)?\}", "x", path.replace("{api_name}", "ask"))
        methods = sorted(getattr(route, "methods", None) or {"GET"})
        out.extend((m, path) for m in methods if m not in ("HEAD", "OPTIONS"))
    return sorted(set(out))


def test_no_route_answers_without_the_login(app_with_login: tuple[str, Any]) -> None:
    url, fastapi_app = app_with_login
    routes = _routes(fastapi_app.routes)
    assert any(p.startswith("/gradio_api/call/") for _, p in routes), routes
    open_routes: list[str] = []
    with httpx.Client(timeout=10) as client:
        for method, path in routes:
            if PUBLIC.match(path):
                continue
            resp = client.request(method, url + path, json={"data": [QUESTION]})
            if resp.status_code < 400 or "Stoltenberg" in resp.text:
                open_routes.append(f"{method} {path} -> {resp.status_code}")
    assert not open_routes, "answered without a login:\n" + "\n".join(open_routes)
    # The page itself only shows the login form, not the app's data.
    page = httpx.get(url + "/", timeout=10).text
    assert "Stoltenberg" not in page and "Skopje" not in page


def test_the_api_answers_with_the_login(app_with_login: tuple[str, Any]) -> None:
    from gradio_client import Client

    url, _ = app_with_login
    with pytest.raises(Exception, match=r"(?i)auth|401|login|credentials"):
        Client(url, auth=(USER, "wrong password"), verbose=False)
    client = Client(url, auth=(USER, PASSWORD), verbose=False)
    out = client.predict(QUESTION, api_name="/ask")
    assert not out["abstained"] and "Stoltenberg" in out["answer"]


def test_uploads_are_limited_in_size_and_type(app_with_login: tuple[str, Any], tmp_path: Path) -> None:
    from gradio_client import Client

    url, _ = app_with_login
    client = Client(url, auth=(USER, PASSWORD), verbose=False)
    cookies = dict(client.cookies)
    big = tmp_path / "big.txt"
    big.write_bytes(b"Too big\n" + b"word " * (300 * 1024))  # 1.5 MB, over the 1 MB limit
    with big.open("rb") as fh:
        resp = httpx.post(f"{url}/gradio_api/upload", files={"files": fh}, cookies=cookies, timeout=30)
    assert resp.status_code == 413 or "size" in resp.text.lower(), (resp.status_code, resp.text[:300])
    with big.open("rb") as fh:
        resp = httpx.post(f"{url}/gradio_api/upload", files={"files": fh}, timeout=30)
    assert resp.status_code in (401, 403), "no upload without the login"

    from ui.uploads import stage_uploads

    odd = tmp_path / "tool.exe"
    odd.write_bytes(b"MZ" + b"\x00" * 100)
    ok = tmp_path / "note.txt"
    ok.write_text("Note\nThe ferry timetable changes on Monday.\n")
    staged = stage_uploads(
        [(str(odd), "tool.exe"), (str(ok), "note.txt"), (str(big), "big.txt")], tmp_path, 1
    )
    assert [p.suffix for p in staged.paths] == [".txt"]
    reasons = {f.input: f.reason for f in staged.refused}
    assert (
        "unsupported file type '.exe'" in reasons["tool.exe"] and "over the 1 MB limit" in reasons["big.txt"]
    )


@pytest.mark.slow
def test_newsrag_chat_listens_on_loopback_only(tmp_path: Path) -> None:
    with chat_app(tmp_path / "home", "--backend", "extractive") as (_, port):
        assert listening_addresses(port) == {"127.0.0.1"}
