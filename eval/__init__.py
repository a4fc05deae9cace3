"""Evaluation harness for newsrag: run question sets, score them, report and compare runs.

Example:
    >>> from eval import EvalOptions, compare_runs, run_eval
    >>> options = EvalOptions(corpus="corpus.jsonl", retrieval_only=True)
    >>> run = run_eval("questions.jsonl", options)  # doctest: +SKIP
    >>> run.summary["hit@1"], run.report_html  # doctest: +SKIP
"""

from eval.compare import compare_runs, render_compare_markdown
from eval.containment import answer_contains, answer_contains_strict, normalize_answer
from eval.grounding import GROUNDING_THRESHOLD, grounding, grounding_flags, supports
from eval.harness import (
    BASELINES,
    EvalOptions,
    EvalRun,
    evaluate_question,
    load_run,
    parse_set,
    run_eval,
    settings_for_eval,
    summarize,
)
from eval.judge import Judge
from eval.metrics import (
    CHOICE_OVERLAP_THRESHOLD,
    SUMMARY_KEYS,
    QuestionResult,
    abstention_rate,
    aggregate,
    answer_f1,
    choice_accuracy,
    citation_precision,
    citation_recall,
    false_abstention_rate,
    hit_at_k,
    match_choice,
    mrr_at_k,
    ndcg_at_k,
    percentiles,
    question_scores,
    recall_at_k,
)
from eval.pipelines import NewsragPipeline, Pipeline, Retrieved
from eval.questions import Question, load_questions, parse_question
from eval.report import render_html, render_markdown, write_reports

__all__ = [
    "BASELINES",
    "CHOICE_OVERLAP_THRESHOLD",
    "GROUNDING_THRESHOLD",
    "SUMMARY_KEYS",
    "EvalOptions",
    "EvalRun",
    "Judge",
    "NewsragPipeline",
    "Pipeline",
    "Question",
    "QuestionResult",
    "Retrieved",
    "abstention_rate",
    "aggregate",
    "answer_contains",
    "answer_contains_strict",
    "answer_f1",
    "choice_accuracy",
    "citation_precision",
    "citation_recall",
    "compare_runs",
    "evaluate_question",
    "false_abstention_rate",
    "grounding",
    "grounding_flags",
    "hit_at_k",
    "load_questions",
    "load_run",
    "match_choice",
    "mrr_at_k",
    "ndcg_at_k",
    "normalize_answer",
    "parse_question",
    "parse_set",
    "percentiles",
    "question_scores",
    "recall_at_k",
    "render_compare_markdown",
    "render_html",
    "render_markdown",
    "run_eval",
    "settings_for_eval",
    "summarize",
    "supports",
    "write_reports",
]
