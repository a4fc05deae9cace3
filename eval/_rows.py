"""Per-question rows as stored in a run's JSONL files, and the run directory's files."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import fields
from pathlib import Path
from typing import Any

from eval.grounding import grounding_flags
from eval.metrics import QuestionResult
from rag import MARKER, Answer, Passage, marker_numbers, sentences

log = logging.getLogger(__name__)

RESULTS = "results.jsonl"
SUMMARY = "summary.json"
RUN_META = "run.json"
REPORT_MD = "report.md"
REPORT_HTML = "report.html"

_RESULT_FIELDS = tuple(f.name for f in fields(QuestionResult))
_LEAD_MARKERS = re.compile(rf"^(?:\s*{MARKER.pattern}\s*)+", re.I)  # markers that open a "sentence"


def baseline_results(name: str) -> str:
    """The JSONL file of a baseline's rows in a run directory."""
    return f"results-{name}.jsonl"


def to_result(row: Mapping[str, Any]) -> QuestionResult:
    """The metrics' view of a stored row."""
    return QuestionResult(**{k: row[k] for k in _RESULT_FIELDS if k in row})


def answer_sentences(text: str) -> list[tuple[str, list[int]]]:
    """The answer's sentences with the citation numbers each carries.

    Markers written after a sentence's full stop (``... won. [2]``) belong to that sentence.
    """
    out: list[tuple[str, list[int]]] = []
    for part in sentences(text):
        lead = _LEAD_MARKERS.match(part)
        if lead and out:  # markers opening a "sentence" close the previous one
            prev, nums = out[-1]
            out[-1] = (prev + " " + lead.group(0).strip(), nums + _numbers_in(lead.group(0)))
            part = part[lead.end() :].strip()
            if not part:
                continue
        out.append((part, _numbers_in(part)))
    return out


def _numbers_in(text: str) -> list[int]:
    return [n for m in MARKER.finditer(text) for n in marker_numbers(m.group(1))]


def grounding_of(answer: Answer) -> list[bool] | None:
    """Per answer sentence: supported by the passages it cites (see ``eval.grounding.grounding_flags``).

    Marker ``[n]`` refers to the citation numbered ``n`` or, failing that, to the ``n``-th passage the
    generator was shown. ``None`` for an abstention or an empty answer.
    """
    if answer.abstained or not answer.text.strip():
        return None
    by_n: dict[int, list[str]] = {}
    for c in answer.citations:
        by_n.setdefault(c.n, []).append(c.passage.text)
    pairs: list[tuple[str, Sequence[str]]] = []
    for sentence, numbers in answer_sentences(answer.text):
        texts: list[str] = []
        for n in dict.fromkeys(numbers):
            if n in by_n:
                texts.extend(by_n[n])
            elif 1 <= n <= len(answer.passages):
                texts.append(answer.passages[n - 1].text)
        pairs.append((sentence, texts))
    return grounding_flags(pairs) if pairs else None


def passage_row(p: Passage) -> dict[str, Any]:
    """A retrieved passage, compactly."""
    return {
        "article_id": p.article_id,
        "chunk_id": p.chunk_id,
        "title": p.title,
        "published": p.published.isoformat() if p.published else None,
        "score": round(p.score, 6),
    }


def read_rows(path: Path, run_key: str | None = None) -> tuple[list[dict[str, Any]], int]:
    """Rows of a results file (those of ``run_key`` only, when given) and how many were skipped.

    A line cut short by a crash is skipped, as are rows of another configuration.
    """
    if not path.exists():
        return [], 0
    rows: dict[str, dict[str, Any]] = {}
    skipped = 0
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                skipped += 1
                continue
            if (
                not isinstance(row, dict)
                or "id" not in row
                or (run_key is not None and row.get("run_key") != run_key)
            ):
                skipped += 1
            else:
                rows[str(row["id"])] = row  # a question answered twice keeps its last row
    return list(rows.values()), skipped


def write_rows(path: Path, rows: Iterable[Mapping[str, Any]]) -> None:
    """Replace a results file atomically."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    os.replace(tmp, path)


class RowWriter(AbstractContextManager["RowWriter"]):
    """Appends rows to a results file, one flushed line each, so an interrupted run loses nothing."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh = path.open("a", encoding="utf-8")

    def write(self, row: Mapping[str, Any]) -> None:
        self._fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (indented, UTF-8)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_json(path: Path) -> Any:
    """Read a JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))
