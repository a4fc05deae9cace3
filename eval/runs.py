"""Eval run folders: the :class:`EvalRun` record, loading a folder back, and a run's summary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval._rows import RESULTS, RUN_META, SUMMARY, baseline_results, read_json, read_rows, to_result
from eval.metrics import aggregate
from rag import InputError

__all__ = ["EvalRun", "find_resumable", "load_run", "summarize"]


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
    """A run folder as ``run_eval`` wrote it (its summary is recomputed if it was interrupted).

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


def find_resumable(root: Path, name: str, key: str) -> Path | None:
    """The newest unfinished run folder under ``root`` of this name and run key, if any."""
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
