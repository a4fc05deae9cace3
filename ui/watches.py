"""The Watches panel of the chat: each saved watch (``newsrag watches``) with its latest digest.

Read-only: the panel reads the feeds-and-watches state file of the collection and never creates it.

Example:
    >>> html = watches_html(Path(".newsrag"), "news")  # doctest: +SKIP
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from ingest.feedstate import FeedState, state_path

__all__ = ["watches_html"]

_SHOWN = 5  # bullets per watch


def watches_html(home: Path, collection: str) -> str:
    """The panel's HTML: every watch, its topic and the latest digest's bullets, linked to their articles."""
    path = state_path(home, collection)
    if not path.exists():
        return _empty()
    state = FeedState(path)
    try:
        watches = [(w, state.last_digest(w.name)) for w in state.watches()]
    finally:
        state.close()
    if not watches:
        return _empty()
    parts = []
    for watch, digest in watches:
        items = (digest or {}).get("items", [])
        bullets = (
            "".join(_bullet(i) for i in items[:_SHOWN])
            or "<li class='nr-watch-none'>Nothing matched yet.</li>"
        )
        more = f"<p class='nr-watch-more'>and {len(items) - _SHOWN} more</p>" if len(items) > _SHOWN else ""
        made = f" · digest of {escape(digest['made'][:16].replace('T', ' '))} UTC" if digest else ""
        parts.append(
            f"<div class='nr-watch'><div class='nr-watch-name'>{escape(watch.name)}"
            f"<span class='nr-watch-when'>{made}</span></div>"
            f"<div class='nr-watch-topic'>{escape(watch.topic)}</div><ul>{bullets}</ul>{more}</div>"
        )
    return f"<div class='nr-watches'>{''.join(parts)}</div>"


def _bullet(item: dict[str, str | None]) -> str:
    title = escape(item.get("title") or item.get("article_id") or "")
    url = item.get("url") or ""
    head = (
        f"<a href='{escape(url)}' target='_blank' rel='noopener'>{title}</a>"
        if url.startswith("http")
        else title
    )
    meta = ", ".join(escape(x) for x in (item.get("source"), item.get("published")) if x)
    where = f"{head}, {meta}" if meta else head
    return f"<li>{escape(item.get('summary') or '')} <span class='nr-watch-src'>({where})</span></li>"


def _empty() -> str:
    return (
        "<div class='nr-watches'><p>No watches yet. Save one with "
        '<code>newsrag watches add NAME "TOPIC"</code>; after each <code>newsrag feeds poll</code> '
        "its new articles are listed here.</p></div>"
    )
