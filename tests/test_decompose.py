"""The rules that recognise questions needing several articles and split them (rag/decompose.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.decompose import plan_question


def parts(question: str) -> tuple[str, list[str]]:
    plan = plan_question(question)
    assert plan is not None, question
    return plan.kind, [p.text for p in plan.parts]


def test_comparison_gives_each_side_the_shared_words() -> None:
    assert parts("Which was larger, the UK's or France's energy price cap?") == (
        "comparison",
        ["the UK's energy price cap", "France's energy price cap"],
    )
    assert parts("Was the Fed's hike larger than the Bank of England's?") == (
        "comparison",
        ["the Fed's hike", "the Bank of England's hike"],
    )


def test_comparison_keeps_the_topic_of_its_head() -> None:
    kind, texts = parts("Which interest rate hike was bigger, the Fed's in May or its hike in June?")
    assert kind == "comparison"
    assert all("interest rate hike" in t for t in texts)
    assert texts[1].startswith("Fed")  # "its" takes the other side's name


def test_change_searches_the_latest_then_the_earlier_reports() -> None:
    plan = plan_question("How did the reported death toll of the storm change over the week?")
    assert plan is not None and plan.kind == "change"
    assert [p.earlier for p in plan.parts] == [False, True]
    assert all("death toll of the storm" in p.text for p in plan.parts)


@pytest.mark.parametrize(
    ("question", "a", "b", "unit"),
    [
        ("Did the rate rise come before or after the jobs report?", "the rate rise", "the jobs report", ""),
        (
            "How many days after the storm made landfall did the bridge reopen?",
            "the storm made landfall",
            "the bridge reopen",
            "days",
        ),
        (
            "Which came first, the Highland Park parade shooting or the assassination of Shinzo Abe?",
            "the Highland Park parade shooting",
            "the assassination of Shinzo Abe",
            "",
        ),
        (
            "How many days after Liz Truss became prime minister did she resign?",
            "Liz Truss became prime minister",
            "Liz Truss resign",  # the pronoun takes the first event's names
            "days",
        ),
    ],
)
def test_order_has_one_part_per_event(question: str, a: str, b: str, unit: str) -> None:
    plan = plan_question(question)
    assert plan is not None and plan.kind == "order"
    assert [p.text for p in plan.parts] == [a, b]
    assert plan.unit == unit


@pytest.mark.parametrize(
    "question",
    ["Which states did the hurricane hit?", "Which people served as UK prime minister in 2022?"],
)
def test_aggregate_is_one_wide_search(question: str) -> None:
    assert parts(question) == ("aggregate", [question])


@pytest.mark.parametrize(
    "question",
    [
        "What did Stoltenberg say about Balkan destabilization?",
        "Who won the election?",
        "What is the capital of France?",
        "Which company bought Twitter?",
        "How did Tesla's shares react?",
        "What happened to the storm?",
    ],
)
def test_plain_questions_are_not_split(question: str) -> None:
    assert plan_question(question) is None


def test_newsrag_splits_only_a_first_question_with_decompose_on(tmp_path: Path) -> None:
    from rag.api import NewsRAG
    from rag.question import Query
    from rag.settings import Settings

    q = "Did the rate rise come before or after the jobs report?"
    on = NewsRAG(Settings(home=tmp_path))
    plan = on.plan(Query(q))
    assert plan is not None and plan.kind == "order"
    assert (
        on.plan(Query(q, history=[("user", "What did the Fed do?"), ("assistant", "It raised rates.")]))
        is None
    )
    off = NewsRAG(Settings(home=tmp_path).with_overrides({"retrieval.decompose": False}))
    assert off.plan(Query(q)) is None
