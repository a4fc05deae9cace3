"""Briefings: "brief me on X since DATE" as 5-8 cited bullets, newest development first.

A briefing is read off the story's :class:`~rag.stories.Timeline`: each bullet is one event (its
extractive summary, citing the event's articles) and says what changed since the report before it:
the sentence of the event's articles that brings the most content words (numbers and names count
double) that the previous event's articles did not have. ``since`` keeps the events that end on or
after it; the report before the first of them still counts as "previous", so the oldest bullet says
what is new since then too. With fewer events than ``min_bullets`` the newest events are split into
their articles, one bullet each.

Extractive by default: every bullet is made of the articles' own sentences, so it needs no LLM.
:func:`rewrite_bullets` has a chat model (the local one, or an OpenAI-compatible server) put each
bullet's summary in one short sentence of its own, in one call; dates, citations and what changed
stay as read off the articles, and a bullet the model leaves out keeps its extractive summary.

Example:
    >>> brief = build_briefing(timeline, since=date(2022, 10, 1))  # doctest: +SKIP
    >>> print(brief.text)  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from langchain_core.messages import HumanMessage

from rag._dates import named_dates
from rag.answering import load_prompt
from rag.errors import LLMUnavailableError
from rag.records import Answer, Citation, iso_date
from rag.stories import Event, StoryArticle, Timeline, name_stems, summarize
from rag.text import sentence_spans
from rag.verify import content_stems_weighted

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

__all__ = ["Briefing", "Bullet", "build_briefing", "read_brief_request", "rewrite_bullets"]

log = logging.getLogger(__name__)

_SCAN_SENTENCES = 6  # sentences of each article's opening searched for what is new
_MIN_NEW = 2.0  # the least weight of new content words for a sentence to count as a change
_CORE_SHARE = 3  # a story's own words are used by at least 1/3 of its articles
_REQUEST = re.compile(
    r"^\s*(?:please\s+)?(?:brief|catch)\s+me\s+(?:up\s+)?on\s+(?P<topic>.+?)"
    r"(?:\s+(?P<since>(?:since|after)\s+.+?))?\s*[?.!]*\s*$",
    re.IGNORECASE,
)
_WRITTEN = re.compile(r"^\s*(?:[-*•]\s*)?(\d+)[.):]\s+(.+?)\s*$")  # "3. The storm ..." of a rewrite
_WRITTEN_WORDS = (4, 40)  # a rewritten summary's length in words, else the extractive one stays


@dataclass(frozen=True)
class Bullet:
    """One development: its date, summary, what changed since the previous report, citations."""

    date: dt.date | None
    summary: str
    changed: str  # the sentence with the most that is new ("" if none; the summary itself if it is)
    previous: dt.date | None  # the date of the report it is compared with
    numbers: tuple[int, ...]  # the cited articles' numbers in the timeline
    changed_numbers: tuple[int, ...]  # the article(s) the change is quoted from

    def text(self, *, markdown: bool = True) -> str:
        """The bullet as one line with ``[n]`` markers (``markdown``: the date in bold)."""
        when = self.date.isoformat() if self.date else "undated"
        marks = "".join(f"[{n}]" for n in self.numbers)
        line = f"**{when}**: {self.summary} {marks}" if markdown else f"{when}: {self.summary} {marks}"
        if self.changed == self.summary and self.previous:
            line += f" (new since {self.previous.isoformat()})"
        elif self.changed and self.previous:
            new = "".join(f"[{n}]" for n in self.changed_numbers)
            line += f" New since {self.previous.isoformat()}: {self.changed} {new}"
        elif self.previous is None:
            line += " (first report)"
        return line


@dataclass
class Briefing:
    """A story's briefing: bullets newest first, over the timeline they cite."""

    query: str
    since: date | None
    bullets: list[Bullet]
    timeline: Timeline
    backend: str = "extractive"

    @property
    def text(self) -> str:
        """The briefing as Markdown bullets."""
        if not self.bullets:
            scope = f" since {self.since.isoformat()}" if self.since else ""
            return f"The articles hold nothing on {self.query!r}{scope}."
        return "\n".join(f"- {b.text()}" for b in self.bullets)

    def as_answer(self) -> Answer:
        """The briefing as an :class:`~rag.records.Answer`: plain-text bullets (one paragraph each)
        whose ``[n]`` markers cite the articles' openings, quoting the sentence the bullet took from
        each (its first sentence otherwise), for apps that show answers and their sources."""
        lines = [f"• {b.text(markdown=False)}" for b in self.bullets]
        cited = sorted({n for b in self.bullets for n in (*b.numbers, *b.changed_numbers)})
        used = [s for b in self.bullets for s in (b.summary, b.changed) if s]
        citations = []
        for n in cited:
            passage = self.timeline.articles[n - 1].passage()
            spans = sentence_spans(passage.text)
            start, end = next(
                ((passage.text.find(s), passage.text.find(s) + len(s)) for s in used if s in passage.text),
                spans[0] if spans else (0, len(passage.text)),
            )
            citations.append(Citation(n, passage, passage.text[start:end], start, end))
        return Answer(
            question=f"Brief me on {self.query}" + (f" since {self.since.isoformat()}" if self.since else ""),
            text="\n\n".join(lines) if lines else self.text,
            citations=citations,
            passages=[c.passage for c in citations],
            abstained=not lines,
            backend=self.backend,
        )

    def to_dict(self) -> dict[str, Any]:
        """``{"query", "since", "text", "bullets": [...], "articles": [...]}``."""
        return {
            "query": self.query,
            "since": iso_date(self.since),
            "backend": self.backend,
            "text": self.text,
            "bullets": [
                {
                    "date": iso_date(b.date),
                    "summary": b.summary,
                    "changed": b.changed,
                    "previous": iso_date(b.previous),
                    "citations": list(b.numbers),
                    "changed_citations": list(b.changed_numbers),
                }
                for b in self.bullets
            ],
            "articles": self.timeline.to_dict()["articles"],
        }


def read_brief_request(text: str, today: date) -> tuple[str, date | None] | None:
    """``("X", since)`` from "Brief me on X since DATE" (None when the text is not such a request);
    a date without a year is the latest one on or before ``today``."""
    m = _REQUEST.match(text)
    if not m:
        return None
    since = None
    if m.group("since"):
        scope = named_dates(m.group("since"), today)
        if scope is None or scope.since is None:
            return m.group("topic") + " " + m.group("since"), None
        since = scope.since
    return m.group("topic").strip(), since


def _sentences(articles: Sequence[StoryArticle]) -> list[tuple[str, str]]:
    out = []
    for a in articles:
        for start, end in sentence_spans(a.opening)[:_SCAN_SENTENCES]:
            out.append((a.opening[start:end].strip(), a.article_id))
    return out


def _story_words(articles: Sequence[StoryArticle]) -> dict[str, set[str]]:
    """Each content stem of the story's titles and openings with the ids of the articles using it."""
    used: dict[str, set[str]] = {}
    for a in articles:
        for s in content_stems_weighted(f"{a.title} {a.opening}"):
            used.setdefault(s, set()).add(a.article_id)
    return used


def _on_story(words: dict[str, float], article_id: str, used: dict[str, set[str]], n: int) -> bool:
    """Whether a sentence speaks of the story: at least two of its stems are each used by a third or
    more of the story's ``n`` articles besides its own (a digest's other items are not)."""
    least = max(1, n // _CORE_SHARE)
    return sum(len(used.get(s, set()) - {article_id}) >= least for s in words) >= 2


def _change(
    event: Event, previous: Event, name: set[str], used: dict[str, set[str]], n: int
) -> tuple[str, str]:
    """The sentence of ``event`` with the most weight of content words ``previous`` lacks, among
    those that speak of the story (:func:`_on_story`); those that name it (``name``: its stems) first."""
    known: set[str] = set()
    for a in previous.articles:
        known |= set(content_stems_weighted(f"{a.title} {a.opening}"))
    best: tuple[tuple[bool, float], str, str] = ((False, _MIN_NEW - 1e-9), "", "")
    for sentence, aid in _sentences(event.articles):
        words = content_stems_weighted(sentence)
        if not 6 <= len(sentence.split()) <= 60:
            continue
        if not _on_story(words, aid, used, n):
            continue
        new = sum(w for s, w in words.items() if s not in known)
        score = (bool(name & set(words)), new)
        if new >= _MIN_NEW and score > best[0]:
            best = (score, sentence, aid)
    return best[1], best[2]


def _units(events: list[Event], min_bullets: int, name: set[str]) -> list[Event]:
    """``events``, the newest split into single-article events while there are too few."""
    units = list(events)
    i = len(units) - 1
    while len(units) < min_bullets and i >= 0:
        event = units[i]
        if len(event.articles) > 1:
            parts = []
            for a in event.articles:
                summary, source = summarize([a], name)
                parts.append(replace(event, date=a.published, end=a.published, summary=summary,
                                     summary_article=source, articles=(a,)))  # fmt: skip
            units[i : i + 1] = parts
        i -= 1
    return units


def build_briefing(
    timeline: Timeline,
    since: date | None = None,
    *,
    max_bullets: int = 8,
    min_bullets: int = 5,
) -> Briefing:
    """The briefing over ``timeline``: the events ending on or after ``since``, newest first."""
    name = name_stems(timeline.query)
    units = _units(timeline.events, min_bullets, name)
    numbers = {a.article_id: i for i, a in enumerate(timeline.articles, start=1)}
    recent = [i for i, u in enumerate(units) if not since or (u.end or u.date or date.max) >= since]
    recent.sort(key=lambda i: (units[i].end or units[i].date or date.min, i), reverse=True)
    used, n = _story_words(timeline.articles), len(timeline.articles)
    bullets: list[Bullet] = []
    for i in recent[:max_bullets]:
        event = units[i]
        previous = units[i - 1] if i > 0 else None
        changed, source = _change(event, previous, name, used, n) if previous else ("", "")
        bullets.append(
            Bullet(
                date=event.date,
                summary=event.summary,
                changed=changed,
                previous=previous.end if previous else None,
                numbers=tuple(numbers[a] for a in event.article_ids),
                changed_numbers=(numbers[source],) if source else (),
            )
        )
    return Briefing(query=timeline.query, since=since, bullets=bullets, timeline=timeline)


def rewrite_bullets(briefing: Briefing, model: BaseChatModel, backend: str) -> Briefing:
    """The briefing with each bullet's summary rewritten by ``model`` in one call (``backend``: its
    name, recorded on the briefing). The model sees each bullet's date, summary and change; a line
    it leaves out, or one too short or too long, keeps the extractive summary; a failed call (other
    than an unreachable server) keeps the whole briefing extractive.

    Raises:
        LLMUnavailableError: the model's server could not be reached.
    """
    if not briefing.bullets:
        return replace(briefing, backend=backend)
    items = []
    for i, b in enumerate(briefing.bullets, start=1):
        new = f" Then: {b.changed}" if b.changed and b.changed != b.summary else ""
        items.append(f"{i}. ({b.date.isoformat() if b.date else 'undated'}) {b.summary}{new}")
    prompt = load_prompt("brief").format(story=briefing.query, items="\n".join(items))
    try:
        reply = model.invoke([HumanMessage(prompt)]).text
    except LLMUnavailableError:
        raise
    except Exception as exc:  # a failed rewrite must not lose the briefing
        log.warning("rewriting the briefing failed (%s); keeping the extractive bullets", exc)
        return briefing
    written: dict[int, str] = {}
    for line in reply.splitlines():
        m = _WRITTEN.match(line)
        if m and _WRITTEN_WORDS[0] <= len(m.group(2).split()) <= _WRITTEN_WORDS[1]:
            written.setdefault(int(m.group(1)), m.group(2).rstrip())
    bullets = []
    for i, b in enumerate(briefing.bullets, start=1):
        summary = written.get(i, b.summary)
        # A summary that was itself the change stays the change in its new words.
        bullets.append(replace(b, summary=summary, changed=summary if b.changed == b.summary else b.changed))
    return replace(briefing, bullets=bullets, backend=backend)
