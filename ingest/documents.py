"""A loaded, not yet cleaned article, as every loader yields it."""

from __future__ import annotations

from dataclasses import dataclass

from rag import Article

__all__ = ["RawArticle"]


@dataclass(frozen=True)
class RawArticle(Article):
    """What a loader read: an :class:`~rag.Article` whose body is as found (page furniture, a
    dateline, a repeated lede and all) and whose metadata is what the input carried, with
    ``origin`` set (a resolved file path, ``path:line`` or a URL). :func:`ingest.make_article`
    cleans it into the article that is stored; ``place`` and ``indexing`` stay empty until then.
    """
