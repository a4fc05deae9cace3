"""The store: Chroma (embedded or a server) for chunks and vectors, a manifest of whole articles, and
a SQLite FTS5 keyword index kept in step. :class:`NewsStore` is the one facade; the modules behind it:

- ``news``: the facade and the crash-safe write protocol (pending -> complete, repair);
  ``_pending``: who left a pending record and whether it can still be finished;
- ``keywords``: the BM25 index; ``filters``: what a search may be limited to;
- ``_chroma``: opening Chroma with our own embedding function; ``_meta``: records <-> Chroma metadata.
"""

from rag.store._pending import PENDING_LEASE_SECONDS
from rag.store.filters import Filters, StoreStats, day_number
from rag.store.keywords import KeywordIndex
from rag.store.news import NewsStore

__all__ = ["PENDING_LEASE_SECONDS", "Filters", "KeywordIndex", "NewsStore", "StoreStats", "day_number"]
