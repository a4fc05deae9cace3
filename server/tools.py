"""The MCP server (official ``mcp`` SDK): the collection as tools a model can call.

- ``search_news(query, since, until, sources, k)``: passages with article ids, dates, outlets, urls.
- ``ask(question, as_of)``: the verified answer with its citations.
- ``get_article(id)``: one article's metadata and text.

Bad arguments (a date that is not YYYY-MM-DD, ``k`` out of range, an unknown id) come back as a tool
error with the reason, never as a crash. ``newsrag mcp`` serves these over stdio; ``newsrag serve``
over streamable HTTP at ``/mcp``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from rag import ArticleInfo, ConfigError, NewsRAG, NewsragError

__all__ = ["build_mcp"]

INSTRUCTIONS = (
    "newsrag answers from a collection of news articles and cites them. Use search_news to find "
    "passages, ask for a checked answer with citations, get_article to read a whole article. Quote "
    "the article ids, dates and urls the tools return; do not add facts they do not contain."
)

SEARCH = (
    "Search the news collection for passages relevant to a query (hybrid keyword + meaning search). "
    "Returns up to k passages, best first, each with its article_id, title, published date "
    "(YYYY-MM-DD), source (the outlet, e.g. 'mia.mk'), url, chunk_id and the passage text. Use it to "
    "find what the articles say before answering; pass an article_id to get_article for the full "
    "text. Optional filters: since/until (YYYY-MM-DD, inclusive publication dates), sources (outlet "
    "names exactly as returned in 'source'), k (1-50, default 5)."
)
ASK = (
    "Answer a question from the news collection with verified citations. Every sentence of the "
    "answer is checked against the passage it cites; unsupported sentences are removed, and when the "
    "articles do not answer the question it abstains (abstained: true). Returns answer (with [n] "
    "markers), citations (n, article_id, title, published, source, url, quote: the exact supporting "
    "words), unsupported (removed sentences) and backend. as_of (YYYY-MM-DD) asks as if on that "
    "day: later articles are left out and recent ones count most. Prefer this over composing an "
    "answer yourself when the user wants facts from the news."
)
GET = (
    "Read one article of the news collection by its article_id (as search_news or ask return it). "
    "Returns id, title, published, source, url, authors, also_sources (other outlets that ran the "
    "same story) and text (the article as stored)."
)


def _day(value: str | None, field: str) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ToolError(f"{field}: {value!r} is not a date like 2023-11-21") from exc


def _find(api: NewsRAG, article_id: str) -> ArticleInfo:
    infos = api.store.articles()
    if article_id in infos:
        return infos[article_id]
    for info in infos.values():
        if article_id in info.aliases:
            return info
    raise ToolError(f"no article with id {article_id!r} (ids come from search_news or ask)")


def build_mcp(api: NewsRAG) -> MCPServer:
    """The MCP server over ``api`` (run it with ``.run("stdio")`` or mount its HTTP app)."""
    server: MCPServer = MCPServer("newsrag", instructions=INSTRUCTIONS, log_level="WARNING")

    @server.tool(description=SEARCH)
    def search_news(
        query: str,
        since: str | None = None,
        until: str | None = None,
        sources: list[str] | None = None,
        k: int = 5,
    ) -> list[dict[str, Any]]:
        if not query.strip():
            raise ToolError("query is empty")
        if not 1 <= k <= 50:
            raise ToolError(f"k must be between 1 and 50, not {k}")
        try:
            found = api.retrieve(
                query, k=k, since=_day(since, "since"), until=_day(until, "until"), sources=sources
            )
        except NewsragError as exc:
            raise ToolError(str(exc)) from exc
        return [
            p.to_dict(text=True) | {"chunk_id": p.chunk_id, "score": round(p.score, 4)}
            for p in found.passages
        ]

    @server.tool(description=ASK)
    def ask(question: str, as_of: str | None = None) -> dict[str, Any]:
        try:
            return api.ask(question, as_of=_day(as_of, "as_of")).to_dict()
        except (ConfigError, NewsragError) as exc:
            raise ToolError(str(exc)) from exc

    # The claim checker (NewsRAG.check) and timelines join here as tools once the library has them.

    @server.tool(description=GET)
    def get_article(id: str) -> dict[str, Any]:
        try:
            info = _find(api, id.strip())
            text = api.store.article_text(info.id)
        except NewsragError as exc:
            raise ToolError(str(exc)) from exc
        return {
            "id": info.id,
            "title": info.title,
            "published": info.published.isoformat() if info.published else None,
            "source": info.source,
            "url": info.url,
            "authors": list(info.authors),
            "also_sources": list(info.also_sources),
            "text": text,
        }

    return server
