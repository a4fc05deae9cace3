"""The chat's Timeline view (a tab beside Sources) and briefings asked in the chat.

:func:`timeline_html` draws a :class:`rag.Timeline`: one row per event in date order (its date, the
outlets, the one-line summary and its citation numbers), then the numbered articles; a number links
to its article. :func:`show_timeline` is the view's event handler; :func:`briefing_turn` answers
"Brief me on X since DATE" in the chat with the briefing as an answer turn.
"""

from __future__ import annotations

import html
from datetime import date
from typing import TYPE_CHECKING, Any

from rag import Answer, ConfigError, EmptyStoreError, NewsragError, read_brief_request
from ui.render import Turn, format_date

if TYPE_CHECKING:
    from rag import NewsRAG, Timeline

__all__ = ["EMPTY_TIMELINE", "briefing_turn", "show_timeline", "timeline_html"]

EMPTY_TIMELINE = (
    '<div class="nr-timeline nr-empty"><p>Name a story, e.g. <em>Hurricane Ian</em>, to see its '
    "articles grouped into events in date order, each with a one-line summary and its sources.</p></div>"
)


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _article_anchor(n: int) -> str:
    return f"nr-tl-a{n}"


def timeline_html(timeline: Timeline) -> str:
    """The events of ``timeline`` in date order, then its numbered articles (escaped throughout)."""
    if not timeline.events:
        return (
            '<div class="nr-timeline nr-empty"><p>No articles about '
            f"<em>{_esc(timeline.query)}</em> were found.</p></div>"
        )
    numbers = {a.article_id: i for i, a in enumerate(timeline.articles, start=1)}
    rows = []
    for e in timeline.events:
        when = format_date(e.date)
        if e.end and e.end != e.date:
            when += f" – {format_date(e.end)}"
        cites = "".join(
            f'<a class="nr-tl-cite" href="#{_article_anchor(numbers[a])}">[{numbers[a]}]</a>'
            for a in e.article_ids
        )
        rows.append(
            f'<li class="nr-event" data-date="{e.date.isoformat() if e.date else ""}">'
            f'<div class="nr-event-head"><time>{_esc(when)}</time>'
            f'<span class="nr-outlets">{_esc(", ".join(e.sources))}</span></div>'
            f'<p class="nr-event-summary">{_esc(e.summary)} {cites}</p></li>'
        )
    articles = "".join(
        f'<li id="{_article_anchor(n)}" class="nr-tl-article"><span class="nr-badge">[{n}]</span> '
        f"{_esc(a.title or 'Untitled article')} "
        f'<span class="nr-meta">{_esc(a.source)} · {_esc(format_date(a.published))}</span></li>'
        for n, a in enumerate(timeline.articles, start=1)
    )
    took = timeline.timings.get("total", 0.0)
    return (
        f'<div class="nr-timeline"><h4 class="nr-q">{_esc(timeline.query)}: {len(timeline.events)} events, '
        f"{len(timeline.articles)} articles ({took:.1f} s)</h4>"
        f'<ol class="nr-events">{"".join(rows)}</ol>'
        f'<details class="nr-more" open><summary>Articles</summary><ol class="nr-tl-articles">'
        f"{articles}</ol></details></div>"
    )


def show_timeline(api: NewsRAG, story: str, since: date | None, until: date | None, sources: Any) -> str:
    """The Timeline view's HTML for the story the user named (a message in place of errors)."""
    name = (story or "").strip()
    if not name:
        return EMPTY_TIMELINE
    try:
        timeline = api.timeline(name, since=since, until=until, sources=list(sources or []))
    except EmptyStoreError:
        return '<div class="nr-timeline nr-empty"><p>The collection is empty: add articles first.</p></div>'
    except NewsragError as exc:
        return f'<div class="nr-timeline nr-empty"><p>{_esc(str(exc))}</p></div>'
    return timeline_html(timeline)


def briefing_turn(api: NewsRAG, question: str, sources: Any) -> Turn | None:
    """The chat turn for "Brief me on X [since DATE]" (None when the question is not such a
    request): the briefing's bullets, each citing its articles, as an answer."""
    end = api.stats().last_published or date.today()
    request = read_brief_request(question, end)
    if request is None:
        return None
    topic, since = request
    try:
        briefing = api.brief(topic, since=since, sources=list(sources or []))
    except (ConfigError, EmptyStoreError) as exc:
        return Turn(question, Answer(question=question, text=""), error=str(exc))
    return Turn(question, briefing.as_answer())
