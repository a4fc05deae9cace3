"""CLI commands ``timeline`` (a story's events in date order), ``brief`` (what happened, newest
first) and ``eval stories`` (score timelines on a hand-made story set), registered by :func:`register`.

Exit codes: 0 done (an empty timeline too); 1 the store failed; 2 usage errors (empty story name,
bad date, unreadable story set).
"""

from __future__ import annotations

import json
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli._filters import Window, window_flags
from cli._options import BackendOpt, JsonOpt, Where, fail, reported_errors, where_flags

if TYPE_CHECKING:
    from rag import Timeline

StoryArg = Annotated[str, typer.Argument(help='The story, as you would name it: "Hurricane Ian".')]


def _print_timeline(timeline: Timeline) -> None:
    if not timeline.events:
        typer.echo(f"No articles about {timeline.query!r} were found.")
        return
    numbers = {a.article_id: i for i, a in enumerate(timeline.articles, start=1)}
    for e in timeline.events:
        when = e.date.isoformat() if e.date else "undated"
        if e.end and e.end != e.date:
            when += f" to {e.end.isoformat()}"
        marks = "".join(f"[{numbers[a]}]" for a in e.article_ids)
        outlets = f"  ({', '.join(e.sources)})" if e.sources else ""
        typer.echo(f"{when}  {e.summary} {marks}{outlets}")
    _print_articles("Articles", timeline, with_url=False)
    total = timeline.timings.get("total")
    if total is not None:
        typer.echo(
            f"\n({len(timeline.articles)} articles, {len(timeline.events)} events, {total:.2f} s)", err=True
        )


def _print_articles(heading: str, timeline: Timeline, *, with_url: bool) -> None:
    """The story's numbered articles, as its citations number them."""
    typer.echo(f"\n{heading}:")
    for n, a in enumerate(timeline.articles, start=1):
        when = a.published.isoformat() if a.published else "undated"
        url = f" {a.url}" if with_url else ""
        meta = ", ".join(x for x in (a.source, when) if x)
        typer.echo(f"[{n}] {a.title or '(untitled)'} ({meta}){url}")


@where_flags()
@window_flags()
def timeline_command(story: StoryArg, as_json: JsonOpt = False, *, window: Window, where: Where) -> None:
    """A story's articles grouped into events in date order, each summarised in one cited line."""
    from rag import NewsRAG

    with closing(NewsRAG(where.settings())) as rag, reported_errors(as_json):
        timeline = rag.timeline(story, since=window.since, until=window.until, sources=window.sources)
    if as_json:
        typer.echo(json.dumps(timeline.to_dict(), ensure_ascii=False))
    else:
        _print_timeline(timeline)


@where_flags()
@window_flags("since", "source")
def brief_command(
    story: StoryArg, backend: BackendOpt = None, as_json: JsonOpt = False, *, window: Window, where: Where
) -> None:
    """Brief me on a story: 5-8 cited bullets, newest first, each with what changed since the
    report before it (the articles' own sentences, no LLM; --backend local has the model word them)."""
    from rag import NewsRAG

    with closing(NewsRAG(where.settings())) as rag, reported_errors(as_json):
        briefing = rag.brief(
            story, since=window.since, sources=window.sources, backend=backend or "extractive"
        )
    if as_json:
        typer.echo(json.dumps(briefing.to_dict(), ensure_ascii=False))
        return
    typer.echo(briefing.text)
    if briefing.bullets:
        _print_articles("Sources", briefing.timeline, with_url=True)


@where_flags()
def eval_stories_command(
    stories: Annotated[
        Path, typer.Argument(help="A story set (JSON lines), e.g. eval/sets/stories-dev.jsonl.")
    ],
    corpus: Annotated[
        Path | None,
        typer.Option(
            "--corpus", exists=True, help="The corpus holding the stories' articles (ingested first)."
        ),
    ] = None,
    as_json: JsonOpt = False,
    *,
    where: Where,
) -> None:
    """Score story timelines on a hand-made story set: article recall and precision, event
    ordering. With --corpus the corpus is ingested into its own eval collection first (re-runs
    reuse it); without, the collection named by --collection (or the default) is searched."""
    from eval.corpus import corpus_rag
    from eval.stories import load_stories, score_stories, summarize_stories
    from rag import NewsragError

    try:
        items = load_stories(stories)
    except NewsragError as exc:
        raise fail(str(exc), 2) from exc
    own = where.collection is None
    with reported_errors(as_json), corpus_rag(corpus, where.settings(), own_collection=own) as rag:
        report = summarize_stories(score_stories(items, rag))
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    typer.echo(
        f"{'story':<16} {'articles':>8} {'found':>6} {'events':>6} {'recall':>7} "
        f"{'precision':>9} {'order':>6}"
    )
    for r in report["rows"]:
        order = f"{r['ordering']:.3f}" if r["ordering"] is not None else "-"
        typer.echo(
            f"{r['id']:<16} {r['articles']:>8} {r['found']:>6} {r['events']:>6} "
            f"{r['recall']:>7.3f} {r['precision']:>9.3f} {order:>6}"
        )
    typer.echo(
        f"mean over {report['stories']} stories: recall {report['recall']:.3f}, precision "
        f"{report['precision']:.3f}, ordering {report['ordering']:.3f}; "
        f"{report['seconds_p50']:.2f} s per timeline (median)"
    )


def register(app: typer.Typer) -> None:
    """Add ``timeline`` and ``brief`` to the ``newsrag`` app and ``stories`` to its ``eval`` group."""
    from cli.evaluate import eval_app

    app.command("timeline")(timeline_command)
    app.command("brief")(brief_command)
    eval_app.command("stories")(eval_stories_command)
