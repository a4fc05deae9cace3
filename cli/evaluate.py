"""CLI group ``newsrag eval``: run a question set, compare runs, re-render a run's reports.

``newsrag eval QUESTIONS ...`` is short for ``newsrag eval run QUESTIONS ...``: the group forwards
anything that is not one of its command names to ``run``.

Exit codes: 0 done; 1 the run failed (store, model, LLM server) or some questions errored;
2 usage errors (bad options, settings, question or corpus files).
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from cli._options import BackendOpt, JsonOpt, ProgressOpt, Where, fail, where_flags

if TYPE_CHECKING:
    from eval.harness import EvalRun

__all__ = ["eval_app", "register"]


class _DefaultRunGroup(TyperGroup):
    """A group whose unknown first argument (a question file, an option) means the ``run`` command."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # click's or typer's Context
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


eval_app = typer.Typer(
    name="eval",
    cls=_DefaultRunGroup,
    no_args_is_help=True,
    help="Evaluate retrieval and answers on a question set: `newsrag eval QUESTIONS [OPTIONS]` "
    "(same as `newsrag eval run`), `newsrag eval compare RUN_A RUN_B`.",
    pretty_exceptions_enable=False,
)


def _print_summary(run: EvalRun) -> None:
    from rich.console import Console
    from rich.table import Table

    from eval.report import latency_table, metrics_table, systems_of

    console = Console()
    summaries = systems_of(run)
    table = Table(title=f"eval {run.name}", title_justify="left")
    table.add_column("metric")
    for name in summaries:
        table.add_column(name, justify="right")
    for row in metrics_table(summaries):
        table.add_row(*row)
    console.print(table)
    lat = latency_table(summaries)
    if lat:
        lt = Table(title="latency (ms)", title_justify="left")
        for col in ("system", "stage", "p50", "p95"):
            lt.add_column(col, justify="left" if col in ("system", "stage") else "right")
        for row in lat:
            lt.add_row(*row)
        console.print(lt)
    if run.resumed:
        console.print(f"resumed: {run.resumed} question(s) taken over from the interrupted run")
    console.print(f"run folder: {run.dir}")
    console.print(f"report:     {run.report_html}")


# Long by declaration, not by logic: typer reads each of the ~20 options from this signature, and
# the body only builds EvalOptions and reports the outcome.
@eval_app.command("run")
@where_flags()
def run_command(
    questions: Annotated[Path, typer.Argument(help="Question set: .jsonl, .json or .csv.")],
    corpus: Annotated[
        Path | None,
        typer.Option("--corpus", help="Ingest this file/folder first (into its own eval collection)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Run folder (default <home>/eval-runs/<time>-<name>); an existing one resumes."
        ),
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Run name (default: questions + mode).")] = None,
    retrieval_only: Annotated[
        bool, typer.Option("--retrieval-only", help="Score retrieval only; no generation.")
    ] = False,
    without_gold: Annotated[
        bool,
        typer.Option(
            "--without-gold",
            help="Withhold each question's gold articles and all articles containing its answers: "
            "the right behaviour is to abstain.",
        ),
    ] = False,
    without_dates: Annotated[
        bool,
        typer.Option(
            "--without-dates",
            help="Ask each question without its date (no as-of), as typed in the chat.",
        ),
    ] = False,
    k: Annotated[
        int | None, typer.Option("--k", help="Passages given to the generator (retrieval.k).")
    ] = None,
    backend: BackendOpt = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N questions.")] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a setting: KEY=VALUE, e.g. --set retrieval.k=8 (repeatable)."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="A TOML file of settings applied on top of the defaults.")
    ] = None,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline",
            help="Also measure a baseline on the same corpus, retrieval and (unless --retrieval-only) "
            "answers: tutorial (by the bundled model), or single (newsrag with one search a question).",
        ),
    ] = None,
    judge_url: Annotated[
        str | None, typer.Option("--judge-url", help="OpenAI-compatible server of an LLM judge (optional).")
    ] = None,
    judge_model: Annotated[str | None, typer.Option("--judge-model", help="The judge's model name.")] = None,
    with_choices: Annotated[
        bool, typer.Option("--with-choices", help="Add multiple-choice options to the question asked.")
    ] = False,
    progress: ProgressOpt = True,
    as_json: JsonOpt = False,
    *,
    where: Where,
) -> None:
    """Run QUESTIONS through newsrag; write per-question JSONL, summary.json, report.md and report.html."""
    from eval.harness import EvalOptions, parse_set, run_eval
    from rag import ConfigError, InputError, NewsragError

    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    settings = where.settings()
    try:
        options = EvalOptions(
            config=config,
            overrides=parse_set(set_ or []),
            corpus=corpus,
            out=out,
            name=name,
            retrieval_only=retrieval_only,
            without_gold=without_gold,
            without_dates=without_dates,
            k=k,
            backend=backend,
            limit=limit,
            baseline=baseline,
            judge_url=judge_url,
            judge_model=judge_model,
            with_choices=with_choices,
            progress=progress,
        )
        run = run_eval(questions, options, settings=settings)
    except (ConfigError, InputError) as exc:
        raise fail(str(exc), 2) from exc
    except NewsragError as exc:
        raise fail(f"{exc} (rows so far are kept: run the same command again to resume)", 1) from exc
    except KeyboardInterrupt as exc:
        raise fail("interrupted: run the same command again to resume", 130) from exc
    if as_json:
        typer.echo(json.dumps(run.summary, ensure_ascii=False))
    else:
        _print_summary(run)
    raise typer.Exit(1 if run.summary.get("errors") else 0)


@eval_app.command("compare")
def compare_command(
    runs: Annotated[
        list[Path], typer.Argument(help="Two or more run folders; deltas are against the first.")
    ],
    out: Annotated[
        Path | None, typer.Option("--out", help="Also write the comparison as Markdown here.")
    ] = None,
    max_questions: Annotated[int, typer.Option("--max-questions", help="Changed questions to list.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Metrics of runs side by side with deltas, and the questions whose outcome changed."""
    from eval.compare import compare_runs, render_compare_markdown
    from rag import NewsragError

    try:
        cmp = compare_runs(*runs)
    except NewsragError as exc:
        raise fail(str(exc), 2) from exc
    text = render_compare_markdown(cmp, max_questions=max_questions)
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(cmp, ensure_ascii=False, default=str))
    else:
        typer.echo(text)


@eval_app.command("report")
def report_command(
    run_dir: Annotated[Path, typer.Argument(help="A run folder.")],
    as_json: JsonOpt = False,
) -> None:
    """Write a run's report.md and report.html again (e.g. for an interrupted run)."""
    from eval.harness import load_run
    from eval.report import write_reports
    from rag import NewsragError

    try:
        run = load_run(run_dir)
    except NewsragError as exc:
        raise fail(str(exc), 2) from exc
    md, page = write_reports(run)
    if as_json:
        typer.echo(json.dumps(run.summary, ensure_ascii=False))
    else:
        typer.echo(f"{md}\n{page}")


def register(app: typer.Typer) -> None:
    """Add the ``eval`` group to the ``newsrag`` app."""
    app.add_typer(eval_app, name="eval")
