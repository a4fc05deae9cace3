"""Cleaning (repeated lede, captions, ad widgets) and datelines."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ingest import clean_text, is_boilerplate, make_article, parse_date, parse_dateline
from ingest.documents import RawArticle

LEDE = "We don't see any imminent military threat from Russia against any NATO ally or the region."


def test_repeated_lede_inside_the_dateline_paragraph_appears_once() -> None:
    body = f"- {LEDE}\nSkopje, 21 November 2023 (MIA) - {LEDE}\nSecond paragraph here.\nPhoto: Print screen"
    cleaned = clean_text(body, title="Stoltenberg in Skopje")
    assert cleaned.text == f"{LEDE}\n\nSecond paragraph here."
    assert cleaned.dateline is not None
    assert (cleaned.dateline.place, cleaned.dateline.published, cleaned.dateline.source) == (
        "Skopje",
        date(2023, 11, 21),
        "MIA",
    )


def test_a_lede_continued_in_the_dateline_paragraph_is_kept_once_with_its_continuation() -> None:
    body = f"{LEDE}\nSkopje, 21 November 2023 (MIA) - {LEDE} More words follow the lede here.\nEnd."
    text = clean_text(body).text
    assert text.count("imminent military threat") == 1
    assert text.startswith(f"{LEDE} More words follow")


def test_ad_widgets_captions_and_teasers_are_dropped_but_the_story_stays() -> None:
    body = "\n\n".join(
        [
            "The council approved the plan on Tuesday after a long debate.",
            "How relevant is this ad to you?",
            "Video player was slow to load content",
            "Video Ad Feedback Flood and heat alerts remain across the country 02:12 - Source: CNN",
            "Sign up for CNN's Wonder Theory science newsletter. Explore the universe with news.",
            "Read More",
            "___",
            "Photo: Reuters",
            "The mayor said work would start in spring.",
        ]
    )
    assert clean_text(body).text == (
        "The council approved the plan on Tuesday after a long debate.\n\n"
        "The mayor said work would start in spring."
    )


def test_a_long_paragraph_mentioning_a_newsletter_is_content() -> None:
    para = "The newsletter, which the mayor said he would subscribe to, " + "was debated at length. " * 20
    assert not is_boilerplate(para)


def test_short_repeated_headers_are_kept_but_repeated_paragraphs_dropped() -> None:
    body = "Texas\n\nA storm hit the coast on Monday night.\n\nOhio\n\nA storm hit the coast on Monday night."
    assert clean_text(body).text == "Texas\n\nA storm hit the coast on Monday night.\n\nOhio"


def test_title_repeated_as_first_paragraph_is_dropped() -> None:
    assert clean_text("Big news\nThe body.", title="Big news").text == "The body."


def test_hard_wrapped_paragraphs_are_joined() -> None:
    body = (
        "This is a paragraph that was wrapped at a fixed width by an old\n"
        "newsroom system so every line ends early and the next line goes\n"
        "on with the same sentence until it ends.\n\nSecond paragraph."
    )
    assert clean_text(body).text.split("\n\n")[0].count("\n") == 0


@pytest.mark.parametrize(
    ("head", "place", "published", "source"),
    [
        ("Skopje, 21 November 2023 (MIA) - We", "Skopje", date(2023, 11, 21), "MIA"),
        ("New York CNN —", "New York", None, "CNN"),
        ("Seoul, South Korea CNN —\n\nText", "Seoul, South Korea", None, "CNN"),
        ("CNN —", "", None, "CNN"),
        ("Colombo, Sri Lanka (CNN) Sri Lanka's President", "Colombo, Sri Lanka", None, "CNN"),
        ("(CNN) The Biden administration", "", None, "CNN"),
        ("New York (CNN Business) The old joke", "New York", None, "CNN Business"),
        ("WASHINGTON (AP) — The Senate", "WASHINGTON", None, "AP"),
        ("LONDON, March 3, 2022 (Reuters) - Shares", "LONDON", date(2022, 3, 3), "Reuters"),
        ("Skopje, 21 November 2023 - Text", "Skopje", date(2023, 11, 21), ""),
    ],
)
def test_datelines(head: str, place: str, published: date | None, source: str) -> None:
    d = parse_dateline(head)
    assert d is not None
    assert (d.place, d.published, d.source) == (place, published, source)


@pytest.mark.parametrize(
    "head",
    [
        "The United Nations (UN) said on Monday",
        "The NHS — which is free — said",
        "Mr Smith — who won — said",
        "Chelsea have sacked Adrian Mutu.",
        "21 people died (reports say)",
    ],
)
def test_ordinary_openings_are_not_datelines(head: str) -> None:
    assert parse_dateline(head) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2022-07-08", date(2022, 7, 8)),
        ("2023-11-21T10:00:00+01:00", date(2023, 11, 21)),
        ("Tue, 21 Nov 2023 10:00:00 GMT", date(2023, 11, 21)),
        ("21 November 2023", date(2023, 11, 21)),
        ("November 21, 2023", date(2023, 11, 21)),
        ("", None),
        (None, None),
        ("soon", None),
        ("2023-13-45", None),
    ],
)
def test_parse_date(value: object, expected: date | None) -> None:
    assert parse_date(value) == expected


def test_record_metadata_wins_over_the_dateline() -> None:
    raw = RawArticle(
        id="r1",
        title="T",
        text="Washington CNN —\n\nThe Senate voted.",
        origin="x",
        published=date(2022, 7, 1),
        source="cnn.com",
    )
    a = make_article(raw)
    assert (a.text, a.published, a.source, a.place) == (
        "The Senate voted.",
        date(2022, 7, 1),
        "cnn.com",
        "Washington",
    )


def test_no_date_anywhere_means_no_date() -> None:
    a = make_article(
        RawArticle(id="f", title="Chelsea sack Mutu", text="Chelsea have sacked Adrian Mutu.", origin="x")
    )
    assert a.published is None and a.source == ""


@pytest.mark.data
def test_the_sample_article_cleans_to_one_lede(data_dir: Path) -> None:
    path = data_dir / "articles" / "mia-2023-11-21-stoltenberg-skopje.txt"
    title, _, body = path.read_text(encoding="utf-8").partition("\n")
    a = make_article(RawArticle(id="mia", title=title, text=body, origin=str(path)))
    assert a.published == date(2023, 11, 21) and a.source == "MIA" and a.place == "Skopje"
    assert a.text.count("we remain vigilant, we monitor closely") == 1
    assert "Photo: Print screen" not in a.text
    assert not a.text.startswith("-")


def test_a_page_of_only_consent_boilerplate_keeps_its_headline() -> None:
    junk = (
        "We will use the details you have shared to manage your registration. You agree to the processing "
        "of this information as described in our Privacy Policy.\n\n"
        "Would you like to receive The WeekDay newsletter ?\n\n"
        "If you wish to object to the use of your data in this way, please tick here."
    )
    a = make_article(RawArticle(id="w1", title="Can Gove save Christmas?", text=junk, origin="x"))
    assert a.text == "Can Gove save Christmas?"
    assert make_article(RawArticle(id="w2", title="", text=junk, origin="x")).text == ""
