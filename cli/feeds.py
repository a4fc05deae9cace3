"""CLI group ``feeds``: RSS/Atom feeds kept current (``add``, ``list``, ``remove``, ``poll``).

``feeds poll`` is a foreground scheduler (Ctrl+C stops it); ``feeds poll --once`` polls every feed
that is due, once, for cron. After each round every watch makes its digest (``newsrag watches``).

Exit codes: 0 done; 1 a feed failed (the others were polled) or the store failed; 2 usage errors.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli._options import JsonOpt, PrivateUrlsOpt, ProgressOpt, Where, fail, store_session, where_flags
from cli.watches import digest_folder, forget, list_rows, open_state, watch_retriever

if TYPE_CHECKING:
    from ingest.feeds import FeedPoller, PollResult
    from ingest.feedstate import FeedRow
    from rag import Settings

feeds_app = typer.Typer(help="RSS/Atom feeds that keep the collection current.", no_args_is_help=True)

_IDLE_SECONDS = 60.0  # the scheduler looks again at least this often


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds") if ts else "-"


@feeds_app.command("add")
@where_flags("home", "collection")
def add_command(
    url: Annotated[str, typer.Argument(help="The feed's http(s):// URL.")],
    every: Annotated[str, typer.Option("--every", help="How often to poll: 90s, 30m, 2h, 1d.")] = "30m",
    on_removed: Annotated[
        str,
        typer.Option("--on-removed", help="Items that leave the feed: keep their articles, or prune them."),
    ] = "keep",
    *,
    where: Where,
) -> None:
    """Add a feed (polled at the next `feeds poll`), or change its schedule."""
    from ingest.feeds import add_feed, parse_every
    from rag import InputError

    try:
        seconds = parse_every(every)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--every") from exc
    settings = where.settings()
    with open_state(settings) as state:
        try:
            new = add_feed(state, url, seconds, on_removed)
        except InputError as exc:
            raise fail(f"{exc.input}: {exc.reason}", 2) from exc
    typer.echo(
        f"{'added' if new else 'updated'} {url.strip()}: every {every}, items that leave it: {on_removed}"
    )


@feeds_app.command("list")
@where_flags("home", "collection")
def list_command(as_json: JsonOpt = False, *, where: Where) -> None:
    """The feeds, their schedules and how their last polls went."""
    empty = "no feeds (add one: newsrag feeds add URL)"
    list_rows(where.settings(), lambda state: state.feeds(), as_json, _feed_line, empty)


def _feed_line(f: FeedRow) -> str:
    status = f.last_status or "never polled"
    return (
        f"{f.url}  every {f.every_seconds}s, {f.on_removed}; last: {status} at {_when(f.last_polled)}, "
        f"last success {_when(f.last_success)}, next {_when(f.next_due)}"
        + (f"; {f.failures} failure(s) in a row: {f.last_error}" if f.failures else "")
    )


@feeds_app.command("remove")
@where_flags("home", "collection")
def remove_command(
    url: Annotated[str, typer.Argument(help="The feed's URL as added.")], *, where: Where
) -> None:
    """Stop polling a feed (its articles stay; `newsrag delete` removes articles)."""
    unknown = f"no feed {url!r} (see `newsrag feeds list`)"
    forget(where.settings(), lambda state: state.remove_feed(url.strip()), unknown, url.strip())


@feeds_app.command("poll")
@where_flags()
def poll_command(
    once: Annotated[
        bool, typer.Option("--once", help="Poll every due feed once and exit (for cron).")
    ] = False,
    everything: Annotated[bool, typer.Option("--all", help="Poll every feed now, due or not.")] = False,
    allow_private_urls: PrivateUrlsOpt = False,
    progress: ProgressOpt = True,
    as_json: JsonOpt = False,
    *,
    where: Where,
) -> None:
    """Poll the feeds that are due: new and changed items are ingested, watches make their digests."""
    from ingest.feeds import FeedPoller
    from ingest.pipeline import IngestOptions

    extra: dict[str, Any] = {"ingest.allow_private_urls": True} if allow_private_urls else {}
    settings = where.settings(**extra)
    failed = False
    with open_state(settings) as state, store_session(settings, as_json) as store:
        poller = FeedPoller(store, state, IngestOptions.from_settings(settings))
        try:
            while True:
                failed = _round(poller, settings, everything, progress, as_json, idle_report=once) or failed
                if once:
                    break
                _sleep_until_due(poller)
                everything = False
        except KeyboardInterrupt:
            pass
    raise typer.Exit(1 if failed else 0)


def _sleep_until_due(poller: FeedPoller) -> None:
    dues = [f.next_due for f in poller.state.feeds()]
    wait = min([*(d - poller.clock() for d in dues), _IDLE_SECONDS])
    time.sleep(max(1.0, wait))


def _round(
    poller: FeedPoller, settings: Settings, everything: bool, progress: bool, as_json: bool, idle_report: bool
) -> bool:
    """Poll the due feeds, then run the watches; True when a feed failed. With nothing due, say so
    only when ``idle_report`` (``--once``)."""
    from ingest.watches import run_watches

    feeds = poller.due(everything)
    if not feeds:
        if idle_report:
            typer.echo(json.dumps([]) if as_json else "no feed is due (--all polls them all now)")
        return False
    with _FeedProgress(progress, len(feeds)) as bar:
        results = poller.poll(feeds, bar.update)
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in results], ensure_ascii=False))
    else:
        for r in results:
            typer.echo(_line(r, poller))
    if any(r.arrived for r in results) and poller.state.watches():
        runs = run_watches(
            poller.state,
            watch_retriever(poller.store, settings),
            digest_folder(settings),
            poller.options.fetch,
            poller.clock(),
        )
        for run in runs:
            if run.items:
                typer.echo(f"watch {run.name}: {run.items} new article(s) in {run.files[0]}", err=True)
            if run.webhook_error:
                typer.echo(f"watch {run.name}: {run.webhook_error}", err=True)
    return any(r.status == "error" for r in results)


def _line(r: PollResult, poller: FeedPoller) -> str:
    if r.status == "error":
        due = next((f.next_due for f in poller.state.feeds() if f.url == r.url), None)
        return f"error {r.url}: {r.error} (next try {_when(due)})"
    if r.status == 304:
        return f"304 {r.url}: not modified"
    line = f"200 {r.url}: added {r.added}, updated {r.updated}, removed {r.removed}"
    line += f" (pruned {r.pruned})" if r.pruned else ""
    line += f", {r.chunks_added} chunks embedded"
    for f in r.failed:
        line += f"\n  failed {f.input}: {f.reason}"
    return line


class _FeedProgress:
    """A rich progress line on stderr: which feed, how many done, articles and chunks of this one."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled = enabled
        self.total = total
        self._progress: Any = None
        self._task: Any = None
        self._done = -1

    def __enter__(self) -> _FeedProgress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("feeds"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(
                    "{task.fields[url]}: {task.fields[articles]} articles, {task.fields[chunks]} chunks"
                ),
                TimeElapsedColumn(),
                console=Console(stderr=True),
            )
            self._progress.start()
            self._task = self._progress.add_task("poll", total=self.total, url="", articles=0, chunks=0)
        return self

    def update(self, feed: FeedRow, p: Any) -> None:
        if self._progress is None:
            return
        if p is None:  # a new feed starts
            self._done += 1
            self._progress.update(self._task, completed=self._done, url=feed.url, articles=0, chunks=0)
        else:
            self._progress.update(self._task, articles=p.articles, chunks=p.chunks)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=self.total)
            self._progress.stop()


def register(app: typer.Typer) -> None:
    """Add the ``feeds`` group to the ``newsrag`` app."""
    app.add_typer(feeds_app, name="feeds")
