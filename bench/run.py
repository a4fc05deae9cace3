"""``python -m bench``: the embedding limit, the LangChain tutorial baseline, newsrag's ingest,
queries (retrieval only and end to end) and growth, in one process on one machine state.

Writes ``<out>/latest.json`` and ``<out>/latest.md`` (default ``bench/results/``) after every step,
and prints the table at the end. Ratios within one run are what to read: absolute figures move with
whatever else the machine is doing.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from bench import _data
from bench._measure import REPO, self_peak_rss_mb
from cli._env import set_env_defaults

log = logging.getLogger("bench")

GROUPS = {
    "ingest": ("limit", "baseline", "newsrag"),
    "queries": ("retrieval", "e2e"),
    "growth": ("growth",),
}
STEPS = ("limit", "baseline", "newsrag", "retrieval", "e2e", "growth", "stories")


def _steps(only: str | None) -> list[str]:
    if not only:
        return list(STEPS)
    wanted: list[str] = []
    for name in (s.strip() for s in only.split(",") if s.strip()):
        if name in GROUPS:
            wanted.extend(GROUPS[name])
        elif name in STEPS:
            wanted.append(name)
        else:
            raise SystemExit(f"--only: unknown step {name!r} (use {', '.join([*GROUPS, *STEPS])})")
    return [s for s in STEPS if s in wanted]


@dataclass(frozen=True)
class BenchArgs:
    """What ``python -m bench`` was asked (see its ``--help``)."""

    corpus: Path
    growth_corpus: Path
    questions: Path
    out: Path
    only: str | None
    quick: bool
    max_questions: int | None
    e2e_questions: int
    backends: str | None
    limit_backends: str | None
    backend: str | None
    render: Path | None
    work: Path | None
    models_home: Path | None


def _meta(args: BenchArgs, steps: list[str], backend: str, backends: list[str]) -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "commit": commit,
        "cores": len(os.sched_getaffinity(0)),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "steps": steps,
        "quick": args.quick,
        "default_backend": backend,
        "backends": backends,
    }


def _names(value: str | None) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in (value or "").split(",") if v.strip()))


class Bench:
    """One run: the arguments, where things go, and the results written as they come."""

    def __init__(self, args: BenchArgs) -> None:
        from rag import Settings, default_home

        self.args = args
        self.steps = _steps(args.only)
        self.out: Path = args.out
        self.work: Path = args.work or self.out / "work"
        self.models_home: Path = args.models_home or default_home()
        self.backend: str = args.backend or Settings().embedding_backend
        self.backends = _names(args.backends) or [self.backend]
        self.limit_backends = _names(args.limit_backends) or list(dict.fromkeys(["torch", self.backend]))
        self.out.mkdir(parents=True, exist_ok=True)
        self.work.mkdir(parents=True, exist_ok=True)
        self.results: dict[str, Any] = {"meta": _meta(args, self.steps, self.backend, self.backends)}
        self.results["meta"]["limit_backends"] = self.limit_backends
        self.results["notes"] = []
        self._inputs()

    def _inputs(self) -> None:
        args = self.args
        limit = args.max_questions if args.max_questions is not None else (10 if args.quick else None)
        self.questions = _data.load_questions(args.questions, limit)
        self.corpus: Path = args.corpus
        self.growth_corpus: Path = args.growth_corpus
        if args.quick:
            self.corpus = _data.make_quick_corpus(
                args.corpus, self.questions, 40, self.work / "quick-corpus.jsonl"
            )
            self.growth_corpus = _data.make_quick_corpus(
                args.growth_corpus, self.questions, 100, self.work / "quick-growth.jsonl"
            )
        meta = self.results["meta"]
        meta.update(
            corpus=str(self.corpus),
            corpus_articles=_data.count_lines(self.corpus),
            questions=len(self.questions),
        )
        if "growth" in self.steps:
            meta.update(
                growth_corpus=str(self.growth_corpus), growth_articles=_data.count_lines(self.growth_corpus)
            )

    def save(self) -> None:
        from bench.report import markdown, targets

        self.results["meta"]["bench_peak_rss_mb"] = round(self_peak_rss_mb(), 1)
        self.results["targets"] = targets(self.results)
        tmp = self.out / "latest.json.tmp"
        tmp.write_text(json.dumps(self.results, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
        tmp.replace(self.out / "latest.json")
        (self.out / "latest.md").write_text(markdown(self.results), encoding="utf-8")

    def step(self, key: str | tuple[str, str], fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run one step, keep its result under ``key`` (a name, or a section and a name), save."""
        name = key if isinstance(key, str) else "-".join(key)
        log.info("step %s ...", name)
        start = time.perf_counter()
        value = fn(*args, **kwargs)
        self.results.setdefault("step_seconds", {})[name] = round(time.perf_counter() - start, 1)
        if isinstance(key, str):
            self.results[key] = value
        else:
            self.results.setdefault(key[0], {})[key[1]] = value
        self.save()
        return value

    def run(self) -> dict[str, Any]:
        from bench import ingest_steps as ing
        from bench import query_steps as qs

        r = self.results
        if "limit" in self.steps:
            self.step("limit", ing.embedding_limit, self.corpus, self.limit_backends, self.models_home)
        if "baseline" in self.steps:
            try:
                import langchain_huggingface  # noqa: F401
            except ImportError:
                r["baseline"] = {
                    "skipped": "langchain-huggingface is not installed (pip install -e '.[bench]')"
                }
            else:
                self.step("baseline", ing.tutorial_baseline, self.corpus, self.questions, self.work)
        if "newsrag" in self.steps:
            for b in self.backends:
                done = self.step(
                    ("ingest", b), ing.newsrag_ingest, self.corpus, b, self.work, self.models_home
                )
                self.step(
                    ("quality", b), ing.dense_quality, Path(done["home"]), b, self.models_home, self.questions
                )
        home = ing.store_home(self.work, self.corpus, self.backend)
        if (
            "retrieval" in self.steps or "e2e" in self.steps or "growth" in self.steps
        ) and self.backend not in r.get("ingest", {}):
            self._ensure_store(self.corpus, home)
        if "retrieval" in self.steps or "growth" in self.steps:
            self.step("queries", qs.retrieval, home, self.backend, self.models_home, self.questions)
        if "e2e" in self.steps:
            asked = self.questions[: max(0, self.args.e2e_questions)]
            self.step("e2e", qs.end_to_end, home, self.backend, self.models_home, asked)
        if "growth" in self.steps:
            grown = self.step(
                "growth",
                ing.newsrag_ingest,
                self.growth_corpus,
                self.backend,
                self.work,
                self.models_home,
                cli=True,
            )
            self.step(
                "growth_queries",
                qs.retrieval,
                Path(grown["home"]),
                self.backend,
                self.models_home,
                self.questions,
            )
        if "stories" in self.steps:  # timelines and briefings over the large corpus (bench/stories.py)
            from bench.stories import story_speed

            grown_home = ing.store_home(self.work, self.growth_corpus, self.backend)
            self._ensure_store(self.growth_corpus, grown_home)
            model = "local" if self.args.e2e_questions else None  # --e2e-questions 0: no local model
            self.step("stories", story_speed, grown_home, models_home=self.models_home, backend=model)
        self.save()
        return r

    def _ensure_store(self, corpus: Path, home: Path) -> None:
        """A complete store of ``corpus`` for the queries (ingest is idempotent: cheap when present)."""
        from bench.ingest_steps import _library_ingest

        if not home.exists():
            home.mkdir(parents=True)
        log.info("making sure %s holds %s", home, corpus.name)
        done = _library_ingest(corpus, home, self.backend, self.models_home)
        self.results["notes"].append(
            f"queries ran on the store in {home} (ingest checked it: {done['added']} added, "
            f"{done['unchanged']} unchanged)"
        )


app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


# Long by declaration: typer reads each option from this signature; the body builds BenchArgs.
@app.command(help=__doc__.split("\n\n")[0])
def bench_command(
    only: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated steps or groups: ingest (= limit,baseline,newsrag), queries "
            "(= retrieval,e2e), growth, stories; default: all."
        ),
    ] = None,
    quick: Annotated[
        bool,
        typer.Option(
            "--quick", envvar="BENCH_QUICK", help="A small sample of the corpora and few questions."
        ),
    ] = False,
    corpus: Annotated[Path, typer.Option(help="The 1,000-article corpus (JSONL).")] = _data.CORPUS_1K,
    growth_corpus: Annotated[Path, typer.Option(help="The large corpus (JSONL).")] = _data.CORPUS_FULL,
    questions: Annotated[Path, typer.Option(help="Dev questions (JSONL).")] = _data.QUESTIONS,
    max_questions: Annotated[int | None, typer.Option(help="Ask at most this many questions.")] = None,
    e2e_questions: Annotated[
        int,
        typer.Option(
            envvar="BENCH_E2E_QUESTIONS", help="Questions answered end to end with the local model (0 skips)."
        ),
    ] = 12,
    backends: Annotated[
        str | None,
        typer.Option(
            help="Embedding backends newsrag ingests with, each scored on the questions (default: the "
            "default backend; e.g. torch,onnx,onnx-int8 to compare them)."
        ),
    ] = None,
    limit_backends: Annotated[
        str | None,
        typer.Option(
            help="Embedding backends timed alone in the limit step (default: torch and the default)."
        ),
    ] = None,
    backend: Annotated[
        str | None, typer.Option(help="The backend for queries and growth (default: the settings' default).")
    ] = None,
    render: Annotated[
        Path | None, typer.Option(help="Only re-render the table of a results JSON and exit.")
    ] = None,
    out: Annotated[Path, typer.Option(help="Where results are written.")] = REPO / "bench" / "results",
    work: Annotated[Path | None, typer.Option(help="Stores and samples (default: <out>/work).")] = None,
    models_home: Annotated[
        Path | None,
        typer.Option(help="Cache of exported/assembled models (default: NEWSRAG_HOME or .newsrag)."),
    ] = None,
) -> None:
    args = BenchArgs(
        corpus=corpus,
        growth_corpus=growth_corpus,
        questions=questions,
        out=out,
        only=only,
        quick=quick,
        max_questions=max_questions,
        e2e_questions=e2e_questions,
        backends=backends,
        limit_backends=limit_backends,
        backend=backend,
        render=render,
        work=work,
        models_home=models_home,
    )
    raise typer.Exit(run(args))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bench`` with ``argv`` (default: the command line); its exit code."""
    code = app(args=argv, prog_name="python -m bench", standalone_mode=False)
    return code if isinstance(code, int) else 0


def run(args: BenchArgs) -> int:
    """Run the benchmark ``args`` ask for (or only render a results file); the exit code."""
    set_env_defaults()
    if args.render:
        from bench.report import markdown, targets

        results = json.loads(args.render.read_text(encoding="utf-8"))
        results["targets"] = targets(results)
        print(markdown(results))
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    for noisy in ("httpx", "chromadb", "sentence_transformers"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for path in (args.corpus, args.questions) + (
        (args.growth_corpus,) if "growth" in _steps(args.only) else ()
    ):
        if not path.exists():
            log.error("missing input %s (the shared data is expected at %s)", path, _data.DATA)
            return 2
    bench = Bench(args)
    try:
        bench.run()
    finally:
        if args.quick and args.work is None:
            shutil.rmtree(bench.work, ignore_errors=True)
    from bench.report import markdown

    print(markdown(bench.results))
    log.info("wrote %s and %s", bench.out / "latest.json", bench.out / "latest.md")
    return 0
