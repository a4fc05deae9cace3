"""Compare eval runs: metrics side by side with deltas, and the questions whose outcome changed.

Each run contributes a column for newsrag and one per baseline it measured; deltas and changed
outcomes are relative to the first column.

Example:
    >>> cmp = compare_runs("runs/a", "runs/b")  # doctest: +SKIP
    >>> cmp["metrics"][0]  # doctest: +SKIP
    {'metric': 'hit@1', 'values': [0.81, 0.84], 'deltas': [0.03]}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.harness import EvalRun, load_run
from eval.report import METRIC_KEYS, changed_settings, format_value, md_table
from rag import InputError

__all__ = ["OUTCOME_KEYS", "compare_runs", "outcome", "render_compare_markdown"]

OUTCOME_KEYS = ("hit@1", "hit@10", "answer_contains", "choice_accuracy", "abstained", "error")
"""What decides whether a question's outcome changed between two runs."""

_STAGES = ("retrieval", "first_token", "total")


def outcome(row: Mapping[str, Any]) -> dict[str, Any]:
    """A question's outcome in one run: hits, answer correctness, abstention, failure, gold rank."""
    scores = row.get("scores") or {}
    gold = set(row.get("gold_ids") or [])
    rank = next((i for i, a in enumerate(row.get("retrieved_article_ids") or [], start=1) if a in gold), None)
    return {
        "hit@1": scores.get("hit@1"),
        "hit@10": scores.get("hit@10"),
        "answer_contains": scores.get("answer_contains"),
        "choice_accuracy": scores.get("choice_accuracy"),
        "abstained": row.get("abstained"),
        "error": bool(row.get("error")),
        "gold_rank": rank,
        "answer": row.get("answer"),
    }


def _columns(runs: Sequence[EvalRun]) -> list[dict[str, Any]]:
    cols: list[dict[str, Any]] = []
    for run in runs:
        cols.append({"label": run.name, "run": run, "summary": run.summary, "rows": run.rows})
        for name, rows in run.baselines.items():
            summary = (run.summary.get("baselines") or {}).get(name, {})
            cols.append({"label": f"{name} baseline", "run": run, "summary": summary, "rows": rows})
    seen: dict[str, int] = {}
    for col in cols:  # two runs of the same name: tell them apart by folder
        seen[col["label"]] = seen.get(col["label"], 0) + 1
    for col in cols:
        if seen[col["label"]] > 1:
            col["label"] = f"{col['label']} [{col['run'].dir.name}]"
    return cols


def _delta(a: Any, b: Any) -> float | None:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(b) - float(a)
    return None


def compare_runs(*runs: EvalRun | Path | str) -> dict[str, Any]:
    """Compare two or more runs (folders or loaded runs); the first is the reference.

    Returns:
        ``{"columns": [...], "metrics": [{"metric", "values", "deltas"}], "latency": [{"stage",
        "stat", "values", "deltas"}], "changed": [{"id", "question", "changed", "outcomes"}],
        "missing": {label: [ids]}}``. ``deltas`` has one entry per column after the first.

    Raises:
        InputError: fewer than two runs, or a folder that is not a run.
    """
    if len(runs) < 2:
        raise InputError("compare", "give at least two run folders")
    loaded = [r if isinstance(r, EvalRun) else load_run(r) for r in runs]
    cols = _columns(loaded)
    summaries = [c["summary"] for c in cols]

    metrics = []
    for key in ("questions", *METRIC_KEYS):
        values = [s.get(key) for s in summaries]
        if any(v is not None for v in values):
            metrics.append(
                {"metric": key, "values": values, "deltas": [_delta(values[0], v) for v in values[1:]]}
            )

    latency = []
    stages: list[str] = []
    for s in summaries:
        stages += [st for st in (s.get("latency") or {}) if st not in stages]
    stages.sort(key=lambda st: (_STAGES.index(st) if st in _STAGES else len(_STAGES), st))
    for stage in stages:
        for stat in ("p50", "p95"):
            values = [((s.get("latency") or {}).get(stage) or {}).get(stat) for s in summaries]
            latency.append(
                {
                    "stage": stage,
                    "stat": stat,
                    "values": values,
                    "deltas": [_delta(values[0], v) for v in values[1:]],
                }
            )

    by_id = [{str(r["id"]): r for r in c["rows"]} for c in cols]
    ref = by_id[0]
    changed = []
    for qid, row in ref.items():
        outcomes = [outcome(rows[qid]) if qid in rows else None for rows in by_id]
        keys: list[str] = []
        for other in outcomes[1:]:
            if other is None:
                continue
            for key in OUTCOME_KEYS:
                a, b = outcomes[0][key] if outcomes[0] else None, other[key]
                if a is not None and b is not None and a != b and key not in keys:
                    keys.append(key)
        if keys:
            changed.append(
                {"id": qid, "question": row.get("question"), "changed": keys, "outcomes": outcomes}
            )
    missing = {
        c["label"]: sorted(set(ref) - set(rows))
        for c, rows in zip(cols[1:], by_id[1:], strict=True)
        if set(ref) - set(rows)
    }
    return {
        "columns": [
            {
                "label": c["label"],
                "dir": str(c["run"].dir),
                "mode": c["run"].meta.get("mode") if not c["label"].endswith(" baseline") else "retrieval",
                "settings_changed": changed_settings(c["run"].meta.get("settings") or {}),
            }
            for c in cols
        ],
        "metrics": metrics,
        "latency": latency,
        "changed": changed,
        "missing": missing,
    }


def _signed(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "-"
    return f"{value:+.{digits}f}"


def render_compare_markdown(cmp: Mapping[str, Any], max_questions: int = 50) -> str:
    """The comparison as Markdown: metrics with deltas, latency, changed questions."""
    labels = [c["label"] for c in cmp["columns"]]
    delta_heads = [f"Δ {lab}" for lab in labels[1:]]
    parts = ["## Metrics", ""]
    rows = [
        [m["metric"], *(format_value(v) for v in m["values"]), *(_signed(d) for d in m["deltas"])]
        for m in cmp["metrics"]
    ]
    parts += [md_table(["metric", *labels, *delta_heads], rows), ""]
    if cmp["latency"]:
        rows = [
            [
                f"{m['stage']} {m['stat']}",
                *("-" if v is None else f"{v:.1f}" for v in m["values"]),
                *(_signed(d, 1) for d in m["deltas"]),
            ]
            for m in cmp["latency"]
        ]
        parts += ["## Latency (ms)", "", md_table(["stage", *labels, *delta_heads], rows), ""]
    changed = cmp["changed"]
    parts += [f"## Questions whose outcome changed ({len(changed)})", ""]
    if changed:
        rows = []
        for c in changed[:max_questions]:
            cells = []
            for o in c["outcomes"]:
                if o is None:
                    cells.append("-")
                    continue
                bits = [f"{k}={format_value(o[k])}" for k in c["changed"] if o.get(k) is not None]
                cells.append(", ".join(bits))
            rows.append([c["id"], (c["question"] or "")[:80], *cells])
        parts += [md_table(["id", "question", *labels], rows), ""]
        if len(changed) > max_questions:
            parts.append(f"... and {len(changed) - max_questions} more (see `--json`).")
    for label, ids in cmp.get("missing", {}).items():
        parts.append(f"{label} lacks {len(ids)} question(s) of {labels[0]}.")
    return "\n".join(parts)
