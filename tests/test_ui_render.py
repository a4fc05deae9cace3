"""The page's HTML (answers, sources panel, collection card), uploads, links, login parsing: no server."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from ingest import Failure, IngestReport
from rag.errors import ConfigError
from rag.records import Answer, Citation, Passage
from ui import render
from ui._auth import parse_auth
from ui.handlers import parse_day, report_markdown
from ui.render import Turn
from ui.uploads import display_input, parse_links, stage_uploads

TEXT = (
    "NATO sees no imminent military threat from Russia, Stoltenberg said in Skopje. "
    "The alliance stays vigilant and remains united."
)


def _passage(
    text: str = TEXT, *, chunk: str = "a#0", url: str = "https://mia.mk/story", **kw: object
) -> Passage:
    fields: dict[str, object] = {
        "chunk_id": chunk,
        "article_id": chunk.split("#")[0],
        "text": text,
        "start": 0,
        "end": len(text),
        "position": 0,
        "title": "NATO chief in Skopje",
        "published": date(2023, 11, 21),
        "source": "MIA",
        "url": url,
    }
    fields.update(kw)
    return Passage(**fields)  # type: ignore[arg-type]


def _cite(n: int, p: Passage, quote: str) -> Citation:
    start = p.text.index(quote)
    return Citation(n=n, passage=p, quote=quote, quote_start=start, quote_end=start + len(quote))


def _answer(text: str, citations: list[Citation], **kw: object) -> Answer:
    passages = kw.pop("passages", [c.passage for c in citations])
    return Answer(question="q", text=text, citations=citations, passages=passages, **kw)  # type: ignore[arg-type]


QUOTE = "The alliance stays vigilant and remains united."


# ---- answers in the chat ---------------------------------------------------------------------------


def test_citation_markers_become_links_to_their_source_cards() -> None:
    p = _passage()
    md = render.answer_markdown(
        _answer("NATO stays vigilant [1]. Also this [7].", [_cite(1, p, QUOTE)]), turn=2
    )
    assert '<a class="nr-cite" href="#nr-t2-c1"' in md
    assert ">[1]</a>" in md
    # [7] was not verified: it stays plain (escaped) text, not a link to nothing
    assert r"\[7\]" in md and 'href="#nr-t2-c7"' not in md


def test_answer_text_cannot_inject_html_or_markdown() -> None:
    md = render.answer_markdown(
        _answer("<script>alert(1)</script> *bold* [see](https://evil.example) don't", []), turn=0
    )
    assert "<script>" not in md
    assert "&lt;script&gt;" in md
    assert r"\*bold\*" in md
    assert r"\[see\](https://evil.example)" in md  # no Markdown link
    assert "don't" in md


def test_unsupported_sentences_are_marked_in_place_or_listed_when_removed() -> None:
    p = _passage()
    text = "NATO stays vigilant [1]. Russia will invade tomorrow."
    answer = _answer(
        text,
        [_cite(1, p, QUOTE)],
        unsupported=["Russia will invade tomorrow.", "Zelensky resigned."],
    )
    md = render.answer_markdown(answer, turn=0)
    assert re.search(r'<span class="nr-unsupported"[^>]*>Russia will invade tomorrow\.</span>', md)
    # a sentence the verifier dropped from the text is still shown, marked as removed
    assert '<span class="nr-unsupported nr-removed">Zelensky resigned.</span>' in md
    assert "no source supports" in md


def test_abstention_is_shown_as_such() -> None:
    answer = _answer(
        "The ingested articles don't say anything that answers this question.\n- Juice launch (2023-04-14)",
        [],
        abstained=True,
        passages=[_passage()],
    )
    md = render.turn_markdown(Turn("q", answer), 0)
    assert "Not in the collection" in md
    assert "don't say anything" in md
    assert "nr-cite" not in md


def test_error_turn_has_the_message_and_the_hint() -> None:
    turn = Turn(
        "q", Answer(question="q", text=""), error="cannot reach http://127.0.0.1:9/v1", hint="**Do X**"
    )
    md = render.turn_markdown(turn, 0)
    assert "Could not answer" in md
    assert "http://127.0.0.1:9/v1" in md
    assert md.endswith("**Do X**")


def test_streaming_text_is_escaped_and_shows_progress() -> None:
    assert "Searching" in render.pending_markdown("")
    assert "&lt;b&gt;" in render.pending_markdown("<b>")


# ---- the sources panel -----------------------------------------------------------------------------


def test_source_card_highlights_exactly_the_quoted_span() -> None:
    p = _passage()
    html = render.sources_html([Turn("What did he say?", _answer("x [1]", [_cite(1, p, QUOTE)]))])
    assert 'id="nr-t0-c1"' in html
    assert f"<mark>{QUOTE}</mark>" in html
    assert "NATO chief in Skopje" in html and "MIA" in html and "21 Nov 2023" in html
    assert 'href="https://mia.mk/story"' in html and 'rel="noopener noreferrer"' in html


def test_wrong_quote_offsets_are_found_again_by_search() -> None:
    p = _passage()
    c = Citation(n=1, passage=p, quote=QUOTE, quote_start=0, quote_end=5)
    html = render.sources_html([Turn("q", _answer("x [1]", [c]))])
    assert f"<mark>{QUOTE}</mark>" in html


def test_passage_text_and_urls_are_made_safe() -> None:
    p = _passage("He said <img src=x onerror=alert(1)> here.", url="javascript:alert(1)")
    html = render.sources_html([Turn("q", _answer("x [1]", [_cite(1, p, "here.")]))])
    assert "<img" not in html and "&lt;img" in html
    assert "javascript:" not in html


def test_earlier_answers_are_folded_and_the_latest_is_open() -> None:
    p = _passage()
    first = Turn("first question", _answer("a [1]", [_cite(1, p, QUOTE)]))
    second = Turn("second question", _answer("b [1]", [_cite(1, p, QUOTE)]))
    html = render.sources_html([first, second])
    assert html.index("second question") < html.index("first question")
    assert '<details class="nr-turn" data-turn="0">' in html
    assert 'id="nr-t1-c1"' in html and 'id="nr-t0-c1"' in html


def test_uncited_passages_are_listed_apart() -> None:
    cited, other = _passage(), _passage("Other text.", chunk="b#0", title="Juice launch")
    html = render.sources_html(
        [Turn("q", _answer("x [1]", [_cite(1, cited, QUOTE)], passages=[cited, other]))]
    )
    assert "1 more passage retrieved, not cited" in html and "Juice launch" in html


def test_abstention_lists_the_closest_articles_and_an_error_the_retrieved_passages() -> None:
    p = _passage()
    abstained = Turn("q", _answer("none", [], abstained=True, passages=[p, p]))
    html = render.sources_html([abstained])
    assert "closest articles" in html and html.count('class="nr-card"') == 1  # one card per article
    failed = Turn("q", Answer(question="q", text="", passages=[p]), error="LLM down")
    assert "no answer was written" in render.sources_html([failed])
    assert "NATO chief in Skopje" in render.sources_html([failed])


def test_highlight_merges_overlapping_spans() -> None:
    assert render.highlight("abcdef", [(1, 3), (2, 5)]) == "a<mark>bcde</mark>f"
    assert render.highlight("a<b", [(0, 1)]) == "<mark>a</mark>&lt;b"


# ---- the side panel ----------------------------------------------------------------------------------


def test_collection_card_says_what_is_in_it() -> None:
    html = render.collection_html(
        4, 7, {"MIA": 1, "unknown": 3}, date(2023, 4, 14), date(2023, 11, 21), "extractive"
    )
    assert "<b>4</b><span>articles</span>" in html
    assert "<b>7</b><span>passages</span>" in html
    assert "14 Apr 2023 – 21 Nov 2023" in html
    assert "Sources: MIA (1); 3 with no source named" in html and "extractive" in html
    assert "<b>1</b><span>source</span>" in html  # "unknown" is not a source
    empty = render.collection_html(0, 0, {}, None, None, "extractive")
    assert "The collection is empty" in empty and "Add articles" in empty


def test_example_questions_come_from_titles() -> None:
    got = render.example_questions(
        [
            "NATO chief in Skopje: no imminent Russian military threat to allies",
            "Short",
            "Europe's Juice probe lifts off for an eight-year trip to Jupiter's icy moons - CNN",
            "Who won the 2022 World Cup?",
        ]
    )
    assert got == [
        "What does the news say about “NATO chief in Skopje”?",
        "What does the news say about “Europe's Juice probe lifts off for an eight-year trip to "
        "Jupiter's icy moons”?",
        "Who won the 2022 World Cup?",
    ]


# ---- uploads, links, login, filters ------------------------------------------------------------------


def test_uploads_are_copied_under_content_names_never_their_own(tmp_path: Path) -> None:
    inbox = tmp_path / "gradio"
    inbox.mkdir()
    good = inbox / "story.txt"
    good.write_text("Title\nBody of the story.", encoding="utf-8")
    same = inbox / "copy.txt"
    same.write_bytes(good.read_bytes())
    big = inbox / "big.md"
    big.write_bytes(b"x" * 3000)
    empty = inbox / "empty.txt"
    empty.write_bytes(b"")
    pdf = inbox / "paper.pdf"
    pdf.write_bytes(b"%PDF")
    dest = tmp_path / "staging"
    staged = stage_uploads(
        [
            (str(good), "../../etc/cron.d/evil name.txt"),
            (str(same), "story again.txt"),
            (str(big), "big.md"),
            (str(empty), "empty.txt"),
            (str(pdf), "paper.pdf"),
        ],
        dest,
        max_mb=0.001,
    )
    assert len(staged.paths) == 1  # the same bytes twice are one file
    (path,) = staged.paths
    assert path.parent == dest / "uploads"
    assert re.fullmatch(r"[0-9a-f]{24}\.txt", path.name)
    assert path.read_bytes() == good.read_bytes()
    assert staged.display[str(path)] == "story again.txt"
    assert not (tmp_path / "etc").exists()
    reasons = {f.input: f.reason for f in staged.refused}
    assert "over the 0.001 MB limit" in reasons["big.md"]
    assert reasons["empty.txt"] == "empty file"
    assert "unsupported file type '.pdf'" in reasons["paper.pdf"]
    assert display_input(f"{path}:3", staged.display) == "story again.txt:3"


def test_links_are_one_per_line_and_http_only() -> None:
    links, refused = parse_links(
        "https://a.example/x\n\n  http://b.example/y \nfile:///etc/passwd\nhttps://a.example/x"
    )
    assert links == ["https://a.example/x", "http://b.example/y"]
    assert [f.input for f in refused] == ["file:///etc/passwd"]


def test_login_must_be_user_colon_password() -> None:
    assert parse_auth(None) is None
    assert parse_auth("ann:s3cr:et") == ("ann", "s3cr:et")
    for bad in ("ann", "ann:", ":pw"):
        with pytest.raises(ConfigError, match="user:password"):
            parse_auth(bad)


def test_filter_dates() -> None:
    assert parse_day("2023-11-21", "From") == date(2023, 11, 21)
    assert parse_day("2023-11-21 00:00:00", "From") == date(2023, 11, 21)
    assert parse_day("", "From") is None and parse_day(None, "From") is None
    with pytest.raises(ConfigError, match="From must be a date like 2023-11-21"):
        parse_day("yesterday", "From")


def test_report_reads_like_the_cli_summary_with_the_uploaded_names() -> None:
    report = IngestReport(added=1, unchanged=2, chunks_added=3, seconds=1.5)
    staged = "/tmp/newsrag-upload-x/uploads/abc.txt"
    report.failed.append(Failure(staged, "no article text left after cleaning"))
    md = report_markdown(
        report,
        [Failure("paper.pdf", "unsupported file type '.pdf'")],
        {staged: "my story.txt"},
    )
    assert md.startswith("**added 1, updated 0, unchanged 2, duplicates 0, failed 2**")
    assert "- paper.pdf: unsupported file type '.pdf'" in md
    assert "- my story.txt: no article text left after cleaning" in md


def test_the_scope_line_says_what_was_searched_and_from_which_words() -> None:
    from rag.records import SearchScope

    week = SearchScope(date(2023, 11, 15), date(2023, 11, 21), (), ("this week",))
    assert "searched 15–21 Nov 2023, from 'this week'" in render.scope_markdown(week)
    both = SearchScope(date(2022, 8, 1), date(2022, 10, 31), ("usatoday.com",), ("USA Today", "since August"))
    assert "searched usatoday.com, 1 Aug – 31 Oct 2022, from 'USA Today', 'since August'" in (
        render.scope_markdown(both)
    )
    widened = SearchScope(phrases=("in May 2020",), widened=True)
    assert "nothing in that window: searched everything" in render.scope_markdown(widened)
    assert render.scope_markdown(SearchScope(until=date(2022, 6, 16))) == ""  # as-of alone: no line
    md = render.turn_markdown(Turn("q", Answer(question="q", text="Yes.", scope=week)), 0)
    assert md.index("Yes") < md.index('class="nr-scope"')  # the line comes under the answer
