"""What an ingest run did: counts, failures with their reasons, timing."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Failure", "IngestReport", "Progress"]


@dataclass(frozen=True)
class Failure:
    """One input (file, ``file:line`` or URL) that was skipped, and why."""

    input: str
    reason: str


@dataclass(frozen=True)
class Progress:
    """Passed to the progress callback after every stored batch and every skipped article."""

    articles: int  # articles looked at so far (added, updated, unchanged, duplicate or failed)
    chunks: int  # chunks embedded and stored so far
    seconds: float


@dataclass
class IngestReport:
    """The summary of one ingest run.

    ``added``/``updated``/``unchanged``/``duplicates`` count articles; ``duplicates`` are inputs whose
    normalised text equals an article already stored (they are recorded as its aliases, not stored).
    """

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    pruned: int = 0
    repaired: int = 0  # half-written articles of an interrupted earlier run, removed first
    chunks_added: int = 0
    failed: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    article_ids: list[str] = field(default_factory=list)  # every article id seen this run, in order
    duplicate_of: dict[str, str] = field(default_factory=dict)  # duplicate input id -> stored article id

    @property
    def ok(self) -> bool:
        """True when no input failed."""
        return not self.failed

    def to_dict(self) -> dict[str, Any]:
        """The summary as plain JSON-ready values (``newsrag ingest --json``; without ``article_ids``)."""
        values = asdict(self)
        del values["article_ids"]
        return {**values, "seconds": round(self.seconds, 3)}
