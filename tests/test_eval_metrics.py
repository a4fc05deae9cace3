"""Hand-made cases with known answers for every metric in eval/metrics.py."""

from __future__ import annotations

import json
import random
from math import log2
from pathlib import Path

import pytest

from eval import metrics
from eval.grounding import grounding, grounding_flags, supports

DATA = Path(__file__).parents[1].parent / "shared" / "data"
QUESTIONS = DATA / "realtimeqa" / "questions-dev.jsonl"

# --- retrieval -------------------------------------------------------------------------------------


def test_hit_at_k_counts_distinct_ids() -> None:
    assert metrics.hit_at_k(["x", "y", "g"], ["g"], 1) == 0.0
    assert metrics.hit_at_k(["x", "y", "g"], ["g"], 2) == 0.0
    assert metrics.hit_at_k(["x", "y", "g"], ["g"], 3) == 1.0
    # Three chunks of article "a" take one rank after deduplication, so "g" is at rank 2.
    assert metrics.hit_at_k(["a", "a", "a", "g"], ["g"], 2) == 1.0


def test_recall_at_k() -> None:
    ranked = ["g1", "x", "g1", "g2", "y"]
    assert metrics.recall_at_k(ranked, ["g1", "g2", "g3"], 1) == pytest.approx(1 / 3)
    assert metrics.recall_at_k(ranked, ["g1", "g2", "g3"], 3) == pytest.approx(2 / 3)
    assert metrics.recall_at_k(ranked, ["g1", "g1"], 10) == 1.0  # gold ids are a set


def test_mrr_first_gold_at_rank_three() -> None:
    assert metrics.mrr_at_k(["x", "y", "g", "g2"], ["g", "g2"]) == pytest.approx(1 / 3)
    assert metrics.mrr_at_k(["x", "x", "y", "y", "g"], ["g"]) == pytest.approx(1 / 3)  # duplicates dropped
    assert metrics.mrr_at_k(["g"], ["g"]) == 1.0
    assert metrics.mrr_at_k([f"x{i}" for i in range(10)] + ["g"], ["g"], 10) == 0.0  # rank 11 is past k


def test_ndcg_hand_computed() -> None:
    # Gold at ranks 2 and 4: DCG = 1/log2(3) + 1/log2(5) = 1.06161; IDCG = 1 + 1/log2(3) = 1.63093.
    value = metrics.ndcg_at_k(["x", "g1", "y", "g2"], ["g1", "g2"], 10)
    assert value == pytest.approx((1 / log2(3) + 1 / log2(5)) / (1 + 1 / log2(3)))
    assert value == pytest.approx(0.650921, abs=1e-6)
    # The ideal list has min(|gold|, k) = 2 entries, so two golds on top of three is perfect at k=2.
    assert metrics.ndcg_at_k(["g1", "g2"], ["g1", "g2", "g3"], 2) == pytest.approx(1.0)
    assert metrics.ndcg_at_k(["g1", "g2"], ["g1", "g2", "g3"], 10) == pytest.approx(
        (1 + 1 / log2(3)) / (1 + 1 / log2(3) + 1 / log2(4))
    )
    # Duplicates: ["x", "x", "g"] is ["x", "g"], gold at rank 2 -> 1/log2(3).
    assert metrics.ndcg_at_k(["x", "x", "g"], ["g"], 10) == pytest.approx(1 / log2(3))
    assert metrics.ndcg_at_k(["x", "y"], ["g"], 10) == 0.0


def test_retrieval_metrics_undefined_without_gold_and_reject_bad_k() -> None:
    for metric in (metrics.hit_at_k, metrics.recall_at_k, metrics.mrr_at_k, metrics.ndcg_at_k):
        assert metric(["a"], [], 10) is None
        with pytest.raises(ValueError, match="k must be"):
            metric(["a"], ["a"], 0)


def test_retrieval_metrics_are_generic_over_chunk_ids() -> None:
    chunks = ["art1#0", "art2#3", "art1#1"]
    assert metrics.mrr_at_k(chunks, ["art2#3"], 10) == pytest.approx(1 / 2)
    assert metrics.recall_at_k(chunks, ["art2#3", "art1#1"], 2) == pytest.approx(1 / 2)


# --- answers ---------------------------------------------------------------------------------------


def test_normalize_answer() -> None:
    assert metrics.normalize_answer("“The Squid Game”!") == "squid game"
    assert metrics.normalize_answer("  A  cat\tsat,  on THE mat. ") == "cat sat on mat"
    assert metrics.normalize_answer("‘Wendy’s’") == "wendys"
    assert metrics.normalize_answer("$19,000") == "19000"
    assert metrics.normalize_answer("Bed Bath & Beyond") == metrics.normalize_answer("bed bath and beyond")
    assert metrics.normalize_answer("military-style") == metrics.normalize_answer("military style")
    assert metrics.normalize_answer("Children ages 5–12") == "children ages 5 12"
    assert metrics.normalize_answer("theory of an anthem") == "theory of anthem"  # articles as words only


def test_answer_contains() -> None:
    assert metrics.answer_contains("Netflix renewed Squid Game for season two.", ["“Squid Game”"]) == 1.0
    assert metrics.answer_contains("Netflix renewed Squid Game.", ["Friends", "“Squid Game”"]) == 1.0
    assert metrics.answer_contains("It costs $5.", ["$5"]) == 1.0
    assert metrics.answer_contains("It costs $15.", ["$5"]) == 0.0  # whole words, not substrings
    assert metrics.answer_contains("In 2024 it rose.", ["4"]) == 0.0
    assert metrics.answer_contains("The answer.", ["The"]) == 0.0  # gold normalising to nothing never matches
    assert metrics.answer_contains("It was 6 [3].", ["3"]) == 0.0  # a citation mark is not an answer
    assert metrics.answer_contains("anything", []) is None


def test_answer_f1_known_pair() -> None:
    # pred [cat, sat, on, mat], gold [cat, on, mat]: P = 3/4, R = 1 -> F1 = 6/7.
    assert metrics.answer_f1("The cat sat on the mat", ["cat on a mat"]) == pytest.approx(6 / 7)
    assert metrics.answer_f1("The cat sat on the mat", ["dog", "cat on a mat"]) == pytest.approx(6 / 7)  # max
    assert metrics.answer_f1("Squid Game", ["“Squid Game”"]) == 1.0
    assert metrics.answer_f1("nothing shared", ["Squid Game"]) == 0.0
    # Repeated tokens count once each side: pred [a1, a1], gold [a1] -> P = 1/2, R = 1 -> 2/3.
    assert metrics.answer_f1("yes yes", ["yes"]) == pytest.approx(2 / 3)
    assert metrics.answer_f1("Squid Game [1][2].", ["Squid Game"]) == 1.0  # citation marks ignored
    assert metrics.answer_f1("x", []) is None


SHOWS = ["“Game of Thrones”", "“Squid Game”", "“Breaking Bad”", "“Friends”"]


def test_choice_accuracy_on_curly_quoted_choices() -> None:
    gold = ["“Squid Game”"]
    assert metrics.choice_accuracy("Netflix green-lit a second season of Squid Game [1].", SHOWS, gold) == 1.0
    assert metrics.choice_accuracy("It was “Squid Game”.", SHOWS, gold) == 1.0
    assert metrics.choice_accuracy('It was "Friends".', SHOWS, gold) == 0.0
    assert metrics.choice_accuracy("The sources do not say which show.", SHOWS, gold) == 0.0
    assert metrics.choice_accuracy("x", [], gold) is None
    assert metrics.choice_accuracy("x", SHOWS, []) is None


def test_match_choice_first_naming_sentence_decides_and_hedging_picks_nothing() -> None:
    answer = "Squid Game was renewed [1]. Unlike Friends, it is a recent hit."
    assert metrics.match_choice(answer, SHOWS) == 1
    assert metrics.match_choice("Either Friends or Squid Game.", SHOWS) is None
    assert metrics.match_choice("No show was named.", SHOWS) is None


def test_match_choice_prefers_the_longer_choice_that_contains_another() -> None:
    choices = ["Asia", "Southeast Asia", "Europe", "Africa"]
    assert metrics.match_choice("The outbreak began in Southeast Asia.", choices) == 1
    assert metrics.match_choice("The outbreak began in Asia.", choices) == 0
    # "Asia" also occurs on its own, outside "Southeast Asia": two choices named, no pick.
    assert metrics.match_choice("Southeast Asia, and then all of Asia.", choices) is None


def test_match_choice_numbers_and_overlap_fallback() -> None:
    assert metrics.match_choice("The fee rose to $5 in 2023.", ["$3", "$4", "$5", "$6"]) == 2
    assert metrics.match_choice("It was 2.0 by then.", ["2.0", "3.3", "4.6", "5.9"]) == 0
    assert metrics.match_choice("It was 6 [3].", ["3", "4", "5", "6"]) == 3
    irs = [
        "Close all in-person taxpayer assistance centers",
        "Issue more stimulus checks",
        "Finish processing the backlog of 2021 tax returns",
        "Lay off thousands of employees",
    ]
    # No choice occurs verbatim; 5 of the 6 content words of choice 2 do.
    assert metrics.match_choice("The IRS aims to finish processing its backlog of 2021 returns.", irs) == 2
    assert metrics.match_choice("The IRS said little.", irs) is None


@pytest.mark.data
@pytest.mark.skipif(not QUESTIONS.exists(), reason=f"{QUESTIONS} not found")
def test_choice_accuracy_on_dev_questions_answered_with_the_gold_text() -> None:
    questions = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]
    assert questions
    for q in questions:
        gold = q["answers"][0].strip("“”")
        right = metrics.choice_accuracy(f"The answer is {gold} [1].", q["choices"], q["answers"])
        assert right == 1.0, q["id"]
        wrong = next(c for c in q["choices"] if c not in q["answers"])
        assert metrics.choice_accuracy(f"It is {wrong}.", q["choices"], q["answers"]) == 0.0, q["id"]


# --- citations -------------------------------------------------------------------------------------


def test_citation_precision_and_recall() -> None:
    cited = ["a", "a", "b", "c"]  # three distinct articles, one of them gold
    assert metrics.citation_precision(cited, ["a", "d"]) == pytest.approx(1 / 3)
    assert metrics.citation_recall(cited, ["a", "d"]) == pytest.approx(1 / 2)
    assert metrics.citation_precision([], ["a"]) is None
    assert metrics.citation_recall([], ["a"]) == 0.0
    assert metrics.citation_recall(["a"], []) is None
    assert metrics.citation_precision(["a"], []) == 0.0


# --- grounding -------------------------------------------------------------------------------------

PASSAGE = (
    "NATO Secretary General Jens Stoltenberg warned on Tuesday in Skopje against attempts to "
    "destabilize the Western Balkans, saying the alliance stays committed to the region's security."
)


def test_supports_scores_content_word_overlap() -> None:
    assert supports("Stoltenberg warned against destabilizing the Western Balkans [1].", PASSAGE) == 1.0
    # content words: nato, send, troop, serbia -> only "nato" found.
    assert supports("NATO will send troops to Serbia.", PASSAGE) == pytest.approx(1 / 4)
    assert supports("Stoltenberg didn't resign.", "Stoltenberg did not resign.") == 1.0
    assert supports("About 19,000 people came.", "Some 19000 people came.") == 1.0
    assert supports("It is [2].", PASSAGE) == 1.0  # no content words: nothing to check


def test_grounding_threshold_is_inclusive_at_0_6() -> None:
    sentence = "alpha bravo charlie delta echo"
    assert supports(sentence, "alpha bravo charlie") == pytest.approx(0.6)
    assert grounding_flags([(sentence, ["alpha bravo charlie"])]) == [True]
    assert grounding_flags([(sentence, ["alpha bravo"])]) == [False]
    # Cited passages are read together.
    assert grounding_flags([(sentence, ["alpha bravo", "charlie"])]) == [True]


def test_grounding_of_supported_and_unsupported_sentences() -> None:
    pairs: list[tuple[str, list[str]]] = [
        ("Stoltenberg warned against destabilizing the Western Balkans [1].", [PASSAGE]),
        ("NATO will send troops to Serbia [1].", [PASSAGE]),
        ("Stoltenberg spoke in Skopje.", []),  # true, but cites nothing
    ]
    assert grounding_flags(pairs) == [True, False, False]
    assert grounding(pairs) == pytest.approx(1 / 3)
    assert grounding([]) is None


# --- abstention and latency ------------------------------------------------------------------------


def test_abstention_rates() -> None:
    assert metrics.abstention_rate([True, False, False, True]) == 0.5
    assert metrics.abstention_rate([]) is None
    # Answerable: questions 0 and 1; it abstained on 0 of them -> 1/2 (question 2 is not answerable).
    assert metrics.false_abstention_rate([True, False, True, False], [True, True, False, False]) == 0.5
    assert metrics.false_abstention_rate([True], [False]) is None
    with pytest.raises(ValueError):
        metrics.false_abstention_rate([True], [True, False])


def test_percentiles_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    random.Random(0).shuffle(values)
    assert metrics.percentiles(values) == {"p50": 50.0, "p95": 95.0}
    assert metrics.percentiles([7.0]) == {"p50": 7.0, "p95": 7.0}
    assert metrics.percentiles([1.0, 2.0, 3.0, 4.0]) == {"p50": 2.0, "p95": 4.0}
    with pytest.raises(ValueError):
        metrics.percentiles([])


# --- per-question rows and the summary -------------------------------------------------------------


def _rows() -> list[metrics.QuestionResult]:
    return [
        metrics.QuestionResult(
            id="q1",
            question="Which show was renewed?",
            gold_ids=["g"],
            answers=["“Squid Game”"],
            choices=SHOWS,
            answerable=True,
            retrieved_article_ids=["g", "g", "x"],
            answer="Squid Game was renewed [1].",
            abstained=False,
            cited_article_ids=["g", "x"],
            grounding_flags=[True, False],
            timings_ms={"retrieve": 10.0, "total": 100.0},
        ),
        metrics.QuestionResult(
            id="q2",
            gold_ids=["h"],
            answers=["“Friends”"],
            choices=SHOWS,
            answerable=True,
            retrieved_article_ids=["x", "y", "h"],
            answer="Friends, probably.",
            abstained=True,  # abstained: answer metrics score 0 whatever the text says
            cited_article_ids=[],
            grounding_flags=[],
            timings_ms={"retrieve": 30.0},
        ),
    ]


def test_question_scores_of_one_row() -> None:
    scores = metrics.question_scores(_rows()[0])
    assert scores["hit@1"] == 1.0
    assert scores["mrr@10"] == 1.0
    assert scores["recall@10"] == 1.0
    assert scores["choice_accuracy"] == 1.0
    assert scores["citation_precision"] == 0.5
    assert scores["grounding"] == 0.5


def test_aggregate_hand_computed() -> None:
    summary = metrics.aggregate(_rows())
    expected_keys = set(metrics.SUMMARY_KEYS) - {"parts_contained", "by_type"}  # rows without parts or types
    assert set(summary) == expected_keys
    assert list(summary) == [k for k in metrics.SUMMARY_KEYS if k in summary]
    assert summary["questions"] == 2
    assert summary["hit@1"] == 0.5
    assert summary["hit@4"] == 1.0
    assert summary["mrr@10"] == pytest.approx((1 + 1 / 3) / 2)
    assert summary["ndcg@10"] == pytest.approx((1 + 1 / log2(4)) / 2)
    assert summary["answer_contains"] == 0.5  # q2 abstained
    assert summary["choice_accuracy"] == 0.5
    # q1: [squid, game, was, renewed] vs [squid, game]: P = 1/2, R = 1 -> 2/3; q2 abstained: 0.
    assert summary["answer_f1"] == pytest.approx(1 / 3)
    assert summary["citation_precision"] == 0.5  # q2 cited nothing: skipped
    assert summary["citation_recall"] == 0.5  # q2 cited nothing: 0
    assert summary["grounding"] == 0.5  # q2 has no sentences: skipped
    assert summary["abstention_rate"] == 0.5
    assert summary["false_abstention_rate"] == 0.5
    assert summary["latency"] == {
        "retrieve": {"p50": 10.0, "p95": 30.0},
        "total": {"p50": 100.0, "p95": 100.0},
    }
    json.dumps(summary)  # plain types, ready for a report


def test_aggregate_omits_metrics_without_inputs() -> None:
    assert metrics.aggregate([]) == {"questions": 0}
    summary = metrics.aggregate([metrics.QuestionResult(id="q", gold_ids=["g"], retrieved_article_ids=["g"])])
    assert set(summary) == {"questions", "hit@1", "hit@4", "hit@10", "recall@10", "mrr@10", "ndcg@10"}
    # Gold ids but no answers: retrieval is scored, answer metrics are not.
    summary = metrics.aggregate([metrics.QuestionResult(id="q", answer="Squid Game", answers=["Squid Game"])])
    assert set(summary) == {"questions", "answer_contains", "answer_contains_strict", "answer_f1"}
    assert summary["answer_f1"] == 1.0
