"""Bytes to text with the encoding detected (charset-normalizer), never assumed; binary refused.

Example:
    >>> decode_bytes("£5 bet".encode("latin-1") * 20, "x.txt")[:6]
    '£5 bet'
"""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from rag import InputError

__all__ = ["decode_bytes", "detect_encoding", "looks_binary"]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SAMPLE = 1 << 20
_WESTERN = ("cp1252", "latin_1", "iso8859_15")


def looks_binary(data: bytes) -> bool:
    """NUL bytes or many control bytes in the first 8 KiB (text in UTF-16/32 starts with a BOM)."""
    head = data[:8192]
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return bool(head) and controls / len(head) > 0.1


def detect_encoding(data: bytes) -> str | None:
    """The encoding of ``data`` (a BOM, valid UTF-8, else charset-normalizer's best guess), or None."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    sample = data[:_SAMPLE]
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A sample cut inside a multi-byte character is still UTF-8.
        if len(data) > _SAMPLE and exc.start >= len(sample) - 3:
            return "utf-8"
    return _best_guess(sample)


def _best_guess(sample: bytes) -> str | None:
    """charset-normalizer's candidates, preferring the most language-like among the least chaotic.

    Its own ``best()`` can pick a CJK code page for Western text with a single high byte (it did for
    a Latin-1 "£" in the BBC set: cp932, no language detected); coherence breaks that tie.
    """
    results = list(from_bytes(sample)) or list(from_bytes(sample, threshold=0.5))
    if not results:
        return None
    least = min(m.chaos for m in results)
    for name in _WESTERN:
        # A Western code page that reads the bytes as cleanly as any other wins: short Western text
        # gives too little for language scores to tell apart (they picked cp775 for a Latin-1
        # "Crème brûlée ...", cp1250 for "crème": "crčme"), while Central European or Cyrillic
        # text does not decode cleanly in cp1252 at all.
        if any(m.encoding == name and m.chaos <= least for m in results):
            return name
    pool = [m for m in results if m.chaos <= least + 0.1]
    top = max(m.coherence for m in pool)
    if top == 0.0 and _decodes(sample, "cp1252"):
        # Too little text to recognise a language (e.g. one "£" in a short note): a CJK code page
        # is then no likelier than the legacy Western one, and Western news is what we read.
        return "cp1252"
    close = {m.encoding: m for m in pool if m.coherence >= top - 0.05}
    for name in _WESTERN:  # equally plausible: the code pages Western news is written in win
        if name in close:
            return name
    return max(pool, key=lambda m: (m.coherence, -m.chaos)).encoding


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def decode_bytes(data: bytes, origin: str) -> str:
    """Decode a whole file or page.

    Raises:
        InputError: empty, binary, or in no encoding that can be recognised.
    """
    if not data.strip():
        raise InputError(origin, "empty file")
    if looks_binary(data):
        raise InputError(origin, "binary file, not text (skipped)")
    encoding = detect_encoding(data)
    if encoding is None:
        raise InputError(origin, "cannot recognise the text encoding (not text?)")
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputError(origin, f"cannot decode as {encoding}: {exc}") from exc
