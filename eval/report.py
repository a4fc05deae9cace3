"""A run's reports: ``report.md`` (tables) and ``report.html`` (the same with plots, one self-contained file).

Plots are drawn with matplotlib's object API (no pyplot state, no display needed) and embedded as
inline SVG, so the page opens anywhere without network access or side files.

Example:
    >>> write_reports(load_run(".newsrag/eval-runs/20240101-120000-dev-retrieval"))  # doctest: +SKIP
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eval._rows import REPORT_HTML, REPORT_MD
from eval.metrics import SUMMARY_KEYS

if TYPE_CHECKING:
    from eval.runs import EvalRun

__all__ = [
    "METRIC_KEYS",
    "changed_settings",
    "format_value",
    "latency_svg",
    "metrics_svg",
    "render_html",
    "render_markdown",
    "write_reports",
]

METRIC_KEYS: tuple[str, ...] = (
    *(k for k in SUMMARY_KEYS if k not in ("questions", "latency", "by_type")),
    "judge_accuracy",
)
"""The 0..1 metrics of a summary, in report order."""

_STAGES = ("retrieval", "first_token", "total")


def format_value(value: Any) -> str:
    """A metric as a table cell: 3 decimals for shares, ``-`` when absent."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def systems_of(run: EvalRun) -> dict[str, dict[str, Any]]:
    """The run's summaries by system name: newsrag first, then each baseline."""
    label = "newsrag" + (f" ({run.meta.get('mode')})" if run.meta.get("mode") else "")
    out = {label: run.summary}
    for name, summary in (run.summary.get("baselines") or {}).items():
        out[f"{name} baseline"] = summary
    return out


def _default_settings() -> dict[str, Any]:
    from pydantic import BaseModel

    from rag import Settings

    out: dict[str, Any] = {}
    for name, info in Settings.model_fields.items():
        default = info.get_default(call_default_factory=True)
        out[name] = default.model_dump(mode="json") if isinstance(default, BaseModel) else default
    return out


def _flat(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def changed_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The settings that differ from the defaults, as dotted keys (``home`` and ``collection`` left out)."""
    defaults = _flat({k: (str(v) if k == "home" else v) for k, v in _default_settings().items()})
    out = {}
    for key, value in _flat(settings).items():
        if key in ("home", "collection") or key.startswith("ui."):
            continue
        if key not in defaults or defaults[key] != value:
            out[key] = value
    return out


def _first_gold_rank(row: Mapping[str, Any]) -> int | None:
    gold = set(row.get("gold_ids") or [])
    for rank, aid in enumerate(row.get("retrieved_article_ids") or [], start=1):
        if aid in gold:
            return rank
    return None


def _short(text: str | None, n: int = 140) -> str:
    if not text:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# --------------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------------


def metrics_table(summaries: Mapping[str, Mapping[str, Any]]) -> list[list[str]]:
    """Rows ``[metric, value per system...]`` for the metrics any of the summaries has."""
    keys = [k for k in ("questions", *METRIC_KEYS) if any(k in s for s in summaries.values())]
    return [[k, *(format_value(s.get(k)) for s in summaries.values())] for k in keys]


TYPE_KEYS = ("questions", "parts_contained", "citation_recall", "answer_contains", "abstention_rate")
"""The columns of the per-type table."""


def type_table(summaries: Mapping[str, Mapping[str, Any]]) -> list[list[str]]:
    """Rows ``[type, system, questions, parts contained, citation recall, contains, abstained]``."""
    types = sorted({t for s in summaries.values() for t in s.get("by_type") or {}})
    return [
        [t, name, *(format_value((s.get("by_type") or {}).get(t, {}).get(k)) for k in TYPE_KEYS)]
        for t in types
        for name, s in summaries.items()
    ]


def latency_table(summaries: Mapping[str, Mapping[str, Any]]) -> list[list[str]]:
    """Rows ``[system, stage, p50 ms, p95 ms]``."""
    rows = []
    for name, s in summaries.items():
        latency = s.get("latency") or {}
        for stage in [*_STAGES, *sorted(set(latency) - set(_STAGES))]:
            if stage in latency:
                rows.append([name, stage, _ms(latency[stage].get("p50")), _ms(latency[stage].get("p95"))])
    return rows


def md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub Markdown table."""
    lines = ["| " + " | ".join(_md_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _question_rows(run: EvalRun) -> list[list[str]]:
    out = []
    for r in run.rows:
        scores = r.get("scores") or {}
        rank = _first_gold_rank(r)
        out.append(
            [
                str(r["id"]),
                _short(r.get("question"), 90),
                "-"
                if not r.get("gold_ids")
                else (str(rank) if rank else ">" + str(len(r.get("retrieved_article_ids") or []))),
                format_value(scores.get("answer_contains")),
                format_value(scores.get("choice_accuracy")),
                format_value(r.get("abstained")),
                _short(r.get("error") or r.get("answer"), 120),
            ]
        )
    return out


def render_markdown(run: EvalRun) -> str:
    """The Markdown report of a run."""
    meta = run.meta
    summaries = systems_of(run)
    parts = [f"# Evaluation: {run.name}", ""]
    facts = [
        ("questions", f"{meta.get('questions_file') or '-'} ({run.summary.get('questions', len(run.rows))})"),
        (
            "corpus",
            meta.get("corpus")
            or f"the store's collection `{(meta.get('settings') or {}).get('collection')}`",
        ),
        ("mode", meta.get("mode")),
        ("without gold", "yes" if meta.get("without_gold") else "no"),
        ("run key", meta.get("run_key")),
        ("started / finished", f"{meta.get('started', '-')} / {meta.get('finished', '-')}"),
    ]
    parts += [f"- {k}: {v}" for k, v in facts]
    changed = changed_settings(meta.get("settings") or {})
    parts.append(
        "- settings changed from the defaults: "
        + (", ".join(f"`{k}={v}`" for k, v in changed.items()) if changed else "none")
    )
    parts += ["", "## Metrics", "", md_table(["metric", *summaries], metrics_table(summaries)), ""]
    per_type = type_table(summaries)
    if per_type:
        parts += ["## Per question type", "", md_table(["type", "system", *TYPE_KEYS], per_type), ""]
    lat = latency_table(summaries)
    if lat:
        parts += ["## Latency (ms)", "", md_table(["system", "stage", "p50", "p95"], lat), ""]
    if run.summary.get("errors"):
        parts += [f"{run.summary['errors']} question(s) failed; their rows carry an `error`.", ""]
    parts += [
        "## Questions",
        "",
        "`gold rank`: where the first gold article ranked (`-`: no gold). Full rows: `results.jsonl`.",
        "",
        md_table(
            ["id", "question", "gold rank", "contains", "choice", "abstained", "answer"], _question_rows(run)
        ),
        "",
    ]
    return "\n".join(parts)


# --------------------------------------------------------------------------------------------------
# Plots and HTML
# --------------------------------------------------------------------------------------------------

_COLORS = ("#2f6db5", "#e07b39", "#4c9a5b", "#9467bd", "#8c564b")


def _svg(fig: Any) -> str:
    from matplotlib import rc_context

    buf = io.StringIO()
    with rc_context({"svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def metrics_svg(summaries: Mapping[str, Mapping[str, Any]]) -> str | None:
    """Grouped horizontal bars: each 0..1 metric, one bar per system (inline SVG), or None if no metric."""
    from matplotlib.figure import Figure

    keys = [k for k in METRIC_KEYS if any(isinstance(s.get(k), (int, float)) for s in summaries.values())]
    if not keys:
        return None
    n = len(summaries)
    height = 0.8 / max(n, 1)
    fig = Figure(figsize=(7.5, 0.45 * len(keys) * max(1.0, n * 0.6) + 0.8))
    ax = fig.subplots()
    for i, (name, s) in enumerate(summaries.items()):
        ys = [len(keys) - 1 - j + (n - 1 - i - (n - 1) / 2) * height for j in range(len(keys))]
        values = [float(s.get(k) or 0.0) for k in keys]
        bars = ax.barh(ys, values, height=height * 0.95, label=name, color=_COLORS[i % len(_COLORS)])
        for bar, k in zip(bars, keys, strict=True):
            if s.get(k) is not None:
                ax.text(
                    bar.get_width() + 0.01,
                    bar.get_y() + bar.get_height() / 2,
                    f"{s[k]:.3f}",
                    va="center",
                    fontsize=7,
                )
    ax.set_yticks(range(len(keys)), list(reversed(keys)))
    ax.set_xlim(0, 1.12)
    ax.set_xlabel("score (0 to 1)")
    ax.grid(axis="x", alpha=0.3)
    if n > 1:
        ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Metrics")
    return _svg(fig)


def latency_svg(rows_by_system: Mapping[str, Sequence[Mapping[str, Any]]]) -> str | None:
    """Box plots of per-question latency by stage and system (log scale), or None without timings."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    data: list[list[float]] = []
    labels: list[str] = []
    colors: list[str] = []
    for i, (name, rows) in enumerate(rows_by_system.items()):
        stages: dict[str, list[float]] = {}
        for r in rows:
            for stage, ms in (r.get("timings_ms") or {}).items():
                if isinstance(ms, (int, float)) and ms > 0:
                    stages.setdefault(stage, []).append(float(ms))
        for stage in [*_STAGES, *sorted(set(stages) - set(_STAGES))]:
            if stages.get(stage):
                data.append(stages[stage])
                labels.append(f"{name}\n{stage}" if len(rows_by_system) > 1 else stage)
                colors.append(_COLORS[i % len(_COLORS)])
    if not data:
        return None
    fig = Figure(figsize=(max(4.0, 1.3 * len(data) + 1.5), 3.6))
    ax = fig.subplots()
    box = ax.boxplot(data, patch_artist=True, showfliers=True, whis=(5, 95))
    ax.set_xticks(range(1, len(labels) + 1), labels, fontsize=8)
    for patch, color in zip(box["boxes"], colors, strict=True):
        patch.set_facecolor(color)
        patch.set_alpha(0.5)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _pos: ""))
    ax.set_ylabel("milliseconds (log)")
    ax.set_title("Latency per question (box: p25-p75, whiskers: p5-p95)")
    ax.grid(axis="y", alpha=0.3, which="both")
    return _svg(fig)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;
padding:0 1rem;color:#1d1d1f;line-height:1.4}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.9rem}
th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f6f8fa} td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.miss td{background:#fff5f5} .plot svg{max-width:100%;height:auto} code{background:#f6f8fa;padding:0 .2rem}
details{margin:1rem 0} .muted{color:#57606a}
"""


def _html_table(
    header: Sequence[str] | None, rows: Sequence[Sequence[str]], classes: Sequence[str] = ()
) -> str:
    head = (
        "<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr></thead>"
        if header
        else ""
    )
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if i < len(classes) and classes[i] else ""
        cells = "".join(
            f'<td class="num">{html.escape(c)}</td>'
            if re.fullmatch(r"[-\d.,>]+", c)
            else f"<td>{html.escape(c)}</td>"
            for c in row
        )
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table>{head}<tbody>{''.join(body)}</tbody></table>"


def render_html(run: EvalRun) -> str:
    """The HTML report: facts, metric and latency tables, plots, and every question."""
    meta = run.meta
    summaries = systems_of(run)
    rows_by_system: dict[str, Sequence[Mapping[str, Any]]] = {next(iter(summaries)): run.rows}
    for name, rows in run.baselines.items():
        rows_by_system[f"{name} baseline"] = rows
    changed = changed_settings(meta.get("settings") or {})
    facts = [
        ["questions", f"{meta.get('questions_file') or '-'} ({run.summary.get('questions', len(run.rows))})"],
        ["corpus", str(meta.get("corpus") or (meta.get("settings") or {}).get("collection"))],
        ["mode", str(meta.get("mode"))],
        ["without gold", "yes" if meta.get("without_gold") else "no"],
        ["settings changed", ", ".join(f"{k}={v}" for k, v in changed.items()) or "none"],
        ["run key", str(meta.get("run_key"))],
        ["started / finished", f"{meta.get('started', '-')} / {meta.get('finished', '-')}"],
    ]
    plots = [p for p in (metrics_svg(summaries), latency_svg(rows_by_system)) if p]
    q_rows = _question_rows(run)
    classes = []
    for r in run.rows:
        scores = r.get("scores") or {}
        miss = r.get("error") or scores.get("hit@10") == 0.0 or scores.get("answer_contains") == 0.0
        classes.append("miss" if miss else "")
    lat = latency_table(summaries)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>newsrag eval: {html.escape(run.name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Evaluation: {html.escape(run.name)}</h1>",
        _html_table(None, facts),
        "<h2>Metrics</h2>",
        _html_table(["metric", *summaries], metrics_table(summaries)),
    ]
    if lat:
        parts += ["<h2>Latency (ms)</h2>", _html_table(["system", "stage", "p50", "p95"], lat)]
    parts += [f"<div class='plot'>{p}</div>" for p in plots]
    parts += [
        "<h2>Questions</h2>",
        "<p class='muted'>gold rank: where the first gold article ranked. Rows shaded: a miss "
        "(gold not in the top 10, answer without a gold answer, or an error).</p>",
        _html_table(
            ["id", "question", "gold rank", "contains", "choice", "abstained", "answer"], q_rows, classes
        ),
        "</body></html>",
    ]
    return "\n".join(parts)


def write_reports(run: EvalRun) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html`` into the run folder; their paths."""
    md = run.dir / REPORT_MD
    page = run.dir / REPORT_HTML
    md.write_text(render_markdown(run), encoding="utf-8")
    page.write_text(render_html(run), encoding="utf-8")
    return md, page
