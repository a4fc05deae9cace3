"""The chat page: a thin Gradio layer over :class:`rag.NewsRAG` and :func:`ingest.ingest`.

Nothing here retrieves or answers: the page turns what the user typed into arguments, streams what
``NewsRAG.stream`` yields, and draws the records it returns (see :mod:`ui.render`).

Example:
    >>> from rag import NewsRAG, Settings
    >>> settings = Settings()
    >>> app = create_app(NewsRAG(settings), settings)  # doctest: +SKIP
    >>> launch(app, settings)  # doctest: +SKIP  (serves http://127.0.0.1:7860 until Ctrl+C)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no phoning home

import gradio as gr

from ui import render
from ui._auth import RequireLogin, parse_auth
from ui.handlers import ChatHandlers
from ui.timeline import EMPTY_TIMELINE
from ui.uploads import UPLOAD_SUFFIXES
from ui.watches import watches_html

if TYPE_CHECKING:
    from fastapi import FastAPI

    from rag import NewsRAG, Settings

__all__ = ["create_app", "gradio_server", "launch", "launch_kwargs", "mount"]

TITLE = "newsrag · ask the news"

_JS = """
() => {
  const focusCard = (id) => {
    const card = document.getElementById(id);
    if (!card) return false;
    for (let el = card.parentElement; el; el = el.parentElement) {
      if (el.tagName === 'DETAILS') el.open = true;
    }
    document.querySelectorAll('.nr-card.nr-active').forEach((c) => c.classList.remove('nr-active'));
    void card.offsetWidth;  // restart the flash animation
    card.classList.add('nr-active');
    card.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
    return true;
  };
  // Capture phase: runs before the chat's own link handling, so [n] never navigates away.
  document.addEventListener('click', (ev) => {
    const a = ev.target instanceof Element ? ev.target.closest('a.nr-cite') : null;
    if (!a) return;
    ev.preventDefault();
    ev.stopPropagation();
    focusCard((a.getAttribute('href') || '').replace(/^#/, ''));
  }, true);
}
"""

_HEADER = (
    '<div id="nr-header"><div class="nr-logo">news<span>rag</span></div>'
    '<div class="nr-tagline">Ask questions about the news in your collection. '
    "Every answer cites its sources: click a number like "
    '<span class="nr-badge">[1]</span> to read the passage.</div></div>'
)

_PLACEHOLDER = (
    "### Ask about the news\n"
    "Answers come only from the articles in the collection, with numbered citations. "
    "Click a number to see the passage it comes from. Ask a follow-up in your own words; "
    "**New conversation** starts over."
)


_ASK_DESCRIPTION = (
    "Answer a question from the articles in the collection, with verified citations. Only the question "
    "is required. Returns the same JSON object as `newsrag ask --json`: answer, abstained, citations "
    "(n, article_id, title, published, source, url, quote, passage, quote_start, quote_end), "
    "unsupported, timings, backend, standalone_question; or {error, sources} when it cannot answer. "
    "Dates are YYYY-MM-DD; sources is a list of source names; history is the conversation so far as "
    "[{role, content}, ...]."
)


# ---- the app ---------------------------------------------------------------------------------------


def _with_progress(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn(files, links, progress)`` with Gradio's progress bar injected (it looks for a default)."""

    def add_articles(
        files: list[str] | None,
        links: str,
        progress: gr.Progress = gr.Progress(),  # noqa: B008  (how Gradio injects its progress bar)
    ) -> Any:
        return fn(files, links, progress)

    return add_articles


@dataclass(frozen=True)
class _Side:
    """The left column: what the collection holds, the filters, adding articles, watches."""

    collection: gr.HTML
    filters: list[Any]  # published from, published to, as of, sources: the order ``respond`` takes
    sources: gr.Dropdown
    add_box: gr.Accordion
    upload: gr.File
    links: gr.Textbox
    add: gr.Button
    report: gr.Markdown
    watches: gr.HTML


@dataclass(frozen=True)
class _Chat:
    """The middle column and the sources panel beside it."""

    chatbot: gr.Chatbot
    box: gr.Textbox
    send: gr.Button
    unscoped: gr.Button
    new: gr.Button
    panel: gr.HTML
    story: gr.Textbox  # the Timeline tab: the story's name, its button and the events
    show: gr.Button
    timeline: gr.HTML


def _filters() -> list[Any]:
    since = gr.DateTime(label="Published from", include_time=False, type="string", elem_id="nr-since")
    until = gr.DateTime(label="Published to", include_time=False, type="string", elem_id="nr-until")
    as_of = gr.DateTime(label="As of", include_time=False, type="string", elem_id="nr-as-of")
    sources = gr.Dropdown(label="Sources", choices=[], multiselect=True, value=[], elem_id="nr-source-filter")
    gr.Markdown(
        "**As of** asks as if on that day: later articles are left out and the days "
        "before count most. Leave blank to search everything.",
        elem_id="nr-filters-note",
    )
    return [since, until, as_of, sources]


def _side_column(max_mb: float) -> _Side:
    gr.Markdown("### In the collection")
    collection = gr.HTML(
        '<div class="nr-collection"><p>Reading the collection…</p></div>', elem_id="nr-collection"
    )
    with gr.Accordion("Filters for the next question", open=False, elem_id="nr-filters"):
        filters = _filters()
    with gr.Accordion("Add articles", open=False, elem_id="nr-add") as add_box:
        upload = gr.File(
            label=f"Files ({' '.join(UPLOAD_SUFFIXES)}), up to {max_mb:g} MB each",
            file_count="multiple",
            file_types=list(UPLOAD_SUFFIXES),
            type="filepath",
            elem_id="nr-upload",
        )
        links = gr.Textbox(
            label="Or links to articles or feeds, one per line",
            placeholder="https://example.com/news/story.html",
            lines=2,
            elem_id="nr-links",
        )
        add = gr.Button("Add to the collection", variant="primary", elem_id="nr-add-button")
        report = gr.Markdown(elem_id="nr-report")
    with gr.Accordion("Watches", open=False, elem_id="nr-watches-box"):
        watches = gr.HTML(elem_id="nr-watches")
    return _Side(collection, filters, filters[3], add_box, upload, links, add, report, watches)


def _chat_columns() -> _Chat:
    with gr.Column(scale=6, min_width=400):
        chatbot = gr.Chatbot(
            elem_id="nr-chat",
            label="Conversation",
            show_label=False,
            height="64vh",
            placeholder=_PLACEHOLDER,
            buttons=["copy"],
            feedback_options=None,
            layout="bubble",
        )
        with gr.Row(elem_id="nr-ask-row"):
            box = gr.Textbox(
                show_label=False,
                placeholder="Ask about the news…",
                lines=1,
                max_lines=4,
                scale=8,
                autofocus=True,
                elem_id="nr-question",
            )
            send = gr.Button("Ask", variant="primary", scale=1, min_width=90, elem_id="nr-send")
        unscoped = gr.Button("Search again without it", size="sm", visible=False, elem_id="nr-unscoped")
        new = gr.Button("New conversation", size="sm", variant="secondary", elem_id="nr-clear")
    with gr.Column(scale=5, min_width=340), gr.Tabs(elem_id="nr-right-tabs"):
        with gr.Tab("Sources", elem_id="nr-tab-sources"):
            gr.Markdown("### Sources", elem_id="nr-sources-title")
            panel = gr.HTML(render.sources_html([]), elem_id="nr-sources")
        with gr.Tab("Timeline", elem_id="nr-tab-timeline"):
            with gr.Row(elem_id="nr-timeline-row"):
                story = gr.Textbox(
                    show_label=False,
                    placeholder="A story, e.g. Hurricane Ian",
                    scale=4,
                    elem_id="nr-timeline-query",
                )
                show = gr.Button("Show timeline", variant="primary", scale=1, elem_id="nr-timeline-go")
            timeline = gr.HTML(EMPTY_TIMELINE, elem_id="nr-timeline")
    return _Chat(chatbot, box, send, unscoped, new, panel, story, show, timeline)


def _wire_chat(chat: _Chat, filters: list[Any], turns: gr.State, handlers: ChatHandlers) -> None:
    """Asking (typed, an example, or again without the filters) and starting over."""
    answer_events: dict[str, Any] = {
        "fn": handlers.respond,
        "inputs": [chat.box, turns, *filters],
        "outputs": [chat.chatbot, chat.panel, turns, chat.box],
        "show_progress": "hidden",
        "api_visibility": "private",
        "concurrency_id": "answer",
        "concurrency_limit": 1,
    }
    scope_button: dict[str, Any] = {
        "fn": handlers.unscoped_button,
        "inputs": [turns],
        "outputs": [chat.unscoped],
        "api_visibility": "private",
        "queue": False,
    }
    gr.on([chat.box.submit, chat.send.click], **answer_events).then(**scope_button)
    chat.chatbot.example_select(
        handlers.use_example, None, chat.box, api_visibility="private", queue=False
    ).then(**answer_events).then(**scope_button)
    unscoped_events = answer_events | {"fn": handlers.respond_unscoped, "inputs": [turns, *filters]}
    chat.unscoped.click(**unscoped_events).then(**scope_button)
    cleared = [chat.chatbot, chat.panel, turns, chat.box]
    chat.new.click(handlers.clear, None, cleared, api_visibility="private", queue=False).then(**scope_button)
    chat.chatbot.clear(handlers.clear, None, cleared, api_visibility="private", queue=False)
    gr.on(
        [chat.story.submit, chat.show.click],
        handlers.timeline,
        [chat.story, *filters],
        chat.timeline,
        api_visibility="private",
        concurrency_id="answer",
        concurrency_limit=1,
    )


def _wire_collection(
    demo: gr.Blocks, side: _Side, chat: _Chat, handlers: ChatHandlers, settings: Settings
) -> None:
    """Showing the collection and the watches on load, and adding articles."""
    refresh_outputs = [side.collection, side.sources, chat.chatbot, side.add_box]
    demo.load(handlers.refresh, None, refresh_outputs, api_visibility="private")
    demo.load(
        lambda: watches_html(settings.home, settings.collection), None, side.watches, api_visibility="private"
    )
    side.add.click(
        _with_progress(handlers.add_articles),
        [side.upload, side.links],
        [side.report, side.upload, side.links],
        api_visibility="private",
        concurrency_id="ingest",
        concurrency_limit=1,
    ).then(handlers.refresh, None, refresh_outputs, api_visibility="private")


def create_app(api: NewsRAG, settings: Settings | None = None) -> gr.Blocks:
    """The chat page over ``api`` (not started: see :func:`launch`).

    Args:
        api: the question-answering object every answer comes from.
        settings: upload limits and ingest options (default: ``api.settings``).

    Returns:
        The Gradio app. Besides the page it serves one API endpoint, ``/ask``:
        ``gradio_client.Client(url).predict("What did Stoltenberg say?", api_name="/ask")`` returns
        the answer as :func:`ui.handlers.answer_dict` shows it.
    """
    settings = settings or api.settings
    handlers = ChatHandlers(api, settings)
    with gr.Blocks(title=TITLE, fill_width=True, analytics_enabled=False) as demo:
        turns = gr.State([])
        gr.HTML(_HEADER)
        with gr.Row(equal_height=False, elem_id="nr-main"):
            with gr.Column(scale=3, min_width=260, elem_id="nr-side"):
                side = _side_column(settings.ui.max_upload_mb)
            chat = _chat_columns()
        _wire_chat(chat, side.filters, turns, handlers)
        _wire_collection(demo, side, chat, handlers, settings)
        gr.api(
            handlers.ask,
            api_name="ask",
            api_description=_ASK_DESCRIPTION,
            concurrency_id="answer",
            concurrency_limit=1,
        )
    return demo


# ---- serving -----------------------------------------------------------------------------------


def _theme() -> gr.themes.Base:
    # Fonts bundled with Gradio only: nothing is fetched from outside.
    return gr.themes.Soft(
        primary_hue="indigo",
        neutral_hue="slate",
        font=[gr.themes.LocalFont("IBM Plex Sans"), "ui-sans-serif", "system-ui", "sans-serif"],
        font_mono=[gr.themes.LocalFont("IBM Plex Mono"), "ui-monospace", "monospace"],
    )


def launch_kwargs(settings: Settings) -> dict[str, Any]:
    """Everything ``Blocks.launch`` is given, from the settings: host, port, login, upload limit, theme.

    Never a share link; no analytics, no server-side rendering, no run history.

    Raises:
        ConfigError: ``ui.auth`` is not ``user:password``.
    """
    from starlette.middleware import Middleware

    css = resources.files("ui").joinpath("style.css").read_text(encoding="utf-8")
    return {
        "server_name": settings.ui.host,
        "server_port": settings.ui.port,
        "share": False,
        "auth": parse_auth(settings.ui.auth),
        "auth_message": "newsrag: log in to ask questions.",
        "max_file_size": int(settings.ui.max_upload_mb * 1024 * 1024),
        "footer_links": ["api", "settings"],
        "ssr_mode": False,
        "pwa": False,
        "mcp_server": False,
        "enable_monitoring": False,
        "run_history": False,
        "app_kwargs": {"middleware": [Middleware(RequireLogin)]},
        "theme": _theme(),
        "css": css,
        "js": _JS,
    }


def launch(app: gr.Blocks, settings: Settings, **overrides: Any) -> tuple[Any, str, str]:
    """Serve ``app`` with :func:`launch_kwargs` (blocks until Ctrl+C unless ``prevent_thread_lock=True``).

    Returns:
        What ``Blocks.launch`` returns: the FastAPI app, the local URL and the share URL (None).
    """
    kwargs = {**launch_kwargs(settings), **overrides}
    kwargs["share"] = False  # never a public link, whatever the caller passed
    return app.queue(default_concurrency_limit=1).launch(**kwargs)


def mount(parent: FastAPI, app: gr.Blocks, settings: Settings) -> FastAPI:
    """Serve ``app`` at ``/`` of ``parent`` (a FastAPI app run by its own server), with the same login,
    limits and look as :func:`launch`. Routes ``parent`` already has keep precedence.

    Raises:
        ConfigError: ``ui.auth`` is not ``user:password``.
    """
    kwargs = launch_kwargs(settings)
    del kwargs["share"]
    app.queue(default_concurrency_limit=1)
    return gr.mount_gradio_app(parent, app, path="/", **kwargs)


def gradio_server(parent: FastAPI) -> Any:
    """The Gradio app :func:`mount` put at ``/`` of ``parent`` (its login tokens live there)."""
    from starlette.routing import Mount

    return next(r.app for r in parent.routes if isinstance(r, Mount) and r.path == "")
