"""Answer containment read as a person would (eval/containment.py), beside the strict figure."""

from __future__ import annotations

import pytest

from eval.containment import answer_contains, answer_contains_strict, normalize_loose


@pytest.mark.parametrize(
    ("answer", "gold"),
    [
        ("Ruritania's new prime minister was sworn in [1].", "Ruritania"),
        ("The voters' choice was clear.", "voters"),
        ("The grant was $4,200,000 [2].", "$4.2 million"),
        ("The grant was 4.2 million dollars.", "$4,200,000"),
        ("It raised $4.2m.", "4,200,000"),
        ("Turnout reached 68 percent.", "68%"),
        ("Turnout reached 68%.", "68 per cent"),
        ("Twelve miners were rescued.", "12"),
        ("Portugal and Spain will host it [1].", "Spain and Portugal"),
        ("Italy, France and Spain signed.", "Spain, France and Italy"),
        ("It went to Spain or Portugal.", "Portugal or Spain"),
    ],
)
def test_loose_containment_finds_what_a_reader_finds(answer: str, gold: str) -> None:
    assert answer_contains(answer, [gold]) == 1.0


@pytest.mark.parametrize(
    ("answer", "gold"),
    [
        ("Ruritania's new prime minister was sworn in.", "Ruritania"),
        ("The grant was $4,200,000.", "$4.2 million"),
        ("Turnout reached 68%.", "68 percent"),
        ("Portugal and Spain will host it.", "Spain and Portugal"),
    ],
)
def test_strict_containment_keeps_the_old_reading(answer: str, gold: str) -> None:
    assert answer_contains_strict(answer, [gold]) == 0.0


@pytest.mark.parametrize(
    ("answer", "gold"),
    [
        ("The grant was $4,300,000.", "$4.2 million"),
        ("The rate is 4.2 percent.", "42%"),  # a decimal point is not deleted into another number
        ("It cost $42 million.", "$4.2 million"),
        ("Only Spain will host it.", "Spain and Portugal"),  # every item of a list must be there
        ("Spain will host it; Portugal declined.", "Spain and Portugal"),  # named, but not as the list
        ("It was 68 [3].", "3"),  # a citation mark is not an answer
        ("In 2024 it rose.", "4"),
        ("The answer.", "The"),
    ],
)
def test_loose_containment_still_misses_wrong_answers(answer: str, gold: str) -> None:
    assert answer_contains(answer, [gold]) == 0.0


def test_loose_containment_keeps_what_strict_containment_finds() -> None:
    cases = [
        ("Netflix renewed Squid Game for season two.", "“Squid Game”"),
        ("It costs $5.", "$5"),
        ("Bed Bath & Beyond closed stores.", "Bed Bath and Beyond"),
        ("The military-style rifle.", "military style"),
    ]
    for answer, gold in cases:
        assert answer_contains_strict(answer, [gold]) == 1.0
        assert answer_contains(answer, [gold]) == 1.0
    assert answer_contains("anything", []) is None


def test_normalize_loose_writes_one_form_per_number() -> None:
    assert normalize_loose("$4.2 million") == "4200000"
    assert normalize_loose("4,200,000") == "4200000"
    assert normalize_loose("2.50") == "2point5"
    assert normalize_loose("The Nation's 68%") == "nation 68 percent"
