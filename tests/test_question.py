"""Reading a question once: the dates and sources it names, relative phrases and their anchor."""

from __future__ import annotations

from datetime import date

import pytest

from rag._dates import event_since, named_dates, time_scope
from rag.question import Query, named_sources, read, source_names

SOURCES = ["usatoday.com", "cnn.com", "theweek.co.uk", "MIA"]
ARCHIVE_END = date(2022, 11, 9)


@pytest.mark.parametrize(
    ("question", "since", "until"),
    [
        ("What did the senate pass in August 2022?", date(2022, 8, 1), date(2022, 8, 31)),
        ("Which storms hit between August and October 2022?", date(2022, 8, 1), date(2022, 10, 31)),
        ("Who led the polls from June to August 2022?", date(2022, 6, 1), date(2022, 8, 31)),
        ("What did the mayor promise on 21 November?", date(2021, 11, 21), date(2021, 11, 21)),
        ("What did the mayor promise on November 21st, 2023?", date(2023, 11, 21), date(2023, 11, 21)),
        ("Who won the cup in 2021?", date(2021, 1, 1), date(2021, 12, 31)),
        ("How have rents moved since March?", date(2022, 3, 1), None),
        ("What was agreed before June 2022?", None, date(2022, 5, 31)),
        ("Which strikes began between November and February?", date(2021, 11, 1), date(2022, 2, 28)),
    ],
)
def test_named_dates_become_ranges(question: str, since: date | None, until: date | None) -> None:
    scope = named_dates(question, ARCHIVE_END)
    assert scope is not None
    assert (scope.since, scope.until) == (since, until)
    assert scope.phrase and scope.phrase in question


@pytest.mark.parametrize(
    "question",
    [
        "Which team won the 2022 cup final?",  # a year as a name, not a time limit
        "Who may lead the party next?",  # "may" is a verb here
        "How many people attended the rally?",
    ],
)
def test_no_date_is_read_where_none_is_named(question: str) -> None:
    assert named_dates(question, ARCHIVE_END) is None


def test_relative_phrases_need_an_anchor() -> None:
    asked = date(2022, 6, 16)
    week = time_scope("Which show was renewed this week?", asked)
    assert (week.since, week.until, week.recent, week.phrase) == (date(2022, 6, 9), asked, True, "this week")
    assert time_scope("What happened last month?", asked).since == date(2022, 4, 15)
    no_anchor = time_scope("Which show was renewed this week?", None)
    assert no_anchor.since is None and no_anchor.recent


def test_sources_are_read_by_the_names_people_use() -> None:
    assert source_names("usatoday.com") == {"usatodaycom", "usatoday"}
    assert named_sources("What did USA Today report about the telescope?", SOURCES) == [
        ("usatoday.com", "USA Today")
    ]
    assert named_sources("According to CNN, who resigned?", SOURCES) == [("cnn.com", "CNN")]
    assert named_sources("What did MIA report from Skopje?", SOURCES) == [("MIA", "MIA")]
    week = named_sources("What did The Week say about the budget?", SOURCES)
    assert week == [("theweek.co.uk", "The Week")]
    assert named_sources("What happened the week before the vote?", SOURCES) == []  # not a name
    assert named_sources("According to the BBC, who resigned?", SOURCES) == []  # not in the collection


def test_read_takes_sources_and_dates_out_of_the_terms() -> None:
    r = read(
        Query("What did USA Today report about the Webb telescope in August 2022?"),
        sources=SOURCES,
        collection_end=ARCHIVE_END,
    )
    assert r.sources == ("usatoday.com",)
    assert (r.scope.since, r.scope.until) == (date(2022, 8, 1), date(2022, 8, 31))
    assert r.phrases == ("USA Today", "in August 2022")
    assert r.terms == ("report", "webb", "telescope")


def test_relative_phrases_anchor_at_as_of_else_today_only_when_the_collection_reaches_it() -> None:
    question = "Which show was renewed this week?"
    dated = read(Query(question, as_of=date(2022, 6, 16)), collection_end=ARCHIVE_END)
    assert (dated.anchor, dated.scope.since) == (date(2022, 6, 16), date(2022, 6, 9))
    live = read(Query(question), collection_end=date(2024, 5, 30), today=date(2024, 6, 1))
    assert (live.anchor, live.scope.since) == (date(2024, 6, 1), date(2024, 5, 25))
    assert live.phrases == ("this week",)
    archive = read(Query(question), collection_end=ARCHIVE_END, today=date(2024, 6, 1))
    assert archive.anchor is None and archive.scope.since is None and archive.phrases == ()


def test_search_without_the_question_s_own_scope() -> None:
    r = read(Query("What did CNN report in August 2022?", read_scope=False), sources=SOURCES)
    assert r.sources == () and r.scope.since is None and r.phrases == ()


# ---- seasons -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "since", "until"),
    [
        ("What happened in winter 2022?", date(2021, 12, 1), date(2022, 2, 28)),  # its January's year
        ("Who won in the summer of 2021?", date(2021, 6, 1), date(2021, 8, 31)),
        ("Which bills passed in fall 2021?", date(2021, 9, 1), date(2021, 11, 30)),
        ("What changed in the spring?", date(2022, 3, 1), date(2022, 5, 31)),  # the last one begun
        ("What closed during the winter?", date(2021, 12, 1), date(2022, 2, 28)),
        ("How have prices moved since the summer?", date(2022, 6, 1), None),
        ("What was agreed between spring and autumn 2022?", date(2022, 3, 1), date(2022, 11, 30)),
    ],
)
def test_named_seasons_become_ranges(question: str, since: date | None, until: date | None) -> None:
    scope = named_dates(question, date(2022, 8, 16))
    assert scope is not None
    assert (scope.since, scope.until) == (since, until)
    assert scope.phrase and scope.phrase in question


@pytest.mark.parametrize(
    "question",
    [
        "Which pitcher was hurt in spring training?",  # a season word in a name
        "What followed in the fall of Kabul?",  # "fall" the noun
        "Will prices fall in the summer?",  # no preposition before the first "fall"
    ],
)
def test_season_words_that_name_no_season(question: str) -> None:
    scope = named_dates(question, date(2022, 8, 16))
    assert scope is None or ("fall" not in scope.phrase and "spring" not in scope.phrase)


def test_relative_seasons_read_from_the_anchor() -> None:
    asked = date(2022, 8, 16)  # in the summer
    this = time_scope("Which films opened this summer?", asked)
    assert (this.since, this.until, this.phrase) == (date(2022, 6, 1), asked, "this summer")
    last_summer = time_scope("Which films opened last summer?", asked)  # this one is not over
    assert (last_summer.since, last_summer.until) == (date(2021, 6, 1), date(2021, 8, 31))
    last_spring = time_scope("What did the council decide last spring?", asked)
    assert (last_spring.since, last_spring.until) == (date(2022, 3, 1), date(2022, 5, 31))
    december = time_scope("Where did it snow this winter?", date(2022, 12, 20))
    assert (december.since, december.until) == (date(2022, 12, 1), date(2022, 12, 20))
    assert time_scope("Which films opened this summer?", None).since is None  # needs an anchor


# ---- events --------------------------------------------------------------------------------------


def test_event_phrases_are_found_with_their_words() -> None:
    assert event_since("What has changed since the election?") == ("since the election", ("election",))
    assert event_since("How have gas prices moved since the invasion of Ukraine?") == (
        "since the invasion of Ukraine",
        ("invasion", "ukraine"),
    )
    assert event_since("What has happened since the weekend?") is None  # a time word
    assert event_since("Who resigned after the vote was held?") == ("after the vote", ("vote",))
    assert event_since("What has changed since March?") is None


def test_read_dates_an_event_by_the_articles_about_it() -> None:
    asked: list[tuple[tuple[str, ...], date]] = []

    def event_day(words: tuple[str, ...], before: date) -> date | None:
        asked.append((words, before))
        return date(2022, 11, 8) if words == ("election",) else None

    q = Query("What has the governor done since the election?", as_of=date(2023, 1, 10))
    r = read(q, collection_end=ARCHIVE_END, event_day=event_day)
    assert (r.scope.since, r.scope.until) == (date(2022, 11, 8), None)
    assert r.phrases == ("since the election",) and r.terms == ("governor", "done")
    assert asked == [(("election",), date(2023, 1, 10))]  # before the anchor
    undated = read(
        Query("What has the governor done since the recount?"),
        collection_end=ARCHIVE_END,
        event_day=event_day,
    )
    assert undated.scope.since is None and undated.phrases == ()  # the articles do not date it
    assert "recount" in undated.terms
    named = read(q.asking("What has the governor done since March 2022?"), event_day=event_day)
    assert named.scope.since == date(2022, 3, 1) and len(asked) == 2  # a named date wins
