"""Claims checked for who said it, whether, how many and when (see :mod:`rag.claims.checker`).

Loaded on first access: the answer verifier uses :mod:`rag.claims.quantities`, and the checker
scores spans with the verifier.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag.claims.checker import ClaimChecker, split_claims
    from rag.claims.result import KINDS, ClaimCheck, ClaimEvidence

_WHERE = {
    "ClaimChecker": "rag.claims.checker",
    "split_claims": "rag.claims.checker",
    "KINDS": "rag.claims.result",
    "ClaimCheck": "rag.claims.result",
    "ClaimEvidence": "rag.claims.result",
}

__all__ = ["KINDS", "ClaimCheck", "ClaimChecker", "ClaimEvidence", "split_claims"]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'rag.claims' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
