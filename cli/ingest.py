"""CLI commands ``ingest``, ``stats`` and ``delete`` (registered on the ``newsrag`` app by :func:`register`).

Exit codes: 0 all went well; 1 some inputs failed (the rest were stored) or the store failed;
2 usage errors (unknown options, bad ``--field``, bad settings).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli._options import JsonOpt, PrivateUrlsOpt, ProgressOpt, Where, store_session, where_flags

if TYPE_CHECKING:
    from ingest import IngestReport


@where_flags()
def ingest_command(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(help="Files, folders, .json/.jsonl/.csv record files, http(s):// pages or feeds."),
    ] = None,
    samples: Annotated[
        bool, typer.Option("--samples", help="Also add the sample articles that ship with newsrag.")
    ] = False,
    field: Annotated[
        list[str] | None,
        typer.Option("--field", help="Map a record field: OURS=THEIRS, e.g. --field text=body (repeatable)."),
    ] = None,
    prune: Annotated[
        bool, typer.Option("--prune", help="Remove stored articles from these files/folders not seen now.")
    ] = False,
    max_tokens: Annotated[
        int | None, typer.Option("--max-tokens", help="Most word pieces per chunk (default from settings).")
    ] = None,
    overlap: Annotated[int | None, typer.Option("--overlap", help="Chunk overlap, word pieces.")] = None,
    allow_private_urls: PrivateUrlsOpt = False,
    progress: ProgressOpt = True,
    as_json: JsonOpt = False,
    *,
    where: Where,
) -> None:
    """Add articles: files, folders, JSON/JSONL/CSV records, web pages and RSS/Atom feeds."""
    from ingest import SAMPLES, IngestOptions, count_inputs, ingest, parse_field_map

    inputs = [*(inputs or []), *([str(SAMPLES)] if samples else [])]
    if not inputs:
        raise typer.BadParameter("name files, folders or URLs to add, or --samples", param_hint="INPUTS")

    try:
        fields = parse_field_map(field or [])
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--field") from exc
    extra: dict[str, Any] = {"chunk.max_tokens": max_tokens, "chunk.overlap_tokens": overlap}
    if allow_private_urls:
        extra["ingest.allow_private_urls"] = True
    settings = where.settings(**extra)
    options = IngestOptions.from_settings(settings, prune=prune, fields=fields)
    with (
        store_session(settings, as_json) as store,  # entered first: counting the inputs may fail too
        _ProgressBar(enabled=progress, total=count_inputs(inputs, settings.ingest.max_file_mb)) as bar,
    ):
        report = ingest(inputs, store, options=options, progress=bar.update)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        typer.echo(_summary(report))
    raise typer.Exit(1 if report.failed else 0)


def _summary(report: IngestReport) -> str:
    rate = report.chunks_added / report.seconds if report.seconds > 0 else 0.0
    lines = [
        f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
        f"duplicates {report.duplicates}, failed {len(report.failed)}"
        + (f", pruned {report.pruned}" if report.pruned else "")
        + (f", repaired {report.repaired}" if report.repaired else ""),
        f"{report.chunks_added} chunks embedded in {report.seconds:.1f} s ({rate:.1f} chunks/s)",
    ]
    if report.duplicates:
        pairs = list(report.duplicate_of.items())
        lines.append("duplicates (stored once, this input kept as an alias):")
        lines.extend(f"  {dup} = {canon}" for dup, canon in pairs[:10])
        if len(pairs) > 10:
            lines.append(f"  ... and {len(pairs) - 10} more (--json lists all)")
    if report.failed:
        lines.append("failed:")
        lines.extend(f"  {f.input}: {f.reason}" for f in report.failed)
    return "\n".join(lines)


class _ProgressBar:
    """A rich progress bar on stderr: articles, chunks, chunks/s."""

    def __init__(self, enabled: bool, total: int | None) -> None:
        self.enabled = enabled
        self.total = total
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> _ProgressBar:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("articles"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[chunks]} chunks, {task.fields[rate]:.0f} chunks/s"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._progress.start()
            self._task = self._progress.add_task("ingest", total=self.total, chunks=0, rate=0.0)
        return self

    def update(self, p: Any) -> None:
        if self._progress is not None:
            rate = p.chunks / p.seconds if p.seconds > 0 else 0.0
            self._progress.update(self._task, completed=p.articles, chunks=p.chunks, rate=rate)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


@where_flags()
def stats_command(as_json: JsonOpt = False, *, where: Where) -> None:
    """What the collection holds: articles, chunks, sources, date range."""
    with store_session(where.settings(), as_json) as store:
        stats = store.stats()
    first = stats.first_published.isoformat() if stats.first_published else None
    last = stats.last_published.isoformat() if stats.last_published else None
    if as_json:
        out = {
            "articles": stats.articles,
            "chunks": stats.chunks,
            "sources": stats.sources,
            "first_published": first,
            "last_published": last,
        }
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    typer.echo(f"{stats.articles} articles, {stats.chunks} chunks in {store.location}")
    typer.echo(f"published: {first or '-'} .. {last or '-'}")
    if stats.sources:
        typer.echo("sources: " + ", ".join(f"{name} ({n})" for name, n in list(stats.sources.items())[:15]))
        if len(stats.sources) > 15:
            typer.echo(f"  ... and {len(stats.sources) - 15} more (--json lists all)")


@where_flags()
def delete_command(
    ids: Annotated[list[str], typer.Argument(help="Article ids (see `newsrag stats`, search results).")],
    as_json: JsonOpt = False,
    *,
    where: Where,
) -> None:
    """Remove articles and their chunks. Exit 1 if some ids were not found."""
    with store_session(where.settings(), as_json) as store:
        known = store.articles(refresh=True)
        missing = [i for i in ids if i not in known]
        deleted = store.delete_articles([i for i in ids if i in known])
    if as_json:
        typer.echo(json.dumps({"deleted": deleted, "not_found": missing}, ensure_ascii=False))
    else:
        typer.echo(f"deleted {deleted} article(s)")
        for i in missing:
            typer.echo(f"not found: {i}", err=True)
    raise typer.Exit(1 if missing else 0)


def register(app: typer.Typer) -> None:
    """Add ``ingest``, ``stats`` and ``delete`` to the ``newsrag`` app."""
    app.command("ingest")(ingest_command)
    app.command("stats")(stats_command)
    app.command("delete")(delete_command)
