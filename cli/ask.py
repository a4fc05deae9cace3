"""CLI command ``ask`` (registered on the ``newsrag`` app by :func:`register`).

Exit codes: 0 answered or abstained; 1 the store, the model or the LLM server failed (when the
server is unreachable the retrieved passages are still printed); 2 usage errors.
"""

from __future__ import annotations

import json
import sys
from contextlib import closing
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli._filters import Window, window_flags
from cli._options import AsOfOpt, BackendOpt, JsonOpt, Where, parse_date, reported_errors, where_flags

if TYPE_CHECKING:
    from rag import Answer, Passage


def _meta(p: Passage) -> str:
    return ", ".join(x for x in (p.source, p.published.isoformat() if p.published else "") if x)


def print_source(head: str, p: Passage, quote: str) -> None:
    """One cited passage: ``head``, its title, source and date; the quote; its URL."""
    typer.echo(f"{head}{p.title or '(untitled)'}" + (f" ({_meta(p)})" if _meta(p) else ""))
    typer.echo(f'    "{quote}"')
    if p.url:
        typer.echo(f"    {p.url}")


def _print_answer(answer: Answer) -> None:
    typer.echo(answer.text)
    if answer.citations:
        typer.echo("\nSources:")
        for c in answer.citations:
            print_source(f"[{c.n}] ", c.passage, c.quote)
    why = {fix.claim: fix.reason for fix in answer.corrections}
    rewritten = [fix for fix in answer.corrections if fix.action == "rewritten"]
    if rewritten:
        typer.echo("\nRewritten (the passage names another speaker):")
        for fix in rewritten:
            typer.echo(f"  - {fix.claim}\n    {fix.reason}")
    if answer.unsupported:
        typer.echo("\nRemoved (no source supports it):")
        for s in answer.unsupported:
            typer.echo(f"  - {s}" + (f" ({why[s]})" if s in why else ""))
    total = answer.timings.get("total")
    typer.echo(f"\n({answer.backend}" + (f", {total:.1f} s)" if total is not None else ")"), err=True)


@where_flags()
@window_flags()
def ask_command(
    question: Annotated[str, typer.Argument(help="The question, e.g. 'What did Stoltenberg say?'.")],
    as_of: AsOfOpt = None,
    backend: BackendOpt = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Local model: default, fast or a .gguf path.")
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help="The openai backend's server, e.g. http://127.0.0.1:8080/v1."),
    ] = None,
    k: Annotated[
        int | None, typer.Option("--k", min=1, max=50, help="Passages shown to the generator.")
    ] = None,
    stream: Annotated[
        bool, typer.Option("--stream", help="Print the model's words to stderr as they come.")
    ] = False,
    as_json: JsonOpt = False,
    *,
    window: Window,
    where: Where,
) -> None:
    """Ask a question; the answer cites the ingested articles, or says they don't answer it."""
    from rag import Answer, LLMUnavailableWithPassages, NewsRAG

    extra = {"llm.model": model, "llm.base_url": base_url, "retrieval.k": k}
    settings = where.settings(**extra)
    final: Answer | None = None
    with closing(NewsRAG(settings)) as rag, reported_errors(as_json):
        try:
            for event in rag.stream(
                question,
                as_of=parse_date(as_of, "--as-of"),
                since=window.since,
                until=window.until,
                sources=window.sources,
                backend=backend,
            ):
                if isinstance(event, Answer):
                    final = event
                elif stream:
                    sys.stderr.write(event)
                    sys.stderr.flush()
        except LLMUnavailableWithPassages as exc:
            _fail_with_sources(exc, as_json)
    if stream:
        sys.stderr.write("\n")
    assert final is not None
    if as_json:
        typer.echo(json.dumps(final.to_dict(), ensure_ascii=False))
    else:
        _print_answer(final)


def _fail_with_sources(exc: Any, as_json: bool) -> None:
    """The LLM is unreachable: say so, and still show what retrieval found."""
    if as_json:
        passages = [p.to_dict(n) for n, p in enumerate(exc.passages, start=1)]
        typer.echo(json.dumps({"error": str(exc), "passages": passages}, ensure_ascii=False))
    else:
        typer.echo("The retrieved passages (no answer was generated):")
        for n, p in enumerate(exc.passages, start=1):
            typer.echo(f"[{n}] {p.title or '(untitled)'}" + (f" ({_meta(p)})" if _meta(p) else ""))
    typer.echo(f"error: {exc}", err=True)
    typer.echo("hint: start the server, or answer without an LLM: --backend extractive", err=True)
    raise typer.Exit(1) from exc


def register(app: typer.Typer) -> None:
    """Add ``ask`` to the ``newsrag`` app."""
    app.command("ask")(ask_command)
