"""Per-type metrics of the eval harness: a question's ``type`` and ``parts`` read from the set,
``parts_contained`` scored, every metric summarised per type, the per-type report table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval import metrics
from eval.questions import load_questions, parse_question
from eval.report import type_table

SET = Path(__file__).resolve().parents[1] / "eval" / "sets" / "multi-dev.jsonl"


def test_type_and_parts_are_read() -> None:
    q = parse_question({"question": "Which came first?", "type": "order", "parts": "before|earlier"})
    assert q.type == "order" and q.parts == ("before", "earlier")  # "|" separates list items here
    q = parse_question({"question": "q", "parts": ["14|27", "101"]})
    assert q.parts == ("14|27", "101")  # a JSON list keeps "|" as alternatives within a part


def test_parts_contained_is_the_share_of_parts_the_answer_holds() -> None:
    row = metrics.QuestionResult(
        id="q", answer="First 14 dead [1]; by 3 October at least 101 [2].", parts=["14|27", "101", "Cuba"]
    )
    assert metrics.question_scores(row)["parts_contained"] == pytest.approx(2 / 3)
    row.abstained = True
    assert metrics.question_scores(row)["parts_contained"] == 0.0


def test_metrics_are_summarised_per_type() -> None:
    rows = [
        metrics.QuestionResult(
            id="a",
            type="change",
            answer="14 then 101",
            parts=["14", "101"],
            gold_ids=["x"],
            cited_article_ids=["x"],
        ),
        metrics.QuestionResult(
            id="b",
            type="change",
            answer="14",
            parts=["14", "101"],
            gold_ids=["x", "y"],
            cited_article_ids=["y"],
        ),
        metrics.QuestionResult(
            id="c", type="order", answer="before", parts=["before"], gold_ids=["z"], cited_article_ids=[]
        ),
    ]
    summary = metrics.aggregate(rows)
    assert summary["parts_contained"] == pytest.approx((1 + 0.5 + 1) / 3)
    assert set(summary["by_type"]) == {"change", "order"}
    change = summary["by_type"]["change"]
    assert change["questions"] == 2
    assert change["parts_contained"] == pytest.approx(0.75)
    assert change["citation_recall"] == pytest.approx((1 + 0.5) / 2)
    assert summary["by_type"]["order"]["citation_recall"] == 0.0
    assert "by_type" not in change
    table = type_table({"newsrag": summary, "single": metrics.aggregate(rows[:1])})
    assert table[0][:4] == ["change", "newsrag", "2", "0.750"]
    assert table[3][:2] == ["order", "single"] and table[3][2] == "-"


def test_the_multi_dev_set_has_forty_typed_questions_with_gold() -> None:
    questions = load_questions(SET)
    assert len(questions) >= 40
    kinds = {q.type for q in questions}
    assert kinds == {"comparison", "change", "order", "aggregate", "conflict"}
    assert all(q.parts and q.gold_ids and q.as_of for q in questions)
    ids = [json.loads(line)["id"] for line in SET.read_text(encoding="utf-8").splitlines()]
    assert len(ids) == len(set(ids))
