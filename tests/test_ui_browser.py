"""The page in a real browser against a real server: ``newsrag chat`` on a free loopback port over a
temporary home holding the sample articles, driven by Debian's Chromium through Playwright.

A person who has never read the README asks, follows citation [1] to the highlighted passage, asks a
follow-up, adds an article from the page and gets an answer citing it. Screenshots of each step go
to ``test-artifacts/ui/``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGenerationChunk

from rag.api import NewsRAG
from rag.settings import LLMSettings, Settings, UISettings
from rag.store import NewsStore
from tests._processes import chat_server, free_port
from tests.answering_data import SAMPLES, STOLTENBERG_Q, build_store
from ui import create_app, launch

pytestmark = [pytest.mark.slow, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts" / "ui"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
FOLLOW_UP = "And what did the prime minister say?"
TALLINN = """Tallinn harbour festival draws a record crowd of sailors
Tallinn, 3 August 2023 - The Tallinn Maritime Days festival drew a record 120,000 visitors to the \
city's harbour over three days, the organisers said on Sunday.
Tall ships from Finland, Poland and the Netherlands moored along the old seaplane harbour, and the \
festival closed with a night-time parade of illuminated boats.
"""
ANSWER_TIMEOUT_MS = 180_000  # 2 shared cores: the first answer loads the embedding model


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, chromium: Any) -> Iterator[str]:
    """``newsrag chat`` (extractive backend) over a fresh home holding the sample articles."""
    home = tmp_path_factory.mktemp("browser-home")
    with chat_server(home, ingest=SAMPLES) as url:
        yield url


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def _cite(page: Any, turn: int, n: int) -> Any:
    """Citation link [n] in answer number ``turn`` of the chat."""
    return page.locator(f'#nr-chat a.nr-cite[href="#nr-t{turn}-c{n}"]').first


def _ask(page: Any, question: str) -> None:
    box = page.locator("#nr-question textarea")
    box.fill(question)
    box.press("Enter")


def test_ask_follow_a_citation_ask_a_follow_up_and_add_an_article(
    server: str, chromium: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page = chromium.new_page(viewport={"width": 1440, "height": 900})
    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            outside.append(r.url)
            if urlparse(r.url).scheme in ("http", "https", "ws", "wss")
            and urlparse(r.url).hostname not in ("127.0.0.1", "localhost")
            else None
        ),
    )
    page.goto(server)

    # What is in the collection, and example questions drawn from it.
    expect(page.locator("#nr-collection .nr-stat b").first).to_have_text("4", timeout=120_000)
    expect(page.locator("#nr-collection")).to_contain_text("MIA")
    expect(page.locator("#nr-collection")).to_contain_text("extractive")
    expect(page.locator("#nr-chat")).to_contain_text("NATO chief in Skopje", timeout=30_000)
    _shot(page, "01-start.png")

    # Ask: the question shows at once with a note that the answer is on its way, then the answer,
    # its [1] a link.
    _ask(page, STOLTENBERG_Q)
    expect(page.locator("#nr-chat")).to_contain_text(STOLTENBERG_Q)
    expect(page.locator("#nr-chat .nr-pending")).to_have_text("Searching the collection…")
    cite = _cite(page, 0, 1)
    expect(cite).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#nr-chat")).to_contain_text("imminent military threat")
    _shot(page, "02-answer.png")

    # Follow citation [1] to the MIA article's passage, the quoted words highlighted.
    before = page.url
    cite.click()
    card = page.locator("#nr-t0-c1")
    expect(card).to_have_class("nr-card nr-active")
    expect(card).to_be_in_viewport()
    expect(card.locator(".nr-source")).to_have_text("MIA")
    expect(card.locator(".nr-title")).to_contain_text("NATO chief in Skopje")
    expect(card.locator("mark").first).to_contain_text("imminent military threat")
    assert page.url == before and len(page.context.pages) == 1  # the link did not navigate away
    page.wait_for_timeout(700)  # let the highlight settle for the picture
    _shot(page, "03-citation.png")
    if os.environ.get("NEWSRAG_UPDATE_SCREENSHOT"):  # refresh the README's picture of the product
        page.screenshot(path=str(REPO / "docs" / "screenshot-answer.png"))

    # A follow-up uses the conversation: "the prime minister" is the one Stoltenberg met in Skopje.
    _ask(page, FOLLOW_UP)
    expect(_cite(page, 1, 1)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    latest = page.locator("#nr-sources .nr-turn.nr-latest")
    expect(latest.locator(".nr-q")).to_have_text(FOLLOW_UP)
    expect(latest).to_contain_text("MIA")
    folded = page.locator("#nr-sources details.nr-turn")
    expect(folded.locator("> summary.nr-q")).to_have_text(STOLTENBERG_Q)
    expect(folded).not_to_have_attribute("open", "")
    _shot(page, "04-follow-up.png")

    # The first answer's [1] still leads to its own passage: the folded answer opens.
    _cite(page, 0, 1).click()
    expect(folded).to_have_attribute("open", "")
    expect(page.locator("#nr-t0-c1")).to_have_class("nr-card nr-active")
    expect(page.locator("#nr-t0-c1")).to_be_in_viewport()

    # Add an article from the page, then ask about it.
    story = tmp_path / "tallinn festival.txt"
    story.write_text(TALLINN, encoding="utf-8")
    page.locator("#nr-add").get_by_text("Add articles").click()
    page.locator("#nr-upload input[type=file]").set_input_files(str(story))
    expect(page.locator("#nr-upload")).to_contain_text("tallinn festival.txt", timeout=30_000)
    page.locator("#nr-add-button").click()
    expect(page.locator("#nr-report")).to_contain_text(
        "added 1, updated 0, unchanged 0, duplicates 0, failed 0", timeout=ANSWER_TIMEOUT_MS
    )
    expect(page.locator("#nr-collection .nr-stat b").first).to_have_text("5", timeout=30_000)
    _shot(page, "05-upload.png")

    _ask(page, "How many visitors did the Tallinn Maritime Days festival draw?")
    expect(_cite(page, 2, 1)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#nr-chat")).to_contain_text("120,000")
    expect(page.locator("#nr-t2-c1 .nr-title")).to_have_text(
        "Tallinn harbour festival draws a record crowd of sailors"
    )
    _shot(page, "06-upload-answer.png")

    # New conversation forgets it all, and the example questions are back; one of them answers.
    page.locator("#nr-clear").click()
    expect(page.locator("#nr-chat a.nr-cite")).to_have_count(0)
    expect(page.locator("#nr-sources")).to_contain_text("Sources appear here")
    page.locator("#nr-chat").get_by_text("Volcano erupts again on Iceland").click()
    expect(_cite(page, 0, 1)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#nr-t0-c1 .nr-title")).to_contain_text("Volcano erupts again")

    assert outside == [], f"the page fetched from outside: {outside}"
    page.close()


def test_a_scope_read_from_the_question_shows_under_the_answer_with_a_search_without_it(
    server: str, chromium: Any
) -> None:
    """A question that names a month: the line under the answer says which days were searched and
    from which words; one click asks the same question again over everything, with no such line."""
    from playwright.sync_api import expect

    page = chromium.new_page(viewport={"width": 1440, "height": 900})
    page.goto(server)
    expect(page.locator("#nr-collection .nr-stat b").first).not_to_have_text("0", timeout=120_000)
    unscoped = page.locator("#nr-unscoped")
    expect(unscoped).to_be_hidden()

    _ask(page, "What did Stoltenberg say about Balkan destabilization in November 2023?")
    line = page.locator("#nr-chat .nr-scope")
    expect(line).to_have_text("searched 1–30 Nov 2023, from 'in November 2023'", timeout=ANSWER_TIMEOUT_MS)
    expect(_cite(page, 0, 1)).to_be_visible()
    expect(unscoped).to_have_text("Search again without 'in November 2023'", timeout=30_000)
    _shot(page, "07-scope-line.png")

    unscoped.click()
    expect(_cite(page, 1, 1)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(line).to_have_count(1)  # the second answer searched everything: no line under it
    expect(unscoped).to_be_hidden(timeout=30_000)
    _shot(page, "08-searched-without-it.png")
    page.close()


def test_login_page_then_the_app(chromium: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    settings = Settings(
        home=tmp_path, llm=LLMSettings(backend="extractive"), ui=UISettings(auth="reader:open sesame")
    )
    api = NewsRAG(settings)
    app = create_app(api, settings)
    _, url, _ = launch(app, settings, server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        page = chromium.new_page(viewport={"width": 1280, "height": 800})
        page.goto(url)
        page.get_by_label("username").fill("reader")
        page.get_by_label("password").fill("wrong")
        page.get_by_role("button", name="Login").click()
        expect(page.get_by_text("Incorrect Credentials")).to_be_visible(timeout=20_000)
        page.get_by_label("username").fill("reader")  # the form clears it after a failed try
        page.get_by_label("password").fill("open sesame")
        page.get_by_role("button", name="Login").click()
        expect(page.locator("#nr-question textarea")).to_be_visible(timeout=60_000)
        expect(page.locator("#nr-collection")).to_contain_text("The collection is empty", timeout=120_000)
        expect(page.locator("#nr-links textarea")).to_be_visible()  # "Add articles" is open already
        _shot(page, "07-login-then-empty.png")
        _ask(page, STOLTENBERG_Q)
        expect(page.locator("#nr-chat")).to_contain_text(
            "newsrag ingest --samples", timeout=ANSWER_TIMEOUT_MS
        )
        page.close()
    finally:
        app.close()
        api.close()


class SlowFakeModel(GenericFakeChatModel):
    """LangChain's fake chat model, writing its reply a word every 80 ms like a slow local LLM."""

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        for chunk in super()._stream(*args, **kwargs):
            time.sleep(0.08)
            yield chunk


def test_the_answer_appears_word_by_word_then_verified(
    chromium: Any, tmp_path_factory: pytest.TempPathFactory, embeddings: Any
) -> None:
    from playwright.sync_api import expect

    store: NewsStore = build_store(tmp_path_factory.getbasetemp(), "uibrowser", [SAMPLES], embeddings)
    settings = Settings(home=store.home, llm=LLMSettings(backend="local"))
    passages = NewsRAG(settings, store=store).retrieve(STOLTENBERG_Q).passages
    n = next(i for i, p in enumerate(passages, 1) if p.article_id == "samples/2023-11-21-nato-skopje.txt")
    reply = (
        "Stoltenberg said NATO sees no imminent military threat from Russia against any of its allies "
        f"or against the region [{n}]. The alliance stays vigilant, follows Russia's actions closely "
        f"and remains united [{n}]."
    )
    model = SlowFakeModel(messages=iter([AIMessage(reply)]))
    app = create_app(NewsRAG(settings, store=store, chat_model=model), settings)
    _, url, _ = launch(app, settings, server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        page = chromium.new_page(viewport={"width": 1440, "height": 900})
        page.goto(url)
        _ask(page, STOLTENBERG_Q)
        writing = page.locator("#nr-chat .nr-cursor")
        expect(writing).to_be_visible(timeout=ANSWER_TIMEOUT_MS)  # part of the answer, still being written
        partial = page.locator("#nr-chat .message-content").last.inner_text()
        assert "[" not in partial or "remains united" not in partial  # not the whole answer yet
        _shot(page, "08-streaming.png")
        expect(_cite(page, 0, n)).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        expect(writing).to_have_count(0)
        expect(page.locator("#nr-chat")).to_contain_text("remains united")
        # the verified quote (the API gives one per citation number) is highlighted in its passage
        expect(page.locator(f"#nr-t0-c{n} mark")).not_to_have_count(0)
        page.close()
    finally:
        app.close()
