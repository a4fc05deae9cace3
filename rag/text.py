"""The text toolkit every stage shares: sentences, citation markers, links, month names, URLs, stems.

Pure functions, no models. Libraries where they serve as well, our own code where they do not:

- Sentences: our own splitter, not ``pysbd``. It returns character spans (the chunker, the verifier
  and the claim checker map sentences back onto the text) in one regex pass, about a hundred times
  faster than ``pysbd`` and without its breaks after "p.m." (``bench/sentences.py``). Its rules are
  those the chunker had (an abbreviation such as "p.m." never ends a sentence; a lower-case word
  after an ending continues it), so stored chunks barely move: see docs/text.md.
- Stems: the Snowball (Porter2) stemmer of ``snowballstemmer``, cached (about 0.1 ms a word uncached).
- URLs: :func:`canonical_url` is our own, not ``courlan``: a web article's stored id is its canonical
  URL, and ids of stored articles must not change. :func:`url_key` is the loose match key derived from it.
- Dates in questions are read with ``dateparser`` in :mod:`rag._dates`; :data:`MONTHS` is the month
  table of the regex grammars (datelines, date claims, answer kinds).

One marker grammar: ``[3]``, ``[1, 2]``, ``[source 2]``, ``[1; 3 and 4]`` and ranges ``[3-4]`` (read as
3 and 4). The verifier and the evaluation read markers with :data:`MARKER` and :func:`marker_numbers`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse, urlunparse

import snowballstemmer

from rag.errors import InputError

# Abbreviations after which a full stop does not end a sentence ("no", "fig", "est" only before a
# number: "No. 10" goes on, "he said no." ends).
_ABBREV = frozenset(
    """
    mr mrs ms dr prof sr jr st mt gen col lt sgt capt cmdr gov sen rep rev hon pres supt insp vs etc
    inc ltd co corp dept est fig approx no jan feb mar apr jun jul aug sep sept oct nov dec
    u.s u.k u.n e.g i.e a.m p.m
    """.split()  # noqa: SIM905
)
_BEFORE_NUMBERS = frozenset({"no", "fig", "est"})
# A sentence may end at . ! ? (or …), then closing quotes/brackets, then white space.
_SENTENCE_END = re.compile(r"""[.!?…]+["'”’)\]]*(?=\s)""")
_LINE = re.compile(r"[^\n]+")

_NUMBER = r"(?:(?:sources?|src)\s*)?\d{1,3}(?:\s*[-–]\s*\d{1,3})?"
MARKER = re.compile(rf"\[\s*({_NUMBER}(?:\s*(?:,|;|and)\s*{_NUMBER})*)\s*\]", re.I)
_RANGE = re.compile(r"(\d+)(?:\s*[-–]\s*(\d+))?")
_MAX_RANGE = 20  # a wider "range" is read as its two ends: [3-400] is a typo, not 398 citations
URL = re.compile(r"""(?:https?://|www\.)[^\s<>()\[\]"'`]+[^\s<>()\[\]"'`.,;:!?]""", re.I)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text[start:end]``, white space trimmed; a line break
    always ends a sentence. A full stop after an abbreviation or an initial, and an ending followed by
    a lower-case word ("e.g. this", "left... and"), do not end one.

    Example:
        >>> t = "Mr. Smith came at 5 p.m. on Friday. He left! Then No. 3 more."
        >>> [t[a:b] for a, b in sentence_spans(t)]
        ['Mr. Smith came at 5 p.m. on Friday.', 'He left!', 'Then No. 3 more.']
    """
    end = len(text) if end is None else end
    return [span for line in _LINE.finditer(text, start, end) for span in _line_sentences(text, *line.span())]


def _line_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = start
    for m in _SENTENCE_END.finditer(text, start, end):
        stop = m.end()
        word = text[max(pos, text.rfind(" ", pos, m.start()) + 1) : m.start()].lower().lstrip("(\"'“‘")
        nxt = text[stop:end].lstrip()[:1]
        if text[m.start()] == "." and (
            (word in _ABBREV and (word not in _BEFORE_NUMBERS or nxt.isdigit()))
            or (len(word) == 1 and word.isalpha())
        ):
            continue  # "Mr. Smith", "J. Smith", "No. 10": not the end of a sentence
        if nxt and nxt.islower():
            continue  # "e.g. this" or an ellipsis inside a sentence
        spans.append((pos, stop))
        pos = stop
        while pos < end and text[pos].isspace():
            pos += 1
    spans.append((pos, end))
    return [(a, b) for a, b in (_trimmed(text, a, b) for a, b in spans) if b > a]


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def marker_numbers(group: str) -> list[int]:
    """Numbers in one marker's brackets: ``"1, 2"`` -> ``[1, 2]``, ``"1, 3-5"`` -> ``[1, 3, 4, 5]``."""
    out: list[int] = []
    for m in _RANGE.finditer(group):
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        out.extend(range(lo, hi + 1) if 0 <= hi - lo < _MAX_RANGE else (lo, hi))
    return out


def strip_markers(text: str) -> str:
    """The text without citation markers, spacing tidied."""
    out = MARKER.sub("", text)
    out = re.sub(r"\s+([.,;:!?])", r"\1", out)
    return re.sub(r"[ \t]{2,}", " ", out).strip()


def tidy(text: str) -> str:
    """Fold runs of spaces and drop spaces before punctuation."""
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text)
    return text.strip()


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` (as :func:`sentence_spans` cuts them)."""
    return [text[a:b] for a, b in sentence_spans(text)]


# Month names and their abbreviations -> month number.
MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for name in names
}
MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))  # a regex alternation, longest name first

# A capitalised word as names and places are written ("O'Brien", "U.S.", "Jean-Luc"): a regex.
NAME_WORD = r"[A-Z][\w'’.\-]*"

# Query parameters that track a reader rather than name a page.
_TRACKING = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "ocid", "cmpid")


def parse_url(url: str) -> Any:
    """``urlparse`` that turns a malformed URL (``http://[::1``, a port out of range) into an InputError."""
    try:
        parts = urlparse(url)
        _ = parts.port
    except ValueError as exc:
        raise InputError(url, f"not a valid URL: {exc}") from exc
    return parts


def canonical_url(url: str) -> str:
    """The URL without fragment, tracking parameters, default port or trailing ``?``; host lower-case.

    A web article's stored id is its canonical URL.

    Raises:
        InputError: a malformed URL (``http://[::1``, a port out of range).
    """
    parts = parse_url(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith(_TRACKING)]
    netloc = (parts.hostname or "").lower()
    if parts.port and not (
        (parts.scheme == "http" and parts.port == 80) or (parts.scheme == "https" and parts.port == 443)
    ):
        netloc += f":{parts.port}"
    return urlunparse((parts.scheme.lower(), netloc, parts.path or "/", "", urlencode(query), ""))


def url_key(url: str) -> str:
    """A loose key of a page, from :func:`canonical_url`: host without ``www.``, path without trailing ``/``.

    Scheme, query and port are dropped too, so ``https://www.cnn.com/a/index.html?x`` and
    ``http://cnn.com/a/index.html`` share a key. A malformed URL gets ``""``.

    Example:
        >>> url_key("HTTPS://WWW.Example.com/a/?x=1#f")
        'example.com/a'
    """
    text = url.strip()
    if not text:
        return ""
    try:
        parts = urlparse(canonical_url(text if "//" in text else "//" + text))
    except InputError:
        return ""
    return f"{(parts.hostname or '').removeprefix('www.')}{parts.path.rstrip('/')}"


# Function words: they carry no topic. Negations (no, not) and numbers are not among them, so a check
# that compares words can tell "X did not win" from "X won"; a search that ignores negations adds them.
FUNCTION_WORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me more
    most my myself of off on once only or other our ours ourselves out over own same she should so some
    such than that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you your
    yours yourself yourselves
    """.split()  # noqa: SIM905
)
_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball (Porter2) stem of a word, lower-cased: ``allies``/``ally`` -> ``alli``.

    Example:
        >>> [stem(w) for w in ("Threats", "threat", "destabilization", "destabilize", "2024")]
        ['threat', 'threat', 'destabil', 'destabil', '2024']
    """
    return str(_STEMMER.stemWord(word.lower()))
