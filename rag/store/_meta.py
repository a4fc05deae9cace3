"""How articles and chunks are kept as Chroma metadata, and read back."""

from __future__ import annotations

from datetime import date
from typing import Any

from rag.records import Article, ArticleInfo, Chunk, Passage
from rag.store.filters import day_number

SEP = "\x1f"


def _date_or_none(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def split(value: Any) -> tuple[str, ...]:
    """A multi-valued metadata field (authors, aliases) as a tuple."""
    return tuple(v for v in str(value or "").split(SEP) if v)


def slug(url: str) -> str:
    """A server URL as a file-name part (the keyword index of each server lives in its own file)."""
    return "".join(c if c.isalnum() else "_" for c in url)[:60]


def _filter_fields(article: Article | ArticleInfo) -> dict[str, Any]:
    """The article's fields that filters and listings read, on its chunks and in its manifest record."""
    return {
        "title": article.title,
        "published": article.published.isoformat() if article.published else "",
        "published_day": day_number(article.published),
        "source": article.source,
        "url": article.url,
        "authors": SEP.join(article.authors),
        "content_hash": article.content_hash,
    }


def chunk_meta(article: Article, ch: Chunk) -> dict[str, Any]:
    """A chunk's metadata: its place in the article and the article's fields that filters read."""
    return {
        "article_id": article.id,
        "position": ch.position,
        "start": ch.start,
        "end": ch.end,
        "n_tokens": ch.n_tokens,
        **_filter_fields(article),
    }


def manifest_meta(article: Article, n_chunks: int, status: str, old: ArticleInfo | None) -> dict[str, Any]:
    """An article's manifest record (``old``: the stored version, whose aliases carry over)."""
    return {
        "status": status,
        **_filter_fields(article),
        "text_hash": article.text_hash,
        "n_chunks": n_chunks,
        "origin": article.origin,
        "also_sources": SEP.join(old.also_sources) if old else "",
        "aliases": SEP.join(old.aliases) if old else "",
    }


def meta_of(info: ArticleInfo) -> dict[str, Any]:
    """A stored article's manifest record, rebuilt from its info."""
    return {
        **_filter_fields(info),
        "text_hash": info.text_hash,
        "n_chunks": info.n_chunks,
        "origin": info.origin,
        "also_sources": SEP.join(info.also_sources),
        "aliases": SEP.join(info.aliases),
    }


def info_from_meta(aid: str, meta: dict[str, Any]) -> ArticleInfo:
    """The article info a manifest record holds."""
    return ArticleInfo(
        id=aid,
        title=str(meta.get("title", "")),
        published=_date_or_none(meta.get("published")),
        source=str(meta.get("source", "")),
        url=str(meta.get("url", "")),
        authors=split(meta.get("authors")),
        content_hash=str(meta.get("content_hash", "")),
        text_hash=str(meta.get("text_hash", "")),
        n_chunks=int(meta.get("n_chunks", 0)),
        also_sources=split(meta.get("also_sources")),
        aliases=split(meta.get("aliases")),
        origin=str(meta.get("origin", "")),
    )


def passage(cid: str, doc: str, meta: dict[str, Any]) -> Passage:
    """A chunk read back as a passage with its article's metadata."""
    return Passage(
        chunk_id=cid,
        article_id=str(meta["article_id"]),
        text=doc,
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
        position=int(meta.get("position", 0)),
        title=str(meta.get("title", "")),
        published=_date_or_none(meta.get("published")),
        source=str(meta.get("source", "")),
        url=str(meta.get("url", "")),
    )


def joined(chunks: list[Passage]) -> str:
    """An article's text rebuilt from its chunks, in order, the overlap between chunks taken once
    (by their offsets); chunks that do not touch are joined by a line break."""
    text, end = "", 0
    for c in sorted(chunks, key=lambda p: p.position):
        if c.start >= end:
            text += ("\n" if text else "") + c.text
        else:
            text += c.text[end - c.start :]
        end = max(end, c.end)
    return text
