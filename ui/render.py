"""HTML and Markdown for the page: answers with citation links, the sources panel, the collection card.

Pure functions over the records in :mod:`rag.records`; nothing here retrieves or answers. Every piece
of text that came from an article, a model or a user is escaped before it is put into HTML.

Example:
    >>> from rag.records import Answer
    >>> answer_markdown(Answer(question="q", text="Yes [1]."), turn=0)
    'Yes <a class="nr-cite" href="#nr-t0-c1" data-turn="0" data-n="1">[1]</a>.'
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlparse

from rag import Answer, Citation, Passage, SearchScope

__all__ = [
    "Turn",
    "abstention_markdown",
    "answer_markdown",
    "card_id",
    "collection_error_html",
    "collection_html",
    "error_markdown",
    "example_questions",
    "format_date",
    "highlight",
    "named_sources",
    "pending_markdown",
    "question_markdown",
    "scope_markdown",
    "sources_html",
    "turn_markdown",
]

_MARKER = re.compile(r"\\\[(\d{1,3})\\\]")  # a citation marker [n] after _md_text escaped its brackets
# Characters Markdown would turn into formatting; an answer is plain text with [n] markers.
_MD_SPECIAL = re.compile(r"([\\`*_|~\[\]])")
_MD_HEADING = re.compile(r"^(\s{0,3})#", re.MULTILINE)


@dataclass(frozen=True)
class Turn:
    """One question and what came of it, as the page keeps it for the chat and the sources panel.

    ``error`` is set (in words a person can act on) when no answer could be made; ``answer.passages``
    may still hold the passages retrieval found.
    """

    question: str
    answer: Answer
    error: str = ""
    hint: str = ""  # trusted Markdown: what to do next


def card_id(turn: int, n: int) -> str:
    """The HTML id of source card ``[n]`` of answer number ``turn`` (the target of its citation links)."""
    return f"nr-t{turn}-c{n}"


def format_date(d: date | None) -> str:
    """``21 Nov 2023``, or an empty string for an undated article."""
    return f"{d.day} {d:%b %Y}" if d else ""


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _md_text(text: str) -> str:
    """Plain text made safe for the chat's Markdown renderer: HTML escaped, Markdown markup neutralised.

    Quotes stay as they are: an entity like ``&#x27;`` would be broken by the Markdown escapes.
    """
    escaped = html.escape(text, quote=False)
    return _MD_HEADING.sub(r"\1\\#", _MD_SPECIAL.sub(r"\\\1", escaped))


def _safe_url(url: str) -> str | None:
    """The URL when it is an absolute http(s) link, else None (no ``javascript:`` or relative links)."""
    try:
        parsed = urlparse(url.strip())
    except ValueError:
        return None
    if parsed.scheme in ("http", "https") and parsed.netloc:
        return url.strip()
    return None


def _cited_numbers(answer: Answer) -> list[int]:
    seen: list[int] = []
    for c in answer.citations:
        if c.n not in seen:
            seen.append(c.n)
    return sorted(seen)


def answer_markdown(answer: Answer, turn: int) -> str:
    """The answer as chat Markdown: each ``[n]`` a link to its source card, unsupported sentences marked.

    Markers without a verified citation stay plain text (the generator cited something it was not shown,
    or a passage that does not support the sentence).
    """
    if answer.abstained:
        return abstention_markdown(answer)
    text = answer.text.strip()
    cited = set(_cited_numbers(answer))

    # Spans of unsupported sentences in the raw text, so they can be wrapped before escaping.
    spans: list[tuple[int, int]] = []
    removed: list[str] = []
    for sentence in answer.unsupported:
        s = sentence.strip()
        if not s:
            continue
        start = text.find(s)
        if start < 0:
            removed.append(s)  # the verifier dropped it from the final text
        elif not any(a < start + len(s) and start < b for a, b in spans):
            spans.append((start, start + len(s)))
    spans.sort()

    def link_markers(chunk: str) -> str:
        def repl(m: re.Match[str]) -> str:
            n = int(m.group(1))
            if n not in cited:
                return m.group(0)  # stays an escaped, plain "[n]"
            return f'<a class="nr-cite" href="#{card_id(turn, n)}" data-turn="{turn}" data-n="{n}">[{n}]</a>'

        return _MARKER.sub(repl, _md_text(chunk))

    out: list[str] = []
    pos = 0
    for start, end in spans:
        out.append(link_markers(text[pos:start]))
        out.append(
            '<span class="nr-unsupported" title="No cited passage supports this sentence">'
            f"{link_markers(text[start:end])}</span>"
        )
        pos = end
    out.append(link_markers(text[pos:]))
    body = "".join(out)
    if spans:
        body += (
            '\n\n<span class="nr-note">⚠ The marked sentences are not supported by the cited passages: '
            "check them against the sources.</span>"
        )
    if removed:
        body += '\n\n<span class="nr-note">⚠ Left out because no source supports '
        body += "it:" if len(removed) == 1 else "them:"
        body += "</span>"
        body += "".join(f'\n\n<span class="nr-unsupported nr-removed">{_md_text(r)}</span>' for r in removed)
    return body


def abstention_markdown(answer: Answer) -> str:
    """What the chat shows when the collection does not answer the question: a badge, then the
    answerer's own explanation (which lists the closest articles)."""
    text = answer.text.strip() or "The ingested articles don't say anything that answers this question."
    out = f'<span class="nr-badge-abstain">Not in the collection</span>\n\n{_md_text(text)}'
    if answer.passages:
        out += "\n\nThe closest passages are under **Sources**."
    return out


def error_markdown(title: str, detail: str, hint: str = "") -> str:
    """A problem shown in the chat: ``title`` and ``detail`` are escaped; ``hint`` is trusted Markdown."""
    out = f'<span class="nr-badge-error">{_esc(title)}</span>\n\n{_md_text(detail)}'
    return out + (f"\n\n{hint}" if hint else "")


def turn_markdown(turn: Turn, index: int) -> str:
    """The assistant's message for one turn: the answer, the abstention or the error, then the
    line saying what the search was limited to (when the question named dates or sources)."""
    if turn.error:
        out = error_markdown("Could not answer", turn.error, turn.hint)
        if turn.answer.passages:
            out += "\n\nThe passages retrieval found are under **Sources**."
        return out
    line = scope_markdown(turn.answer.scope)
    return answer_markdown(turn.answer, index) + (f"\n\n{line}" if line else "")


def _date_range(since: date | None, until: date | None) -> str:
    """``15–21 Nov 2023``, ``1 Aug – 31 Oct 2022``, ``since 1 Mar 2022``, ``up to 31 May 2022``."""
    if since and until:
        if since == until:
            return format_date(since)
        if (since.year, since.month) == (until.year, until.month):
            return f"{since.day}–{format_date(until)}"
        if since.year == until.year:
            return f"{since.day} {since:%b} – {format_date(until)}"
        return f"{format_date(since)} – {format_date(until)}"
    if since:
        return f"since {format_date(since)}"
    return f"up to {format_date(until)}" if until else ""


def scope_markdown(scope: SearchScope) -> str:
    """One line under an answer: what the dates and sources read from the question limited the
    search to ("searched 15–21 Nov 2023, from 'this week'"), or that nothing matched them and
    everything was searched; empty when the question named none."""
    if not scope.phrases:
        return ""
    words = ", ".join(f"'{p}'" for p in scope.phrases)
    if scope.widened:
        text = f"nothing in that window: searched everything (read from {words})"
    else:
        where = [x for x in (", ".join(scope.sources), _date_range(scope.since, scope.until)) if x]
        text = f"searched {', '.join(where)}, from {words}"
    return f'<span class="nr-scope">{_md_text(text)}</span>'


def pending_markdown(text: str) -> str:
    """The answer while it is being written (plain text, then a cursor)."""
    if not text.strip():
        return '<span class="nr-pending">Searching the collection…</span>'
    return f'{_md_text(text)}<span class="nr-cursor">▍</span>'


def question_markdown(question: str) -> str:
    """The user's message, shown as typed."""
    return _md_text(question)


def _unique_articles(passages: Iterable[Passage]) -> list[Passage]:
    seen: set[str] = set()
    out: list[Passage] = []
    for p in passages:
        if p.article_id not in seen:
            seen.add(p.article_id)
            out.append(p)
    return out


def highlight(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` escaped, with each ``(start, end)`` span wrapped in ``<mark>`` (overlaps merged)."""
    merged: list[list[int]] = []
    for start, end in sorted((max(0, s), min(len(text), e)) for s, e in spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out: list[str] = []
    pos = 0
    for start, end in merged:
        out.append(_esc(text[pos:start]))
        out.append(f"<mark>{_esc(text[start:end])}</mark>")
        pos = end
    out.append(_esc(text[pos:]))
    return "".join(out)


def _quote_span(c: Citation) -> tuple[int, int] | None:
    """Where the citation's quote sits in its passage; found again by search if the offsets are off."""
    text = c.passage.text
    start, end = c.quote_start, c.quote_end
    if c.quote and 0 <= start < end <= len(text) and text[start:end] == c.quote:
        return start, end
    if c.quote:
        at = text.find(c.quote)
        if at >= 0:
            return at, at + len(c.quote)
    return None


def _meta_line(p: Passage) -> str:
    parts = [f'<span class="nr-source">{_esc(p.source)}</span>' if p.source else ""]
    when = format_date(p.published)
    if when:
        parts.append(f'<time datetime="{p.published.isoformat() if p.published else ""}">{when}</time>')
    url = _safe_url(p.url)
    if url:
        parts.append(
            f'<a class="nr-original" href="{_esc(url)}" target="_blank" rel="noopener noreferrer">'
            "original article ↗</a>"
        )
    return " · ".join(x for x in parts if x)


def _card(
    turn: int, label: str, anchor: str | None, passage: Passage, spans: Sequence[tuple[int, int]]
) -> str:
    id_attr = f' id="{anchor}"' if anchor else ""
    title = _esc(passage.title.strip() or "Untitled article")
    return (
        f'<article class="nr-card"{id_attr} data-article="{_esc(passage.article_id)}">'
        f'<header><span class="nr-badge">{_esc(label)}</span>'
        f'<span class="nr-title">{title}</span></header>'
        f'<div class="nr-meta">{_meta_line(passage)}</div>'
        f'<blockquote class="nr-passage">{highlight(passage.text, spans)}</blockquote>'
        "</article>"
    )


def _turn_html(index: int, turn: Turn) -> str:
    answer = turn.answer
    if turn.error:
        if not answer.passages:
            return '<p class="nr-hint">No answer, and no passages to show.</p>'
        return '<p class="nr-hint">Retrieved for this question (no answer was written):</p>' + "".join(
            _card(index, f"{i}", None, p, ()) for i, p in enumerate(answer.passages, start=1)
        )
    by_n: dict[int, list[Citation]] = {}
    for c in answer.citations:
        by_n.setdefault(c.n, []).append(c)
    cards: list[str] = []
    for n in sorted(by_n):
        first = by_n[n][0].passage
        spans = [s for c in by_n[n] if c.passage.chunk_id == first.chunk_id and (s := _quote_span(c))]
        cards.append(_card(index, f"[{n}]", card_id(index, n), first, spans))

    cited_chunks = {c.passage.chunk_id for c in answer.citations}
    others = [p for p in answer.passages if p.chunk_id not in cited_chunks]
    if answer.abstained:
        if not others:
            return '<p class="nr-hint">Nothing in the collection came close to this question.</p>'
        closest = _unique_articles(others)
        return '<p class="nr-hint">The closest articles (none of them answers the question):</p>' + "".join(
            _card(index, "≈", None, p, ()) for p in closest
        )
    if not cards:
        cards.append('<p class="nr-hint">No passage was cited for this answer.</p>')
    extra = ""
    if others:
        extra = (
            f'<details class="nr-more"><summary>{len(others)} more passage'
            f"{'s' if len(others) != 1 else ''} retrieved, not cited</summary>"
            + "".join(_card(index, "·", None, p, ()) for p in others)
            + "</details>"
        )
    return "".join(cards) + extra


def sources_html(turns: Sequence[Turn]) -> str:
    """The sources panel: the latest answer's cited passages first, earlier answers folded below."""
    if not turns:
        return (
            '<div class="nr-sources nr-empty"><p>Sources appear here: each cited article with the passage '
            "that supports the answer, the quoted words <mark>highlighted</mark>.</p></div>"
        )
    parts: list[str] = ['<div class="nr-sources">']
    last = len(turns) - 1
    for index in range(last, -1, -1):
        turn = turns[index]
        q = _esc(turn.question)
        if index == last:
            parts.append(
                f'<section class="nr-turn nr-latest" data-turn="{index}"><h4 class="nr-q">{q}</h4>'
                f"{_turn_html(index, turn)}</section>"
            )
        else:
            parts.append(
                f'<details class="nr-turn" data-turn="{index}"><summary class="nr-q">{q}</summary>'
                f"{_turn_html(index, turn)}</details>"
            )
    parts.append("</div>")
    return "".join(parts)


def collection_error_html(detail: str) -> str:
    """The side panel's card when the store cannot be read."""
    return (
        '<div class="nr-collection"><p><span class="nr-badge-error">The collection cannot be read</span></p>'
        f"<p>{_esc(detail)}</p></div>"
    )


UNKNOWN_SOURCE = "unknown"  # how the store counts articles that name no source


def named_sources(sources: dict[str, int]) -> dict[str, int]:
    """The sources a filter can select: the store's counts without the articles that name none."""
    return {name: n for name, n in sources.items() if name and name != UNKNOWN_SOURCE}


def collection_html(
    articles: int,
    chunks: int,
    sources: dict[str, int],
    first: date | None,
    last: date | None,
    generator: str,
) -> str:
    """The side panel's card: what is in the collection and which generator answers."""
    gen = f'<p class="nr-gen">Answers written by: <b>{_esc(generator)}</b></p>'
    if articles == 0:
        return (
            '<div class="nr-collection nr-empty"><p><strong>The collection is empty.</strong> '
            "Add articles below: upload files or paste links.</p>" + gen + "</div>"
        )
    span = ""
    if first and last:
        span = f"{format_date(first)} – {format_date(last)}" if first != last else format_date(first)
    named = named_sources(sources)
    top = sorted(named.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ", ".join(f"{_esc(name)} ({count})" for name, count in top[:6])
    if len(top) > 6:
        shown += f", and {len(top) - 6} more"
    unnamed = sum(sources.values()) - sum(named.values())
    if unnamed:
        shown += ("; " if shown else "") + f"{unnamed} with no source named"

    def stat(value: int, one: str, many: str) -> str:
        return f'<div class="nr-stat"><b>{value:,}</b><span>{one if value == 1 else many}</span></div>'

    rows = [
        stat(articles, "article", "articles"),
        stat(chunks, "passage", "passages"),
        stat(len(named), "source", "sources"),
    ]
    return (
        f'<div class="nr-collection"><div class="nr-stats">{"".join(rows)}</div>'
        + (f'<p class="nr-span">Published {span}</p>' if span else "")
        + (f'<p class="nr-srcs">Sources: {shown}</p>' if shown else "")
        + gen
        + "</div>"
    )


_TITLE_JUNK = re.compile(r"\s+[|\-–—]\s+[^|\-–—]{1,30}$")  # " - CNN", " | BBC News" site suffixes


def example_questions(titles: Sequence[str], limit: int = 3) -> list[str]:
    """Starter questions made from article titles, so a first-time user sees what can be asked.

    Example:
        >>> example_questions(["NATO chief in Skopje: no imminent threat to the Western Balkans"])
        ['What does the news say about “NATO chief in Skopje”?']
    """
    out: list[str] = []
    for raw in titles:
        title = _TITLE_JUNK.sub("", " ".join(raw.split())).strip().rstrip(".:;!")
        head, sep, _ = title.partition(": ")
        if sep and len(head.split()) >= 3:
            title = head  # "Who in Where: what happened" -> the short head is enough to search for
        if len(title) < 12:
            continue
        if len(title) > 90:
            title = title[:90].rsplit(" ", 1)[0] + "…"
        question = title if title.endswith("?") else f"What does the news say about “{title}”?"
        if question not in out:
            out.append(question)
        if len(out) >= limit:
            break
    return out
