"""Read inputs into :class:`RawArticle` records: text/markdown/HTML files, JSON/JSONL/CSV records,
folders (recursively) and ``http(s)://`` pages or feeds.

Every loader is a generator that yields articles and :class:`Failure` values (one bad line or file
never stops the rest), and reads large files as a stream.

Article ids are stable across runs:
- a record's own ``id`` when it has one (question sets name their gold articles by it), else its URL,
  else ``<file id>:<record number>``;
- a file's id is its path relative to the folder given, prefixed with that folder's name
  (``bbc/sport/199.txt``); a file given by itself gets ``<parent folder>/<name>``, the same id it
  gets when its folder is given;
- a web page's id is its canonical URL.
"""

from __future__ import annotations

import csv
import json
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ingest.datelines import parse_date
from ingest.decoding import decode_bytes, detect_encoding, looks_binary
from ingest.documents import RawArticle
from ingest.report import Failure
from ingest.web import FetchOptions, canonical_url, iter_url
from rag import InputError

__all__ = [
    "FIELDS",
    "HTML_SUFFIXES",
    "RECORD_SUFFIXES",
    "TEXT_SUFFIXES",
    "LoadOptions",
    "count_inputs",
    "iter_files",
    "iter_input",
    "parse_field_map",
]

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".text"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
RECORD_SUFFIXES = frozenset({".json", ".jsonl", ".ndjson", ".csv"})
SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | RECORD_SUFFIXES
# Files that describe a folder of articles rather than being one (bbc/README.TXT).
_FOLDER_DOCS = re.compile(r"^(readme|licen[cs]e|copying|changelog|notice|authors)\b", re.IGNORECASE)

FIELDS = ("id", "title", "text", "url", "published", "authors", "source")
# Names tried, in order, when a field is not mapped explicitly.
_FALLBACKS: dict[str, tuple[str, ...]] = {
    "id": ("id", "article_id", "doc_id", "guid", "uuid"),
    "title": ("title", "headline", "name"),
    "text": ("text", "body", "content", "article", "full_text", "maintext", "description"),
    "url": ("url", "link", "canonical_url", "href"),
    "published": ("published", "date", "published_at", "publish_date", "pubDate", "datetime", "time"),
    "authors": ("authors", "author", "byline", "creator"),
    "source": ("source", "publisher", "site", "sitename", "domain", "outlet"),
}


@dataclass(frozen=True)
class LoadOptions:
    """How inputs are read.

    Args:
        max_file_mb: larger files are skipped with a reason.
        fields: record field names by our name, e.g. ``{"text": "body"}`` (``--field text=body``).
        fetch: limits for ``http(s)://`` inputs.
    """

    max_file_mb: float = 50.0
    fields: Mapping[str, str] = field(default_factory=dict)
    fetch: FetchOptions = field(default_factory=FetchOptions)


def parse_field_map(specs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["text=body", "published=date"]`` -> ``{"text": "body", "published": "date"}``.

    Raises:
        ValueError: a spec without ``=`` or naming an unknown field.
    """
    out: dict[str, str] = {}
    for spec in specs:
        ours, sep, theirs = spec.partition("=")
        ours, theirs = ours.strip(), theirs.strip()
        if not sep or not ours or not theirs:
            raise ValueError(f"--field expects OURS=THEIRS (e.g. text=body), got {spec!r}")
        if ours not in FIELDS:
            raise ValueError(f"unknown field {ours!r} in --field {spec!r}; known: {', '.join(FIELDS)}")
        out[ours] = theirs
    return out


def is_url(value: str) -> bool:
    """True for ``http://`` and ``https://`` inputs."""
    return value.lower().startswith(("http://", "https://"))


def iter_files(root: Path) -> Iterator[Path]:
    """Supported files under ``root``, recursively, in a stable order; hidden entries and folder
    documentation (README, LICENSE, ...) are left out."""
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_file() and path.suffix.lower() in SUFFIXES and not _FOLDER_DOCS.match(path.name):
            yield path


def count_inputs(inputs: list[str], max_file_mb: float = 50.0) -> int | None:
    """How many articles the inputs hold, cheaply (files, record lines), for a progress bar total;
    None when unknown (URLs, JSON arrays)."""
    total = 0
    for value in inputs:
        if is_url(value):
            return None
        path = Path(value)
        files = list(iter_files(path)) if path.is_dir() else [path] if path.is_file() else []
        for f in files:
            suffix = f.suffix.lower()
            if suffix in (".jsonl", ".ndjson", ".csv"):
                if f.stat().st_size > max_file_mb * 1024 * 1024:
                    total += 1
                    continue
                with f.open("rb") as fh:
                    total += sum(1 for line in fh if line.strip()) - (suffix == ".csv")
            elif suffix == ".json":
                return None
            else:
                total += 1
    return total


def iter_input(value: str, options: LoadOptions) -> Iterator[RawArticle | Failure]:
    """Everything one command-line input holds."""
    if is_url(value):
        yield from iter_url(value, options.fetch)
        return
    if _OTHER_SCHEME.match(value):
        yield Failure(value, "only http:// and https:// URLs can be fetched")
        return
    path = Path(value).expanduser()
    if not path.exists():
        yield Failure(value, _missing_reason(path))
        return
    root = path.resolve()
    if root.is_dir():
        found = False
        for f in iter_files(root):
            found = True
            yield from _load_file(f, f"{root.name}/{f.relative_to(root).as_posix()}", options)
        for link in _dangling_links(root):
            yield Failure(str(link), _missing_reason(link))
        if not found:
            yield Failure(value, f"no supported files in this folder ({', '.join(sorted(SUFFIXES))})")
        return
    if root.suffix.lower() not in SUFFIXES:
        yield Failure(str(root), f"unsupported file type {root.suffix or '(none)'!r}")
        return
    yield from _load_file(root, f"{root.parent.name}/{root.name}", options)


_OTHER_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def _missing_reason(path: Path) -> str:
    if path.is_symlink():
        return "broken symbolic link or symlink loop (skipped)"
    return "no such file or folder"


def _dangling_links(root: Path) -> Iterator[Path]:
    """Links under ``root`` with a supported suffix that lead nowhere (broken or looping)."""
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or path.suffix.lower() not in SUFFIXES:
            continue
        if path.is_symlink() and not path.exists():
            yield path


def _load_file(path: Path, file_id: str, options: LoadOptions) -> Iterator[RawArticle | Failure]:
    origin = str(path)
    try:
        size = path.stat().st_size
        if size > options.max_file_mb * 1024 * 1024:
            yield Failure(origin, f"file is {size / 1e6:.1f} MB, over the {options.max_file_mb:g} MB limit")
            return
        suffix = path.suffix.lower()
        if suffix in (".jsonl", ".ndjson"):
            yield from _load_jsonl(path, file_id, options)
        elif suffix == ".csv":
            yield from _load_csv(path, file_id, options)
        elif suffix == ".json":
            yield from _load_json(path, file_id, options)
        elif suffix in HTML_SUFFIXES:
            from ingest.html import extract_html

            text = decode_bytes(path.read_bytes(), origin)
            yield extract_html(text, file_id, origin)
        else:
            yield _load_text(path, file_id)
    except InputError as exc:
        yield Failure(exc.input, exc.reason)
    except OSError as exc:
        yield Failure(origin, f"cannot read: {exc.strerror or exc}")


# ---- plain text and markdown ---------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)


def _load_text(path: Path, file_id: str) -> RawArticle:
    """Title on the first line, body after; markdown ``# `` and simple front matter understood."""
    origin = str(path)
    text = decode_bytes(path.read_bytes(), origin).lstrip("\ufeff")
    meta: dict[str, str] = {}
    m = _FRONT_MATTER.match(text)
    if m:
        for line in m.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep:
                meta[key.strip().lower()] = value.strip().strip("\"'")
        text = text[m.end() :]
    if meta.get("title"):
        title, body = meta["title"], text
    else:
        lines = text.strip().split("\n", 1)
        title = re.sub(r"^#+\s*", "", lines[0].strip())
        body = lines[1] if len(lines) > 1 and lines[1].strip() else lines[0]  # a one-line note
    if not body.strip():
        raise InputError(origin, "empty file")
    authors = meta.get("authors") or meta.get("author") or ""
    return RawArticle(
        id=file_id,
        title=title,
        text=body,
        origin=origin,
        published=parse_date(meta.get("date") or meta.get("published")),
        source=meta.get("source", ""),
        url=meta.get("url", ""),
        authors=_authors(authors),
    )


# ---- records: JSON, JSONL, CSV -------------------------------------------------------------------


def _pick(record: Mapping[str, Any], name: str, fields: Mapping[str, str]) -> Any:
    if name in fields:
        return record.get(fields[name])
    for key in _FALLBACKS[name]:
        value = record.get(key)
        if value not in (None, "", []):
            return value
    return None


def _authors(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    if isinstance(value, list | tuple):
        names = [a.get("name", "") if isinstance(a, dict) else str(a) for a in value]
    else:
        names = re.split(r"\s*[;|]\s*", str(value))
    return tuple(n.strip() for n in names if n and n.strip())


def _record_article(record: Any, fallback_id: str, origin: str, fields: Mapping[str, str]) -> RawArticle:
    if not isinstance(record, dict):
        raise InputError(origin, f"expected a JSON object, got {type(record).__name__}")
    text = _pick(record, "text", fields)
    if not isinstance(text, str) or not text.strip():
        wanted = fields.get("text") or "/".join(_FALLBACKS["text"][:3])
        raise InputError(origin, f"record has no text (field {wanted!r}; map one with --field text=NAME)")
    url = str(_pick(record, "url", fields) or "").strip()
    rid = _pick(record, "id", fields)
    try:
        canonical = canonical_url(url) if url else ""
    except InputError as exc:
        raise InputError(origin, f"field url: {exc.reason}") from exc
    article_id = str(rid).strip() if rid not in (None, "") else (canonical or fallback_id)
    source = str(_pick(record, "source", fields) or "").strip()
    if not source and url:
        source = (urlparse(url).hostname or "").removeprefix("www.")
    title = _pick(record, "title", fields)
    return RawArticle(
        id=article_id,
        title=str(title).strip() if title else "",
        text=text,
        origin=origin,
        published=parse_date(_pick(record, "published", fields)),
        source=source,
        url=url,
        authors=_authors(_pick(record, "authors", fields)),
    )


def _file_encoding(path: Path) -> str:
    with path.open("rb") as fh:
        sample = fh.read(1 << 20)
    if not sample.strip():
        raise InputError(str(path), "empty file")
    if looks_binary(sample):
        raise InputError(str(path), "binary file, not text (skipped)")
    encoding = detect_encoding(sample)
    if encoding is None:
        raise InputError(str(path), "cannot recognise the text encoding (not text?)")
    return "utf-8" if encoding == "utf-8-sig" else encoding


def _load_jsonl(path: Path, file_id: str, options: LoadOptions) -> Iterator[RawArticle | Failure]:
    encoding = _file_encoding(path)
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            origin = f"{path}:{lineno}"
            if lineno == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode(encoding))
            except UnicodeDecodeError as exc:
                yield Failure(origin, f"cannot decode as {encoding}: {exc.reason}")
                continue
            except json.JSONDecodeError as exc:
                yield Failure(origin, f"malformed JSON: {exc.msg} (column {exc.colno})")
                continue
            try:
                yield _record_article(record, f"{file_id}:{lineno}", origin, options.fields)
            except InputError as exc:
                yield Failure(exc.input, exc.reason)


def _load_json(path: Path, file_id: str, options: LoadOptions) -> Iterator[RawArticle | Failure]:
    text = decode_bytes(path.read_bytes(), str(path))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}", f"malformed JSON: {exc.msg} (column {exc.colno})") from exc
    if isinstance(data, dict):
        for key in ("articles", "items", "records", "data", "documents"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
    records = data if isinstance(data, list) else [data]
    for n, record in enumerate(records, start=1):
        origin = f"{path}:{n}" if isinstance(data, list) else str(path)
        try:
            yield _record_article(record, f"{file_id}:{n}", origin, options.fields)
        except InputError as exc:
            yield Failure(exc.input, exc.reason)


def _load_csv(path: Path, file_id: str, options: LoadOptions) -> Iterator[RawArticle | Failure]:
    encoding = _file_encoding(path)
    csv.field_size_limit(int(options.max_file_mb * 1024 * 1024))
    with path.open("r", encoding=encoding, newline="", errors="strict") as fh:
        sample = fh.read(64 * 1024)
        fh.seek(0)
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        reader = csv.DictReader(fh, dialect=dialect)
        columns = [c for c in (reader.fieldnames or []) if c]
        text_names = (options.fields["text"],) if "text" in options.fields else _FALLBACKS["text"]
        if not any(name in columns for name in text_names):
            raise InputError(
                str(path),
                f"no text column (columns: {', '.join(columns) or 'none'}); "
                "name the one holding the article with --field text=COLUMN",
            )
        try:
            for row in reader:
                origin = f"{path}:{reader.line_num}"
                try:
                    yield _record_article(row, f"{file_id}:{reader.line_num}", origin, options.fields)
                except InputError as exc:
                    yield Failure(exc.input, exc.reason)
        except (csv.Error, UnicodeDecodeError) as exc:
            yield Failure(f"{path}:{reader.line_num}", f"malformed CSV: {exc}")
