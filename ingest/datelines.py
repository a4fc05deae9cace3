"""Datelines ("Skopje, 21 November 2023 (MIA) - ...", "New York CNN —") and date strings.

Example:
    >>> d = parse_dateline("Skopje, 21 November 2023 (MIA) - We don't see any threat.")
    >>> (d.place, d.published.isoformat(), d.source, d.end)
    ('Skopje', '2023-11-21', 'MIA', 33)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime

from rag import MONTH_NAMES, MONTHS, NAME_WORD

__all__ = ["Dateline", "parse_date", "parse_dateline"]


@dataclass(frozen=True)
class Dateline:
    """What a dateline says; ``end`` is where the story's own text begins."""

    place: str
    published: date | None
    source: str
    end: int


_MONTH = rf"(?i:{MONTH_NAMES})\.?"
# "21 November 2023" or "November 21, 2023" (a year is required: no guessing)
_DMY = rf"(?P<d1>\d{{1,2}})\s+(?P<m1>{_MONTH})\s+(?P<y1>\d{{4}})"
_MDY = rf"(?P<m2>{_MONTH})\s+(?P<d2>\d{{1,2}}),?\s+(?P<y2>\d{{4}})"
_PLACE = rf"(?P<place>{NAME_WORD}(?:,? {NAME_WORD}){{0,4}}?)"
_DASH = r"[-–—]"
_AGENCY = r"(?P<agency>[A-Z][A-Za-z&]{1,11}(?: (?:Business|Politics|Sport|Sports|Style|Travel|Health|Wire))?)"
# Agencies that open a story with "(AGENCY)" and no dash; others need a date or a dash to count.
_KNOWN = frozenset(
    "CNN AP AFP Reuters MIA BBC UPI dpa DPA ANSA EFE Xinhua TASS IANS PTI ANI Bloomberg KUNA WAM".split()  # noqa: SIM905
)
# Place, date (AGENCY) -     e.g. "Skopje, 21 November 2023 (MIA) - "
# Place (AGENCY)             e.g. "Colombo, Sri Lanka (CNN) ", "(CNN) ", "New York (CNN Business) "
_PAREN = re.compile(rf"^(?:{_PLACE}\s*,?\s*)?(?:(?:{_DMY}|{_MDY})\s*)?\({_AGENCY}\)\s*(?P<dash>{_DASH}+\s*)?")
# Place AGENCY —              e.g. "New York CNN —", "CNN —", "London CNN Business —"
_BARE = re.compile(rf"^(?:{_PLACE}\s+)?(?P<agency>[A-Z]{{2,6}}(?: [A-Z][a-z]+)?)\s*[–—]+\s*")
# Place, date -               e.g. "Skopje, 21 November 2023 - "
_DATED = re.compile(rf"^(?:{_PLACE}\s*,\s*)?(?:{_DMY}|{_MDY})\s*{_DASH}+\s*")


def _date_from(m: re.Match[str]) -> date | None:
    groups = m.groupdict()
    if groups.get("d1"):
        day, month, year = groups["d1"], groups["m1"], groups["y1"]
    elif groups.get("d2"):
        day, month, year = groups["d2"], groups["m2"], groups["y2"]
    else:
        return None
    try:
        return date(int(year), MONTHS[month.lower().rstrip(".")], int(day))
    except (ValueError, KeyError):
        return None


def parse_dateline(text: str) -> Dateline | None:
    """The dateline at the start of ``text``, or None when it has none."""
    head = text[:200]
    m = _PAREN.match(head)
    if m:
        published = _date_from(m)
        agency = m["agency"]
        if published or m["dash"] or agency.split()[0] in _KNOWN:
            return Dateline((m["place"] or "").strip(" ,"), published, agency, m.end())
    m = _BARE.match(head)
    if m and (m["agency"].split()[0] in _KNOWN or not head[m.end() :].split("\n", 1)[0].strip()):
        return Dateline((m["place"] or "").strip(" ,"), None, m["agency"], m.end())
    m = _DATED.match(head)
    if m:
        published = _date_from(m)
        if published:
            return Dateline((m["place"] or "").strip(" ,"), published, "", m.end())
    return None


_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")
_TEXT_DATE = re.compile(rf"(?:{_DMY}|{_MDY})")


def parse_date(value: object) -> date | None:
    """A date from an ISO string, an RFC 2822 string ("Tue, 21 Nov 2023 10:00:00 GMT"),
    "21 November 2023", a ``date``/``datetime`` or a Unix timestamp; None when it is not a date."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value)).date()
        except (OverflowError, OSError, ValueError):
            return None
    s = str(value).strip()
    m = _ISO.match(s)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    try:
        return parsedate_to_datetime(s).date()
    except (TypeError, ValueError, IndexError):
        pass
    m2 = _TEXT_DATE.search(s)
    return _date_from(m2) if m2 else None
