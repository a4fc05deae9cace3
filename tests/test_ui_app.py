"""The page's handlers over a real store of the sample articles (extractive backend, or a fake chat
model), and the ``/ask`` endpoint through ``gradio_client`` against a real server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from rag.api import NewsRAG
from rag.question import Query
from rag.records import Answer
from rag.settings import LLMSettings, Settings
from rag.store import NewsStore
from tests._processes import free_port
from tests.answering_data import STOLTENBERG_Q, fake_llm
from ui import ChatHandlers, create_app, launch
from ui.render import Turn

SAMPLE_ID = "samples/2023-11-21-nato-skopje.txt"
SAMPLE_TITLE = "NATO chief in Skopje"
NO_THREAT = (
    "NATO sees no imminent military threat from Russia against any of its allies or against the region"
)

TALLINN = """Tallinn harbour festival draws a record crowd of sailors
Tallinn, 3 August 2023 - The Tallinn Maritime Days festival drew a record 120,000 visitors to the \
city's harbour over three days, the organisers said on Sunday.
Tall ships from Finland, Poland and the Netherlands moored along the old seaplane harbour, and the \
festival closed with a night-time parade of illuminated boats.
"""


class RecordingRAG(NewsRAG):
    """The real API, remembering the arguments each question was asked with."""

    calls: list[Query]

    def stream(self, question: str | Query, **kwargs: Any) -> Iterator[str | Answer]:
        filters = {k: v for k, v in kwargs.items() if k != "backend"}
        self.calls = [*getattr(self, "calls", []), self.query(question, **filters)]
        yield from super().stream(question, **kwargs)


def _settings(store: NewsStore, **kw: Any) -> Settings:
    return Settings(home=store.home, llm=LLMSettings(backend="extractive"), **kw)


def _handlers(store: NewsStore, *replies: str, **kw: Any) -> tuple[ChatHandlers, RecordingRAG]:
    if replies:
        settings = Settings(home=store.home, llm=LLMSettings(backend="local"))
    else:
        settings = _settings(store, **kw)
    api = RecordingRAG(settings, store=store, chat_model=fake_llm(*replies) if replies else None)
    return ChatHandlers(api, settings), api


def _ask(h: ChatHandlers, question: str, turns: list[Turn] | None = None, **filters: Any) -> list[Any]:
    args = {"since": None, "until": None, "as_of": None, "sources": [], **filters}
    return list(
        h.respond(question, turns or [], args["since"], args["until"], args["as_of"], args["sources"])
    )


def _is_skip(value: Any) -> bool:
    return isinstance(value, dict) and value.get("__type__") == "update" and len(value) == 1


# ---- asking ------------------------------------------------------------------------------------------


def test_answer_links_its_citations_to_the_highlighted_passage(samples: NewsStore) -> None:
    h, _ = _handlers(samples)
    outputs = _ask(h, f"  {STOLTENBERG_Q} ")
    first_chat, _, _, box = outputs[0]
    assert box == ""  # the question box is emptied at once
    assert first_chat[-2] == {"role": "user", "content": STOLTENBERG_Q}
    assert "Searching the collection" in first_chat[-1]["content"]

    chat, panel, turns, _ = outputs[-1]
    answer = chat[-1]["content"]
    assert '<a class="nr-cite" href="#nr-t0-c1"' in answer
    assert "imminent military threat" in answer
    assert 'id="nr-t0-c1"' in panel and SAMPLE_TITLE in panel and "MIA" in panel and "21 Nov 2023" in panel
    marked = panel.split("<mark>", 1)[1].split("</mark>", 1)[0]
    assert "imminent military threat" in marked
    assert [t.question for t in turns] == [STOLTENBERG_Q]


def test_answer_streams_as_the_model_writes_and_marks_what_no_source_supports(samples: NewsStore) -> None:
    n = next(
        i
        for i, p in enumerate(NewsRAG(_settings(samples), store=samples).retrieve(STOLTENBERG_Q).passages, 1)
        if p.article_id == SAMPLE_ID
    )
    reply = f"Stoltenberg said {NO_THREAT} [{n}]. The moon is made of cheese [{n}]."
    h, _ = _handlers(samples, reply)
    outputs = _ask(h, STOLTENBERG_Q)
    streamed = [o[0][-1]["content"] for o in outputs[1:-1]]
    assert len(streamed) > 5  # one update per piece the model wrote
    assert all(s.endswith('<span class="nr-cursor">▍</span>') for s in streamed)
    assert len(streamed[-1]) > len(streamed[0])
    assert all(_is_skip(o[1]) for o in outputs[1:-1])  # the sources panel waits for the verified answer
    final = outputs[-1][0][-1]["content"]
    assert "The moon is made of cheese" in final and "nr-removed" in final
    assert f'href="#nr-t0-c{n}"' in final


def test_follow_up_sends_the_conversation_and_new_conversation_forgets_it(samples: NewsStore) -> None:
    h, api = _handlers(samples)
    *_, (_, _, turns, _) = _ask(h, STOLTENBERG_Q)
    *_, (chat, panel, _, _) = _ask(h, "And what did the prime minister say?", turns)
    assert api.calls[0].history == ()
    assert api.calls[1].history == (("user", STOLTENBERG_Q), ("assistant", turns[0].answer.text))
    assert len(chat) == 4 and 'href="#nr-t1-c1"' in chat[-1]["content"]
    assert panel.index("And what did the prime minister say?") < panel.index(STOLTENBERG_Q)
    assert h.clear() == ([], h.clear()[1], [], "")
    assert "Sources appear here" in h.clear()[1]


def test_filters_apply_to_the_next_question(samples: NewsStore) -> None:
    h, api = _handlers(samples)
    *_, (chat, _, _, _) = _ask(
        h, STOLTENBERG_Q, since="2023-11-22", until="2023-12-31 00:00:00", sources=["MIA"]
    )
    assert api.calls[-1].since == date(2023, 11, 22)
    assert api.calls[-1].until == date(2023, 12, 31)
    assert api.calls[-1].sources == ("MIA",)
    assert "nr-t0-c1" not in chat[-1]["content"]  # the only MIA article is older: nothing to cite
    *_, (chat, _, turns, _) = _ask(h, STOLTENBERG_Q, as_of="last week")
    assert "As of must be a date like 2023-11-21" in chat[-1]["content"]
    assert turns[-1].error


def test_empty_collection_says_how_to_add_articles(store: NewsStore) -> None:
    h, _ = _handlers(store)
    card, _, chatbot, add_box = h.refresh()
    assert "The collection is empty" in card and chatbot.examples is None
    assert add_box.open is True  # the way to add articles is shown at once
    *_, (chat, panel, turns, _) = _ask(h, STOLTENBERG_Q)
    message = chat[-1]["content"]
    assert "The collection is empty." in message and "Add articles" in message
    assert "newsrag ingest --samples" in message
    assert turns[-1].error and "No answer" in panel


def test_unreachable_llm_names_the_url_and_still_offers_the_sources(samples: NewsStore) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    settings = Settings(home=samples.home, llm=LLMSettings(backend="openai", base_url=url, timeout_seconds=5))
    h = ChatHandlers(NewsRAG(settings, store=samples), settings)
    *_, (chat, panel, _, _) = _ask(h, STOLTENBERG_Q)
    assert url in chat[-1]["content"] and "could not be reached" in chat[-1]["content"]
    assert "no answer was written" in panel and SAMPLE_TITLE in panel
    out = h.ask(STOLTENBERG_Q)
    assert url in out["error"]
    assert any(s["article_id"] == SAMPLE_ID for s in out["passages"])


# ---- the side panel ----------------------------------------------------------------------------------


def test_refresh_shows_what_is_in_the_collection_and_example_questions(samples: NewsStore) -> None:
    h, _ = _handlers(samples)
    card, sources, chatbot, add_box = h.refresh()
    assert add_box == {"__type__": "update"}  # "Add articles" stays as the user left it
    assert "<b>4</b><span>articles</span>" in card
    assert "14 Apr 2023 – 21 Nov 2023" in card
    assert "extractive" in card
    assert "MIA" in [c[0] if isinstance(c, tuple) else c for c in sources.choices]
    examples = [e["text"] for e in chatbot.examples]
    assert examples[0] == f"What does the news say about “{SAMPLE_TITLE}”?"  # newest first
    *_, (chat, _, _, _) = _ask(h, examples[0])
    assert "nr-cite" in chat[-1]["content"]  # an example question is answerable


def test_upload_adds_an_article_that_the_next_answer_cites(store: NewsStore, tmp_path: Path) -> None:
    inbox = tmp_path / "received"
    inbox.mkdir()
    story = inbox / "Tallinn festival.txt"
    story.write_text(TALLINN, encoding="utf-8")
    pdf = inbox / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    h, _ = _handlers(store)
    steps: list[Any] = []
    summary, upload, links = h.add_articles(
        [str(story), str(pdf)], "not a link", lambda *a, **k: steps.append(a)
    )
    assert summary.startswith("**added 1, updated 0, unchanged 0, duplicates 0, failed 2**")
    assert "- scan.pdf: unsupported file type '.pdf'" in summary
    assert "- not a link: not a link" in summary
    assert upload is None and links == ""  # the form is cleared for the next batch
    assert steps  # progress was reported
    infos = list(store.articles(refresh=True).values())
    assert [i.title for i in infos] == ["Tallinn harbour festival draws a record crowd of sailors"]
    assert "Tallinn festival" not in infos[0].id  # the upload's name chose nothing

    *_, (chat, panel, _, _) = _ask(h, "How many visitors did the Tallinn Maritime Days festival draw?")
    assert "120,000" in chat[-1]["content"] and "nr-cite" in chat[-1]["content"]
    assert "Tallinn harbour festival" in panel

    again, _, _ = h.add_articles([str(story)], "", None)
    assert again.startswith("**added 0, updated 0, unchanged 1,")
    nothing, _, _ = h.add_articles(None, "  ", None)
    assert "Choose files" in nothing


# ---- the /ask endpoint -------------------------------------------------------------------------------


def test_ask_returns_the_cli_json_with_passages(samples: NewsStore) -> None:
    h, _ = _handlers(samples)
    out = h.ask(STOLTENBERG_Q)
    answer = NewsRAG(_settings(samples), store=samples).ask(STOLTENBERG_Q)
    assert set(answer.to_dict()) <= set(out)
    assert out["abstained"] is False and out["answer"] == answer.text
    cite = out["citations"][0]
    assert cite["source"] == "MIA" and cite["title"].startswith(SAMPLE_TITLE)
    assert cite["passage"][cite["quote_start"] : cite["quote_end"]] == cite["quote"]
    with pytest.raises(gr.Error, match="as_of must be a date"):
        h.ask(STOLTENBERG_Q, as_of="soon")


def test_gradio_client_asks_with_only_the_question(samples: NewsStore) -> None:
    from gradio_client import Client

    settings = _settings(samples)
    app = create_app(NewsRAG(settings, store=samples), settings)
    _, url, _ = launch(app, settings, server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        client = Client(url, verbose=False)
        endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
        assert list(endpoints) == ["/ask"]  # the page's own events are not an API
        out = client.predict(STOLTENBERG_Q, api_name="/ask")
        assert out["abstained"] is False
        assert out["citations"][0]["article_id"] == SAMPLE_ID
        assert "imminent military threat" in out["answer"]
        follow = client.predict(
            "And what did the prime minister say?",
            history=[
                {"role": "user", "content": STOLTENBERG_Q},
                {"role": "assistant", "content": out["answer"]},
            ],
            api_name="/ask",
        )
        assert "Stoltenberg" in follow["standalone_question"]
    finally:
        app.close()
