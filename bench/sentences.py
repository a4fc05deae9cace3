"""The sentence splitter of ``rag.text`` against ``pysbd``'s, over the texts of a corpus: CPU time in
the same process, sentence counts, and where the two put sentence ends differently.

    .venv/bin/python bench/sentences.py                    # corpus-1k of the shared data
    .venv/bin/python bench/sentences.py --corpus FILE.jsonl --json

``pysbd`` runs with ``clean=False, char_span=True`` (spans into the text as given, which the
chunker, the verifier and the claim checker need). Spans are compared with surrounding white space
trimmed. The result decides whether the toolkit's own splitter gives way to the library
(docs/text.md).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated

import typer

from rag import sentence_spans

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "realtimeqa"
Spans = list[tuple[int, int]]


@dataclass(frozen=True)
class Comparison:
    articles: int
    ours_sentences: int
    pysbd_sentences: int
    ours_cpu_s: float
    pysbd_cpu_s: float
    articles_split_differently: int
    ends_only_ours: int
    ends_only_pysbd: int


def _trimmed(text: str, spans: Sequence[tuple[int, int]]) -> Spans:
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            out.append((a, b))
    return out


def pysbd_spans() -> Callable[[str], Spans]:
    """pysbd's splitter as character spans (imported late: it is the bench extra's)."""
    import pysbd

    segmenter = pysbd.Segmenter(language="en", clean=False, char_span=True)
    return lambda text: [(s.start, s.end) for s in segmenter.segment(text)]


def compare(texts: Sequence[str]) -> Comparison:
    """Both splitters over ``texts``, timed one after the other in this process."""
    theirs = pysbd_spans()
    t0 = time.process_time()
    ours_all = [_trimmed(t, sentence_spans(t)) for t in texts]
    t1 = time.process_time()
    theirs_all = [_trimmed(t, theirs(t)) for t in texts]
    t2 = time.process_time()
    pairs = list(zip(ours_all, theirs_all, strict=True))
    ends = [({b for _, b in o}, {b for _, b in p}) for o, p in pairs]
    return Comparison(
        articles=len(texts),
        ours_sentences=sum(len(o) for o in ours_all),
        pysbd_sentences=sum(len(p) for p in theirs_all),
        ours_cpu_s=round(t1 - t0, 3),
        pysbd_cpu_s=round(t2 - t1, 3),
        articles_split_differently=sum(1 for o, p in pairs if o != p),
        ends_only_ours=sum(len(o - p) for o, p in ends),
        ends_only_pysbd=sum(len(p - o) for o, p in ends),
    )


def main(
    corpus: Annotated[Path, typer.Option(help="Articles as JSON lines with a 'text'.")] = DATA
    / "corpus-1k.jsonl",
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as one JSON object.")] = False,
) -> None:
    """Compare the two splitters over the corpus's texts."""
    if not corpus.exists():
        print(f"needs a corpus at {corpus} (--corpus FILE.jsonl)", file=sys.stderr)
        raise typer.Exit(2)
    with corpus.open(encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for line in f if line.strip()]
    c = compare(texts)
    if as_json:
        print(json.dumps(asdict(c)))
        return
    print(f"{c.articles} articles of {corpus.name}")
    print(f"rag.text: {c.ours_sentences:,} sentences, {c.ours_cpu_s:.2f} s CPU")
    ratio = c.pysbd_cpu_s / c.ours_cpu_s if c.ours_cpu_s else float("inf")
    print(f"pysbd:    {c.pysbd_sentences:,} sentences, {c.pysbd_cpu_s:.2f} s CPU ({ratio:.0f}x)")
    print(
        f"split differently: {c.articles_split_differently} articles; sentence ends only rag.text has: "
        f"{c.ends_only_ours:,}, only pysbd has: {c.ends_only_pysbd:,}"
    )


if __name__ == "__main__":
    typer.run(main)
