"""Run in a child process by the benchmark, so each ingest starts cold and its peak RSS is its own.

``python -m bench._child ingest --home H --backend onnx CORPUS`` ingests through the library API
(the same calls as ``newsrag ingest``), timing the embedding and the store writes inside the run,
and prints one JSON line. ``python -m bench._child cli ARGS`` runs ``newsrag ARGS``. Either way the
process's own peak RSS is written where the benchmark reads it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from cli._env import set_env_defaults

set_env_defaults()


app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.command("ingest")
def ingest_command(
    corpus: Path,
    home: Annotated[Path, typer.Option()],
    models_home: Annotated[Path, typer.Option()],
    backend: str = "onnx",
    collection: str = "news",
    batch_size: int = 32,
) -> None:
    """Ingest ``corpus`` through the library API; print the report and timings as one JSON line."""
    print(json.dumps(_ingest(corpus, home, models_home, backend, collection, batch_size), ensure_ascii=False))


@app.command("cli", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def cli_command(ctx: typer.Context) -> None:
    """Run ``newsrag`` with the rest of the arguments, in this process."""
    from cli import app as newsrag

    newsrag(args=ctx.args, prog_name="newsrag")


def _ingest(
    corpus: Path, home: Path, models_home: Path, backend: str, collection: str, batch_size: int
) -> dict[str, object]:
    from bench._measure import Stopwatch, self_peak_rss_mb
    from ingest import IngestOptions, ingest
    from rag import MiniLMEmbeddings, NewsStore, Settings

    t0 = time.perf_counter()
    embeddings = MiniLMEmbeddings(batch_size=batch_size, backend=backend, home=models_home)
    store = NewsStore(home, collection=collection, embeddings=embeddings)
    opened = time.perf_counter() - t0
    watch = Stopwatch()
    embeddings.embed_array = watch.wrap("embed", embeddings.embed_array)  # type: ignore[method-assign]
    store.write_articles = watch.wrap("store_write", store.write_articles)  # type: ignore[method-assign]
    try:
        options = IngestOptions.from_settings(Settings())  # as `newsrag ingest` does
        report = ingest([str(corpus)], store, options=options)
    finally:
        store.close()
    out = report.to_dict()
    out.pop("duplicate_of", None)
    out["failed"] = len(report.failed)
    out["duplicates_map"] = dict(report.duplicate_of)
    out["open_s"] = round(opened, 3)
    out["embed_s"] = round(watch.seconds.get("embed", 0.0), 3)
    # The store embeds what it writes: its own share is the write less the embedding inside it.
    out["store_write_s"] = round(watch.seconds.get("store_write", 0.0) - out["embed_s"], 3)
    out["other_s"] = round(report.seconds - out["embed_s"] - out["store_write_s"], 3)
    out["peak_rss_mb"] = round(self_peak_rss_mb(), 1)
    out["backend"] = backend
    return out


def main() -> None:
    from bench._measure import report_peak_at_exit

    report_peak_at_exit()
    app(prog_name="python -m bench._child")


if __name__ == "__main__":
    main()
