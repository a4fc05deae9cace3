"""What checking a claim returns: a verdict, its kind, why, and the spans that decided it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from rag.records import Passage

__all__ = ["KINDS", "ClaimCheck", "ClaimEvidence", "Kind", "Verdict"]

Verdict = Literal["supported", "contradicted", "not_found"]
Kind = Literal["speaker", "negation", "number", "date", "entity"]
KINDS: tuple[Kind, ...] = ("speaker", "negation", "number", "date", "entity")


@dataclass(frozen=True)
class ClaimEvidence:
    """A span of a passage that decided a verdict: ``passage.text[quote_start:quote_end] == quote``."""

    passage: Passage
    quote: str
    quote_start: int
    quote_end: int

    def to_dict(self) -> dict[str, Any]:
        """The article's metadata with the quote and its offsets into the passage."""
        out = self.passage.to_dict()
        out |= {"quote": self.quote, "quote_start": self.quote_start, "quote_end": self.quote_end}
        return out


@dataclass(frozen=True)
class ClaimCheck:
    """The verdict on one claim. ``kind`` names what a ``contradicted`` claim gets wrong;
    ``corrected`` is the claim rewritten as the passage has it, when that is a speaker swap."""

    claim: str
    verdict: Verdict
    kind: Kind | None = None
    reason: str = ""
    evidence: list[ClaimEvidence] = field(default_factory=list)
    score: float = 0.0  # how well the best span matches the claim, in [0, 1]
    corrected: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The verdict as JSON: ``{"verdict", "kind", "reason", "evidence": [...]}`` (and the claim)."""
        out: dict[str, Any] = {
            "claim": self.claim,
            "verdict": self.verdict,
            "kind": self.kind,
            "reason": self.reason,
            "evidence": [e.to_dict() for e in self.evidence],
        }
        if self.corrected:
            out["corrected"] = self.corrected
        return out
