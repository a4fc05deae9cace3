"""Cut a cleaned article into sentence- and paragraph-aligned chunks sized in the model's word pieces.

Sentences are those of :func:`rag.sentence_spans`, the splitter every stage shares.

Every chunk is a slice of the article (``article.text[chunk.start:chunk.end] == chunk.text``), so the
UI can highlight it. Sizes are counted with the embedding model's own tokenizer, and the header that
is embedded in front of each chunk ("title | date | source") counts against the model's 256-piece
limit, so the model never cuts a chunk.

Example:
    >>> from rag.records import Article
    >>> a = Article(id="a", title="T", text="One sentence. Another one.")
    >>> [c.text for c in chunk_article(a)]
    ['One sentence. Another one.']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag import MAX_TOKENS, Article, Chunk, chunk_id, count_tokens, sentence_spans

__all__ = ["chunk_article", "chunk_header"]

# [CLS] and [SEP] around every encoded text.
_SPECIAL = 2
# The header never takes more than this many pieces; a longer title is shortened in the header only.
_MAX_HEADER_TOKENS = 48

_PARAGRAPH = re.compile(r"[^\n]+")


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    tokens: int  # word pieces without [CLS]/[SEP]
    para_start: bool  # the first sentence of a paragraph


def chunk_header(article: Article, max_tokens: int = _MAX_HEADER_TOKENS) -> str:
    """The line embedded in front of each chunk: ``title | date | source`` (title shortened if long)."""
    date = article.published.isoformat() if article.published else ""
    tail = " | ".join(p for p in (date, article.source) if p)
    title = " ".join(article.title.split())
    header = " | ".join(p for p in (title, tail) if p)
    while title and count_tokens([header])[0] - _SPECIAL > max_tokens:
        words = title.split()
        title = " ".join(words[: max(1, len(words) * 3 // 4)]) + "…" if len(words) > 1 else title[:40]
        header = " | ".join(p for p in (title, tail) if p)
        if len(words) <= 1:
            break
    return header


def _units(text: str, budget: int) -> list[_Unit]:
    """Sentences (split further at word boundaries when one alone exceeds ``budget``)."""
    spans: list[tuple[int, int, bool]] = []
    for para in _PARAGRAPH.finditer(text):
        first = True
        for s, e in sentence_spans(text, para.start(), para.end()):
            spans.append((s, e, first))
            first = False
    if not spans:
        return []
    counts = [n - _SPECIAL for n in count_tokens([text[s:e] for s, e, _ in spans])]
    units: list[_Unit] = []
    for (s, e, first), n in zip(spans, counts, strict=True):
        if n <= budget:
            units.append(_Unit(s, e, n, first))
        else:
            for i, (ws, we, wn) in enumerate(_split_long(text, s, e, budget)):
                units.append(_Unit(ws, we, wn, first and i == 0))
    return units


def _split_long(text: str, start: int, end: int, budget: int) -> list[tuple[int, int, int]]:
    """Cut an over-long sentence at white space into pieces of at most ``budget`` word pieces."""
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text[start:end])]
    words = [(start + s, start + e) for s, e in words]
    counts = [n - _SPECIAL for n in count_tokens([text[s:e] for s, e in words])]
    pieces: list[tuple[int, int, int]] = []
    cur_start, cur_end, cur_n = -1, -1, 0
    for (s, e), n in zip(words, counts, strict=True):
        if n > budget:  # one "word" longer than a chunk (a URL, a table row): cut by characters
            if cur_start >= 0:
                pieces.append((cur_start, cur_end, cur_n))
                cur_start, cur_n = -1, 0
            step = max(1, (e - s) * budget // max(n, 1))
            for cs in range(s, e, step):
                ce = min(e, cs + step)
                pieces.append((cs, ce, count_tokens([text[cs:ce]])[0] - _SPECIAL))
            continue
        if cur_start >= 0 and cur_n + n > budget:
            pieces.append((cur_start, cur_end, cur_n))
            cur_start, cur_n = -1, 0
        if cur_start < 0:
            cur_start = s
        cur_end, cur_n = e, cur_n + n
    if cur_start >= 0:
        pieces.append((cur_start, cur_end, cur_n))
    return pieces


def _group(units: list[_Unit], budget: int, overlap: int) -> list[tuple[int, int]]:
    """Pack units into windows ``[i, j)`` of at most ``budget`` pieces, preferring paragraph breaks."""
    windows: list[tuple[int, int]] = []
    i = 0
    n = len(units)
    while i < n:
        total = 0
        j = i
        while j < n and total + units[j].tokens <= budget:
            # Close at a paragraph break when the chunk is well filled and the next paragraph won't fit.
            if j > i and units[j].para_start and total >= budget * 0.6:
                para_tokens = units[j].tokens
                k = j + 1
                while k < n and not units[k].para_start:
                    para_tokens += units[k].tokens
                    k += 1
                if total + para_tokens > budget:
                    break
            total += units[j].tokens
            j += 1
        j = max(j, i + 1)  # a unit is never larger than the budget, but make progress regardless
        windows.append((i, j))
        if j >= n:
            break
        # Overlap: start the next window with the last sentences of this one that fit in ``overlap``.
        back = j
        carried = 0
        while back - 1 > i and carried + units[back - 1].tokens <= overlap:
            back -= 1
            carried += units[back].tokens
        i = back
    return windows


def chunk_article(
    article: Article, max_tokens: int = 200, overlap_tokens: int = 40, header: bool = True
) -> list[Chunk]:
    """Split ``article.text`` into chunks of at most ``max_tokens`` word pieces, aligned to sentences.

    Args:
        article: a cleaned article; chunk spans index into ``article.text``.
        max_tokens: most word pieces of chunk text; lowered so that header + text + [CLS]/[SEP]
            stay within the model's 256.
        overlap_tokens: up to this many word pieces of whole sentences repeated from the previous chunk.
        header: embed each chunk as ``"title | date | source\\n" + text`` (``Chunk.embed_text``).

    Returns:
        Chunks in order; ``id`` is ``"<article id>#<position>"``; ``n_tokens`` counts the text's
        word pieces (without header and special tokens).
    """
    text = article.text
    head = chunk_header(article) if header else ""
    head_tokens = count_tokens([head + "\n"])[0] - _SPECIAL if head else 0
    budget = max(16, min(max_tokens, MAX_TOKENS - _SPECIAL - head_tokens))
    units = _units(text, budget)
    chunks: list[Chunk] = []
    for position, (i, j) in enumerate(_group(units, budget, overlap_tokens)):
        start, end = units[i].start, units[j - 1].end
        body = text[start:end]
        chunks.append(
            Chunk(
                id=chunk_id(article.id, position),
                article_id=article.id,
                position=position,
                text=body,
                start=start,
                end=end,
                n_tokens=sum(u.tokens for u in units[i:j]),
                embed_text=f"{head}\n{body}" if head else body,
            )
        )
    return chunks
