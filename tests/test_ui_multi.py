"""A multi-article answer in a real browser: ``newsrag chat`` (extractive) over a home holding a few
corpus.jsonl articles about Hurricane Ian; the toll's change over the week is answered citing
several articles, the changing figure is marked, and "How this was answered" unfolds to the
sub-questions and what each found. The picture goes to test-artifacts/ui/multi.png
(docs/img/multi.png with NEWSRAG_UPDATE_SCREENSHOT=1)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests._processes import chat_server
from tests.multi_data import CHANGE_Q, ian_store
from tests.test_ui_browser import ANSWER_TIMEOUT_MS, REPO, _ask, chromium

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.data]

__all__ = ["chromium"]  # the shared browser fixture


@pytest.fixture(scope="module")
def ian_server(
    tmp_path_factory: pytest.TempPathFactory, data_dir: Path, embeddings: Any, chromium: Any
) -> Iterator[str]:
    """``newsrag chat`` (extractive) over a home holding the Ian articles, ingested here."""
    home = tmp_path_factory.mktemp("multi-home")
    ian_store(data_dir, home, embeddings).close()
    with chat_server(home) as url:
        yield url


def test_a_change_over_time_answer_shows_its_trace_and_the_changing_figure(
    ian_server: str, chromium: Any
) -> None:
    from playwright.sync_api import expect

    page = chromium.new_page(viewport={"width": 1440, "height": 1000})
    page.goto(ian_server)
    expect(page.locator("#nr-collection .nr-stat b").first).to_have_text("9", timeout=120_000)
    _ask(page, CHANGE_Q)
    chat = page.locator("#nr-chat")
    expect(chat.locator("a.nr-cite").first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)

    # The changing figure, marked, with its first and latest values and their citations.
    conflict = chat.locator(".nr-conflict.nr-update").first
    expect(conflict).to_be_visible()
    expect(conflict.locator(".nr-badge-conflict")).to_have_text("Changing figure")
    expect(conflict).to_contain_text("death toll")
    assert conflict.locator("a.nr-cite").count() >= 2
    expect(chat).to_contain_text("an update, not a disagreement")

    # How it was answered: folded at first, then the two searches and the articles each found.
    trace = chat.locator("details.nr-trace").first
    expect(trace).not_to_have_attribute("open", "")
    trace.locator("summary").click()
    expect(trace).to_have_attribute("open", "")
    expect(trace).to_contain_text("Read as a change over time: 2 searches")
    expect(trace).to_contain_text("death toll of Hurricane Ian")
    assert trace.locator("li a.nr-cite").count() >= 2

    # Following a citation of the figure opens its source card.
    conflict.locator("a.nr-cite").first.click()
    expect(page.locator("#nr-sources .nr-card.nr-active")).to_be_in_viewport()
    page.wait_for_timeout(700)
    (REPO / "docs" / "img").mkdir(parents=True, exist_ok=True)
    # the picture in docs/multi.md: refreshed on request only (a test run leaves docs/ as it is)
    docs = os.environ.get("NEWSRAG_UPDATE_SCREENSHOT")
    shot = REPO / "docs" / "img" / "multi.png" if docs else REPO / "test-artifacts" / "ui" / "multi.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot))
