"""The rules a claim is checked by: who said it (:mod:`~rag.claims.speakers`), numbers and dates
(:mod:`~rag.claims.quantities`), names (:mod:`~rag.claims.entities`), and what a claim gets wrong
against one span (:mod:`~rag.claims.problems`); the verdict's records (:mod:`~rag.claims.result`).

The answer verifier (:mod:`rag.verify`) applies these rules to answer sentences, and the claim
checker (:mod:`rag.claim_checker`) to claims, scoring spans with the verifier: so the rules import
neither. Loaded on first access.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag.claims.result import KINDS, ClaimCheck, ClaimEvidence

_WHERE = {
    "KINDS": "rag.claims.result",
    "ClaimCheck": "rag.claims.result",
    "ClaimEvidence": "rag.claims.result",
}

__all__ = ["KINDS", "ClaimCheck", "ClaimEvidence"]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'rag.claims' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
