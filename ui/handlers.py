"""What the page's events do, as plain methods over :class:`rag.NewsRAG` and :func:`ingest.ingest`.

:func:`ui.app.create_app` wires these to the page; tests call them directly. Nothing here retrieves
or answers: form values become API arguments, and the records that come back become HTML through
:mod:`ui.render`.

Example:
    >>> h = ChatHandlers(NewsRAG(settings), settings)  # doctest: +SKIP
    >>> for chat, panel, turns, box in h.respond("Who visited Skopje?", [], None, None, None, []):
    ...     pass  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from rag import Answer, ConfigError, EmptyStoreError, LLMUnavailableError, NewsragError, Query
from ui import render, trace
from ui.render import Turn
from ui.timeline import briefing_turn, show_timeline
from ui.uploads import display_input, parse_links, stage_uploads

if TYPE_CHECKING:
    from ingest import Failure, IngestReport
    from rag import NewsRAG, Settings

__all__ = ["ChatHandlers", "answer_dict", "messages"]

log = logging.getLogger(__name__)

EMPTY_HINT = (
    "Open **Add articles** on the left to upload files or paste links, "
    "or run `newsrag ingest --samples` in a terminal, then ask again."
)
LLM_HINT = 'Start the model server, or set `llm.backend = "extractive"` to answer without a language model.'

Outputs = tuple[Any, Any, Any, Any]


def parse_day(value: Any, label: str) -> date | None:
    """A filter's date from the form (``YYYY-MM-DD``, maybe with a time after it), None when blank.

    Raises:
        ConfigError: not a date.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError as exc:
        raise ConfigError(f"{label} must be a date like 2023-11-21, not {text!r}") from exc


def history_of(turns: Sequence[Turn]) -> list[tuple[str, str]]:
    """The conversation so far as ``(role, text)`` pairs, for follow-ups: answered turns only."""
    out: list[tuple[str, str]] = []
    for t in turns:
        if t.error:
            continue
        out.append(("user", t.question))
        out.append(("assistant", t.answer.text))
    return out


def messages(turns: Sequence[Turn], pending: tuple[str, str] | None = None) -> list[dict[str, str]]:
    """The chat's messages: every turn, plus the question being answered and its text so far."""
    msgs: list[dict[str, str]] = []
    for i, t in enumerate(turns):
        msgs.append({"role": "user", "content": render.question_markdown(t.question)})
        extras = "" if t.error else trace.turn_extras(t.answer, i)
        msgs.append({"role": "assistant", "content": render.turn_markdown(t, i) + extras})
    if pending is not None:
        msgs.append({"role": "user", "content": render.question_markdown(pending[0])})
        msgs.append({"role": "assistant", "content": render.pending_markdown(pending[1])})
    return msgs


def answer_dict(answer: Answer) -> dict[str, Any]:
    """An answer as JSON: the object ``newsrag ask --json`` prints, each citation also with its
    passage's text (which the quote's offsets index)."""
    return answer.to_dict(passages=True)


def report_markdown(
    report: IngestReport | None,
    refused: Sequence[Failure],
    display: dict[str, str],
    staging: Path | None = None,
) -> str:
    """The ingest summary worded as ``newsrag ingest`` prints it; inputs named as the user knows them."""
    failed = [*refused, *(report.failed if report else [])]
    counts = report or _NoReport()
    lines = [
        f"**added {counts.added}, updated {counts.updated}, unchanged {counts.unchanged}, "
        f"duplicates {counts.duplicates}, failed {len(failed)}**"
    ]
    if report is not None:
        rate = report.chunks_added / report.seconds if report.seconds > 0 else 0.0
        lines.append(f"{report.chunks_added} passages embedded in {report.seconds:.1f} s ({rate:.0f}/s)")
    if failed:
        lines.append("")
        lines.append("Failed:")
        roots = [staging] if staging else []
        for f in failed:
            name = render.question_markdown(display_input(f.input, display, roots))
            lines.append(f"- {name}: {render.question_markdown(f.reason)}")
    return "\n".join(lines)


class _NoReport:
    added = updated = unchanged = duplicates = 0


class ChatHandlers:
    """The page's event handlers over one :class:`rag.NewsRAG`.

    Args:
        api: every answer and every statistic comes from here.
        settings: upload limits and ingest options.
    """

    def __init__(self, api: NewsRAG, settings: Settings) -> None:
        self.api = api
        self.settings = settings

    # ---- answering ----------------------------------------------------------------------------

    def respond(
        self,
        question: str,
        turns: list[Turn] | None,
        since: Any,
        until: Any,
        as_of: Any,
        sources: list[str] | None,
        *,
        read_scope: bool = True,
    ) -> Iterator[Outputs]:
        """Stream the answer into the chat; yields (chat messages, sources panel, turns, question box).

        ``read_scope`` False searches without the dates and sources the question names."""
        q = (question or "").strip()
        done = list(turns or [])
        if not q:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        yield messages(done, (q, "")), gr.skip(), gr.skip(), ""
        turn: Turn
        try:
            brief = briefing_turn(self.api, q, sources)  # "Brief me on X since DATE"
            if brief is not None:
                done.append(brief)
                yield messages(done), render.sources_html(done), done, gr.skip()
                return
            query = Query(
                q,
                history=tuple(history_of(done)),
                since=parse_day(since, "Published from"),
                until=parse_day(until, "Published to"),
                as_of=parse_day(as_of, "As of"),
                sources=tuple(sources or ()),
                read_scope=read_scope,
            )
            text = ""
            final: Answer | None = None
            for event in self.api.stream(query):
                if isinstance(event, Answer):
                    final = event
                else:
                    text += event
                    yield messages(done, (q, text)), gr.skip(), gr.skip(), gr.skip()
            if final is None:  # the API's contract: the stream ends with the answer
                raise NewsragError("the answer stream ended without an answer")
            turn = Turn(q, final)
        except EmptyStoreError:
            turn = Turn(q, Answer(question=q, text=""), error="The collection is empty.", hint=EMPTY_HINT)
        except ConfigError as exc:
            turn = Turn(q, Answer(question=q, text=""), error=str(exc))
        except LLMUnavailableError as exc:
            # LLMUnavailableWithPassages carries what retrieval found: offer it, not only the error.
            found = list(getattr(exc, "passages", None) or [])
            turn = Turn(
                q,
                Answer(question=q, text="", passages=found),
                error=f"The language model could not be reached: {exc}",
                hint=LLM_HINT,
            )
        except NewsragError as exc:
            log.warning("answering %r failed: %s", q, exc)
            turn = Turn(q, Answer(question=q, text=""), error=str(exc))
        done.append(turn)
        yield messages(done), render.sources_html(done), done, gr.skip()

    def respond_unscoped(
        self,
        turns: list[Turn] | None,
        since: Any,
        until: Any,
        as_of: Any,
        sources: list[str] | None,
    ) -> Iterator[Outputs]:
        """The last question again, without the dates and sources read from it (the one-click
        "search without it" under an answer whose question named some)."""
        done = list(turns or [])
        if not done:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        yield from self.respond(done[-1].question, done, since, until, as_of, sources, read_scope=False)

    def timeline(self, story: str, since: Any, until: Any, as_of: Any, sources: list[str] | None) -> str:
        """The Timeline tab: the named story's events within the filters (``as_of`` an upper bound)."""
        try:
            first, last = parse_day(since, "Published from"), parse_day(until, "Published to")
            cutoff = parse_day(as_of, "As of")
        except ConfigError as exc:
            return f'<div class="nr-timeline nr-empty"><p>{render.question_markdown(str(exc))}</p></div>'
        if cutoff and (last is None or cutoff < last):
            last = cutoff
        return show_timeline(self.api, story, first, last, sources)

    @staticmethod
    def unscoped_button(turns: list[Turn] | None) -> Any:
        """The "search without it" button: shown when the last answer's search was limited by
        dates or sources its question named, labelled with those words."""
        last = turns[-1] if turns else None
        scope = last.answer.scope if last is not None and not last.error else None
        if scope is None or not scope.phrases or scope.widened:
            return gr.Button(visible=False)
        words = ", ".join(f"'{p}'" for p in scope.phrases)
        return gr.Button(value=f"Search again without {words}", visible=True)

    @staticmethod
    def clear() -> tuple[list[Any], str, list[Turn], str]:
        """A new conversation: empty chat, empty sources panel, no history."""
        return [], render.sources_html([]), [], ""

    @staticmethod
    def use_example(evt: gr.SelectData) -> str:
        """A clicked example question, into the question box."""
        value = evt.value
        if isinstance(value, dict):
            return str(value.get("text") or "")
        return str(value or "")

    # ---- the collection -----------------------------------------------------------------------

    def generator_label(self) -> str:
        """Which generator answers, in words."""
        llm = self.settings.llm
        try:
            name = self.api.resolve_backend()
        except NewsragError as exc:
            return f"unavailable ({exc})"
        if name == "local":
            return f"local model ({llm.model})"
        if name == "openai":
            return f"{llm.openai_model} at {llm.base_url or 'api.openai.com'}"
        return "extractive (no LLM: answers quote the articles)"

    def refresh(self) -> tuple[str, Any, Any, Any]:
        """The side panel's collection card, the source filter's choices, the example questions, and
        the *Add articles* section (opened when the collection is empty)."""
        try:
            stats = self.api.stats()
            infos = self.api.store.articles()
        except NewsragError as exc:
            return render.collection_error_html(str(exc)), gr.skip(), gr.skip(), gr.skip()
        card = render.collection_html(
            stats.articles,
            stats.chunks,
            stats.sources,
            stats.first_published,
            stats.last_published,
            self.generator_label(),
        )
        newest = sorted(infos.values(), key=lambda i: (i.published or date.min, i.title), reverse=True)
        examples = render.example_questions([i.title for i in newest])
        return (
            card,
            gr.Dropdown(choices=sorted(render.named_sources(stats.sources))),
            gr.Chatbot(examples=[{"text": q} for q in examples] or None),
            gr.Accordion(open=True) if stats.articles == 0 else gr.skip(),
        )

    def add_articles(
        self,
        files: list[str] | None,
        links: str | None,
        progress: Callable[..., Any] | None = None,
    ) -> tuple[str, Any, Any]:
        """Ingest uploaded files and pasted links; returns (summary, cleared upload, cleared links)."""
        from ingest import IngestOptions, count_inputs, ingest

        received = [(str(f), Path(str(f)).name) for f in files or []]
        urls, bad_links = parse_links(links or "")
        if not received and not urls and not bad_links:
            return "Choose files to upload or paste links first.", gr.skip(), gr.skip()
        max_mb = self.settings.ui.max_upload_mb
        with tempfile.TemporaryDirectory(prefix="newsrag-upload-") as tmp:
            staged = stage_uploads(received, Path(tmp), max_mb)
            refused = [*staged.refused, *bad_links]
            inputs = [str(p) for p in staged.paths] + urls
            report: IngestReport | None = None
            if inputs:
                total = None if urls else count_inputs(inputs, max_mb)
                if progress is not None:
                    progress(0.0, desc="Reading the articles…")

                def on_progress(p: Any) -> None:
                    if progress is not None:
                        desc = f"{p.articles} article{'s' if p.articles != 1 else ''}, {p.chunks} passages"
                        progress((p.articles, total), desc=desc, unit="articles")

                limit = min(max_mb, self.settings.ingest.max_file_mb)
                options = IngestOptions.from_settings(self.settings, max_file_mb=limit)
                try:
                    report = ingest(inputs, self.api.store, options=options, progress=on_progress)
                except NewsragError as exc:
                    return render.error_markdown("Adding articles failed", str(exc)), gr.skip(), gr.skip()
            summary = report_markdown(report, refused, staged.display, Path(tmp))
        return summary, None, ""

    # ---- the API endpoint ---------------------------------------------------------------------

    def ask(
        self,
        question: str,
        as_of: str | None = None,
        since: str | None = None,
        until: str | None = None,
        sources: list[str] | None = None,
        history: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        """Answer a question from the collection, with verified citations.

        Returns the answer as ``newsrag ask --json`` prints it (answer, abstained, citations with
        quotes and passages, unsupported sentences, timings, backend); ``{"error": ...}`` when it
        cannot be answered, with the retrieved ``sources`` when the language model is unreachable.
        Dates are ``YYYY-MM-DD``; ``history`` is the conversation so far as ``{"role", "content"}``.
        """
        try:
            answer = self.api.ask(
                question,
                history=history,
                as_of=parse_day(as_of, "as_of"),
                since=parse_day(since, "since"),
                until=parse_day(until, "until"),
                sources=sources or None,
            )
        except ConfigError as exc:
            raise gr.Error(str(exc)) from exc
        except NewsragError as exc:
            out: dict[str, Any] = {"error": str(exc)}
            found = list(getattr(exc, "passages", None) or [])
            if found:
                out["passages"] = [p.to_dict(n, text=True) for n, p in enumerate(found, start=1)]
            return out
        return answer_dict(answer)
