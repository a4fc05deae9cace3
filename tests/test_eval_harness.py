"""The eval harness end to end on a tiny hand-made corpus: real store and embeddings, no real LLM."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eval import (
    EvalOptions,
    Judge,
    Question,
    compare_runs,
    load_run,
    render_compare_markdown,
    run_eval,
)
from eval._rows import read_rows
from rag.errors import ConfigError
from rag.settings import Settings

ARTICLES = [
    {
        "id": "tram-skopje",
        "url": "https://example.com/2022/06/10/skopje-tram",
        "title": "Skopje opens its first tram line",
        "published": "2022-06-10",
        "source": "example.com",
        "text": "Skopje opened its first modern tram line on Friday. The new line is 12 kilometres long and "
        "links the railway station with the eastern suburbs. The city council said the project cost 90 "
        "million euros, paid with a loan from the European Investment Bank. Trams will run every six "
        "minutes at peak hours.",
    },
    {
        "id": "squid-renewal",
        "url": "https://example.com/2022/06/12/squid-game-season-2",
        "title": "Netflix renews Squid Game for a second season",
        "published": "2022-06-12",
        "source": "example.com",
        "text": "Netflix has renewed Squid Game for a second season, the streaming service announced on "
        "Sunday. The South Korean survival drama became the most watched series in the platform's history "
        "last year. Creator Hwang Dong-hyuk said the lead character Gi-hun will return.",
    },
    {  # the same story under another id: stored once, this id kept as an alias
        "id": "squid-renewal-copy",
        "url": "https://other.example.org/squid-game-renewed",
        "title": "Netflix renews Squid Game for a second season",
        "published": "2022-06-12",
        "source": "other.example.org",
        "text": "Netflix has renewed Squid Game for a second season, the streaming service announced on "
        "Sunday. The South Korean survival drama became the most watched series in the platform's history "
        "last year. Creator Hwang Dong-hyuk said the lead character Gi-hun will return.",
    },
    {
        "id": "squid-review",
        "url": "https://example.com/2022/06/13/squid-game-review",
        "title": "Why audiences cannot stop watching Korean dramas",
        "published": "2022-06-13",
        "source": "example.com",
        "text": "Korean dramas keep climbing the streaming charts. Squid Game opened the door last year, and "
        "series such as Extraordinary Attorney Woo now draw viewers around the world.",
    },
    {
        "id": "charger-eu",
        "url": "https://news.example.net/2022/06/07/eu-common-charger/",
        "title": "EU agrees on a common charger for phones",
        "published": "2022-06-07",
        "source": "news.example.net",
        "text": "The European Union agreed on Tuesday that smartphones sold in Europe must support a common "
        "USB-C charging port by autumn 2024. Lawmakers said the rule will cut electronic waste. Apple, "
        "which uses its own Lightning connector, will have to change its iPhones for the European market.",
    },
    {
        "id": "heat-spain",
        "url": "https://example.com/2022/06/15/spain-heat",
        "title": "Spain swelters in an early heat wave",
        "published": "2022-06-15",
        "source": "example.com",
        "text": "Spain recorded temperatures of 43 degrees Celsius in Andujar on Wednesday, the highest "
        "reading of an unusually early heat wave. The state weather agency warned that the heat would "
        "last until the weekend. Forest fires broke out in Zamora province.",
    },
    {
        "id": "lisbon-trams",
        "url": "https://example.com/2022/06/09/lisbon-trams",
        "title": "Lisbon's old trams draw crowds of tourists",
        "published": "2022-06-09",
        "source": "example.com",
        "text": "The yellow trams of Lisbon are busier than ever as tourists return after the pandemic. "
        "Route 28 climbs through the old districts of Alfama and Graca, and queues at the first stop "
        "often last an hour.",
    },
]

QUESTIONS = [
    {
        "id": "q-squid",
        "date": "2022-06-16",
        "question": "Which show did Netflix renew for a second season?",
        "choices": ["Stranger Things", "Squid Game", "The Crown", "Friends"],
        "answers": ["Squid Game"],
        "gold_ids": ["squid-renewal-copy"],  # the alias: must count as found
    },
    {
        "id": "q-charger",
        "date": "2022-06-16",
        "question": "Which region will require smartphones to support a common USB-C charging port?",
        "choices": ["Europe", "Asia", "Africa", "North America"],
        "answers": ["Europe"],
        "gold_urls": ["http://www.news.example.net/2022/06/07/eu-common-charger"],  # by URL only
    },
    {
        "id": "q-heat",
        "date": "2022-06-16",
        "question": "What temperature did Spain record in Andujar during the heat wave?",
        "answers": ["43 degrees"],
        "gold_ids": ["heat-spain"],
    },
    {
        "id": "q-chess",
        "date": "2022-06-16",
        "question": "Which team won the chess olympiad in Chennai?",
        "answers": ["Uzbekistan"],
        "answerable": False,
    },
]


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """A corpus and a question set on disk, and a home whose eval collection is ingested once."""
    root = tmp_path_factory.mktemp("evalworld")
    files = {
        "root": root,
        "corpus": _write_jsonl(root / "corpus.jsonl", ARTICLES),
        "questions": _write_jsonl(root / "questions.jsonl", QUESTIONS),
        "home": root / "home",
    }
    yield files


def _settings(world: dict[str, Path]) -> Settings:
    return Settings(home=world["home"])


def _retrieval_run(world: dict[str, Path], **kwargs: Any) -> Any:
    options = EvalOptions(corpus=world["corpus"], retrieval_only=True, **kwargs)
    return run_eval(world["questions"], options, settings=_settings(world))


# --------------------------------------------------------------------------------------------------
# End to end
# --------------------------------------------------------------------------------------------------


def test_retrieval_only_run_writes_every_output(world: dict[str, Path]) -> None:
    run = _retrieval_run(world, name="retrieval-files")
    s = run.summary
    assert s["questions"] == 4
    for key in ("hit@1", "hit@4", "hit@10", "recall@10", "mrr@10", "ndcg@10"):
        assert key in s
    # the alias (q-squid) and the URL-only gold (q-charger) are found; easy questions rank gold first
    rows = {r["id"]: r for r in run.rows}
    assert rows["q-squid"]["gold_ids"] == ["squid-renewal"]
    assert rows["q-charger"]["gold_ids"] == ["charger-eu"]
    assert all(rows[q]["scores"]["hit@1"] == 1.0 for q in ("q-squid", "q-charger", "q-heat"))
    assert s["hit@1"] == 1.0 and s["mrr@10"] == 1.0
    assert "answer_contains" not in s and "abstention_rate" not in s  # no generation
    assert set(s["latency"]) == {"retrieval"} and set(s["latency"]["retrieval"]) == {"p50", "p95"}
    for name in ("run.json", "results.jsonl", "summary.json", "report.md", "report.html"):
        assert (run.dir / name).is_file(), name
    assert json.loads((run.dir / "summary.json").read_text()) == s
    md = (run.dir / "report.md").read_text()
    assert "| hit@1 | 1.000 |" in md
    page = (run.dir / "report.html").read_text()
    assert page.count("<svg") == 2 and "http://" not in page.split("<body>")[0]  # plots inline, no assets
    lines = (run.dir / "results.jsonl").read_text().splitlines()
    assert len(lines) == 4 and {"question", "scores", "timings_ms", "retrieved"} <= set(json.loads(lines[0]))


def test_extractive_run_scores_answers_citations_and_abstention(world: dict[str, Path]) -> None:
    run = run_eval(
        world["questions"],
        EvalOptions(corpus=world["corpus"], backend="extractive"),
        settings=_settings(world),
    )
    s = run.summary
    rows = {r["id"]: r for r in run.rows}
    assert rows["q-chess"]["abstained"] is True and rows["q-chess"]["answerable"] is False
    assert rows["q-heat"]["abstained"] is False and rows["q-heat"]["scores"]["answer_contains"] == 1.0
    assert rows["q-heat"]["cited_article_ids"] == ["heat-spain"]
    assert rows["q-heat"]["citations"][0]["quote"]
    for key in (
        "answer_contains",
        "answer_f1",
        "choice_accuracy",
        "citation_precision",
        "citation_recall",
        "grounding",
        "abstention_rate",
        "false_abstention_rate",
    ):
        assert key in s, key
    assert s["abstention_rate"] == pytest.approx(1 / 4)
    assert s["false_abstention_rate"] == 0.0
    assert s["citation_precision"] == 1.0 and s["grounding"] == 1.0
    assert {"retrieval", "first_token", "total"} <= set(s["latency"])
    assert s["latency"]["total"]["p50"] >= s["latency"]["retrieval"]["p50"]


def test_fake_chat_model_answers_are_scored(world: dict[str, Path]) -> None:
    from langchain_core.language_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    questions = [Question(**{**_q("q-heat"), "as_of": _date("2022-06-16")})]
    replies = iter([AIMessage("Spain recorded 43 degrees Celsius in Andujar [1].")] * 2)
    model = GenericFakeChatModel(messages=replies)
    options = EvalOptions(corpus=world["corpus"], backend="local")
    run = run_eval(questions, options, settings=_settings(world), chat_model=model)
    row = run.rows[0]
    assert row["answer"].startswith("Spain recorded 43 degrees")
    assert row["scores"]["answer_contains"] == 1.0 and row["grounding_flags"] == [True]
    assert row["cited_article_ids"] == ["heat-spain"]
    assert "first_token" in row["timings_ms"]


def _q(qid: str) -> dict[str, Any]:
    rec = next(q for q in QUESTIONS if q["id"] == qid)
    return {
        "id": rec["id"],
        "question": rec["question"],
        "answers": tuple(rec.get("answers", ())),
        "gold_ids": tuple(rec.get("gold_ids", ())),
        "choices": tuple(rec.get("choices", ())),
    }


def _date(text: str) -> Any:
    from datetime import date

    return date.fromisoformat(text)


def test_without_gold_withholds_gold_and_answer_articles(world: dict[str, Path]) -> None:
    options = EvalOptions(corpus=world["corpus"], backend="extractive", without_gold=True, limit=1)
    run = run_eval(world["questions"], options, settings=_settings(world))
    row = run.rows[0]
    assert row["id"] == "q-squid"
    # the gold story and the review that mentions "Squid Game" are withheld; nothing else is
    assert row["excluded"] == 2
    assert not {"squid-renewal", "squid-review"} & set(row["retrieved_article_ids"])
    assert row["retrieved_article_ids"]  # other articles are still searched
    assert row["answerable"] is False and row["gold_ids"] is None
    assert row["abstained"] is True
    assert run.summary["abstention_rate"] == 1.0 and "hit@1" not in run.summary
    assert run.name.endswith("-without-gold")


def test_interrupted_run_resumes_and_changed_settings_start_afresh(
    world: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import eval.harness as harness

    real = harness.evaluate_question
    calls: list[str] = []
    stop_at = [3]  # Ctrl-C while the third question runs, the first time only

    def flaky(pipeline: Any, q: Question, *args: Any, **kwargs: Any) -> dict[str, Any]:
        calls.append(q.id)
        if len(calls) == stop_at[0]:
            stop_at[0] = 0
            raise KeyboardInterrupt
        return real(pipeline, q, *args, **kwargs)

    monkeypatch.setattr(harness, "evaluate_question", flaky)
    with pytest.raises(KeyboardInterrupt):
        _retrieval_run(world, name="resume")
    [folder] = (world["home"] / "eval-runs").glob("*-resume")
    assert json.loads((folder / "run.json").read_text())["status"] == "interrupted"
    assert len((folder / "results.jsonl").read_text().splitlines()) == 2

    calls.clear()
    run = _retrieval_run(world, name="resume")
    assert run.dir == folder and run.resumed == 2
    assert calls == ["q-heat", "q-chess"]  # only the questions not done before
    assert [r["id"] for r in run.rows] == [q["id"] for q in QUESTIONS]
    assert run.meta["status"] == "complete" and run.summary["questions"] == 4

    # same --out, other settings: nothing is reused
    calls.clear()
    other = _retrieval_run(world, name="resume", out=folder, overrides={"retrieval.hybrid": False})
    assert other.resumed == 0 and len(calls) == 4
    rows, _ = read_rows(folder / "results.jsonl")
    assert len(rows) == 4 and {r["run_key"] for r in rows} == {other.meta["run_key"]}


def test_compare_shows_deltas_and_changed_questions(world: dict[str, Path]) -> None:
    a = _retrieval_run(world, name="cmp-a")
    # dense only, k=1 article per question, and no recency: something must move
    b = _retrieval_run(
        world,
        name="cmp-b",
        overrides={"retrieval.hybrid": False, "retrieval.recency_window_days": None, "retrieval.k": 1},
    )
    cmp = compare_runs(a.dir, b.dir)
    assert [c["label"] for c in cmp["columns"]] == ["cmp-a", "cmp-b"]
    assert cmp["columns"][1]["settings_changed"]["retrieval.hybrid"] is False
    hit1 = next(m for m in cmp["metrics"] if m["metric"] == "hit@1")
    assert hit1["values"] == [a.summary["hit@1"], b.summary["hit@1"]]
    assert hit1["deltas"] == [pytest.approx(b.summary["hit@1"] - a.summary["hit@1"])]
    for change in cmp["changed"]:
        before, after = change["outcomes"]
        assert any(before[k] != after[k] for k in change["changed"])
    md = render_compare_markdown(cmp)
    assert "Δ cmp-b" in md and "## Questions whose outcome changed" in md

    # a run against itself changes nothing
    same = compare_runs(a.dir, load_run(a.dir))
    assert same["changed"] == [] and all(d == 0.0 for m in same["metrics"] for d in m["deltas"])


def test_unknown_setting_is_a_config_error(world: dict[str, Path]) -> None:
    with pytest.raises(ConfigError, match=r"retrieval\.nope"):
        _retrieval_run(world, overrides={"retrieval.nope": 1})


def test_judge_verdicts_from_a_fake_model() -> None:
    from langchain_core.language_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    model = GenericFakeChatModel(
        messages=iter([AIMessage("CORRECT"), AIMessage("Incorrect."), AIMessage("?")])
    )
    judge = Judge(None, chat_model=model)
    q = Question(id="q", question="Which show?", answers=("Squid Game",), choices=("Squid Game", "Friends"))
    assert "Accepted answer(s): Squid Game" in judge.prompt(q, "Squid Game [1].")
    assert judge.correct(q, "Squid Game") is True
    assert judge.correct(q, "Friends") is False
    assert judge.correct(q, "Friends") is None
    with pytest.raises(ConfigError):
        Judge("not-a-url")


# --------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------


def test_cli_eval_questions_and_compare(world: dict[str, Path], tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli import app

    runner = CliRunner()
    common = [
        "--corpus",
        str(world["corpus"]),
        "--home",
        str(world["home"]),
        "--retrieval-only",
        "--no-progress",
    ]
    csv_path = tmp_path / "q.csv"
    csv_path.write_text(
        "id,question,answers,gold_ids,date\n"
        "c-heat,What temperature did Spain record in Andujar?,43 degrees,heat-spain,2022-06-16\n"
        "c-tram,How long is the new tram line in Skopje?,12 kilometres,tram-skopje,2022-06-16\n",
        encoding="utf-8",
    )
    first = runner.invoke(app, ["eval", str(csv_path), *common, "--out", str(tmp_path / "a"), "--json"])
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert summary["questions"] == 2 and summary["hit@1"] == 1.0

    second = runner.invoke(
        app,
        [
            "eval",
            "run",
            str(csv_path),
            *common,
            "--out",
            str(tmp_path / "b"),
            "--set",
            "retrieval.hybrid=false",
        ],
    )
    assert second.exit_code == 0, second.output
    assert "hit@1" in second.stdout and "report.html" in second.stdout

    cmp = runner.invoke(app, ["eval", "compare", str(tmp_path / "a"), str(tmp_path / "b"), "--json"])
    assert cmp.exit_code == 0, cmp.output
    data = json.loads(cmp.stdout)
    assert [c["dir"] for c in data["columns"]] == [str(tmp_path / "a"), str(tmp_path / "b")]

    (tmp_path / "a" / "report.html").unlink()
    again = runner.invoke(app, ["eval", "report", str(tmp_path / "a")])
    assert again.exit_code == 0 and (tmp_path / "a" / "report.html").is_file()

    bad = runner.invoke(app, ["eval", str(csv_path), *common, "--set", "retrieval.k"])
    assert bad.exit_code == 2 and "KEY=VALUE" in bad.output


def test_console_script_measures_the_tutorial_baseline_from_any_folder(
    world: dict[str, Path], tmp_path: Path
) -> None:
    """`newsrag eval ... --baseline tutorial` as a user runs it: the installed script, another cwd."""
    pytest.importorskip("langchain_huggingface")
    import os
    import shutil
    import subprocess
    import sys

    script = shutil.which("newsrag", path=str(Path(sys.executable).parent))
    assert script, "the newsrag console script is not installed next to this Python"
    env = {**os.environ, "NEWSRAG_HOME": str(tmp_path / "home")}
    args = ["eval", str(world["questions"]), "--corpus", str(world["corpus"]), "--retrieval-only"]
    args += ["--baseline", "tutorial", "--no-progress", "--json", "--out", str(tmp_path / "run")]
    proc = subprocess.run(
        [script, *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads(proc.stdout)
    tutorial = summary["baselines"]["tutorial"]
    assert tutorial["questions"] == summary["questions"] and 0.0 <= tutorial["hit@4"] <= 1.0
    assert (tmp_path / "run" / "results-tutorial.jsonl").is_file()


def test_tutorial_baseline_answers_with_the_same_model(world: dict[str, Path]) -> None:
    """`--baseline tutorial` on an answering run: the tutorial's plain prompt goes to the same chat model
    newsrag answers with, and its answers are scored by the same harness (it cites nothing)."""
    pytest.importorskip("langchain_huggingface")
    from langchain_core.language_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    questions = [Question(**{**_q("q-heat"), "as_of": _date("2022-06-16")})]
    ours = AIMessage("Spain recorded 43 degrees Celsius in Andujar [1].")
    theirs = AIMessage("Spain's record was 43 degrees, in Andujar.")
    model = GenericFakeChatModel(messages=iter([ours, ours, theirs, theirs]))
    options = EvalOptions(corpus=world["corpus"], backend="local", baseline="tutorial")
    run = run_eval(questions, options, settings=_settings(world), chat_model=model)
    row = run.baselines["tutorial"][0]
    assert row["system"] == "tutorial" and row["answer"] == theirs.content
    assert row["abstained"] is False and row["cited_article_ids"] == []
    assert row["scores"]["answer_contains"] == 1.0
    assert row["scores"]["citation_recall"] == 0.0 and row["grounding_flags"] == [False]
    assert "first_token" in row["timings_ms"]
    assert run.summary["baselines"]["tutorial"]["answer_contains"] == 1.0
