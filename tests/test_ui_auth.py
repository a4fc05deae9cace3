"""With a login set, no route of the app answers without it: the page's data, the queue, uploads,
files, the session routes Gradio leaves open, and the ``/ask`` API."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rag.api import NewsRAG
from rag.settings import LLMSettings, Settings, UISettings
from tests._processes import free_port
from ui import create_app, launch, launch_kwargs

USER, PASSWORD = "reader", "correct horse battery"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("auth-home")
    login = UISettings(auth=f"{USER}:{PASSWORD}", max_upload_mb=0.05)
    settings = Settings(home=home, llm=LLMSettings(backend="extractive"), ui=login)
    api = NewsRAG(settings)  # the store opens on first use: none of these requests gets that far
    app = create_app(api, settings)
    _, url, _ = launch(app, settings, server_port=free_port(), prevent_thread_lock=True, quiet=True)
    yield url.rstrip("/")
    app.close()
    api.close()


PROTECTED = [
    ("GET", "/config"),
    ("GET", "/gradio_api/info"),
    ("GET", "/gradio_api/openapi.json"),
    ("POST", "/gradio_api/queue/join"),
    ("GET", "/gradio_api/queue/data?session_hash=abc"),
    ("POST", "/gradio_api/call/ask"),
    ("POST", "/gradio_api/run/ask"),
    ("POST", "/gradio_api/upload"),
    ("GET", "/gradio_api/file=/etc/hostname"),
    ("GET", "/gradio_api/heartbeat/abc"),
    ("POST", "/gradio_api/cancel"),
    ("POST", "/gradio_api/reset"),
    ("POST", "/gradio_api/stream/abc"),
]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_no_route_answers_without_the_login(server: str, method: str, path: str) -> None:
    r = httpx.request(method, server + path, json={"data": ["What happened?"]}, timeout=10)
    assert r.status_code == 401, (path, r.status_code, r.text[:200])


def test_the_login_form_itself_loads(server: str) -> None:
    r = httpx.get(server + "/", timeout=10)
    assert r.status_code == 200 and "<html" in r.text.lower()


def test_a_wrong_password_is_refused(server: str) -> None:
    r = httpx.post(server + "/login", data={"username": USER, "password": "guess"}, timeout=10)
    assert r.status_code in (400, 401)
    assert not any(c.startswith("access-token") for c in r.cookies)


def test_gradio_client_needs_the_login(server: str) -> None:
    from gradio_client import Client

    with pytest.raises(Exception, match=r"(?i)credentials|login|401|authenticat"):
        Client(server, verbose=False)
    client = Client(server, auth=(USER, PASSWORD), verbose=False)
    out = client.predict("What did Stoltenberg say?", api_name="/ask")
    assert "empty" in out["error"]  # it answered: the collection of this test is empty


def test_logged_in_session_reaches_the_session_routes(server: str) -> None:
    with httpx.Client(base_url=server, timeout=10) as http:
        assert http.post("/login", data={"username": USER, "password": PASSWORD}).status_code == 200
        assert http.get("/config").status_code == 200
        assert http.get("/gradio_api/info").status_code == 200
        r = http.post("/gradio_api/upload", files={"files": ("a.txt", b"Title\nBody")})
        assert r.status_code == 200, r.text
        # over ui.max_upload_mb (0.05 MB here): refused by the server, not only by the page
        r = http.post("/gradio_api/upload", files={"files": ("big.txt", b"x" * 60_000)})
        assert r.status_code == 413, r.text


def test_no_analytics(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    app = create_app(NewsRAG(settings), settings)
    assert app.analytics_enabled is False
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"


def test_settings_never_share_and_limit_uploads(tmp_path: Path) -> None:
    kw = launch_kwargs(Settings(home=tmp_path, ui=UISettings(max_upload_mb=2)))
    assert kw["share"] is False
    assert kw["server_name"] == "127.0.0.1" and kw["server_port"] == 7860
    assert kw["auth"] is None
    assert kw["max_file_size"] == 2 * 1024 * 1024
    assert kw["ssr_mode"] is False and kw["mcp_server"] is False
