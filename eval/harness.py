"""Run a question set through newsrag and score it: retrieval, answers, citations, abstention, latency.

A run lives in one folder (default ``<NEWSRAG_HOME>/eval-runs/<timestamp>-<name>``):

- ``run.json``: what was run (question file, corpus, options, the full settings, the run key, status);
- ``results.jsonl``: one row per question (question, answer, citations, retrieved articles, scores,
  timings), appended as each question finishes;
- ``results-<baseline>.jsonl``: the same for a baseline pipeline (``--baseline tutorial``);
- ``summary.json``, ``report.md``, ``report.html``: written at the end.

Runs resume: rows carry a *run key*, a hash of the settings and the options that change results;
a restarted run skips the questions whose rows carry the same key. Without ``out``, the newest
unfinished run of the same name and key is continued.

Example:
    >>> options = EvalOptions(corpus="corpus.jsonl", retrieval_only=True)
    >>> run = run_eval("questions.jsonl", options)  # doctest: +SKIP
    >>> run.summary["hit@4"]  # doctest: +SKIP
    0.93
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eval._gold import GoldIndex
from eval._progress import progress as progress_ticks
from eval._rows import (
    RESULTS,
    RUN_META,
    SUMMARY,
    RowWriter,
    baseline_results,
    grounding_of,
    passage_row,
    read_json,
    read_rows,
    to_result,
    write_json,
    write_rows,
)
from eval.corpus import ingest_corpus
from eval.metrics import question_scores
from eval.options import (
    BASELINES,
    EvalOptions,
    corpus_collection,
    parse_set,
    run_key,
    settings_for_eval,
    slug,
)
from eval.pipelines import NewsragPipeline, Pipeline, article_texts, build_newsrag
from eval.questions import Question, load_questions
from eval.runs import EvalRun, find_resumable, load_run, summarize
from rag import ConfigError, InputError, ModelError, NewsragError, Settings, StoreError

if TYPE_CHECKING:
    from eval.judge import Judge

log = logging.getLogger(__name__)

# The run's options, settings and folders live in eval.options and eval.runs; their names are
# also offered here, where the CLI and older callers look for them.
__all__ = [
    "BASELINES",
    "EvalOptions",
    "EvalRun",
    "corpus_collection",
    "evaluate_question",
    "ingest_corpus",
    "load_run",
    "parse_set",
    "run_eval",
    "settings_for_eval",
    "summarize",
]

RANK_DEPTH = 10
"""Retrieval metrics look at the first 10 distinct articles (hit@10, recall@10, MRR@10, nDCG@10)."""


def _question_text(q: Question, with_choices: bool) -> str:
    if with_choices and q.choices:
        return q.question + "\nChoices: " + "; ".join(q.choices)
    return q.question


def _base_row(q: Question, key: str, system: str) -> dict[str, Any]:
    return {
        "id": q.id,
        "question": q.question,
        "as_of": q.as_of.isoformat() if q.as_of else None,
        "answers": list(q.answers) or None,
        "choices": list(q.choices) or None,
        "type": q.type or None,
        "parts": list(q.parts) or None,
        "run_key": key,
        "system": system,
    }


def evaluate_question(
    pipeline: Pipeline,
    q: Question,
    gold: GoldIndex,
    *,
    key: str,
    retrieval_only: bool,
    without_gold: bool,
    with_choices: bool = False,
    judge: Judge | None = None,
) -> dict[str, Any]:
    """Run one question through ``pipeline`` and score it; the row written to the results file.

    Raises:
        ModelError, StoreError: failures that would hit every question (the run stops; rows so far
            are kept). Other errors are recorded in the row's ``error``.
    """
    row = _base_row(q, key, pipeline.name)
    resolved = gold.resolve(q)
    exclude = frozenset(gold.excluded(q)) if without_gold else frozenset()
    answerable = False if without_gold else (q.answerable if q.answerable is not None else True)
    row.update(
        # Withheld gold cannot be found or cited: retrieval and citation scores do not apply.
        gold_ids=None if without_gold else list(resolved.ids) or None,
        gold_missing=list(resolved.missing) or None,
        answerable=answerable,
        excluded=len(exclude),
    )
    timings: dict[str, float] = {}
    try:
        found = pipeline.retrieve(q, exclude)
        ranked = gold.ranked(found.article_ids)
        row["retrieved_article_ids"] = list(dict.fromkeys(ranked))[: max(RANK_DEPTH, 20)]
        row["retrieved"] = [passage_row(p) for p in found.passages]
        timings["retrieval"] = found.seconds * 1000
        if not retrieval_only and pipeline.answers:
            t0 = time.perf_counter()
            answer = pipeline.ask(q, _question_text(q, with_choices), exclude)
            wall = time.perf_counter() - t0
            t = answer.timings
            if "retrieve" in t:
                timings["retrieval"] = t["retrieve"] * 1000
            if "first_token" in t:  # counted from the question: rewriting and retrieval come first
                timings["first_token"] = (
                    t.get("condense", 0.0) + t.get("retrieve", 0.0) + t["first_token"]
                ) * 1000
            timings["total"] = t.get("total", wall) * 1000
            row.update(
                answer=answer.text,
                abstained=answer.abstained,
                cited_article_ids=list(
                    dict.fromkeys(gold.canonical(c.passage.article_id) for c in answer.citations)
                ),
                citations=[
                    {
                        "n": c.n,
                        "article_id": c.passage.article_id,
                        "chunk_id": c.passage.chunk_id,
                        "quote": c.quote,
                    }
                    for c in answer.citations
                ],
                grounding_flags=grounding_of(answer),
                unsupported=list(answer.unsupported) or None,
                backend=answer.backend,
            )
            if judge is not None and not answer.abstained and q.answers:
                row["judge_correct"] = judge.correct(q, answer.text)
    except (ModelError, StoreError):
        raise
    except NewsragError as exc:
        log.warning("question %s failed: %s", q.id, exc)
        row["error"] = f"{type(exc).__name__}: {exc}"
    row["timings_ms"] = {k: round(v, 3) for k, v in timings.items()}
    if not row.get("error"):
        row["scores"] = question_scores(to_result(row))
    return row


def _run_pipeline(
    pipeline: Pipeline,
    plan: _Plan,
    gold: GoldIndex,
    results: Path,
    *,
    judge: Judge | None,
    withhold: bool,
) -> tuple[list[dict[str, Any]], int]:
    """Every question's row in ``results`` (resuming rows of the same key) and how many were resumed."""
    key, questions, options = plan.key, plan.questions, plan.options
    done, skipped = read_rows(results, key)
    if skipped:
        log.info("%s: %d row(s) of another configuration or cut short are set aside", results.name, skipped)
    wanted = {q.id for q in questions}
    done = [r for r in done if r["id"] in wanted]
    write_rows(results, done)  # drop stale and half-written lines before appending
    have = {r["id"] for r in done}
    rows = list(done)
    todo = [q for q in questions if q.id not in have]
    if todo:
        t0 = time.perf_counter()
        pipeline.warm_up(todo[0])
        log.info("%s warmed up in %.1f s", pipeline.name, time.perf_counter() - t0)
    bar = progress_ticks(len(questions), len(have), pipeline.name, options.progress)
    with RowWriter(results) as writer, bar as tick:
        for q in todo:
            row = evaluate_question(
                pipeline,
                q,
                gold,
                key=key,
                retrieval_only=options.retrieval_only,
                without_gold=options.without_gold and withhold,
                with_choices=options.with_choices,
                judge=judge,
            )
            writer.write(row)
            rows.append(row)
            tick()
    order = {q.id: i for i, q in enumerate(questions)}
    rows.sort(key=lambda r: order.get(r["id"], len(order)))
    return rows, len(have)


@dataclass(frozen=True)
class _Plan:
    """A run's resolved inputs: settings, questions, name, and the options that change its results."""

    options: EvalOptions
    settings: Settings
    questions: list[Question]
    questions_file: Path | None
    name: str
    mode: str
    recorded: dict[str, Any]  # the options that change results, as run.json records them
    key: str


def _load(
    questions: Path | str | Sequence[Question], options: EvalOptions
) -> tuple[Path | None, list[Question]]:
    limit = options.limit
    qpath: Path | None = None
    if isinstance(questions, (str, Path)):
        qpath = Path(questions)
        qs = load_questions(qpath, limit=limit)
    else:
        qs = list(questions)[:limit] if limit else list(questions)
        if not qs:
            raise InputError("<questions>", "no questions to evaluate")
    if options.without_dates:
        qs = [replace(q, as_of=None) for q in qs]
    return qpath, qs


def _run_name(options: EvalOptions, qpath: Path | None, mode: str) -> str:
    name = options.name
    if name is None:
        name = f"{slug(qpath.stem if qpath else 'questions', 30)}-{mode}" + (
            "-without-gold" if options.without_gold else ""
        )
        name += "-without-dates" if options.without_dates else ""
    return slug(name, 80)


def _plan(
    questions: Path | str | Sequence[Question],
    options: EvalOptions,
    base: Settings | None,
    chat_model: Any | None,
) -> _Plan:
    settings = options.settings(base)
    qpath, qs = _load(questions, options)
    mode = "retrieval" if options.retrieval_only else settings.llm.backend
    recorded = {
        "retrieval_only": options.retrieval_only,
        "without_gold": options.without_gold,
        "without_dates": options.without_dates,
        "with_choices": options.with_choices,
        "judge": [options.judge_url, options.judge_model] if options.judge_url else None,
        "baseline": options.baseline,
        "store": [settings.chroma_url, settings.collection],
        "chat_model": type(chat_model).__name__ if chat_model is not None else None,
    }
    name = _run_name(options, qpath, mode)
    return _Plan(options, settings, qs, qpath, name, mode, recorded, run_key(settings, recorded))


def _start(plan: _Plan) -> tuple[Path, dict[str, Any]]:
    """The run folder (an existing or resumable one, else a new one) and its ``run.json``, written."""
    root = plan.settings.home / "eval-runs"
    if plan.options.out is not None:
        run_dir = Path(plan.options.out)
    else:
        run_dir = (
            find_resumable(root, plan.name, plan.key) or root / f"{datetime.now():%Y%m%d-%H%M%S}-{plan.name}"
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    meta_path = run_dir / RUN_META
    old_meta = read_json(meta_path) if meta_path.exists() else {}
    corpus = plan.options.corpus_path
    meta: dict[str, Any] = {
        "name": plan.name,
        "questions_file": str(plan.questions_file) if plan.questions_file else None,
        "questions": len(plan.questions),
        "corpus": str(corpus) if corpus else None,
        "limit": plan.options.limit,
        "mode": plan.mode,
        **plan.recorded,
        "baselines": [plan.options.baseline] if plan.options.baseline else [],
        "run_key": plan.key,
        "settings": plan.settings.model_dump(mode="json"),
        "started": old_meta.get("started") if old_meta.get("run_key") == plan.key else None,
        "status": "running",
    }
    meta["started"] = meta["started"] or datetime.now().isoformat(timespec="seconds")
    write_json(meta_path, meta)
    log.info("eval run folder: %s", run_dir)
    return run_dir, meta


def _gold(plan: _Plan, pipeline: NewsragPipeline, meta: dict[str, Any], meta_path: Path) -> GoldIndex:
    """Ingest the corpus (if any) and index the store's articles for matching gold."""
    corpus = plan.options.corpus_path
    if corpus is not None:
        meta["ingest"] = ingest_corpus(corpus, pipeline.store, plan.settings, progress=plan.options.progress)
        write_json(meta_path, meta)
    infos = pipeline.store.articles(refresh=True)
    if not infos:
        from rag import EmptyStoreError

        raise EmptyStoreError(plan.settings.collection)
    texts = article_texts(pipeline.store) if plan.options.without_gold else None
    gold = GoldIndex(infos, texts)
    missing = sum(1 for q in plan.questions if q.has_gold and not gold.resolve(q).ids)
    if missing:
        log.warning("%d question(s) name gold articles the store does not hold", missing)
    return gold


def _judge(options: EvalOptions) -> Judge | None:
    if not options.judge_url:
        return None
    from eval.judge import Judge

    return Judge(options.judge_url, model=options.judge_model)


def _measure_baseline(
    plan: _Plan, pipeline: NewsragPipeline, gold: GoldIndex, run_dir: Path, name: str, chat_model: Any | None
) -> list[dict[str, Any]]:
    """The baseline's rows on the same questions (no judge, gold never withheld)."""
    if name == "single":  # newsrag's own generator, one search a question
        model = chat_model
    else:
        model = None if plan.options.retrieval_only else _bundled_model(pipeline)
    base = build_baseline(name, plan.options.corpus_path, plan.settings, chat_model=model)
    try:
        rows, _ = _run_pipeline(
            base, plan, gold, run_dir / baseline_results(name), judge=None, withhold=False
        )
    finally:
        base.close()
    return rows


def _measure(
    plan: _Plan, run_dir: Path, meta: dict[str, Any], chat_model: Any | None
) -> tuple[list[dict[str, Any]], int, dict[str, list[dict[str, Any]]]]:
    """Newsrag's rows, how many were resumed, and the baseline's rows; ``run.json`` says if interrupted."""
    meta_path = run_dir / RUN_META
    rag = build_newsrag(plan.settings, chat_model=chat_model)
    pipeline = NewsragPipeline(rag, answers=not plan.options.retrieval_only)
    judge = _judge(plan.options)
    baselines: dict[str, list[dict[str, Any]]] = {}
    try:
        gold = _gold(plan, pipeline, meta, meta_path)
        rows, resumed = _run_pipeline(pipeline, plan, gold, run_dir / RESULTS, judge=judge, withhold=True)
        if plan.options.baseline:
            name = plan.options.baseline
            baselines[name] = _measure_baseline(plan, pipeline, gold, run_dir, name, chat_model)
    except KeyboardInterrupt:
        meta["status"] = "interrupted"
        write_json(meta_path, meta)
        raise
    finally:
        pipeline.close()
    return rows, resumed, baselines


def run_eval(
    questions: Path | str | Sequence[Question],
    options: EvalOptions | None = None,
    *,
    settings: Settings | None = None,
    chat_model: Any | None = None,
) -> EvalRun:
    """Evaluate newsrag on a question set; write the run folder and return the run.

    Args:
        questions: a ``.jsonl``/``.json``/``.csv`` question file, or questions already loaded.
        options: how to run it (see :class:`EvalOptions`; default: score answers on the current store).
        settings: base settings (default: the usual sources: ``newsrag.toml``, ``NEWSRAG_*``).
        chat_model: a LangChain chat model to answer with instead of the backend's (tests use
            ``GenericFakeChatModel``).

    Raises:
        InputError: unreadable questions or corpus. ConfigError: a bad setting or option.
        EmptyStoreError: nothing to search. ModelError/StoreError: the run stops (rows so far are kept).
    """
    plan = _plan(questions, options or EvalOptions(), settings, chat_model)
    run_dir, meta = _start(plan)
    rows, resumed, baselines = _measure(plan, run_dir, meta, chat_model)
    summary = summarize(rows, baselines)
    meta["status"] = "complete"
    meta["finished"] = datetime.now().isoformat(timespec="seconds")
    write_json(run_dir / SUMMARY, summary)
    write_json(run_dir / RUN_META, meta)
    run = EvalRun(
        dir=run_dir,
        name=plan.name,
        summary=summary,
        rows=rows,
        meta=meta,
        baselines=baselines,
        resumed=resumed,
    )
    from eval.report import write_reports

    write_reports(run)
    return run


def _bundled_model(pipeline: Pipeline) -> Any | None:
    """The bundled local chat model newsrag runs (None, with a warning, where it is not installed)."""
    try:
        return pipeline.rag.chat_model("local") if isinstance(pipeline, NewsragPipeline) else None
    except ModelError as exc:
        log.warning("the tutorial baseline is measured on retrieval only: %s", exc)
        return None


def build_baseline(name: str, corpus: Path | None, settings: Settings, chat_model: Any | None = None) -> Any:
    """A baseline pipeline over the same corpus (see :data:`BASELINES`), answering with ``chat_model``."""
    if name == "tutorial":
        from eval.tutorial import TutorialPipeline

        if corpus is None:
            raise ConfigError("--baseline tutorial needs --corpus (it indexes the corpus its own way)")
        return TutorialPipeline.build(corpus, settings.home, chat_model=chat_model)
    if name == "single":
        single = NewsragPipeline(
            build_newsrag(settings.with_overrides({"retrieval.decompose": False}), chat_model)
        )
        single.name = "single"
        return single
    raise ConfigError(f"unknown baseline {name!r}")
