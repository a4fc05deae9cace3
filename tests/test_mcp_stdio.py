"""``newsrag mcp`` over stdio with the ``mcp`` SDK's own client: the tools are listed, each answers,
``search_news`` finds the MIA passage, and bad arguments come back as tool errors, not a crash."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from tests.answering_data import MIA_ID, STOLTENBERG_Q, build_store, news_inputs
from tests.chat_server import REPO, newsrag_env

pytestmark = [pytest.mark.slow, pytest.mark.data]

COLLECTION = "mcpstdio"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, data_dir: Path, embeddings: Any) -> Path:
    base = tmp_path_factory.mktemp("mcp")
    build_store(base, COLLECTION, news_inputs(data_dir), embeddings).close()
    return base / COLLECTION


BAD_CALLS: list[tuple[str, dict[str, Any], str]] = [
    ("search_news", {"query": STOLTENBERG_Q, "since": "21/11/2023"}, "since: '21/11/2023' is not a date"),
    ("search_news", {"query": STOLTENBERG_Q, "k": 0}, "k must be between 1 and 50"),
    ("search_news", {"query": STOLTENBERG_Q, "k": "many"}, "Input should be a valid integer"),
    ("search_news", {"query": "   "}, "query is empty"),
    ("search_news", {}, "query\n  Field required"),
    ("ask", {"question": ""}, "the question is empty"),
    ("get_article", {"id": "no/such/article.txt"}, "no article with id 'no/such/article.txt'"),
]


async def _session(home: Path) -> dict[str, Any]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "cli", "mcp", "--backend", "extractive", "--collection", COLLECTION],
        env=newsrag_env(home),
        cwd=REPO,
    )
    out: dict[str, Any] = {"bad": []}
    async with Client(params, read_timeout_seconds=300) as mcp:
        out["tools"] = {t.name: t for t in (await mcp.list_tools()).tools}
        out["search"] = await mcp.call_tool(
            "search_news", {"query": STOLTENBERG_Q, "since": "2023-11-01", "sources": ["MIA"], "k": 5}
        )
        out["none"] = await mcp.call_tool("search_news", {"query": STOLTENBERG_Q, "until": "2023-01-01"})
        out["ask"] = await mcp.call_tool("ask", {"question": STOLTENBERG_Q})
        out["article"] = await mcp.call_tool("get_article", {"id": MIA_ID})
        for name, args, _ in BAD_CALLS:
            out["bad"].append(await mcp.call_tool(name, args))
        out["after"] = await mcp.call_tool("search_news", {"query": STOLTENBERG_Q, "k": 1})
    return out


@pytest.fixture(scope="module")
def session(home: Path) -> dict[str, Any]:
    return anyio.run(_session, home)


def test_lists_the_tools_with_descriptions_and_schemas(session: dict[str, Any]) -> None:
    tools = session["tools"]
    assert sorted(tools) == ["ask", "get_article", "search_news"]
    search = tools["search_news"].input_schema["properties"]
    assert set(search) == {"query", "since", "until", "sources", "k"}
    assert set(tools["ask"].input_schema["properties"]) == {"question", "as_of"}
    assert "article_id" in tools["search_news"].description and "YYYY-MM-DD" in tools["ask"].description


def test_search_news_returns_the_mia_passage(session: dict[str, Any]) -> None:
    passages = session["search"].structured_content["result"]
    assert passages and {p["source"] for p in passages} == {"MIA"}
    mia = next(p for p in passages if p["article_id"] == MIA_ID)
    assert mia["published"] == "2023-11-21" and "destabiliz" in " ".join(p["text"] for p in passages)
    assert set(mia) >= {"article_id", "title", "published", "source", "url", "text", "chunk_id"}
    assert session["none"].structured_content["result"] == []  # nothing that old


def test_ask_and_get_article(session: dict[str, Any]) -> None:
    answer = session["ask"].structured_content
    assert not answer["abstained"] and "[1]" in answer["answer"]
    assert answer["citations"][0]["source"] == "MIA" and answer["citations"][0]["quote"]
    article = session["article"].structured_content
    assert article["id"] == MIA_ID and article["published"] == "2023-11-21" and article["source"] == "MIA"
    passages = session["search"].structured_content["result"]
    for p in (p for p in passages if p["article_id"] == MIA_ID):
        assert p["text"] in article["text"]  # every passage is part of the rebuilt text
    assert "Balkans" in article["text"] and len(article["text"]) > 2000


@pytest.mark.parametrize("i", range(len(BAD_CALLS)), ids=[f"{c[0]}-{c[2][:12]}" for c in BAD_CALLS])
def test_bad_arguments_are_tool_errors(session: dict[str, Any], i: int) -> None:
    result = session["bad"][i]
    assert result.is_error, result
    assert BAD_CALLS[i][2] in result.content[0].text


def test_the_server_still_answers_after_the_errors(session: dict[str, Any]) -> None:
    assert not session["after"].is_error and len(session["after"].structured_content["result"]) == 1
