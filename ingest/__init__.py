"""Turn files, folders, record files, web pages and feeds into clean, chunked, embedded articles.

Example:
    >>> from ingest import ingest, IngestOptions
    >>> report = ingest(["../shared/data/bbc"], store, options=IngestOptions())  # doctest: +SKIP
"""

from pathlib import Path

from ingest.chunking import chunk_article, chunk_header
from ingest.cleaning import Cleaned, clean_text, is_boilerplate
from ingest.datelines import Dateline, parse_date, parse_dateline
from ingest.decoding import decode_bytes
from ingest.documents import RawArticle
from ingest.loaders import FIELDS, LoadOptions, count_inputs, iter_input, parse_field_map
from ingest.pipeline import IngestOptions, ingest, ingest_items, ingest_paths, make_article
from ingest.report import Failure, IngestReport, Progress
from ingest.web import FetchOptions, canonical_url

SAMPLES = Path(__file__).with_name("samples")
"""The sample articles that ship with the package (``newsrag ingest --samples``)."""

__all__ = [
    "FIELDS",
    "SAMPLES",
    "Cleaned",
    "Dateline",
    "Failure",
    "FetchOptions",
    "IngestOptions",
    "IngestReport",
    "LoadOptions",
    "Progress",
    "RawArticle",
    "canonical_url",
    "chunk_article",
    "chunk_header",
    "clean_text",
    "count_inputs",
    "decode_bytes",
    "ingest",
    "ingest_items",
    "ingest_paths",
    "is_boilerplate",
    "iter_input",
    "make_article",
    "parse_date",
    "parse_dateline",
    "parse_field_map",
]
