"""The chat's additions for figures the reports give differently and for questions that needed
several articles: a marked box per conflict (an update or a disagreement, each value with its
citation, outlet and date), and a folded "How this was answered" (each sub-question, the articles
its search found, the sentences taken from them).

Pure functions over :class:`~rag.records.Answer`; every text from an article is escaped.

Example:
    >>> from rag import Answer
    >>> turn_extras(Answer(question="q", text="Yes [1]."), turn=0)
    ''
"""

from __future__ import annotations

import html

from rag import Answer, Conflict, Passage
from ui.render import card_id, format_date

__all__ = ["KIND_NAMES", "conflicts_markdown", "trace_markdown", "turn_extras"]

KIND_NAMES = {
    "comparison": "a comparison",
    "change": "a change over time",
    "order": "a question of order in time",
    "aggregate": "a question gathering facts from several articles",
}


def _cite(turn: int, n: int) -> str:
    return f'<a class="nr-cite" href="#{card_id(turn, n)}" data-turn="{turn}" data-n="{n}">[{n}]</a>'


def _conflict(c: Conflict, turn: int) -> str:
    values = [
        f"<b>{html.escape(v.text)}</b> {_cite(turn, v.n)} {html.escape(v.source or 'unnamed source')}"
        + (f", {format_date(v.published)}" if v.published else "")
        for v in c.values
    ]
    if c.kind == "update":
        badge, joiner, why = "Changing figure", " → ", "later reports revised it"
    else:
        badge, joiner, why = "Reports disagree", " · ", "outlets differ at the same time"
    return (
        f'<div class="nr-conflict nr-{html.escape(c.kind)}"><span class="nr-badge-conflict">{badge}</span> '
        f"{html.escape(c.fact)} ({why}): {joiner.join(values)}</div>"
    )


def conflicts_markdown(answer: Answer, turn: int) -> str:
    """One marked line per conflict of the answer; "" when it has none."""
    return "\n".join(_conflict(c, turn) for c in answer.conflicts)


def _found(p: Passage, n: int, turn: int) -> str:
    when = f", {format_date(p.published)}" if p.published else ""
    return f"<li>{_cite(turn, n)} {html.escape(p.source)}{when}: {html.escape(p.title)}</li>"


def trace_markdown(answer: Answer, turn: int) -> str:
    """The folded "How this was answered" of a multi-article answer; "" for a plain one."""
    if not answer.trace:
        return ""
    out = [
        '<details class="nr-trace"><summary>How this was answered</summary>',
        f"<p>Read as {KIND_NAMES.get(answer.kind, html.escape(answer.kind))}: "
        f"{len(answer.trace)} search{'es' if len(answer.trace) != 1 else ''}, one per part.</p><ol>",
    ]
    for sub in answer.trace:
        found = [_found(answer.passages[n - 1], n, turn) for n in sub.found if 0 < n <= len(answer.passages)]
        head = f"<li><i>{html.escape(sub.question)}</i>: found {len(found)} article(s)"
        out.append(f"{head}<ul>{''.join(found)}</ul>")
        if sub.sentences:
            taken = "".join(f"<li>{html.escape(s)}</li>" for s in sub.sentences)
            out.append(f"Taken from them:<ul>{taken}</ul>")
        out.append("</li>")
    out.append("</ol></details>")
    return "".join(out)


def turn_extras(answer: Answer, turn: int) -> str:
    """What the chat adds under an answer: its conflicts, then how it was answered ("" for neither)."""
    if answer.abstained:
        return ""
    parts = [p for p in (conflicts_markdown(answer, turn), trace_markdown(answer, turn)) if p]
    return "".join(f"\n\n{p}" for p in parts)
