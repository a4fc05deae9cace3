"""Run in a child process by the benchmark, so each ingest starts cold and its peak RSS is its own.

``python -m bench._child ingest --home H --backend onnx CORPUS`` ingests through the library API
(the same calls as ``newsrag ingest``), timing the embedding and the store writes inside the run,
and prints one JSON line. ``python -m bench._child cli ARGS`` runs ``newsrag ARGS``. Either way the
process's own peak RSS is written where the benchmark reads it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from cli._env import set_env_defaults

set_env_defaults()


def _ingest(args: argparse.Namespace) -> dict[str, object]:
    from bench._measure import Stopwatch, self_peak_rss_mb
    from ingest import IngestOptions, ingest
    from rag import MiniLMEmbeddings, NewsStore, Settings

    t0 = time.perf_counter()
    embeddings = MiniLMEmbeddings(batch_size=args.batch_size, backend=args.backend, home=args.models_home)
    store = NewsStore(args.home, collection=args.collection, embeddings=embeddings)
    opened = time.perf_counter() - t0
    watch = Stopwatch()
    embeddings.embed_array = watch.wrap("embed", embeddings.embed_array)  # type: ignore[method-assign]
    store.write_articles = watch.wrap("store_write", store.write_articles)  # type: ignore[method-assign]
    try:
        options = IngestOptions.from_settings(Settings())  # as `newsrag ingest` does
        report = ingest([str(args.corpus)], store, options=options)
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
    out["backend"] = args.backend
    return out


def main() -> None:
    from bench._measure import report_peak_at_exit

    report_peak_at_exit()
    if sys.argv[1:2] == ["cli"]:  # the real `newsrag` command, in this process
        from cli import main as newsrag

        sys.argv = ["newsrag", *sys.argv[2:]]
        newsrag()
        return
    parser = argparse.ArgumentParser(prog="python -m bench._child")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest")
    p.add_argument("corpus", type=Path)
    p.add_argument("--home", type=Path, required=True)
    p.add_argument("--models-home", type=Path, required=True)
    p.add_argument("--backend", default="onnx")
    p.add_argument("--collection", default="news")
    p.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    print(json.dumps(_ingest(args), ensure_ascii=False))


if __name__ == "__main__":
    main()
