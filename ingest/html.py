"""Main text and metadata of an HTML page (trafilatura): title, date, author, canonical URL, site."""

from __future__ import annotations

import logging

from ingest.datelines import parse_date
from ingest.documents import RawArticle
from rag import InputError

__all__ = ["extract_html"]

log = logging.getLogger(__name__)


# A line of article text has at least this many words, or ends as a sentence does.
_SENTENCE_WORDS = 6


def _only_links(text: str) -> bool:
    """True when every line is a short label (``Home``, ``Sport``, ``Contact us``), as in a menu."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return all(len(line.split()) < _SENTENCE_WORDS and not line.endswith((".", "!", "?")) for line in lines)


def extract_html(html: str, article_id: str, origin: str, url: str = "") -> RawArticle:
    """The article in an HTML page, without navigation, scripts, iframes, ads or comments.

    Args:
        html: the page.
        article_id: the id to give it (a path-derived id for files; pages fetched by URL pass their URL
            and get their canonical URL instead).
        origin: the file or URL it came from, for messages.
        url: the page's address, if known (helps the extractor and is kept when the page names none).

    Raises:
        InputError: no article text could be found.
    """
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(
            html,
            url=url or None,
            with_metadata=True,
            include_comments=False,
            include_images=False,
            include_links=False,
            include_tables=True,
        )
    except Exception as exc:  # trafilatura raises many kinds on broken markup
        raise InputError(origin, f"cannot parse the HTML: {exc}") from exc
    text = getattr(doc, "text", None) if doc is not None else None
    if not text or not text.strip():
        raise InputError(origin, "no article text found in the page")
    if _only_links(text):
        raise InputError(origin, "no article text found in the page (only navigation or link labels)")
    page_url = (getattr(doc, "url", None) or url or "").strip()
    source = (getattr(doc, "sitename", None) or getattr(doc, "hostname", None) or "").strip()
    authors = tuple(a.strip() for a in (getattr(doc, "author", None) or "").split(";") if a.strip())
    return RawArticle(
        id=article_id,
        title=(getattr(doc, "title", None) or "").strip(),
        text=text,
        origin=origin,
        published=parse_date(getattr(doc, "date", None)),
        source=source,
        url=page_url,
        authors=authors,
    )
