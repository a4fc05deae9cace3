"""The results as Markdown: a table of absolute figures, then the targets as ratios within one run."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def _get(data: Mapping[str, Any], *path: str) -> Any:
    node: Any = data
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _fmt(value: Any, unit: str = "", digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{unit}"
    return f"{value}{unit}"


def _ratio(a: Any, b: Any) -> float | None:
    if not isinstance(a, int | float) or not isinstance(b, int | float) or not b:
        return None
    return float(a) / float(b)


def _redone(again: Mapping[str, Any]) -> str:
    """A warning when the second ingest did work: the ingest code changed between the two runs."""
    n = int(again.get("added", 0)) + int(again.get("updated", 0))
    return f" **({n} articles re-embedded: the cleaning changed between runs?)**" if n else ""


def _query_rows(rows: list[tuple[str, str, str]], label: str, qr: Mapping[str, Any]) -> None:
    """Rows for one retrieval run (dense, hybrid) with stages."""
    for mode in ("dense", "hybrid"):
        m = qr.get(mode)
        if not m:
            continue
        stages = ", ".join(f"{n} {s['p50_ms']:.1f}" for n, s in m["stages"].items())
        rows.append(
            (
                f"{label} ({qr.get('articles')} articles)" if mode == "dense" else "",
                f"{mode} retrieval p50 / p95",
                f"{m['p50_ms']:.1f} / {m['p95_ms']:.1f} ms "
                f"(hit@4 {m['hit@4']:.3f}, MRR@10 {m['mrr@10']:.3f})",
            )
        )
        rows.append(("", f"  {mode} stages p50 (ms)", stages))


def figure_rows(res: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(step, measure, value) rows of absolute figures, step by step."""
    rows: list[tuple[str, str, str]] = []
    _limit_rows(rows, res)
    _baseline_rows(rows, res.get("baseline") or {})
    _ingest_rows(rows, res)
    _query_rows(rows, "4 queries", res.get("queries") or {})
    _e2e_rows(rows, res.get("e2e") or {})
    _growth_rows(rows, res)
    _query_rows(rows, "5 growth queries", res.get("growth_queries") or {})
    rows.append(("", "bench process peak RSS", _fmt(_get(res, "meta", "bench_peak_rss_mb"), " MB", 0)))
    return rows


Rows = list[tuple[str, str, str]]


def _limit_rows(rows: Rows, res: Mapping[str, Any]) -> None:
    size = _get(res, "meta", "corpus_articles")
    limit = res.get("limit") or {}
    if not limit:
        return
    rows.append((f"1 limit ({size} articles)", "chunks newsrag embeds", _fmt(limit.get("chunks"))))
    rows.append(("", "clean + chunk them (not in the limit)", _fmt(limit.get("prepare_s"), " s")))
    for backend in res["meta"].get("limit_backends", []):
        b = limit.get(backend)
        if b:
            cos = b.get("cosine_vs_torch")
            extra = f" (cosine vs torch min {cos['min']:.4f})" if cos else ""
            rows.append(
                (
                    "",
                    f"embed only, {backend}",
                    f"{b['seconds']:.1f} s, {b['chunks_per_s']:.0f} chunks/s{extra}",
                )
            )


def _baseline_rows(rows: Rows, base: Mapping[str, Any]) -> None:
    if base.get("seconds"):
        rows.append(
            (
                "2 tutorial",
                "ingest (1000/200 splits, HF embeddings, Chroma)",
                f"{base['seconds']:.1f} s, {base['articles_per_s']:.2f} articles/s, {base['chunks']} chunks",
            )
        )
        d = base["dense"]
        rows.append(("", "dense hit@4 / MRR@10", f"{d['hit@4']:.3f} / {d['mrr@10']:.3f}"))
    elif base.get("skipped"):
        rows.append(("2 tutorial", "skipped", base["skipped"]))


def _ingest_rows(rows: Rows, res: Mapping[str, Any]) -> None:
    for backend, ing in (res.get("ingest") or {}).items():
        f, a = ing["first"], ing["again"]
        rows.append(
            (
                f"3 newsrag ingest, {backend}",
                "first",
                f"{f['seconds']:.1f} s ({f['wall_s']:.1f} s with start-up), {f['articles_per_s']:.2f} "
                f"articles/s, {f['chunks_added']} chunks",
            )
        )
        rows.append(
            (
                "",
                "  of which embed / store write / load+clean+chunk",
                f"{f['embed_s']:.1f} / {f['store_write_s']:.1f} / {f['other_s']:.1f} s",
            )
        )
        rows.append(
            ("", "again, unchanged", f"{a['seconds']:.2f} s ({a['wall_s']:.1f} s with start-up){_redone(a)}")
        )
        rows.append(("", "peak RSS (child)", _fmt(f["child_peak_rss_mb"], " MB", 0)))
        q = _get(res, "quality", backend)
        if q:
            rows.append(("", "plain dense hit@4 / MRR@10", f"{q['hit@4']:.3f} / {q['mrr@10']:.3f}"))


def _e2e_rows(rows: Rows, e2e: Mapping[str, Any]) -> None:
    if e2e.get("skipped"):
        rows.append(("4 end to end", "skipped", e2e["skipped"]))
        return
    if not e2e:
        return
    t, tot = e2e["time_to_first_token"], e2e["total"]
    rows.append(
        (
            f"4 end to end ({e2e['model']}, {e2e['questions']} q)",
            "time to first token p50 / p95",
            f"{t['p50_ms'] / 1000:.2f} / {t['p95_ms'] / 1000:.2f} s",
        )
    )
    rows.append(("", "answer total p50 / p95", f"{tot['p50_ms'] / 1000:.2f} / {tot['p95_ms'] / 1000:.2f} s"))
    stages = ", ".join(f"{n} {s['p50_ms'] / 1000:.2f}" for n, s in e2e["stages"].items())
    rows.append(("", "  answer stages p50 (s)", stages))
    rows.append(("", "first question incl. model load", _fmt(e2e.get("first_question_with_load_s"), " s", 1)))


def _growth_rows(rows: Rows, res: Mapping[str, Any]) -> None:
    growth = res.get("growth") or {}
    if not growth.get("first"):
        return
    f, a = growth["first"], growth["again"]
    rows.append(
        (
            f"5 growth ingest ({_get(res, 'meta', 'growth_articles')} articles)",
            f"first ({f.get('via', '')})",
            f"{f['seconds']:.1f} s, {f['articles_per_s']:.2f} articles/s, {f['chunks_added']} chunks",
        )
    )
    rows.append(("", "again, unchanged", f"{a['seconds']:.2f} s{_redone(a)}"))
    rows.append(("", "peak RSS (child)", _fmt(f["child_peak_rss_mb"], " MB", 0)))


def targets(res: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each target: what it asks, the ratio or figure measured, and whether it was met (None: not run)."""
    out: list[dict[str, Any]] = []
    default = _get(res, "meta", "default_backend")
    ing = _get(res, "ingest", default) or {}
    base = res.get("baseline") or {}

    speed = _ratio(_get(ing, "first", "articles_per_s"), base.get("articles_per_s"))
    nr_hit = _get(res, "quality", default, "hit@4")
    tut_hit = _get(base, "dense", "hit@4")
    out.append(
        {
            "target": f"ingest articles/s >= 2x tutorial at equal or better hit@4 ({default})",
            "measured": f"{_fmt(speed, 'x', 2)}; dense hit@4 {_fmt(nr_hit, '', 3)} "
            f"vs tutorial {_fmt(tut_hit, '', 3)}",
            "met": None if speed is None or nr_hit is None else speed >= 2 and nr_hit >= tut_hit,
        }
    )
    for backend, b in (res.get("ingest") or {}).items():
        lim = _get(res, "limit", backend, "seconds")
        r = _ratio(_get(b, "first", "seconds"), lim)
        out.append(
            {
                "target": f"newsrag ingest within 15% of the limit ({backend})",
                "measured": f"{_fmt(r, 'x', 2)} of embed-only time",
                "met": None if r is None else r <= 1.15,
            }
        )
    r = _ratio(_get(ing, "first", "seconds"), _get(ing, "again", "seconds"))
    rw = _ratio(_get(ing, "first", "wall_s"), _get(ing, "again", "wall_s"))
    out.append(
        {
            "target": "re-ingest of an unchanged corpus >= 20x faster than first",
            "measured": f"{_fmt(r, 'x', 1)} ({_fmt(rw, 'x', 1)} counting process start-up)",
            "met": None if r is None else r >= 20,
        }
    )
    dense = _get(res, "queries", "dense", "p50_ms")
    hybrid = _get(res, "queries", "hybrid", "p50_ms")
    r = _ratio(hybrid, dense)
    out.append(
        {
            "target": "hybrid retrieval p50 <= 3x dense p50 and < 50 ms",
            "measured": f"{_fmt(r, 'x', 2)}; hybrid p50 {_fmt(hybrid, ' ms')}",
            "met": None if r is None else r <= 3 and hybrid < 50,
        }
    )
    ttft = _get(res, "e2e", "time_to_first_token", "p50_ms")
    out.append(
        {
            "target": "time to first token p50 < 4 s (default local model)",
            "measured": _fmt(ttft / 1000 if isinstance(ttft, int | float) else None, " s", 2)
            if not _get(res, "e2e", "skipped")
            else f"skipped: {_get(res, 'e2e', 'skipped')}",
            "met": None if not isinstance(ttft, int | float) else ttft < 4000,
        }
    )
    worst: float | None = None
    parts = []
    for mode in ("dense", "hybrid"):
        r = _ratio(_get(res, "growth_queries", mode, "p50_ms"), _get(res, "queries", mode, "p50_ms"))
        if r is not None:
            worst = r if worst is None else max(worst, r)
            parts.append(f"{mode} {r:.2f}x")
    out.append(
        {
            "target": "query p50 at the large corpus within 1.5x of 1,000 articles",
            "measured": ", ".join(parts) or "n/a",
            "met": None if worst is None else worst <= 1.5,
        }
    )
    rss = _get(res, "growth", "first", "child_peak_rss_mb")
    out.append(
        {
            "target": "peak RSS of newsrag ingest of the large corpus < 2 GB",
            "measured": _fmt(rss, " MB", 0),
            "met": None if rss is None else rss < 2048,
        }
    )
    return out


def _file_name(path: Any) -> str:
    """A data file as the report names it: its name alone (the folder is the reader's machine's)."""
    return Path(str(path)).name if path else ""


def markdown(res: Mapping[str, Any]) -> str:
    """The whole report: what ran, the figures, the targets."""
    meta = res.get("meta", {})
    lines = [
        f"Run {meta.get('started')} on {meta.get('cores')} cores (load average at start "
        f"{meta.get('load_average')}), commit {meta.get('commit')}, default embedding backend "
        f"`{meta.get('default_backend')}`, corpus `{_file_name(meta.get('corpus'))}`"
        + (f", large corpus `{_file_name(meta.get('growth_corpus'))}`" if meta.get("growth_corpus") else "")
        + f", {meta.get('questions')} questions. Steps: {', '.join(meta.get('steps', []))}.",
        "",
        "| Step | Measure | Value |",
        "|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in figure_rows(res)]
    lines += ["", "| Target (ratios within this run) | Measured | Met |", "|---|---|---|"]
    for t in res.get("targets", []):
        met = {True: "yes", False: "**no**", None: "not run"}[t["met"]]
        lines.append(f"| {t['target']} | {t['measured']} | {met} |")
    notes = res.get("notes") or []
    if notes:
        lines += ["", *[f"- {n}" for n in notes]]
    return "\n".join(lines) + "\n"
