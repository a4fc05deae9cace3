"""Turn scraped article text into clean paragraphs: no repeated lede, captions, ad widgets or teasers.

The dateline ("Skopje, 21 November 2023 (MIA) - ") is taken off the text and returned as metadata
(place, date, agency); the chunk header carries the date and source into every embedded chunk.

Example:
    >>> c = clean_text("- Lede here is long enough to count.\\n"
    ...                "Skopje, 21 November 2023 (MIA) - Lede here is long enough to count.\\n"
    ...                "Body.\\nPhoto: Print screen")
    >>> c.text
    'Lede here is long enough to count.\\n\\nBody.'
    >>> c.dateline.source
    'MIA'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ingest.datelines import Dateline, parse_dateline

__all__ = ["Cleaned", "clean_text", "is_boilerplate"]

_LINE_MAX = 400  # boilerplate is short; a long paragraph that mentions a newsletter is content
_BOILERPLATE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        # captions and credits
        r"^(photo|photos|photograph|picture|image|caption|credit|credits|source image)s?\s*(:|by\b|credit\b)",
        r"^\(?(photo|image|picture)\s*:.*\)?$",
        r"^(getty images|ap photo|reuters/|afp via getty)",
        r"^video ad feedback\b",
        r"^(watch|listen)\s*:",
        # ad and feedback widgets
        r"^(advertisement|advertising|sponsored( content)?|ad feedback|skip ad|ad)$",
        r"^story continues below",
        r"^how relevant is this ad to you\??$",
        r"^did you encounter any technical issues\??$",
        r"^(video player was slow to load content|video content never loaded|"
        r"ad froze or did not finish loading|video content did not start after ad|audio on ad too loud|"
        r"other issues|ad never loaded|ad prevented/slowed the page from loading|"
        r"content moved around while ad loaded|ad was repetitive to ads i've seen previously)$",
        r"^(cancel|submit|close|thank you!?|thanks!?|share|tweet|email|print|comments?)$",
        r"^your effort and contribution in providing this feedback is much appreciated\.?$",
        # teasers, newsletters, social links
        r"^read more\b\W*$",
        r"^read more (here|at|on)\b.{0,80}$",
        r"^(related|related stories|related coverage|more news to know now|more)\s*:",
        r"^(click|tap) here\b",
        r"^follow (us|every game)\b",
        r"^follow .{0,80}\b(on )?(twitter|facebook|instagram)\b.{0,80}$",
        r"^share (this|on|via)\b",
        r"^(?=.*\bnewsletters?\b)(?=.*\b(sign up|subscribe|subscription|inbox|receive|digest)\b)",
        r"^(support local journalism|thank you for supporting our journalism)",
        r"^(subscribe|become a (digital )?subscriber)\b",
        r"^(copyright|©|\(c\) )",
        # consent and registration forms scraped instead of the story (theweek.co.uk in RealTime QA)
        r"^we will use the (details|information) you have shared\b|\bdescribed in our privacy policy\.?$",
        r"^if you wish to object to the use of your data\b",
        r"^'?we'? includes .{0,80}\bbrands\b",
        r"all rights reserved\.?$",
        r"^[_*\-=~#•·.]{3,}$",
    )
]
_WS = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LEAD_DASH = re.compile(r"^[-–—•*]\s+")
_KEY = re.compile(r"\w+")
_HEAD = 8  # words: a repeat or a lede continued must share at least this many


@dataclass(frozen=True)
class Cleaned:
    """Clean text (paragraphs separated by a blank line) and the dateline it opened with, if any."""

    text: str
    dateline: Dateline | None
    dropped: int  # paragraphs removed (repeats, captions, widgets)


def is_boilerplate(line: str) -> bool:
    """True for a caption, ad/feedback widget, newsletter teaser or separator line."""
    s = line.strip()
    if not s:
        return True
    if len(s) > _LINE_MAX:
        return False
    return any(p.search(s) for p in _BOILERPLATE)


def _key(text: str) -> tuple[str, ...]:
    return tuple(_KEY.findall(text.lower()))


def _paragraphs(text: str) -> list[str]:
    """Lines as paragraphs; a hard-wrapped block (blank-line separated, short lines) is joined first."""
    blocks = re.split(r"\n\s*\n", text)
    out: list[str] = []
    for block in blocks:
        lines = [ln.strip() for ln in block.split("\n") if ln.strip()]
        wrapped = (
            len(lines) > 2
            and len(blocks) > 1
            and all(len(ln) <= 80 for ln in lines)
            and sum(len(ln) >= 50 for ln in lines[:-1]) >= 0.7 * (len(lines) - 1)
        )
        if wrapped:
            out.append(" ".join(lines))
        else:
            out.extend(lines)
    return out


def normalize_text(text: str) -> str:
    """Unicode NFC, one kind of newline, no invisible or control characters."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    text = _INVISIBLE.sub("", text)
    return _CONTROL.sub(" ", text)


def clean_text(text: str, title: str = "") -> Cleaned:
    """Clean one article's body.

    Args:
        text: the body as loaded (any newline style).
        title: the article's title; a first paragraph that only repeats it is dropped.
    """
    paras = [_WS.sub(" ", p).strip() for p in _paragraphs(normalize_text(text))]
    paras = [p for p in paras if p]
    dropped = 0
    dateline: Dateline | None = None
    for i, p in enumerate(paras[:3]):
        d = parse_dateline(p)
        if d:
            dateline = d
            paras[i] = p[d.end :].strip()
            break
    if paras:
        paras[0] = _LEAD_DASH.sub("", paras[0])
    kept: list[str] = []
    keys: list[tuple[str, ...]] = []
    exact: set[tuple[str, ...]] = set()
    by_head: dict[tuple[str, ...], list[int]] = {}  # first words -> kept paragraphs (prefix checks)
    title_key = _key(title)
    for p in paras:
        if not p or is_boilerplate(p):
            dropped += 1
            continue
        key = _key(p)
        if not key:
            dropped += 1
            continue
        if not kept and title_key and key == title_key:
            dropped += 1
            continue
        similar = by_head.get(key[:_HEAD], []) if len(key) >= _HEAD else []
        # Equal to an earlier paragraph, or the beginning of one (already said).
        if (len(key) >= 4 and key in exact) or any(keys[j][: len(key)] == key for j in similar):
            dropped += 1
            continue
        # A later paragraph that starts with an earlier one (a lede repeated inside the dateline
        # paragraph, then continued): keep the longer one, where the earlier stood.
        absorbed = next(
            (j for j in similar if len(keys[j]) < len(key) and key[: len(keys[j])] == keys[j]), None
        )
        if absorbed is not None:
            exact.discard(keys[absorbed])
            kept[absorbed], keys[absorbed] = p, key
            exact.add(key)
            dropped += 1
            continue
        kept.append(p)
        keys.append(key)
        exact.add(key)
        if len(key) >= _HEAD:
            by_head.setdefault(key[:_HEAD], []).append(len(keys) - 1)
    return Cleaned(text="\n\n".join(kept), dateline=dateline, dropped=dropped)
