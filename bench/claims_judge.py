"""The bundled local LLM as a claim judge, against the rule checker, on a sample of a claim set.

    python -m bench.claims_judge eval/sets/claims-dev.jsonl --home HOME --collection COLLECTION

Each sampled claim (12 supported and 6 of each other kind, seed 0, among those whose article the
collection holds) is matched to its best span by the claim checker; the model then answers
SUPPORTED or UNSUPPORTED for the span. Prints the share right per kind and the median seconds per
claim, one JSON object.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Annotated, Any

import typer

PROMPT = (
    "You check claims against a news passage. Answer with one word: SUPPORTED if the passage "
    "states the claim exactly (same speaker, same polarity, same numbers, dates and names), "
    "otherwise UNSUPPORTED."
)


def judge(claims_path: Path, home: Path, collection: str, per_kind: int = 6, seed: int = 0) -> dict[str, Any]:
    """Right answers per kind and seconds per claim of the LLM judge."""
    from langchain_core.messages import HumanMessage, SystemMessage

    from eval.claims import load_claims
    from rag import ClaimChecker, NewsRAG, Settings

    api = NewsRAG(Settings().with_overrides({"home": home, "collection": collection}))
    known = api.store.articles()
    canonical = {alias: info.id for info in known.values() for alias in (info.id, *info.aliases)}
    by_kind: dict[str, list[Any]] = defaultdict(list)
    for c in load_claims(claims_path):
        if c.article_id in canonical:
            by_kind[c.kind].append(c)
    rng = random.Random(seed)
    sample = [
        c
        for kind, items in sorted(by_kind.items())
        for c in rng.sample(items, min(len(items), 2 * per_kind if kind == "supported" else per_kind))
    ]
    model = api.chat_model("local")
    assert model is not None
    spans = ClaimChecker(embed=api.engine.verifier.embed, threshold=0.0, min_overlap=0.0)
    right: dict[str, list[bool]] = defaultdict(list)
    seconds = []
    for c in sample:
        found = spans.check(c.claim, api.store.article_chunks(canonical[c.article_id]))
        span = found.evidence[0].quote if found.evidence else ""
        t0 = time.perf_counter()
        reply = model.invoke(
            [SystemMessage(PROMPT), HumanMessage(f"Passage: {span}\n\nClaim: {c.claim}\n\nAnswer:")]
        ).text.upper()
        seconds.append(time.perf_counter() - t0)
        said_supported = "SUPPORTED" in reply and "UNSUPPORTED" not in reply
        right[c.kind].append(said_supported == (c.kind == "supported"))
    api.close()
    n = sum(len(v) for v in right.values())
    return {
        "n": n,
        "caught": round(sum(sum(v) for v in right.values()) / n, 3) if n else 0.0,
        "kinds": {k: {"n": len(v), "caught": round(sum(v) / len(v), 3)} for k, v in right.items()},
        "seconds_p50": round(statistics.median(seconds), 2) if seconds else 0.0,
    }


def main(
    claims: Annotated[Path, typer.Argument(help="A claim set (JSON lines).")],
    home: Annotated[Path, typer.Option(help="A NEWSRAG_HOME holding the set's articles.")],
    collection: Annotated[str, typer.Option(help="The collection holding them.")],
) -> None:
    """The bundled local LLM as a claim judge, against the rule checker, on a sample of a claim set."""
    print(json.dumps(judge(claims, home, collection)))


if __name__ == "__main__":
    typer.run(main)
