"""The few corpus.jsonl articles about Hurricane Ian that the multi-article tests build a store from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag.store import NewsStore

IAN_TOLL = {  # article id: the toll it reports (read from the article, in these words or close)
    "3002bbff8cca": "at least 14 (29 Sep, usatoday.com)",
    "8537129c17e5": "at least 45 (30 Sep, cnn.com)",
    "d7ce14ad64d3": "at least 27, the AP's count (30 Sep, usatoday.com)",
    "455a803a2992": "at least 76 in Florida (2 Oct, cnn.com)",
    "c78c5d407165": "at least 101 in Florida (3 Oct, cnn.com)",
    "b5219a8329da": "105 in Florida, 109 in the US (4 Oct, cnn.com)",
}
OTHERS = {  # stories beside them: earlier Ian coverage, Fiona (with Hurricane Maria's toll)
    "17ac38c6f4bf": "Ian nears Florida (29 Sep)",
    "279132b03340": "Ian strengthens to Category 2 (26 Sep)",
    "1b2656e1992d": "Fiona hits Puerto Rico; Hurricane Maria's toll (18 Sep)",
}
CHANGE_Q = "How did the reported death toll of Hurricane Ian change over the week after it hit Florida?"


def write_ian_articles(data_dir: Path, out: Path) -> Path:
    """The articles above, copied from corpus.jsonl to the JSONL file ``out``."""
    wanted = IAN_TOLL.keys() | OTHERS.keys()
    with (data_dir / "realtimeqa" / "corpus.jsonl").open(encoding="utf-8") as f:
        lines = [line for line in f if json.loads(line)["id"] in wanted]
    assert len(lines) == len(wanted), "corpus.jsonl lacks some of the Ian articles"
    out.write_text("".join(lines), encoding="utf-8")
    return out


def ian_store(data_dir: Path, home: Path, embeddings: Any, collection: str = "news") -> NewsStore:
    """A store under ``home`` holding the articles above (the caller closes it)."""
    from ingest import ingest_paths
    from rag.store import NewsStore

    store = NewsStore(home, collection=collection, embeddings=embeddings)
    report = ingest_paths([str(write_ian_articles(data_dir, home / "ian.jsonl"))], store)
    assert not report.failed, report.failed
    return store
