"""Gold articles as the store knows them, and the articles to withhold in ``--without-gold`` mode.

A question names its gold articles by corpus id (``gold_ids``) or by URL (``gold_urls``). The store may
hold a gold story under another id: ingest keeps one copy of duplicate texts and records the other
inputs' ids as the stored article's ``aliases``. So every gold id is resolved to the stored article
that holds it (itself or as an alias), and retrieved article ids can be compared with the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from eval.metrics import normalize_answer
from eval.questions import Question
from rag import ArticleInfo, url_key

__all__ = ["GoldIndex"]


@dataclass(frozen=True)
class ResolvedGold:
    """A question's gold articles as stored ids, and those the store does not hold."""

    ids: tuple[str, ...]  # stored article ids (each gold story once)
    missing: tuple[str, ...]  # gold ids or URLs found nowhere in the store


class GoldIndex:
    """Maps gold ids and URLs to stored articles; finds the articles that contain an answer.

    Args:
        infos: the store's articles by id (``NewsStore.articles()``).
        texts: optional article id -> full text, needed only for :meth:`excluded`.
    """

    def __init__(self, infos: Mapping[str, ArticleInfo], texts: Mapping[str, str] | None = None) -> None:
        self.infos = dict(infos)
        self._by_id: dict[str, str] = {}
        self._by_url: dict[str, str] = {}
        for aid, info in self.infos.items():
            for alias in info.aliases:
                self._by_id.setdefault(alias, aid)
            if info.url:
                self._by_url.setdefault(url_key(info.url), aid)
        for aid in self.infos:  # an article's own id wins over another article's alias
            self._by_id[aid] = aid
        self._norm_texts = {aid: f" {normalize_answer(t)} " for aid, t in (texts or {}).items()}

    def canonical(self, article_id: str) -> str:
        """The stored article that holds ``article_id`` (itself, or the article it is an alias of)."""
        return self._by_id.get(article_id, article_id)

    def resolve(self, question: Question) -> ResolvedGold:
        """The question's gold ids and URLs as stored article ids, each story once."""
        found: dict[str, None] = {}
        missing: list[str] = []
        for gid in question.gold_ids:
            aid = self._by_id.get(gid)
            if aid is None:
                missing.append(gid)
            else:
                found[aid] = None
        for url in question.gold_urls:
            aid = self._by_url.get(url_key(url))
            if aid is not None:
                found[aid] = None
            elif not question.gold_ids:
                missing.append(url)
        # A gold id absent from the store still counts against recall: keep it as an unmatched id.
        ids = list(found) + [m for m in missing if m in question.gold_ids]
        return ResolvedGold(ids=tuple(ids), missing=tuple(missing))

    def ranked(self, article_ids: Iterable[str]) -> list[str]:
        """Retrieved article ids mapped to stored ids (so an alias of a gold story counts as gold)."""
        return [self.canonical(a) for a in article_ids]

    def containing(self, answers: Iterable[str]) -> set[str]:
        """Stored articles whose normalised text contains one of the normalised answers as whole words."""
        needles = [n for n in (normalize_answer(a) for a in answers) if n]
        if not needles:
            return set()
        return {aid for aid, text in self._norm_texts.items() if any(f" {n} " in text for n in needles)}

    def excluded(self, question: Question) -> set[str]:
        """What ``--without-gold`` withholds: the gold articles and every article containing a gold answer."""
        out = {a for a in self.resolve(question).ids if a in self.infos}
        out |= self.containing(question.answers)
        return out
