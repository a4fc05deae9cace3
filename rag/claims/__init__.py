"""Claims checked for who said it, whether, how many and when (see :mod:`rag.claims.checker`)."""

from rag.claims.checker import ClaimChecker, split_claims
from rag.claims.result import KINDS, ClaimCheck, ClaimEvidence

__all__ = ["KINDS", "ClaimCheck", "ClaimChecker", "ClaimEvidence", "split_claims"]
