"""Who says what: attribution cues in news text ("X said", "said X", "according to X",
"a statement by X", quotes followed by "X told ...") and the speaker a claim names.

A cue's speaker is a phrase ("NATO Secretary General Jens Stoltenberg", "the island's Defense
Ministry", "he"); pronouns are read as the last named speaker before them. Two phrases name the
same speaker when they share a name, or, when one is only a description ("a spokesperson", "the
NATO chief"), when its words sit beside the other's name in the article.

Example:
    >>> text = '"No threat," Jens Stoltenberg said after a statement by Volodymyr Zelensky that war looms.'
    >>> [c.speaker for c in cues(text)]
    ['Jens Stoltenberg', 'Volodymyr Zelensky']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text import NAME_WORD, sentence_spans

__all__ = [
    "Cue",
    "asked_speaker",
    "claim_speaker",
    "cues",
    "name_tokens",
    "opens_mid_quote",
    "same_speaker",
    "speaker_of",
]

_VERBS = (
    r"said|says|say|told|tells|wrote|writes|announced|announces|warned|warns|denied|denies|"
    r"stressed|stresses|pointed out|points out|added|adds|claimed|claims|insisted|insists|argued|"
    r"argues|stated|confirmed|confirms|noted|explained|explains|underlined|underlines|"
    r"assured|assures|asserted|acknowledged|admitted|vowed|urged|tweeted|posted|emphasized|"
    r"emphasised|recalled|predicted|promised"
)
_VERB = re.compile(rf"\b(?:{_VERBS})\b")
_ACCORDING = re.compile(r"\baccording to\s+((?:[^,.;:()“”\"]|(?<=\b[A-Z])\.)+)", re.I)
_STATEMENT = re.compile(
    r"\b(?:statement|remarks|comments?|claims?|assertion)\s+(?:by|from)\s+([^,.;:()“”\"]+?)(?=\s+that\b|[,.;:]|$)"
)
_INVERTING = re.compile(r"said|says|added|adds|wrote|writes|stressed|noted|explained|pointed out|asked")
_PASSIVE = re.compile(r"\b(?:been|be|was|were|is|are|being)\s+$")
_PRONOUN = frozenset({"he", "she", "they", "i", "we", "it", "his", "her"})
_LEADIN = re.compile(
    r"^\s*(?:in|at|on|during|after|before|earlier|later|but|and|so|then|also|meanwhile|speaking|"
    r"asked|when|while|as|separately|yesterday|today)\b",
    re.I,
)
# Capitalised words that are roles or kinds of bodies, not names.
_GENERIC = frozenset(
    """
    president prime minister secretary general chief director ceo dr mr mrs ms pm deputy sheriff
    police department ministry defense defence office agency committee court party government
    first lady vice senator sen rep governor gov king queen prince mayor judge justice speaker
    spokesperson spokesman spokeswoman officials official the a an us u.s. assistant attorney
    executive producer founder chairman chair head leader commander foreign interior state
    national federal administration council board
    """.split()  # noqa: SIM905
)
_NAME = re.compile(rf"{NAME_WORD}\w|[A-Z]")
_WORD = re.compile(r"[\w'’-]+")
_NAME_RUN = re.compile(rf"{NAME_WORD}(?:\s+{NAME_WORD})*")


@dataclass(frozen=True)
class Cue:
    """An attribution in a text: ``speaker`` is the phrase, ``start``/``end`` the cue's extent."""

    speaker: str
    start: int
    end: int
    verb: bool = True  # the speaker is the subject of a speech verb (not "according to X")


def _norm(word: str) -> str:
    w = word.lower().replace("’", "'")
    return w[:-2] if w.endswith("'s") else w


def name_tokens(phrase: str) -> set[str]:
    """The phrase's name words, lower-cased: capitalised words that are not roles."""
    out = set()
    for m in _NAME.finditer(phrase):
        for part in re.split(r"[-'’]", m.group(0)):
            w = _norm(part).strip(".")
            if len(w) >= 2 and w not in _GENERIC:
                out.add(w)
    return out


def _words(phrase: str, generic: bool = False) -> set[str]:
    words = {_norm(w) for w in _WORD.findall(phrase) if len(w) > 2}
    return words - {"the", "and"} if generic else words - _GENERIC


def _subject_before(text: str, verb_start: int, floor: int) -> tuple[str, int]:
    """The subject phrase that ends right before a speech verb (empty when the verb comes first)."""
    left = text[floor:verb_start]
    cut = max(left.rfind(ch) for ch in '.;:!?“”"()—–')
    for m in re.finditer(r"\b(?:that|when|which|because|if)\b", left):
        cut = max(cut, m.end() - 1)
    left = left[cut + 1 :]
    segments = left.split(",")
    i = len(segments) - 1
    verb = _VERB.match(text, verb_start)
    inverted = verb is not None and _INVERTING.match(text, verb_start) and _subject_after(text, verb.end())
    if not left.strip() or (not segments[i].strip() and inverted):
        return "", verb_start
    appositive = False
    while i > 0 and not segments[i].strip():
        i -= 1
        appositive = True
    while i > 0 and (
        re.match(r"\s*(?:a|an|the|who|which)\s", segments[i - 1])
        or (segments[i].strip()[:1].islower() and (appositive or _is_name(segments[i - 1])))
    ):
        i -= 1
    if _LEADIN.match(segments[i]) and i + 1 < len(segments):
        i += 1
    phrase = ",".join(segments[i:]).strip()
    if phrase.lower() in ("who", "which"):  # "..., Ukrainian President Volodymyr Zelensky, who said"
        names = _NAME_RUN.findall(",".join(segments[:i]))
        phrase = names[-1] if names else phrase
    if len(phrase.split()) > 14:
        phrase = segments[i].strip()
    if len(phrase.split()) > 14:
        phrase = " ".join(phrase.split()[-6:])
    return phrase, verb_start - len(left) + left.find(phrase) if phrase else verb_start


def _is_name(segment: str) -> bool:
    words = segment.split()
    return 0 < len(words) <= 3 and all(w[:1].isupper() for w in words)


def _subject_after(text: str, verb_end: int) -> str:
    right = text[verb_end:]
    m = re.match(r"[ \t]*([^.;:!?“”\"(\n]*)", right)
    phrase = m.group(1) if m else ""
    first = phrase.split(",")[0].strip()
    if re.match(r"(?:in|on|at|to|that|it|this|of|about|with|from|after|during)\b", first, re.I):
        return ""
    if not (name_tokens(first) or re.match(r"(?:a|an|the)\s", first)):
        return ""
    return first


def cues(text: str) -> list[Cue]:
    """Every attribution cue in ``text``, in order."""
    out: list[Cue] = []
    for m in _VERB.finditer(text):
        if _PASSIVE.search(text, 0, m.start()):
            continue
        floor = text.rfind("\n", 0, m.start()) + 1
        before, start = _subject_before(text, m.start(), floor)
        if before:
            out.append(Cue(before, start, m.end()))
            continue
        after = _subject_after(text, m.end())
        if after:
            out.append(Cue(after, m.start(), m.end() + len(after) + 1))
    for pattern in (_ACCORDING, _STATEMENT):
        for m in pattern.finditer(text):
            out.append(Cue(m.group(1).strip(), m.start(), m.end(), verb=False))
    return sorted(out, key=lambda c: c.start)


def _quotes(text: str) -> list[tuple[int, int]]:
    out = [(m.start(), m.end()) for m in re.finditer(r"“[^”]*”?", text)]
    straight = [m.start() for m in re.finditer(r'"', text)]
    out += list(zip(straight[::2], straight[1::2], strict=False))
    return out


def speaker_of(text: str, start: int, end: int) -> str | None:
    """Who says ``text[start:end]``: the cue of the quote it sits in, else the nearest cue in its
    sentence, else the next cue of its paragraph ("... region. But we remain vigilant, X told");
    pronouns resolved to the last named speaker before. None when no cue is found."""
    para_a = text.rfind("\n", 0, start) + 1
    para_b = text.find("\n", end)
    para_b = len(text) if para_b < 0 else para_b
    found = cues(text[para_a:para_b])
    found = [Cue(c.speaker, c.start + para_a, c.end + para_a, c.verb) for c in found]
    if not found:
        return None
    quote = next(
        ((a, b) for a, b in _quotes(text[para_a:para_b]) if a + para_a <= start < b + para_a),
        None,
    )
    if quote is not None:
        qa, qb = quote[0] + para_a, quote[1] + para_a
        after = [c for c in found if c.start >= qb - 1]
        before = [c for c in found if c.end <= qa + 1]
        pick = after[0] if after else before[-1] if before else None
        if pick is None:
            pick = min(found, key=lambda c: _distance(c, start, end))
    else:
        sentence = next(
            ((a, b) for a, b in sentence_spans(text[para_a:para_b]) if a + para_a <= start < b + para_a), None
        )
        lo, hi = (sentence[0] + para_a, sentence[1] + para_a) if sentence else (start, end)
        own = [c for c in found if c.start < hi and c.end > lo]
        later = [c for c in found if c.start >= end]
        if not own and not later:
            return None  # attributions come with or after what is said, not before
        pick = min(own, key=lambda c: _distance(c, start, end)) if own else later[0]
    return _resolve(text, pick)


def _distance(c: Cue, start: int, end: int) -> int:
    if c.end <= start:
        return start - c.end
    if c.start >= end:
        return c.start - end
    return 0


def _resolve(text: str, cue: Cue) -> str:
    """Pronouns and "the source"-like descriptions read back to the last speaker they can mean."""
    low = cue.speaker.lower()
    earlier = cues(text[: cue.start])
    if low in _PRONOUN:
        named = [c for c in earlier if c.verb and name_tokens(c.speaker)]
        return named[-1].speaker if named else cue.speaker
    if low.startswith("the ") and not name_tokens(cue.speaker):
        head = low.split()[-1]
        same = [c for c in earlier if head in c.speaker.lower().split() and c.speaker.lower() != low]
        return same[-1].speaker if same else cue.speaker
    return cue.speaker


def claim_speaker(claim: str) -> tuple[str, int, int] | None:
    """The speaker a claim names and where the phrase lies: "X said ...", "..., X said.",
    "according to X". None for claims that attribute nothing."""
    found = cues(claim)
    if not found:
        return None
    c = found[0]
    if c.speaker.lower() in _PRONOUN:
        return None
    at = claim.find(c.speaker)
    return c.speaker, at, at + len(c.speaker)


def same_speaker(claimed: str, found: str, article: str) -> bool:
    """Whether the claim's speaker phrase and the cue's name the same speaker in ``article``."""
    if _words(claimed) == _words(found) or _acronym(claimed, found) or _acronym(found, claimed):
        return True
    own = name_tokens(found)
    a, b = name_tokens(claimed), own | name_tokens(_expand(found, article))
    if a and b and a & b:
        return True
    bare = found.lower().startswith(("the ", "a ", "an ")) and not re.search(r"['’]s\b", found)
    if a and bare and not own and b == own:
        # The cue is a description ("a representative", "the Grammy winner"): it may be anyone
        # the article names, so the claim's names must be in the article.
        return all(w in article.lower() for w in a)
    if a:
        return False
    return bool(
        _words(claimed, generic=True)
        & (_words(found, generic=True) | _words(_expand(found, article), generic=True))
    )


def _acronym(short: str, long: str) -> bool:
    caps = [w for w in re.findall(r"\b[A-Z]{2,6}\b", short)]
    initials = "".join(w[0] for w in re.findall(r"\b[A-Z][a-z]+", long))
    return bool(caps) and all(c in initials for c in caps)


def _expand(phrase: str, article: str, window: int = 0) -> str:
    """The article's mentions of ``phrase``'s name words with what stands beside them
    (e.g. "NATO Secretary General" -> "NATO Secretary General Jens Stoltenberg")."""
    core = " ".join(w for w in phrase.split() if w.lower() not in ("the", "a", "an"))
    if not core:
        return ""
    out = []
    for m in re.finditer(re.escape(core), article):
        a = max(0, m.start() - window)
        tail = re.match(r"(?:\s+[A-Z][\w'’.-]*)+", article[m.end() :])
        b = m.end() + (tail.end() if tail else 0) + window
        out.append(article[a:b])
    return " ".join(out)


_ASKED = re.compile(
    r"\bwhat (?:did|does|do|has|have|will|would)\s+(?P<who>.+?)\s+(?:say|said|tell|told|announce|claim|"
    r"warn|mean|think|argue|write|stress|promise)\b",
    re.I,
)


def asked_speaker(question: str) -> str | None:
    """Whom a "What did X say ..." question asks about (None for other questions)."""
    m = _ASKED.search(question)
    return m.group("who").strip() if m else None


def opens_mid_quote(text: str, start: int, end: int) -> bool:
    """Whether the sentence ``text[start:end]`` begins inside a quotation: one opened earlier in
    its paragraph, or one that closes in it unopened (the passage was cut inside the quote)."""
    para = text.rfind("\n", 0, start) + 1
    first = _closer(text, para, start)
    before = text[first if first is not None else para : start]
    if before.count('"') % 2 == 1 or before.count("“") > before.count("”"):
        return True
    return _closer(text, start, end) is not None


def _closer(text: str, start: int, end: int) -> int | None:
    """Just past the first quote mark of ``text[start:end]`` when that mark closes a quote."""
    m = re.search(r'["“”]', text[start:end])
    if m is None:
        return None
    at = start + m.start()
    closes = m.group(0) == "”" or (m.group(0) == '"' and at > start and text[at - 1] in ",.!?")
    return at + 1 if closes else None
