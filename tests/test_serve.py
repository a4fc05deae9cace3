"""``newsrag serve`` with the official clients: the ``openai`` client (streaming and not) and the
``mcp`` SDK's client over streamable HTTP, against the real server in a child process over the
project's samples and the real MIA article. API keys and the chat's login guard /v1 and /mcp."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import openai
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.answering_data import MIA_ID, STOLTENBERG_Q, build_store, news_inputs
from tests.chat_server import chat_app, listening_addresses, newsrag_env

pytestmark = [pytest.mark.slow, pytest.mark.data]

KEYS = ("first-test-key", "second-test-key")
USER, PASSWORD = "editor", "correct horse battery"
SAMPLE_ID = "samples/2023-11-21-nato-skopje.txt"  # the samples' own Stoltenberg story, also from MIA
COLLECTION = "serve"
ASK_ARGS = ("--backend", "extractive", "--collection", COLLECTION)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, data_dir: Path, embeddings: Any) -> Path:
    base = tmp_path_factory.mktemp("serve")
    build_store(base, COLLECTION, news_inputs(data_dir), embeddings).close()
    return base / COLLECTION


@pytest.fixture(scope="module")
def server(home: Path) -> Iterator[str]:
    """``newsrag serve --backend extractive`` with API keys and a chat login; yields its URL."""
    args = ("--backend", "extractive", "--collection", COLLECTION, "--auth", f"{USER}:{PASSWORD}")
    with chat_app(home, *args, settings={"api_keys": ",".join(KEYS)}, command="serve") as (url, _):
        yield url


def client(url: str, key: str = KEYS[0]) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0, timeout=300)


def ask_json(home: Path, question: str) -> dict[str, Any]:
    """What ``newsrag ask --json`` prints for ``question`` over the same store."""
    out = subprocess.run(
        [sys.executable, "-m", "cli", "ask", question, "--json", *ASK_ARGS],
        env=newsrag_env(home),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return dict(json.loads(out.stdout))


def test_serve_listens_on_loopback_only(server: str) -> None:
    assert listening_addresses(int(server.rsplit(":", 1)[1])) == {"127.0.0.1"}


def test_models_lists_the_servers_backend_and_each_generator(server: str) -> None:
    ids = [m.id for m in client(server).models.list()]
    assert ids[0] == "newsrag" and "newsrag-extractive" in ids


def test_completion_cites_mia_with_the_records_of_ask_json(server: str, home: Path) -> None:
    reply = client(server).chat.completions.create(
        model="newsrag", messages=[{"role": "user", "content": STOLTENBERG_Q}]
    )
    text = reply.choices[0].message.content or ""
    citations = (reply.model_extra or {})["citations"]
    assert reply.choices[0].finish_reason == "stop"
    assert "[1]" in text and "**Sources**" in text and "- [1] " in text
    assert citations and citations[0]["source"] == "MIA"
    assert citations[0]["article_id"] in (MIA_ID, SAMPLE_ID) and "Stoltenberg" in citations[0]["quote"]
    assert citations == ask_json(home, STOLTENBERG_Q)["citations"]


def test_stream_sends_the_verified_reply_and_citations_last(server: str) -> None:
    messages: Any = [{"role": "user", "content": STOLTENBERG_Q}]
    whole = client(server).chat.completions.create(model="newsrag-extractive", messages=messages)
    chunks = list(
        client(server).chat.completions.create(model="newsrag-extractive", messages=messages, stream=True)
    )
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert len(chunks) > 3 and chunks[0].choices[0].delta.role == "assistant"
    assert streamed == whole.choices[0].message.content
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert (last.model_extra or {})["citations"] == (whole.model_extra or {})["citations"]
    assert all("citations" not in (c.model_extra or {}) for c in chunks[:-1])


def test_earlier_turns_are_the_history(server: str) -> None:
    first = client(server).chat.completions.create(
        model="newsrag", messages=[{"role": "user", "content": STOLTENBERG_Q}]
    )
    follow_up = client(server).chat.completions.create(
        model="newsrag",
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": STOLTENBERG_Q},
            {"role": "assistant", "content": first.choices[0].message.content},
            {"role": "user", "content": [{"type": "text", "text": "And what did the prime minister say?"}]},
        ],
    )
    rewritten = (follow_up.model_extra or {})["newsrag"]["standalone_question"]
    assert rewritten.startswith("And what did the prime minister say?") and "Stoltenberg" in rewritten


def test_wrong_or_missing_key_gets_401(server: str) -> None:
    with pytest.raises(openai.AuthenticationError) as caught:
        client(server, key="not-a-key").chat.completions.create(
            model="newsrag", messages=[{"role": "user", "content": STOLTENBERG_Q}], stream=True
        )
    assert caught.value.status_code == 401
    with pytest.raises(openai.AuthenticationError):
        client(server, key="not-a-key").models.list()
    assert client(server, key=KEYS[1]).models.list().data
    bare = httpx.get(f"{server}/v1/models", timeout=30)
    assert bare.status_code == 401 and bare.headers["www-authenticate"] == "Bearer"
    assert httpx.post(f"{server}/mcp", json={}, timeout=30).status_code == 401


def test_the_chat_login_also_opens_v1(server: str) -> None:
    with httpx.Client(base_url=server, timeout=30) as browser:
        assert browser.get("/v1/models").status_code == 401
        login = browser.post("/login", data={"username": USER, "password": PASSWORD})
        assert login.status_code == 200, login.text
        assert browser.get("/v1/models").json()["data"][0]["id"] == "newsrag"


def test_bad_requests_get_openai_errors(server: str) -> None:
    with pytest.raises(openai.NotFoundError, match="unknown model 'gpt-4o'"):
        client(server).chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.BadRequestError, match="the last message must be the user's question"):
        client(server).chat.completions.create(
            model="newsrag", messages=[{"role": "assistant", "content": "hello"}]
        )
    with pytest.raises(openai.BadRequestError, match="as_of"):
        client(server).chat.completions.create(
            model="newsrag",
            messages=[{"role": "user", "content": STOLTENBERG_Q}],
            extra_body={"as_of": "last week"},
        )


def test_the_chat_page_and_its_ask_endpoint_share_the_app(server: str) -> None:
    from gradio_client import Client as GradioClient

    assert "newsrag" in httpx.get(server, timeout=30).text
    got = GradioClient(server, auth=(USER, PASSWORD), verbose=False).predict(STOLTENBERG_Q, api_name="/ask")
    assert got["citations"][0]["source"] == "MIA"


async def _mcp_over_http(url: str, key: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with (
        httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=300) as http,
        Client(streamable_http_client(f"{url}/mcp", http_client=http)) as mcp,
    ):
        out["tools"] = sorted(t.name for t in (await mcp.list_tools()).tools)
        out["search"] = await mcp.call_tool("search_news", {"query": STOLTENBERG_Q, "k": 5})
        out["bad"] = await mcp.call_tool("search_news", {"query": STOLTENBERG_Q, "until": "soon"})
        out["ask"] = await mcp.call_tool("ask", {"question": STOLTENBERG_Q, "as_of": "2023-11-22"})
        out["article"] = await mcp.call_tool("get_article", {"id": MIA_ID})
    return out


def test_mcp_over_http_lists_and_calls_the_tools(server: str) -> None:
    got = anyio.run(_mcp_over_http, server, KEYS[0])
    assert got["tools"] == ["ask", "get_article", "search_news"]
    passages = got["search"].structured_content["result"]
    mia = [p for p in passages if p["article_id"] == MIA_ID]
    assert mia and mia[0]["source"] == "MIA" and mia[0]["published"] == "2023-11-21"
    assert "Stoltenberg" in mia[0]["text"] and mia[0]["chunk_id"].startswith(MIA_ID + "#")
    assert got["bad"].is_error and "until: 'soon' is not a date" in got["bad"].content[0].text
    answer = got["ask"].structured_content
    assert not answer["abstained"] and answer["citations"][0]["source"] == "MIA"
    assert got["article"].structured_content["title"].startswith("We don't see any imminent")
