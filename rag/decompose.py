"""Questions that need several articles, recognised by rules and split into sub-questions.

Four kinds (:data:`KINDS`):

- ``comparison``: "Which was larger, the UK's or France's energy price cap?" -> one sub-question per
  side ("the UK's energy price cap", "France's energy price cap"), each with the question's topic;
- ``change``: "How did the reported death toll of the storm change over the week?" -> the topic as
  the latest reports give it, then as the earlier reports gave it (searched before the latest);
- ``order``: "Did the rate rise come before or after the jobs report?", "Which came first, A or B?",
  "How many days after A did B?" -> one sub-question per event;
- ``aggregate``: "Which states did the hurricane hit?" -> the question itself, searched wide (one
  passage per article, more articles).

Anything else is a plain question (:func:`plan_question` returns None). Each sub-question is
searched once, with the time reading of the answering pipeline (its own dates narrow its search).

Example:
    >>> plan = plan_question("Which was larger, the UK's or France's energy price cap?")
    >>> plan.kind, [p.text for p in plan.parts]
    ('comparison', ["the UK's energy price cap", "France's energy price cap"])
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text import MONTHS

__all__ = ["KINDS", "Plan", "SubQuestion", "plan_question"]

KINDS = ("comparison", "change", "order", "aggregate")


@dataclass(frozen=True)
class SubQuestion:
    """One part of a multi-article question: the text searched and the part it answers (``label``)."""

    text: str
    label: str
    earlier: bool = False  # ``change``: searched before the dates the latest reports give


@dataclass(frozen=True)
class Plan:
    """How a question is answered from several searches."""

    kind: str
    question: str
    parts: tuple[SubQuestion, ...]
    unit: str = ""  # ``order``: "days", "weeks", ... when the question asks how long between


_END = r"\s*[?.!]*\s*$"
_ORDER = [
    re.compile(
        r"^\s*(?:did|was|were|does|do|is|are|has|had)\s+(?P<a>.+?)\s+"
        r"(?:(?:come|happen|take place|occur)\s+)?(?:before or after|after or before|before|after)\s+"
        rf"(?P<b>.+?){_END}",
        re.I,
    ),
    re.compile(
        r"^\s*(?:which|what)\s+(?:came|happened|occurred|was)\s+(?:first|earlier|last|later)\s*[,:]?\s+"
        rf"(?P<a>.+?)\s+or\s+(?P<b>.+?){_END}",
        re.I,
    ),
    re.compile(
        r"^\s*how (?:many|much) (?P<unit>days|weeks|months|years|time)\s+(?:after|before)\s+(?P<a>.+?)\s+"
        rf"(?:did|was|were|had|has|is|does|do)\s+(?P<b>.+?){_END}",
        re.I,
    ),
    re.compile(
        r"^\s*how (?:many|much) (?P<unit>days|weeks|months|years|time)\s+(?:passed\s+|went by\s+)?"
        rf"between\s+(?P<a>.+?)\s+and\s+(?P<b>.+?){_END}",
        re.I,
    ),
]
_COMPARATIVE = (
    r"(?:larger|bigger|higher|greater|more|smaller|lower|less|fewer|longer|shorter|stronger|"
    r"weaker|deadlier|costlier|earlier|later|older|newer|faster|slower|\w+er)"
)
_COMPARISON = [
    re.compile(rf"^\s*(?:which|who|what)\b(?P<head>[^,]*),\s*(?P<a>.+?)\s+or\s+(?P<b>.+?){_END}", re.I),
    re.compile(
        rf"^\s*(?:was|were|is|are|did|does|do)\s+(?P<a>.+?)\s+{_COMPARATIVE}(?:\s+\w+)?\s+than\s+"
        rf"(?P<b>.+?){_END}",
        re.I,
    ),
    re.compile(rf"^\s*compare\s+(?P<a>.+?)\s+(?:and|with|to|versus|vs\.?)\s+(?P<b>.+?){_END}", re.I),
]
_CHANGE = re.compile(
    r"^\s*how\s+(?:did|has|have|had|does|do)\s+(?P<topic>.+?)\s+"
    r"(?:change|changed|evolve|evolved|develop|developed|grow|grown|rise|risen|fall|fallen|shift|"
    r"shifted|move|moved|vary)\b(?P<rest>.*)$",
    re.I,
)
_AGGREGATE = [
    re.compile(
        r"^\s*(?:which|what)\s+(?:\w+\s+){0,3}?(?P<plural>(?!(?:was|is|has|does|this|its|his|us|news|series)\b)[a-z]+[^s\W]s|people|children|media)\s+"
        r"(?:did|do|does|were|are|have|has|had|was|got|saw|\w+ed)\b",
        re.I,
    ),
    re.compile(
        r"^\s*(?:who|what) were the\b|^\s*(?:list|name) (?:the|all|every)\b|^\s*on which \w+s\b", re.I
    ),
]
_PRONOUN = re.compile(r"^(?:she|he|it|they|its|her|his|their|them)\b\s*", re.I)
_POSSESSIVE = re.compile(r"^(?P<owner>.+?['’]s)\s+(?P<rest>.+)$")
_NAME = re.compile(r"\b[A-Z][\w.'’-]*(?:\s+(?:of\s+)?[A-Z][\w.'’-]*)*")
_QUESTION_WORDS = {"which", "who", "what", "was", "were", "is", "are", "did", "does", "do", "had", "has"}


def _names(text: str) -> str:
    """The capitalised names in ``text`` (months and a sentence-initial word left out)."""
    out = []
    for m in _NAME.finditer(text):
        name = m.group(0)
        if name.lower().rstrip(".") in MONTHS or name.lower() in _QUESTION_WORDS | {"the", "a", "an"}:
            continue
        out.append(name)
    return " ".join(out)


def _resolve(part: str, other: str) -> str:
    """A part that opens with a pronoun ("its hike", "she resign") gets the other part's names."""
    if _PRONOUN.match(part):
        names = _names(other)
        if names:
            return f"{names} {_PRONOUN.sub('', part)}".strip()
    return part


def _topic(head: str) -> str:
    """The words of a comparison's head that name what is compared ("interest rate hike")."""
    words = [
        w
        for w in head.split()
        if w.lower() not in _QUESTION_WORDS and not re.fullmatch(_COMPARATIVE, w, re.I)
    ]
    return " ".join(words).strip()


def _comparison(question: str) -> Plan | None:
    for pattern in _COMPARISON:
        m = pattern.match(question)
        if not m:
            continue
        a, b = m.group("a").strip(), m.group("b").strip()
        poss = _POSSESSIVE.match(b)
        if re.search(r"['’]s$", a) and poss:  # "the UK's or France's energy price cap"
            a = f"{a} {poss.group('rest')}"
        poss_a = _POSSESSIVE.match(a)
        if re.search(r"['’]s$", b) and poss_a:  # "the Fed's hike ... than the Bank of England's"
            b = f"{b} {poss_a.group('rest')}"
        a, b = _resolve(a, b), _resolve(b, a)
        lead = re.match(r"(in|on|at|for|during|by|from)\s", b, re.I)
        if lead and f" {lead.group(1).lower()} " in f" {a.lower()} ":  # "X in April or in May"
            b = a[: a.lower().index(f" {lead.group(1).lower()} ")] + " " + b
        topic = _topic(m.groupdict().get("head") or "")
        parts = tuple(SubQuestion(f"{p} {topic}".strip() if topic else p, p) for p in (a, b))
        return Plan("comparison", question, parts)
    return None


def _order(question: str) -> Plan | None:
    for pattern in _ORDER:
        m = pattern.match(question)
        if m:
            a, b = m.group("a").strip(), m.group("b").strip()
            b = _resolve(b, a)
            unit = (m.groupdict().get("unit") or "").lower()
            return Plan(
                "order", question, (SubQuestion(a, a), SubQuestion(b, b)), "days" if unit == "time" else unit
            )
    return None


def _change(question: str) -> Plan | None:
    m = _CHANGE.match(question)
    if not m:
        return None
    topic = m.group("topic").strip()
    text = f"{topic}{m.group('rest')}".strip().rstrip("?").strip()
    return Plan(
        "change",
        question,
        (SubQuestion(text, "the latest reports"), SubQuestion(text, "earlier reports", earlier=True)),
    )


def plan_question(question: str) -> Plan | None:
    """The plan for a question that needs several articles; None for a plain question.

    Example:
        >>> plan_question("How many days after the storm made landfall did the bridge reopen?").kind
        'order'
        >>> plan_question("What did Stoltenberg say about Balkan destabilization?") is None
        True
    """
    q = " ".join(question.split())
    for reader in (_order, _change, _comparison):
        plan = reader(q)
        if plan is not None:
            return plan
    if any(p.search(q) for p in _AGGREGATE):
        return Plan("aggregate", q, (SubQuestion(q, q),))
    return None
