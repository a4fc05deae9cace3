"""CLI group ``watches``: saved topics looked for in what each feed poll brings (``add``, ``list``,
``remove``, ``digest``). Digests are written under ``NEWSRAG_HOME/digests/<collection>/<name>/``.

Exit codes: 0 done; 1 an unknown watch or a failed webhook; 2 usage errors (a bad name, date or URL).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar

import typer

from cli._options import JsonOpt, Where, fail, store_session, where_flags

if TYPE_CHECKING:
    from ingest.feedstate import FeedState
    from ingest.watches import Digest
    from rag import HybridRetriever, NewsStore, Settings

watches_app = typer.Typer(
    help="Saved watches: digests of the new articles about a topic.", no_args_is_help=True
)


def open_state(settings: Settings) -> FeedState:
    """The feeds-and-watches state file of the settings' home and collection."""
    from ingest.feedstate import FeedState, state_path

    return FeedState(state_path(settings.home, settings.collection))


def forget(settings: Settings, remove: Callable[[FeedState], bool], unknown: str, what: str) -> None:
    """Remove a feed or a watch from the state file: say ``removed what``, or exit 1 with ``unknown``
    when ``remove`` did not know it."""
    with open_state(settings) as state:
        gone = remove(state)
    if not gone:
        raise fail(unknown, 1)
    typer.echo(f"removed {what}")


class _Row(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=_Row)


def list_rows(
    settings: Settings,
    read: Callable[[FeedState], list[R]],
    as_json: bool,
    line: Callable[[R], str],
    empty: str,
) -> None:
    """Print the feeds or the watches ``read`` gives: a JSON list, or a ``line`` each (``empty`` if none)."""
    with open_state(settings) as state:
        rows = read(state)
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in rows], ensure_ascii=False))
        return
    if not rows:
        typer.echo(empty)
    for r in rows:
        typer.echo(line(r))


def digest_folder(settings: Settings) -> Path:
    """Where digests of the settings' collection are written."""
    return Path(settings.home) / "digests" / settings.collection


def watch_retriever(store: NewsStore, settings: Settings) -> HybridRetriever:
    """The hybrid retriever watches match with (no recency weighting: every new article counts)."""
    from rag import HybridRetriever

    r = settings.retrieval
    return HybridRetriever(store, fetch_k=r.fetch_k, hybrid=r.hybrid, rrf_k=r.rrf_k, recency_window_days=None)


def _since(value: str) -> float:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"expected a date such as 2026-01-31 or 2026-01-31T08:00, got {value!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


@watches_app.command("add")
@where_flags("home", "collection")
def add_command(
    name: Annotated[str, typer.Argument(help="A short name: letters, digits, '.', '_' or '-'.")],
    topic: Annotated[str, typer.Argument(help="The question or topic to look for, in plain words.")],
    webhook: Annotated[
        str | None, typer.Option("--webhook", help="POST each digest as JSON to this URL.")
    ] = None,
    *,
    where: Where,
) -> None:
    """Save a watch; its first digest covers the articles that arrive from now on."""
    from ingest.watches import check_watch_name
    from ingest.web import check_url
    from rag import InputError

    try:
        check_watch_name(name)
        if webhook:
            check_url(webhook, allow_private=True)
    except InputError as exc:
        raise fail(f"{exc.input}: {exc.reason}", 2) from exc
    if not topic.strip():
        typer.echo("error: the topic is empty", err=True)
        raise typer.Exit(2)
    with open_state(where.settings()) as state:
        new = state.add_watch(name, topic.strip(), webhook or "", time.time())
    typer.echo(f"{'added' if new else 'updated'} watch {name}: {topic.strip()}")


@watches_app.command("list")
@where_flags("home", "collection")
def list_command(as_json: JsonOpt = False, *, where: Where) -> None:
    """The saved watches."""
    list_rows(
        where.settings(),
        lambda state: state.watches(),
        as_json,
        lambda w: f"{w.name}: {w.topic}" + (f"  -> {w.webhook}" if w.webhook else ""),
        'no watches (add one: newsrag watches add NAME "TOPIC")',
    )


@watches_app.command("remove")
@where_flags("home", "collection")
def remove_command(name: Annotated[str, typer.Argument(help="The watch's name.")], *, where: Where) -> None:
    """Forget a watch and its kept digests (files already written stay)."""
    forget(
        where.settings(), lambda state: state.remove_watch(name), f"no watch named {name!r}", f"watch {name}"
    )


@watches_app.command("digest")
@where_flags()
def digest_command(
    name: Annotated[str, typer.Argument(help="The watch's name.")],
    since: Annotated[
        str | None,
        typer.Option(
            "--since", help="Articles that arrived after this date (default: since the last digest)."
        ),
    ] = None,
    as_json: JsonOpt = False,
    *,
    where: Where,
) -> None:
    """The watch's digest: made now from what arrived since its last one (or since --since), else
    the last one made."""
    from ingest import IngestOptions
    from ingest.watches import Digest, deliver, make_digest, write_digest

    start = _since(since) if since else None
    settings = where.settings()
    with open_state(settings) as state, store_session(settings, as_json) as store:
        watch = state.watch(name)
        if watch is None:
            raise fail(f"no watch named {name!r} (see `newsrag watches list`)", 1)
        retriever = watch_retriever(store, settings)
        now = time.time()
        error = None
        if start is not None:
            digest = make_digest(state, retriever, watch, start, now)
            write_digest(digest, digest_folder(settings) / name)
        else:
            fetch = IngestOptions.from_settings(settings).fetch
            error = deliver(state, retriever, watch, digest_folder(settings), fetch, now).webhook_error
            kept = state.last_digest(name)
            digest = Digest.from_dict(kept) if kept else Digest(name, watch.topic, watch.last_digest, now)
    _show(digest, as_json)
    if error:
        raise fail(error, 1)


def _show(digest: Digest, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(digest.to_dict(), ensure_ascii=False))
    else:
        typer.echo(digest.markdown(), nl=False)


def register(app: typer.Typer) -> None:
    """Add the ``watches`` group to the ``newsrag`` app."""
    app.add_typer(watches_app, name="watches")
