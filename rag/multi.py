"""Answering a question that needs several articles (a :class:`~rag.decompose.Plan`).

Each sub-question is searched once, through the same retriever and :class:`~rag.question.Query`
as a plain question (its own dates narrow its search; ``as_of`` and the filters carry over); the
passages are merged, numbered once, and each part is answered from its own search:

- ``comparison`` and ``order``: the best sentence of each side's search (for a comparison one that
  holds a figure of what is asked, when there is one); ``order`` then says which came first and how
  many days apart, from the dates the sentences name or else the articles' dates;
- ``change``: one sentence with the asked figure per article, earliest, latest and up to two
  between, in date order, then how the figure changed, with dates (:func:`~rag.conflicts.conflict_note`);
- ``aggregate``: the best sentence of each of the best articles of one wide search.

The draft (or a chat model's answer over the merged passages) is verified like any answer. Figures
the cited passages give differently are reported as an update or a disagreement
(:mod:`rag.conflicts`); a part nothing was found for is named. ``Answer.trace`` holds each
sub-question, what its search found and the sentences taken from it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date, timedelta

from langchain_core.language_models import BaseChatModel

from rag._extractive import best_sentences, excerpts
from rag.answering import AnswerEngine, LLMUnavailableWithPassages, abstention_text, build_messages
from rag.claims.quantities import dates
from rag.conflicts import (
    Figure,
    conflict_note,
    facts_in,
    find_conflicts,
    format_day,
    on_topic,
    question_places,
)
from rag.decompose import Plan, SubQuestion
from rag.errors import LLMUnavailableError
from rag.question import Query
from rag.records import Answer, Citation, Passage, SubAnswer
from rag.retrieval import Retrieval
from rag.verify import Verified, with_markers

__all__ = ["MultiAnswerer"]

Part = list[tuple[int, str]]  # (source number, sentence) taken for one sub-question


class MultiAnswerer:
    """Answers a multi-article question with the engine's retriever, verifier and embeddings.

    Args:
        engine: the answering pipeline (its retriever is searched once per sub-question).
        wide_k: passages (one per article) of an ``aggregate`` or ``change`` search.
    """

    def __init__(self, engine: AnswerEngine, *, wide_k: int = 8) -> None:
        self.engine = engine
        self.wide_k = wide_k

    def search(self, query: Query, plan: Plan) -> list[tuple[SubQuestion, Retrieval]]:
        """One search per sub-question; an ``earlier`` one searches before the first one's articles."""
        out: list[tuple[SubQuestion, Retrieval]] = []
        wide = plan.kind in ("aggregate", "change")
        for sub in plan.parts:
            q = query.asking(sub.text)
            if sub.earlier:
                start = _earliest(out[0][1]) if out else None
                if start is None:
                    continue  # nothing to search before
                until = start - timedelta(days=1)
                q = replace(q, until=min(until, query.until) if query.until else until)
            k = self.wide_k if wide else self.engine.k
            found = self.engine.search(q, k=k, max_per_article=1 if wide else None)
            out.append((sub, found))
        return out

    def stream(
        self, query: Query, plan: Plan, *, model: BaseChatModel | None, backend: str
    ) -> Iterator[str | Answer]:
        """Text deltas, then the verified :class:`Answer` with its ``kind``, ``trace`` and ``conflicts``."""
        t0 = time.perf_counter()
        searches = self.search(query, plan)
        timings = {"retrieve": time.perf_counter() - t0}
        sources, found = _merge([r for _, r in searches])
        answer = Answer(
            question=query.question,
            text="",
            passages=sources,
            standalone_question=plan.question,
            backend=backend,
            scope=searches[0][1].search_scope(),
            kind=plan.kind,
        )
        usable = [i for i, (sub, r) in enumerate(searches) if self.engine.evidence(sub.text, r).enough]
        parts = self._parts(plan, searches, found, sources, usable)
        draft = " ".join(with_markers(s, [n]) for part in parts for n, s in part)
        t2 = time.perf_counter()
        if model is not None and draft:
            text = ""
            for delta in self._generate(plan, sources, model):
                text += delta
                timings.setdefault("first_token", time.perf_counter() - t2)
                yield delta
            verified = self.engine.verifier.verify(text, sources)
            if not verified.supported:  # the model declined or wrote nothing the passages back
                verified = self._fallback(draft, sources, verified)
        else:
            verified = self.engine.verifier.verify(draft, sources) if draft else Verified("", [])
        timings["generate"] = time.perf_counter() - t2
        answer.trace = [
            SubAnswer(
                sub.text if sub.label == sub.text else f"{sub.text} ({sub.label})",
                tuple(found[i]),
                tuple(s for _, s in parts[i]),
            )
            for i, (sub, _) in enumerate(searches)
        ]
        if not verified.supported:
            answer.abstained = True
            answer.text = abstention_text(plan.question, searches[0][1])
        else:
            sides = [set(f) for f in found] if plan.kind in ("comparison", "order") else []
            answer.conflicts = find_conflicts(verified.citations, plan.question, sides=sides)
            notes = self._notes(plan, searches, usable, parts, verified.citations, answer)
            answer.text = "\n\n".join([verified.text, *notes])
            answer.citations = verified.citations
        answer.unsupported = verified.unsupported
        answer.corrections = verified.corrections
        timings["total"] = time.perf_counter() - t0
        answer.timings = timings
        if model is None or answer.abstained:
            yield answer.text
        yield answer

    # ---- the parts -----------------------------------------------------------------------------

    def _parts(
        self,
        plan: Plan,
        searches: list[tuple[SubQuestion, Retrieval]],
        found: list[list[int]],
        sources: list[Passage],
        usable: list[int],
    ) -> list[Part]:
        """Per sub-question, the sentences the extractive draft takes from its search."""
        parts: list[Part] = [[] for _ in searches]
        if not usable:
            return parts
        if plan.kind == "change":
            return self._series(plan.question, found, sources, usable)
        embed = self.engine.embed
        for i in usable:
            sub = searches[i][0]
            mine = [sources[n - 1] for n in found[i]]
            if plan.kind == "aggregate":
                parts[i] = self._spread(sub.text, mine, found[i])
                continue

            def asked_figure(s: str, question: str = plan.question) -> bool:
                return bool(facts_in(s, question))

            prefer = asked_figure if plan.kind == "comparison" else None
            best = best_sentences(sub.text, mine, embed, n=1, prefer=prefer)
            parts[i] = [(found[i][j], s) for j, s, _ in best]
        return parts

    def _spread(self, question: str, passages: list[Passage], numbers: list[int], most: int = 5) -> Part:
        """The best sentence of each article, for as long as they stay close to the best one."""
        picked: list[tuple[int, str, float]] = []
        for j, p in enumerate(passages):
            for _, s, score in best_sentences(question, [p], self.engine.embed, n=1):
                picked.append((numbers[j], s, score))
        if not picked:
            return []
        top = max(score for _, _, score in picked)
        kept = [(n, s) for n, s, score in picked if score >= 0.75 * top]
        return _distinct(kept)[:most]

    def _series(
        self, question: str, found: list[list[int]], sources: list[Passage], usable: list[int]
    ) -> list[Part]:
        """``change``: from each article, its best sentence giving the asked figure of the
        question's own subject (not a county's, not another storm's); the figure most articles
        give makes the series, spread over its dates (earliest, latest and two between)."""
        series: dict[tuple[str, str, tuple[str, ...]], list[tuple[date, int, str]]] = {}
        seen: set[str] = set()

        places = question_places(question)

        def main(s: str) -> list[Figure]:  # the question's own subject: the places it names, or none
            return [f for f in facts_in(s, question) if set(f.subject) == places]

        for i in usable:
            for n in found[i]:
                p = sources[n - 1]
                if p.article_id in seen:
                    continue
                seen.add(p.article_id)
                best = best_sentences(question, [p], self.engine.embed, n=1, prefer=lambda s: bool(main(s)))
                on = bool(best) and on_topic(best[0][1], p.title, question)
                figures = main(best[0][1]) if on else []
                if figures:
                    series.setdefault(figures[0].key, []).append((p.published or date.min, n, best[0][1]))
        parts: list[Part] = [[] for _ in found]
        if not series:
            return parts
        longest = max(series, key=lambda k: len(series[k]))
        dated = sorted(series[longest])
        if len(dated) > 4:
            dated = [dated[0], dated[len(dated) // 3], dated[2 * len(dated) // 3], dated[-1]]
        for _, n, s in dated:
            owner = next((i for i in usable if n in found[i]), usable[0])
            parts[owner].append((n, s))
        return parts

    # ---- generation and notes ------------------------------------------------------------------

    def _generate(self, plan: Plan, sources: list[Passage], model: BaseChatModel) -> Iterator[str]:
        """A chat model's answer over the merged passages, told the parts to answer."""
        ask = (
            plan.question + "\nAnswer each part, citing its source: " + "; ".join(p.label for p in plan.parts)
        )
        shown: Sequence[Passage] | Sequence[tuple[int, Passage]] = sources
        if self.engine.source_tokens:
            shown = excerpts(plan.question, sources, self.engine.embed, self.engine.source_tokens)
        try:
            for chunk in model.stream(build_messages(ask, shown)):
                if chunk.text:
                    yield chunk.text
        except LLMUnavailableError as exc:
            raise LLMUnavailableWithPassages(str(exc), sources, plan.question) from exc

    def _fallback(self, draft: str, sources: list[Passage], declined: Verified) -> Verified:
        fallback = self.engine.verifier.verify(draft, sources)
        fallback.unsupported = [*declined.unsupported, *fallback.unsupported]
        fallback.corrections = [*declined.corrections, *fallback.corrections]
        return fallback

    def _notes(
        self,
        plan: Plan,
        searches: list[tuple[SubQuestion, Retrieval]],
        usable: list[int],
        parts: list[Part],
        citations: list[Citation],
        answer: Answer,
    ) -> list[str]:
        """What the answer adds after the verified sentences: the order of events, changed or
        differing figures, and the parts nothing was found for."""
        notes: list[str] = []
        cited = {c.n: c for c in citations}
        if plan.kind == "order":
            line = _order_line(plan, parts, cited)
            if line:
                notes.append(line)
        notes.extend(conflict_note(c) for c in answer.conflicts)
        missing = [searches[i][0].label for i in range(len(searches)) if i not in usable]
        if plan.kind != "change" and missing:
            notes.append(
                "The articles don't say anything about " + " or ".join(f"“{m}”" for m in missing) + "."
            )
        return notes


def _merge(found: list[Retrieval]) -> tuple[list[Passage], list[list[int]]]:
    """The searches' passages numbered once (a passage two searches found keeps its first number),
    and each search's numbers in its order."""
    sources: list[Passage] = []
    number: dict[str, int] = {}
    per: list[list[int]] = []
    for r in found:
        mine = []
        for p in r.passages:
            if p.chunk_id not in number:
                sources.append(p)
                number[p.chunk_id] = len(sources)
            mine.append(number[p.chunk_id])
        per.append(mine)
    return sources, per


def _earliest(found: Retrieval, top: int = 3) -> date | None:
    days = [h.passages[0].published for h in found.articles[:top] if h.passages and h.passages[0].published]
    return min(days) if days else None


def _distinct(items: Part) -> Part:
    out: Part = []
    for n, s in items:
        if s not in (t for _, t in out):
            out.append((n, s))
    return out


def event_day(sentence: str, published: date | None) -> date | None:
    """The day a sentence says its event happened (a date, weekday, "yesterday" it names, read
    against the article's date), else the article's date."""
    for mention in dates(sentence):
        days = [d for d in mention.resolve(published) if published is None or d <= published]
        if days:
            return days[0]
    return published


def _order_line(plan: Plan, parts: list[Part], cited: dict[int, Citation]) -> str:
    """ "By these reports, “A” (6 September 2022 [1]) came 2 days before “B” (8 September 2022 [2])." """
    ends: list[tuple[str, int, date]] = []
    for sub, part in zip(plan.parts, parts, strict=False):
        for n, s in part:
            c = cited.get(n)
            day = event_day(s, c.passage.published) if c else None
            if c and day:
                ends.append((sub.label, n, day))
                break
    if len(ends) < 2:
        return ""
    (a, na, da), (b, nb, db) = ends[0], ends[1]
    gap = abs((db - da).days)
    if gap == 0:
        when = "on the same day as"
    else:
        unit = plan.unit if plan.unit in ("weeks", "months", "years") else "days"
        size = {"weeks": 7, "months": 30, "years": 365}.get(unit, 1)
        amount = round(gap / size) if size > 1 else gap
        when = f"{amount} {unit if amount != 1 else unit[:-1]} {'before' if da < db else 'after'}"
    return f"By these reports, “{a}” ({format_day(da)} [{na}]) came {when} “{b}” ({format_day(db)} [{nb}])."
