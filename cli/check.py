"""CLI commands ``check`` (is a claim backed by the archive?) and ``eval claims`` (score the claim
checker on a labelled set), registered by :func:`register`.

Exit codes: 0 checked (whatever the verdict); 1 the store failed or the article is unknown;
2 usage errors (empty claim, bad date, unreadable set).
"""

from __future__ import annotations

import json
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli._options import AsOfOpt, JsonOpt, Where, fail, parse_date, reported_errors, where_flags
from cli.ask import print_source

if TYPE_CHECKING:
    from rag import ClaimCheck

_MARK = {"supported": "SUPPORTED", "contradicted": "CONTRADICTED", "not_found": "NOT FOUND"}


def _print_check(result: ClaimCheck) -> None:
    head = _MARK[result.verdict] + (f" ({result.kind})" if result.kind else "")
    typer.echo(f"{head}: {result.reason}")
    if result.corrected:
        typer.echo(f"The passage supports: {result.corrected}")
    for e in result.evidence:
        print_source("\n", e.passage, e.quote)


@where_flags()
def check_command(
    claim: Annotated[str, typer.Argument(help="The claim, e.g. a sentence from a draft.")],
    article: Annotated[
        str | None, typer.Option("--article", help="Check it against this article id alone.")
    ] = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
    *,
    where: Where,
) -> None:
    """Check a claim against the ingested articles: supported, contradicted (and how) or not found."""
    from rag import NewsRAG

    when = parse_date(as_of, "--as-of")
    with closing(NewsRAG(where.settings())) as rag, reported_errors(as_json):
        result = rag.check(claim, article_id=article, as_of=when)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        _print_check(result)


@where_flags("home", "chroma_url")
def eval_claims_command(
    claims: Annotated[
        Path, typer.Argument(help="A claim set (JSON lines), e.g. eval/sets/claims-dev.jsonl.")
    ],
    corpus: Annotated[
        list[Path],
        typer.Option(
            "--corpus", exists=True, help="A corpus file or folder holding the set's articles (repeatable)."
        ),
    ],
    as_json: JsonOpt = False,
    *,
    where: Where,
) -> None:
    """Score the claim checker on a labelled claim set: accuracy per kind (each claim checked
    against its own article; each corpus is ingested into its own eval collection first)."""
    from eval.claims import load_claims, score_claims, summarize_claims
    from eval.corpus import corpus_rag
    from rag import NewsragError

    try:
        items = load_claims(claims)
    except NewsragError as exc:
        raise fail(str(exc), 2) from exc
    settings = where.settings()
    todo, results = list(items), []
    for path in corpus:
        with reported_errors(as_json), corpus_rag(path, settings) as rag:
            known = rag.store.articles()
            aliases = {a for info in known.values() for a in info.aliases}
            mine = [c for c in todo if c.article_id in known or c.article_id in aliases]
            results.append(score_claims(mine, rag))
            todo = [c for c in todo if c not in mine]
    report = summarize_claims(
        [r for res in results for r in res["rows"]],
        skipped=[c.id for c in todo] + [s for res in results for s in res["skipped"]],
        articles=sum(res["articles"] for res in results),
        seconds=[t for res in results for t in res["seconds"]],
    )
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    typer.echo(f"{report['n']} claims over {report['articles']} articles; skipped {len(report['skipped'])}")
    typer.echo(f"{'kind':<10} {'n':>4} {'caught':>7} {'exact':>6}")
    for kind, row in report["kinds"].items():
        typer.echo(f"{kind:<10} {row['n']:>4} {row['caught']:>7.3f} {row['exact']:>6.3f}")
    typer.echo(f"accuracy {report['accuracy']:.3f}; {report['seconds_p50'] * 1000:.0f} ms per claim (median)")


def register(app: typer.Typer) -> None:
    """Add ``check`` to the ``newsrag`` app and ``claims`` to its ``eval`` group."""
    from cli.evaluate import eval_app

    app.command("check")(check_command)
    eval_app.command("claims")(eval_claims_command)
