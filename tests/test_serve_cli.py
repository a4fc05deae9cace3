"""``newsrag serve`` and ``newsrag mcp``: usage errors, a taken port, and the parts the servers are built
from (an article rebuilt from its chunks, who passes the key check), without a running server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import openai
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from cli import app
from rag import Passage
from rag.store._meta import joined
from server.access import RequireKey
from tests._processes import taken_port


def test_serve_refuses_a_login_that_is_not_user_password(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["serve", "--home", str(tmp_path), "--auth", "no-colon"])
    assert result.exit_code == 2 and "user:password" in result.output


@pytest.mark.parametrize("command", ["serve", "mcp"])
def test_unknown_backend_is_a_usage_error(command: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, [command, "--home", str(tmp_path), "--backend", "gpt"])
    assert result.exit_code == 2 and "extractive" in result.output


def test_serve_on_a_taken_port_says_so_and_exits_1(tmp_path: Path) -> None:
    with taken_port() as port:
        result = CliRunner().invoke(app, ["serve", "--home", str(tmp_path), "--port", str(port)])
    assert result.exit_code == 1 and f"cannot listen on 127.0.0.1:{port}" in result.output


def _chunk(text: str, start: int, position: int) -> Passage:
    return Passage(
        chunk_id=f"a#{position}",
        article_id="a",
        text=text,
        start=start,
        end=start + len(text),
        position=position,
        title="T",
        published=date(2023, 11, 21),
        source="S",
        url="",
    )


def test_an_article_rebuilt_from_chunks_takes_overlaps_once_and_keeps_gaps_apart() -> None:
    article = "One two three. Four five six. Seven eight nine."
    chunks = [_chunk(article[0:20], 0, 0), _chunk(article[15:35], 15, 1), _chunk(article[30:], 30, 2)]
    assert joined(chunks) == article
    apart = [_chunk("First part.", 0, 0), _chunk("Second part.", 20, 1)]
    assert joined(apart) == "First part.\nSecond part."


def _guarded(keys: frozenset[str]) -> TestClient:
    api = FastAPI()
    api.get("/v1/models")(lambda: {"ok": True})
    api.get("/")(lambda: {"page": True})
    api.add_middleware(RequireKey, keys=keys, chat=lambda: None)
    return TestClient(api)


def test_keys_guard_v1_and_mcp_but_not_the_page() -> None:
    guarded = _guarded(frozenset({"k1", "k2"}))
    assert guarded.get("/v1/models", headers={"Authorization": "Bearer k2"}).status_code == 200
    wrong = guarded.get("/v1/models", headers={"Authorization": "Bearer k3"})
    assert wrong.status_code == 401 and wrong.json()["error"]["message"] == "invalid API key"
    assert "missing API key" in guarded.get("/v1/models").json()["error"]["message"]
    assert guarded.get("/v1/models", headers={"Authorization": "Basic azE6"}).status_code == 401
    assert guarded.post("/mcp").status_code == 401
    assert guarded.get("/").status_code == 200


def test_without_keys_or_login_everything_is_open() -> None:
    assert _guarded(frozenset()).get("/v1/models").status_code == 200


@pytest.fixture(scope="module")
def empty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Any]]:
    """The whole ``newsrag serve`` app in this process, over an empty collection."""
    from rag import NewsRAG, Settings
    from server import create_server_app

    settings = Settings(home=tmp_path_factory.mktemp("empty"), llm={"backend": "extractive"})
    api = NewsRAG(settings)
    with TestClient(create_server_app(api, settings)) as client:
        yield client, api
    api.close()


def test_an_empty_collection_is_an_error_naming_the_ingest_command(empty: tuple[TestClient, Any]) -> None:
    ai = openai.OpenAI(base_url="http://testserver/v1", api_key="none", http_client=empty[0], max_retries=0)
    messages: Any = [{"role": "user", "content": "What did Stoltenberg say?"}]
    with pytest.raises(
        openai.InternalServerError, match=r"is empty: add articles first, e\.g\. `newsrag ingest"
    ) as caught:
        ai.chat.completions.create(model="newsrag", messages=messages)
    assert caught.value.status_code == 503
    with pytest.raises(openai.APIError, match="is empty: add articles first"):
        list(ai.chat.completions.create(model="newsrag", messages=messages, stream=True))
    assert ai.models.retrieve("newsrag-extractive").owned_by == "newsrag (extractive)"
    with pytest.raises(openai.NotFoundError, match="unknown model 'gpt-4o'"):
        ai.models.retrieve("gpt-4o")


def test_a_slow_stream_sends_keepalive_comments_until_the_answer(
    empty: tuple[TestClient, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from server import openai_api

    client, api = empty
    real_ask = api.ask

    def slow_ask(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.5)
        return real_ask(*args, **kwargs)

    monkeypatch.setattr(openai_api, "KEEPALIVE_SECONDS", 0.1)
    monkeypatch.setattr(api, "ask", slow_ask)
    body = {"model": "newsrag", "stream": True, "messages": [{"role": "user", "content": "Who?"}]}
    lines = client.post("/v1/chat/completions", json=body).text.split("\n\n")
    comments = [x for x in lines if x.startswith(": checking the answer")]
    assert lines[0].startswith("data: ") and '"role": "assistant"' in lines[0]
    assert len(comments) >= 2 and lines.index(comments[-1]) < len(lines) - 3
    assert "is empty: add articles first" in lines[-3] and lines[-2] == "data: [DONE]"
