"""Figures the cited passages give differently (rag/conflicts.py): the same fact only when fact,
unit and subject agree; an update told from a disagreement; the sentence the answer adds."""

from __future__ import annotations

from datetime import date

from rag.conflicts import conflict_note, facts_in, find_conflicts
from rag.records import Citation, Passage

IAN = "How did the reported death toll of Hurricane Ian change over the week after it hit Florida?"


def cite(n: int, quote: str, published: date | None, source: str = "cnn.com", article: str = "") -> Citation:
    p = Passage(
        chunk_id=f"c{n}",
        article_id=article or f"a{n}",
        text=quote,
        start=0,
        end=len(quote),
        position=0,
        title=f"Article {n}",
        published=published,
        source=source,
        url=f"https://example.com/{n}",
    )
    return Citation(n, p, quote, 0, len(quote))


def figure(sentence: str, question: str = IAN) -> list[tuple[str, float, str, tuple[str, ...]]]:
    return [(f.fact, f.value, f.unit, f.subject) for f in facts_in(sentence, question)]


def test_a_toll_is_read_with_its_qualifier_and_without_speakers_or_outlets() -> None:
    assert figure("The storm has killed at least 27 people, Gov. Ron DeSantis said.") == [
        ("death toll", 27.0, "", ())
    ]
    assert figure("On Friday, the Associated Press reported the death toll was at least 27.") == [
        ("death toll", 27.0, "", ())
    ]
    assert figure(
        "The number of people killed in Florida by Hurricane Ian rose to at least 101 on Monday."
    ) == [("death toll", 101.0, "", ())]
    assert facts_in("At least 14 people were reported dead.", IAN)[0].text == "At least 14"


def test_another_storm_or_a_county_is_another_subject() -> None:
    assert figure("Hurricane Michael killed 16 people in Florida in 2018.") == [
        ("death toll", 16.0, "", ("michael",))
    ]
    assert figure("MARIA DEATH TOLL:Hurricane Maria killed more than 70 times the official toll.")[0][3] == (
        "maria",
    )
    # The county's earlier figure, in the clause after the dash, is the county's too.
    lee = figure(
        "At least 54 people died in Lee County alone, the sheriff said Monday – up from the county’s "
        "previously announced death toll of 42."
    )
    assert lee == [("death toll", 54.0, "", ("lee", "county")), ("death toll", 42.0, "", ("lee", "county"))]
    assert figure("Twenty-four deaths were recorded in Charlotte County – up from 12.") == [
        ("death toll", 24.0, "", ("charlotte", "county")),
        ("death toll", 12.0, "", ("charlotte", "county")),
    ]


def test_inflation_and_an_interest_rate_are_different_facts_and_units() -> None:
    q = "How did the annual US inflation rate change from March to April 2022?"
    assert figure("Inflation rose 8.3% in April, and the Fed raised rates by 0.75 percentage point.", q) == [
        ("inflation", 8.3, "%", ()),
        ("interest rate", 0.75, "points", ("fed",)),
    ]


def test_five_hurricanes_is_not_a_figure_of_the_hurricane_asked_about() -> None:
    assert figure("Ian will rank as one of the top five hurricanes to ever hit the Florida peninsula.") == []


def test_a_later_higher_toll_is_an_update_with_both_values_and_dates() -> None:
    cited = [
        cite(1, "At least 14 people were reported dead in Florida.", date(2022, 9, 29), "usatoday.com"),
        cite(3, "Florida's death toll rose to 76 on Sunday, officials said.", date(2022, 10, 2)),
    ]
    (c,) = find_conflicts(cited, IAN)
    assert (c.fact, c.kind) == ("death toll", "update")
    assert [(v.text, v.n, v.source, v.published) for v in c.values] == [
        ("at least 14", 1, "usatoday.com", date(2022, 9, 29)),
        ("76", 3, "cnn.com", date(2022, 10, 2)),
    ]
    note = conflict_note(c)
    assert "at least 14 [1] (usatoday.com, 29 September 2022)" in note
    assert "by 2 October 2022 it was 76 [3] (cnn.com)" in note
    assert "an update, not a disagreement" in note


def test_outlets_differing_on_the_same_day_disagree() -> None:
    cited = [
        cite(
            1,
            "The Associated Press count of Ian's dead stood at at least 27.",
            date(2022, 9, 30),
            "usatoday.com",
        ),
        cite(2, "Ian has killed at least 45 people.", date(2022, 9, 30), "cnn.com"),
    ]
    (c,) = find_conflicts(cited, "How many deaths had Hurricane Ian caused by September 30?")
    assert c.kind == "disagreement"
    note = conflict_note(c)
    assert "usatoday.com (30 September 2022) gives at least 27 [1]" in note
    assert "cnn.com (30 September 2022) gives at least 45 [2]" in note


def test_no_conflict_between_other_subjects_units_or_one_article() -> None:
    other_storm = [
        cite(1, "Ian has killed at least 45 people.", date(2022, 9, 30)),
        cite(2, "Hurricane Michael killed 16 people in Florida in 2018.", date(2022, 9, 30)),
        cite(3, "At least 54 people died in Lee County alone.", date(2022, 10, 3)),
    ]
    assert find_conflicts(other_storm, IAN) == []
    price_and_rate = [
        cite(1, "Inflation rose 8.3% in April.", date(2022, 5, 11)),
        cite(2, "The Fed raised rates by 0.75 percentage point to fight inflation.", date(2022, 5, 12)),
    ]
    assert (
        find_conflicts(price_and_rate, "How high was inflation, and how much did the Fed raise rates?") == []
    )
    # One article's own two figures ("of 31 dead, 27 in Florida"): the larger is its toll.
    same = [cite(1, "Of the 31 people confirmed dead, 27 were from Florida.", date(2022, 10, 1), article="x")]
    assert find_conflicts(same, IAN) == []


def test_rates_a_month_apart_are_two_decisions_not_a_conflict() -> None:
    q = "How much did the Federal Reserve raise its interest rate?"
    cited = [
        cite(1, "The Federal Reserve raised its benchmark rate by 0.5 percentage point.", date(2022, 5, 4)),
        cite(2, "The Federal Reserve raised its benchmark rate by 0.75 percentage point.", date(2022, 6, 15)),
    ]
    assert find_conflicts(cited, q) == []
    cited[1] = cite(
        2,
        "The Federal Reserve raised its benchmark rate by 0.75 percentage point.",
        date(2022, 5, 4),
        "x.com",
    )
    assert [c.kind for c in find_conflicts(cited, q)] == ["disagreement"]


def test_the_two_sides_of_a_comparison_are_not_a_conflict() -> None:
    q = "Which killed more people, the Highland Park parade shooting or the Kentucky floods?"
    cited = [
        cite(1, "Seven people were killed in Highland Park.", date(2022, 7, 30)),
        cite(2, "At least 37 people died in the Kentucky floods.", date(2022, 7, 30)),
    ]
    assert find_conflicts(cited, q, sides=[{1}, {2}]) == []
    assert len(find_conflicts(cited, q)) == 1  # without the sides the two figures would be one fact


def test_hyphenated_number_words_are_one_number() -> None:
    from rag.claims.quantities import numbers

    assert numbers("Twenty-four deaths, up from twelve; fifty-five in all.") == [24.0, 12.0, 55.0]


def test_a_county_the_question_names_stays_the_subject_of_its_figures() -> None:
    q = "How did the death toll in Lee County, Florida, change after Hurricane Ian?"
    assert figure("At least 54 people died in Lee County alone.", q) == [
        ("death toll", 54.0, "", ("lee", "county"))
    ]
    assert figure("Ian has killed at least 105 people in Florida.", q) == [("death toll", 105.0, "", ())]
    cited = [
        cite(1, "At least 42 people died in Lee County.", date(2022, 10, 2)),
        cite(2, "At least 54 people died in Lee County alone, the sheriff said.", date(2022, 10, 3)),
        cite(3, "Ian has killed at least 105 people in Florida.", date(2022, 10, 4)),
    ]
    (c,) = find_conflicts(cited, q)
    assert c.fact == "death toll (Lee County)" and [v.value for v in c.values] == [42, 54]


def test_a_speakers_county_and_a_guess_are_not_the_state_toll() -> None:
    said = "Lee County Sheriff Carmine Marceno said at least five deaths have been confirmed in his county."
    assert figure(said) == [("death toll", 5.0, "", ("county",))]
    guess = figure("Guthrie said there were as many as 21 deaths, but only one had been confirmed.")
    assert 21.0 not in [value for _, value, _, _ in guess]


def test_a_figure_of_another_story_is_left_out() -> None:
    q = "How did the number of people killed in the Highland Park parade shooting change that week?"
    cited = [
        cite(1, "At least six people were killed at a parade in Highland Park on Monday.", date(2022, 7, 4)),
        cite(2, "Two people were killed in shootings at four 7-Eleven stores.", date(2022, 7, 12)),
    ]
    assert find_conflicts(cited, q) == []
    assert figure("A 21-year-old man died after he was shot.", q) == []  # an age
    assert figure("Half of all flood-related deaths occur in vehicles.", "How many died in the floods?") == []
