"""`newsrag ingest | stats | delete`: JSON summaries and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests._cli import run_cli


@pytest.fixture
def flags(tmp_path: Path) -> list[str]:
    return ["--home", str(tmp_path / "home"), "--collection", "clitest", "--no-progress"]


def test_ingest_json_summary_stats_and_delete(tmp_path: Path, flags: list[str]) -> None:
    root = tmp_path / "news"
    root.mkdir()
    (root / "a.txt").write_text("Harbour reopens\nThe harbour reopened on Tuesday after repairs.\n")
    (root / "b.txt").write_text(
        "Skopje, 21 November 2023 (MIA) - Talks\nSkopje, 21 November 2023 (MIA) - Talks went on.\n"
    )
    code, out, _ = run_cli("ingest", str(root), "--json", *flags)
    assert code == 0
    summary = json.loads(out)
    assert {"added", "updated", "unchanged", "duplicates", "failed", "chunks_added", "seconds"} <= set(
        summary
    )
    assert (summary["added"], summary["failed"], summary["chunks_added"]) == (2, [], 2)

    code, out, _ = run_cli("ingest", str(root), "--json", *flags)
    assert code == 0 and json.loads(out)["unchanged"] == 2 and json.loads(out)["chunks_added"] == 0

    stats_flags = [f for f in flags if f != "--no-progress"]
    code, out, _ = run_cli("stats", "--json", *stats_flags)
    stats = json.loads(out)
    assert code == 0
    assert (stats["articles"], stats["chunks"]) == (2, 2)
    assert stats["first_published"] == stats["last_published"] == "2023-11-21"
    assert stats["sources"] == {"MIA": 1, "unknown": 1}

    code, out, err = run_cli("delete", "news/a.txt", "nope", *stats_flags)
    assert code == 1 and "deleted 1" in out and "not found: nope" in err
    code, out, _ = run_cli("stats", "--json", *stats_flags)
    assert json.loads(out)["articles"] == 1


def test_some_failed_inputs_exit_1_and_say_why(tmp_path: Path, flags: list[str]) -> None:
    (tmp_path / "ok.txt").write_text("Fine\nA fine article.")
    (tmp_path / "bad.jsonl").write_text('{"id": "1", "text": "x"}\n{oops\n')
    code, out, _ = run_cli("ingest", str(tmp_path / "ok.txt"), str(tmp_path / "bad.jsonl"), *flags)
    assert code == 1
    assert "added 2" in out and f"{(tmp_path / 'bad.jsonl').resolve()}:2: malformed JSON" in out


def test_usage_errors_exit_2(tmp_path: Path, flags: list[str]) -> None:
    assert run_cli("ingest", str(tmp_path), "--field", "nonsense", *flags)[0] == 2
    assert run_cli("ingest", str(tmp_path), "--field", "bogus=x", *flags)[0] == 2
    assert run_cli("ingest", *flags)[0] == 2
    assert run_cli("ingest", str(tmp_path), "--max-tokens", "5000", *flags)[0] == 2
