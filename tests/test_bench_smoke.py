"""``python -m bench`` runs end to end on a tiny corpus and writes its results (no timing checks)."""

from __future__ import annotations

import json
from pathlib import Path

from bench.run import main

_STORIES = [
    (
        "a1",
        "2022-06-10",
        "Netflix renews Squid Game",
        "Netflix said Squid Game will return for a second season.",
    ),
    ("a2", "2022-06-11", "Heat wave in Spain", "Temperatures in Seville passed 43 degrees on Saturday."),
    ("a3", "2022-06-12", "Tram line opens", "The new tram line in Skopje carried its first passengers."),
    ("a4", "2022-06-13", "Central bank raises rates", "The Fed raised rates by three quarters of a point."),
    ("a5", "2022-06-14", "Wimbledon draw", "The Wimbledon draw paired the champion with a qualifier."),
    ("a6", "2022-06-15", "Volcano erupts", "Mount Etna erupted again, closing Catania airport."),
]


def _write_corpus(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            aid, day, title, text = _STORIES[i % len(_STORIES)]
            body = " ".join([text] * 3) + (f" Update {i}." if i >= len(_STORIES) else "")
            record = {
                "id": f"{aid}-{i}" if i >= len(_STORIES) else aid,
                "title": title,
                "published": day,
                "source": "example.com",
                "authors": ["A. Writer"],
                "url": f"https://example.com/{i}",
                "text": body,
            }
            f.write(json.dumps(record) + "\n")


def test_bench_runs_on_a_tiny_corpus_and_writes_json(tmp_path: Path) -> None:
    corpus, growth, questions = tmp_path / "c.jsonl", tmp_path / "g.jsonl", tmp_path / "q.jsonl"
    _write_corpus(corpus, 6)
    _write_corpus(growth, 9)
    with questions.open("w", encoding="utf-8") as f:
        for qid, text, gold in (
            ("q1", "Which show was renewed for a new season?", "a1"),
            ("q2", "Where did the new tram line open?", "a3"),
            ("q3", "Which volcano erupted?", "a6"),
        ):
            f.write(
                json.dumps({"id": qid, "date": "2022-06-16", "question": text, "gold_ids": [gold]}) + "\n"
            )
    out = tmp_path / "out"
    code = main(
        [
            "--corpus",
            str(corpus),
            "--growth-corpus",
            str(growth),
            "--questions",
            str(questions),
            "--backends",
            "onnx",
            "--limit-backends",
            "onnx",
            "--backend",
            "onnx",
            "--e2e-questions",
            "0",
            "--out",
            str(out),
            "--work",
            str(tmp_path / "work"),
            "--models-home",
            str(tmp_path / "models"),
        ]
    )
    assert code == 0
    results = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    for key in (
        "limit",
        "baseline",
        "ingest",
        "quality",
        "queries",
        "e2e",
        "growth",
        "growth_queries",
        "stories",
        "targets",
    ):
        assert key in results, key
    assert results["ingest"]["onnx"]["first"]["added"] == 6
    assert results["growth"]["first"]["added"] == 9
    assert "| Step | Measure | Value |" in (out / "latest.md").read_text(encoding="utf-8")
