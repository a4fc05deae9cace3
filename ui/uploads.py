"""Uploaded files and pasted links, made safe to hand to the ingest pipeline.

An uploaded file's name never decides where anything is written: each accepted file is copied to
``<staging dir>/uploads/<sha256 of its bytes>.<ext>`` (so the same file uploaded twice is the same
article, reported as unchanged), and its original name is kept only to show the user.

Example:
    >>> staged = stage_uploads([("/tmp/gradio/abc/My story.txt", "My story.txt")], Path("/tmp/x"), 10.0)
    ... # doctest: +SKIP
    >>> staged.paths, staged.display  # doctest: +SKIP
    ([PosixPath('/tmp/x/uploads/5f1c….txt')], {'/tmp/x/uploads/5f1c….txt': 'My story.txt'})
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from ingest import Failure

__all__ = ["UPLOAD_SUFFIXES", "Staged", "display_input", "parse_links", "stage_uploads"]

UPLOAD_SUFFIXES: tuple[str, ...] = (".txt", ".md", ".html", ".htm", ".json", ".jsonl", ".csv")


@dataclass
class Staged:
    """Files ready to ingest, what the user called them, and what was refused before ingesting."""

    paths: list[Path] = field(default_factory=list)
    display: dict[str, str] = field(default_factory=dict)  # staged path -> the name the user uploaded
    refused: list[Failure] = field(default_factory=list)


def _display_name(name: str) -> str:
    """The uploaded file's base name, for messages only (never used as a path)."""
    base = PurePath(name.replace("\\", "/")).name
    return "".join(ch for ch in base if ch.isprintable())[:200] or "(unnamed file)"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def stage_uploads(files: Iterable[tuple[str, str]], dest: Path, max_mb: float) -> Staged:
    """Copy accepted uploads into ``dest/uploads`` under names chosen from their content.

    Args:
        files: ``(path where the upload was received, the name the user's browser sent)`` pairs.
        dest: a folder this process owns (e.g. a fresh temporary directory).
        max_mb: larger files are refused.

    Returns:
        The staged paths, their display names, and the refused uploads with reasons.
    """
    out = Staged()
    folder = dest / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    limit = int(max_mb * 1024 * 1024)
    for received, original in files:
        shown = _display_name(original)
        suffix = PurePath(shown).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            kinds = " ".join(UPLOAD_SUFFIXES)
            out.refused.append(Failure(shown, f"unsupported file type {suffix or '(none)'!r}: use {kinds}"))
            continue
        src = Path(received)
        try:
            size = src.stat().st_size
        except OSError as exc:
            out.refused.append(Failure(shown, f"the upload could not be read: {exc.strerror or exc}"))
            continue
        if size > limit:
            out.refused.append(Failure(shown, f"file is {size / 1e6:.1f} MB, over the {max_mb:g} MB limit"))
            continue
        if size == 0:
            out.refused.append(Failure(shown, "empty file"))
            continue
        target = folder / f"{_sha256(src)[:24]}{suffix}"
        if str(target) not in out.display:
            shutil.copyfile(src, target)
            out.paths.append(target)
        out.display[str(target)] = shown
    return out


def parse_links(text: str) -> tuple[list[str], list[Failure]]:
    """The http(s) links pasted one per line (blank lines ignored); anything else is refused."""
    links: list[str] = []
    refused: list[Failure] = []
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.lower().startswith(("http://", "https://")) and " " not in line:
            if line not in links:
                links.append(line)
        else:
            reason = "not a link: paste http:// or https:// addresses, one per line"
            refused.append(Failure(line[:200], reason))
    return links, refused


def display_input(value: str, display: dict[str, str], staging: Sequence[Path] = ()) -> str:
    """An ingest input (or ``path:line``) as the user knows it: the uploaded name, not the staged path."""
    if value in display:
        return display[value]
    head, sep, tail = value.rpartition(":")
    if sep and head in display and tail.isdigit():
        return f"{display[head]}:{tail}"
    for root in staging:
        if value.startswith(str(root)):
            return PurePath(value).name
    return value
