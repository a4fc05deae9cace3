"""A loaded, not yet cleaned article, as every loader yields it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

__all__ = ["RawArticle"]


@dataclass(frozen=True)
class RawArticle:
    """What a loader read: the body as found plus whatever metadata the input carried.

    ``origin`` is where it came from (a resolved file path, ``path:line`` or a URL); ``clean`` is False
    for text already extracted by a tool that removes boilerplate (it is still cleaned, gently).
    """

    id: str
    title: str
    text: str
    origin: str
    published: date | None = None
    source: str = ""
    url: str = ""
    authors: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)
