"""One shallow hierarchy of errors; each message says what failed and what to do next.

Only the CLI and the UI turn these into exit codes or messages on the page.
"""

from __future__ import annotations


class NewsragError(Exception):
    """Base class of every error newsrag raises on purpose."""


class ConfigError(NewsragError):
    """A setting or argument is invalid."""


class InputError(NewsragError):
    """One input (a file, a line, a URL) could not be turned into an article.

    Args:
        input: the file path, ``path:line`` or URL concerned.
        reason: why, in words a person can act on.
    """

    def __init__(self, input: str, reason: str) -> None:
        super().__init__(f"{input}: {reason}")
        self.input = input
        self.reason = reason


class StoreError(NewsragError):
    """The vector store or the keyword index failed (unreachable server, read-only disk, ...)."""


class EmptyStoreError(StoreError):
    """The collection holds no articles yet."""

    def __init__(self, collection: str) -> None:
        super().__init__(
            f"the collection {collection!r} is empty: add articles first, "
            "e.g. `newsrag ingest --samples` or `newsrag ingest PATH_OR_URL`"
        )


class ModelError(NewsragError):
    """An embedding model or LLM is missing, corrupt or failed to load."""


class LLMUnavailableError(ModelError):
    """The LLM server could not be reached or timed out; retrieval results are still usable."""
