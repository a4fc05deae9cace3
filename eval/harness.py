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
    >>> run = run_eval("questions.jsonl", corpus="corpus.jsonl", retrieval_only=True)  # doctest: +SKIP
    >>> run.summary["hit@4"]  # doctest: +SKIP
    0.93
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eval._gold import GoldIndex
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
from eval.metrics import aggregate, question_scores
from eval.pipelines import NewsragPipeline, Pipeline, article_texts, build_newsrag
from eval.questions import Question, load_questions
from rag import ConfigError, InputError, ModelError, NewsragError, Settings, StoreError

if TYPE_CHECKING:
    from eval.judge import Judge
    from rag import NewsStore

log = logging.getLogger(__name__)

__all__ = [
    "BASELINES",
    "EvalRun",
    "evaluate_question",
    "load_run",
    "parse_set",
    "run_eval",
    "settings_for_eval",
    "summarize",
]

BASELINES = ("tutorial",)
"""Baseline pipelines ``run_eval(baseline=...)`` can measure beside newsrag on the same questions."""

RANK_DEPTH = 10
"""Retrieval metrics look at the first 10 distinct articles (hit@10, recall@10, MRR@10, nDCG@10)."""


# --------------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------------


def parse_set(items: Sequence[str]) -> dict[str, Any]:
    """``["retrieval.k=8", "llm.backend=extractive"]`` -> ``{"retrieval.k": 8, "llm.backend": "extractive"}``.

    Values are read as JSON when they parse (numbers, true/false, null, lists), else as strings.

    Raises:
        ConfigError: an item has no ``=``.
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects KEY=VALUE (e.g. retrieval.k=8), got {item!r}")
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out[key.strip()] = value
    return out


def settings_for_eval(
    settings: Settings | None = None,
    *,
    config: Path | str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """The settings of a run: ``settings`` (or the usual sources), a TOML file on top, then ``--set`` values.

    Raises:
        ConfigError: the file is unreadable or a key or value is invalid.
    """
    import tomllib

    from pydantic import ValidationError

    try:
        if config is not None:
            path = Path(config)
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"cannot read the config file {path}: {exc}") from exc
            base = settings or Settings()
            settings = base.with_overrides(_flatten(data))
        settings = settings or Settings()
        if overrides:
            settings = settings.with_overrides(dict(overrides))
    except KeyError as exc:
        raise ConfigError(f"{exc.args[0]}: see `newsrag config` or rag/settings.py for the keys") from exc
    except ValidationError as exc:
        raise ConfigError(f"invalid setting: {exc}") from exc
    return settings


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, dotted + "."))
        else:
            out[dotted] = value
    return out


def _slug(text: str, n: int = 40) -> str:
    return re.sub(r"[^a-zA-Z0-9._-]+", "-", text).strip("-._")[:n] or "run"


def corpus_collection(corpus: Path, settings: Settings) -> str:
    """The collection a corpus is ingested into for evaluation: named after the file and chunking.

    Chunking and the embedding backend change what is stored, so each combination gets its own
    collection; re-running with the same ones reuses it (ingest skips unchanged articles).
    """
    key = json.dumps(
        {"chunk": settings.chunk.model_dump(mode="json"), "embedding": settings.embedding_backend},
        sort_keys=True,
    )
    digest = hashlib.sha1(key.encode()).hexdigest()[:8]
    return f"eval-{_slug(corpus.stem, 40)}-{digest}"


def run_key(settings: Settings, options: Mapping[str, Any]) -> str:
    """A hash of everything that changes a run's results (not where its files live)."""
    data = settings.model_dump(mode="json", exclude={"home", "ui"})
    blob = json.dumps({"settings": data, "options": dict(options)}, sort_keys=True, default=str)
    return hashlib.sha1(blob.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------------------------------
# Runs
# --------------------------------------------------------------------------------------------------


@dataclass
class EvalRun:
    """A finished (or loaded) run: its folder, summary and per-question rows."""

    dir: Path
    name: str
    summary: dict[str, Any]
    rows: list[dict[str, Any]]
    meta: dict[str, Any] = field(default_factory=dict)
    baselines: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    resumed: int = 0  # rows taken over from an interrupted run

    @property
    def report_html(self) -> Path:
        return self.dir / "report.html"

    @property
    def report_md(self) -> Path:
        return self.dir / "report.md"


def load_run(path: Path | str) -> EvalRun:
    """A run folder as written by :func:`run_eval` (its summary is recomputed if it was interrupted).

    Raises:
        InputError: the folder holds no run.
    """
    path = Path(path)
    if path.is_file() and path.name in (SUMMARY, RESULTS, RUN_META):
        path = path.parent
    meta_path = path / RUN_META
    if not meta_path.exists():
        raise InputError(str(path), f"not an eval run folder (no {RUN_META})")
    meta = read_json(meta_path)
    rows, _ = read_rows(path / RESULTS, meta.get("run_key"))
    baselines = {}
    for name in meta.get("baselines", []):
        brows, _ = read_rows(path / baseline_results(name), meta.get("run_key"))
        baselines[name] = brows
    if (path / SUMMARY).exists() and meta.get("status") == "complete":
        summary = read_json(path / SUMMARY)
    else:
        summary = summarize(rows, baselines)
    return EvalRun(
        dir=path,
        name=str(meta.get("name", path.name)),
        summary=summary,
        rows=rows,
        meta=meta,
        baselines=baselines,
    )


def summarize(
    rows: Sequence[Mapping[str, Any]], baselines: Mapping[str, Sequence[Mapping[str, Any]]] | None = None
) -> dict[str, Any]:
    """The summary JSON of a run's rows: ``eval.metrics.aggregate`` plus judge, error and baseline counts."""
    ok = [r for r in rows if not r.get("error")]
    summary = aggregate([to_result(r) for r in ok])
    summary["questions"] = len(rows)
    judged = [r["judge_correct"] for r in ok if r.get("judge_correct") is not None]
    if judged:
        summary["judge_accuracy"] = sum(1.0 for j in judged if j) / len(judged)
    errors = len(rows) - len(ok)
    if errors:
        summary["errors"] = errors
    if baselines:
        summary["baselines"] = {name: summarize(brows) for name, brows in baselines.items()}
    return summary


def _find_resumable(root: Path, name: str, key: str) -> Path | None:
    if not root.is_dir():
        return None
    candidates = sorted((p for p in root.glob(f"*-{name}") if (p / RUN_META).exists()), reverse=True)
    for path in candidates:
        try:
            meta = read_json(path / RUN_META)
        except (OSError, ValueError):
            continue
        if meta.get("run_key") == key and meta.get("status") != "complete" and meta.get("name") == name:
            return path
    return None


def _bar(desc: str, unit: str, enabled: bool) -> Any:
    """A rich progress bar on stderr (not started), or None when disabled."""
    if not enabled:
        return None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn(desc),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit + "{task.fields[extra]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )


@contextmanager
def _progress(total: int, initial: int, desc: str, enabled: bool) -> Iterator[Callable[[], None]]:
    bar = _bar(desc, "questions", enabled)
    if bar is None:
        yield lambda: None
        return
    with bar:
        task = bar.add_task(desc, total=total, completed=initial, extra="")
        yield lambda: bar.advance(task)


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
    questions: Sequence[Question],
    gold: GoldIndex,
    results: Path,
    *,
    key: str,
    retrieval_only: bool,
    without_gold: bool,
    with_choices: bool,
    judge: Judge | None,
    progress: bool,
) -> tuple[list[dict[str, Any]], int]:
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
    with RowWriter(results) as writer, _progress(len(questions), len(have), pipeline.name, progress) as tick:
        for q in todo:
            row = evaluate_question(
                pipeline,
                q,
                gold,
                key=key,
                retrieval_only=retrieval_only,
                without_gold=without_gold,
                with_choices=with_choices,
                judge=judge,
            )
            writer.write(row)
            rows.append(row)
            tick()
    order = {q.id: i for i, q in enumerate(questions)}
    rows.sort(key=lambda r: order.get(r["id"], len(order)))
    return rows, len(have)


def ingest_corpus(
    corpus: Path, store: NewsStore, settings: Settings, progress: bool = False
) -> dict[str, Any]:
    """Ingest (or bring up to date) the corpus into ``store``; the ingest report as a dict."""
    from ingest.pipeline import IngestOptions, ingest

    if not corpus.exists():
        raise InputError(str(corpus), "no such corpus file or folder")
    from ingest import count_inputs

    bar = _bar("ingest", "articles", progress)
    total = count_inputs([str(corpus)], settings.ingest.max_file_mb) if bar is not None else None
    task = bar.add_task("ingest", total=total, extra="") if bar is not None else None

    def tick(p: Any) -> None:
        if bar is not None:
            bar.update(task, completed=p.articles, extra=f", {p.chunks} chunks")

    options = IngestOptions.from_settings(settings, prune=True)
    if bar is None:
        report = ingest([corpus], store, options=options, progress=tick)
    else:
        with bar:
            report = ingest([corpus], store, options=options, progress=tick)
    if report.failed:
        log.warning(
            "%d input(s) of the corpus failed to ingest, e.g. %s", len(report.failed), report.failed[0]
        )
    data: dict[str, Any] = report.to_dict()
    return data


def run_eval(
    questions: Path | str | Sequence[Question],
    *,
    settings: Settings | None = None,
    config: Path | str | None = None,
    overrides: Mapping[str, Any] | None = None,
    corpus: Path | str | None = None,
    out: Path | str | None = None,
    name: str | None = None,
    retrieval_only: bool = False,
    without_gold: bool = False,
    without_dates: bool = False,
    k: int | None = None,
    backend: str | None = None,
    limit: int | None = None,
    baseline: str | None = None,
    judge_url: str | None = None,
    judge_model: str | None = None,
    with_choices: bool = False,
    progress: bool = False,
    chat_model: Any | None = None,
) -> EvalRun:
    """Evaluate newsrag on a question set; write the run folder and return the run.

    Args:
        questions: a ``.jsonl``/``.json``/``.csv`` question file, or questions already loaded.
        settings: base settings (default: the usual sources: ``newsrag.toml``, ``NEWSRAG_*``).
        config: a TOML file of settings applied on top.
        overrides: dotted settings, e.g. ``{"retrieval.k": 8}`` (``--set``).
        corpus: a file or folder to ingest first, into a collection of its own (reused by later runs);
            without it the current store is evaluated.
        out: the run folder (default ``<home>/eval-runs/<timestamp>-<name>``); an existing one resumes.
        name: the run's name (default: the question file's stem and the mode).
        retrieval_only: score retrieval only (no generation).
        without_gold: withhold each question's gold articles and every article containing one of its
            answers; every question becomes unanswerable, so the right behaviour is to abstain.
        without_dates: ask every question without its date (no ``as_of``), as a user who types
            it in the chat would.
        k: passages given to the generator (``retrieval.k``).
        backend: the generator (``llm.backend``: local, openai, extractive, auto).
        limit: only the first ``limit`` questions.
        baseline: also measure a baseline on the same corpus (``"tutorial"``): its retrieval and,
            unless ``retrieval_only``, its answers by the bundled local model.
        judge_url: an OpenAI-compatible server whose model judges answers (optional).
        judge_model: the judge's model name on that server.
        with_choices: add a multiple-choice question's options to the question asked.
        progress: show progress bars on stderr.
        chat_model: a LangChain chat model to answer with instead of the backend's (tests use
            ``GenericFakeChatModel``).

    Raises:
        InputError: unreadable questions or corpus. ConfigError: a bad setting or option.
        EmptyStoreError: nothing to search. ModelError/StoreError: the run stops (rows so far are kept).
    """
    if baseline is not None and baseline not in BASELINES:
        raise ConfigError(f"unknown baseline {baseline!r}: choose one of {', '.join(BASELINES)}")
    sets = dict(overrides or {})
    if k is not None:
        sets["retrieval.k"] = k
    if backend is not None:
        sets["llm.backend"] = backend
    settings = settings_for_eval(settings, config=config, overrides=sets)
    corpus_path = Path(corpus) if corpus is not None else None
    if corpus_path is not None:
        settings = settings.with_overrides({"collection": corpus_collection(corpus_path, settings)})

    qpath: Path | None = None
    if isinstance(questions, (str, Path)):
        qpath = Path(questions)
        qs = load_questions(qpath, limit=limit)
    else:
        qs = list(questions)[:limit] if limit else list(questions)
        if not qs:
            raise InputError("<questions>", "no questions to evaluate")

    if without_dates:
        qs = [replace(q, as_of=None) for q in qs]
    mode = "retrieval" if retrieval_only else settings.llm.backend
    if name is None:
        name = f"{_slug(qpath.stem if qpath else 'questions', 30)}-{mode}" + (
            "-without-gold" if without_gold else ""
        )
        name += "-without-dates" if without_dates else ""
    name = _slug(name, 80)
    options = {
        "retrieval_only": retrieval_only,
        "without_gold": without_gold,
        "without_dates": without_dates,
        "with_choices": with_choices,
        "judge": [judge_url, judge_model] if judge_url else None,
        "baseline": baseline,
        "store": [settings.chroma_url, settings.collection],
        "chat_model": type(chat_model).__name__ if chat_model is not None else None,
    }
    key = run_key(settings, options)

    root = settings.home / "eval-runs"
    if out is not None:
        run_dir = Path(out)
    else:
        run_dir = _find_resumable(root, name, key) or root / f"{datetime.now():%Y%m%d-%H%M%S}-{name}"
    run_dir.mkdir(parents=True, exist_ok=True)
    meta_path = run_dir / RUN_META
    old_meta = read_json(meta_path) if meta_path.exists() else {}
    meta: dict[str, Any] = {
        "name": name,
        "questions_file": str(qpath) if qpath else None,
        "questions": len(qs),
        "corpus": str(corpus_path) if corpus_path else None,
        "limit": limit,
        "mode": mode,
        **options,
        "baselines": [baseline] if baseline else [],
        "run_key": key,
        "settings": settings.model_dump(mode="json"),
        "started": old_meta.get("started") if old_meta.get("run_key") == key else None,
        "status": "running",
    }
    meta["started"] = meta["started"] or datetime.now().isoformat(timespec="seconds")
    write_json(meta_path, meta)
    log.info("eval run folder: %s", run_dir)

    rag = build_newsrag(settings, chat_model=chat_model)
    pipeline = NewsragPipeline(rag, answers=not retrieval_only)
    judge = None
    if judge_url:
        from eval.judge import Judge

        judge = Judge(judge_url, model=judge_model)
    baselines: dict[str, list[dict[str, Any]]] = {}
    resumed = 0
    try:
        if corpus_path is not None:
            meta["ingest"] = ingest_corpus(corpus_path, pipeline.store, settings, progress=progress)
            write_json(meta_path, meta)
        infos = pipeline.store.articles(refresh=True)
        if not infos:
            from rag import EmptyStoreError

            raise EmptyStoreError(settings.collection)
        texts = article_texts(pipeline.store) if without_gold else None
        gold = GoldIndex(infos, texts)
        missing = sum(1 for q in qs if q.has_gold and not gold.resolve(q).ids)
        if missing:
            log.warning("%d question(s) name gold articles the store does not hold", missing)

        def measure(system: Pipeline, path: Path, *, judge: Judge | None, withhold: bool) -> Any:
            return _run_pipeline(
                system,
                qs,
                gold,
                path,
                key=key,
                retrieval_only=retrieval_only,
                without_gold=without_gold and withhold,
                with_choices=with_choices,
                judge=judge,
                progress=progress,
            )

        rows, resumed = measure(pipeline, run_dir / RESULTS, judge=judge, withhold=True)
        if baseline:
            base = build_baseline(
                baseline,
                corpus_path,
                settings,
                chat_model=None if retrieval_only else _bundled_model(pipeline),
            )
            try:
                baselines[baseline], _ = measure(
                    base, run_dir / baseline_results(baseline), judge=None, withhold=False
                )
            finally:
                base.close()
    except KeyboardInterrupt:
        meta["status"] = "interrupted"
        write_json(meta_path, meta)
        raise
    finally:
        pipeline.close()

    summary = summarize(rows, baselines)
    meta["status"] = "complete"
    meta["finished"] = datetime.now().isoformat(timespec="seconds")
    write_json(run_dir / SUMMARY, summary)
    write_json(meta_path, meta)
    run = EvalRun(
        dir=run_dir, name=name, summary=summary, rows=rows, meta=meta, baselines=baselines, resumed=resumed
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
    raise ConfigError(f"unknown baseline {name!r}")
