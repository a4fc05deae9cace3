"""A loaded, not yet cleaned article, as every loader yields it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = ["RawArticle"]


@dataclass(frozen=True)
class RawArticle:
    """What a loader read: the body as found plus whatever metadata the input carried.

    ``origin`` is where it came from (a resolved file path, ``path:line`` or a URL).
    """

    id: str
    title: str
    text: str
    origin: str
    published: date | None = None
    source: str = ""
    url: str = ""
    authors: tuple[str, ...] = ()
