"""Question sets: JSONL, JSON or CSV files of questions with their gold answers and articles.

Fields (only ``question`` is required):

- ``id``: unique in the set; when absent, derived from the question text (stable across reorderings).
- ``answers``: acceptable answers (a list; a single string is accepted).
- ``gold_ids`` / ``gold_urls``: the articles that answer the question (ids or URLs in the corpus).
- ``date``: when the question was asked (``YYYY-MM-DD``); used as the question's ``as_of``.
- ``choices``: multiple-choice options.
- ``answerable``: ``false`` for questions the corpus cannot answer (the right behaviour is to abstain).
- ``type``: the kind of question (e.g. ``comparison``, ``change``, ``order``, ``aggregate``,
  ``conflict``); the summary reports every metric per type as well.
- ``parts``: the short facts a multi-part answer must contain, each a string or alternatives
  separated by ``|`` (``"14|27|45"``); scored as ``parts_contained``.

In CSV files list fields hold either a JSON array (``["a", "b"]``) or values separated by ``|``;
``answerable`` accepts true/false, yes/no, 1/0 (empty means not stated).

Example:
    >>> qs = load_questions(Path("../shared/data/realtimeqa/questions-dev.jsonl"))  # doctest: +SKIP
    >>> qs[0].as_of  # doctest: +SKIP
    datetime.date(2022, 6, 16)
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rag import InputError

__all__ = ["Question", "load_questions", "parse_question"]

_LIST_FIELDS = ("answers", "gold_ids", "gold_urls", "choices", "parts")
_KNOWN = {"id", "question", "date", "answerable", "type", *_LIST_FIELDS}
_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}


@dataclass(frozen=True)
class Question:
    """One question of a set, with what is known about its right answer."""

    id: str
    question: str
    answers: tuple[str, ...] = ()
    gold_ids: tuple[str, ...] = ()
    gold_urls: tuple[str, ...] = ()
    as_of: date | None = None
    choices: tuple[str, ...] = ()
    answerable: bool | None = None  # None: not stated (taken as answerable)
    type: str = ""  # the kind of question, for per-type metrics ("" when not stated)
    parts: tuple[str, ...] = ()  # facts a multi-part answer must contain ("a|b": either)
    extra: Mapping[str, Any] = field(default_factory=dict)  # fields the harness does not use

    @property
    def has_gold(self) -> bool:
        """Whether retrieval can be scored (gold ids or URLs are given)."""
        return bool(self.gold_ids or self.gold_urls)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values, in the file format (``date`` rather than ``as_of``)."""
        data = asdict(self)
        data["date"] = self.as_of.isoformat() if self.as_of else None
        del data["as_of"]
        data["extra"] = dict(self.extra)
        for key in _LIST_FIELDS:
            data[key] = list(data[key])
        return data


def _as_list(value: Any, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return ()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InputError(where, f"{key!r} looks like a JSON list but is not JSON: {exc}") from exc
        else:
            return tuple(part.strip() for part in text.split("|") if part.strip())
    if isinstance(value, (list, tuple)):
        out = []
        for item in value:
            if not isinstance(item, (str, int, float)) or isinstance(item, bool):
                raise InputError(where, f"{key!r} must be a list of strings, found {item!r}")
            if str(item).strip():
                out.append(str(item).strip())
        return tuple(out)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (str(value),)
    raise InputError(where, f"{key!r} must be a list of strings, found {type(value).__name__}")


def _as_date(value: Any, where: str) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10]) if len(text) >= 10 else date.fromisoformat(text)
    except ValueError:
        try:
            return datetime.fromisoformat(text).date()
        except ValueError as exc:
            raise InputError(where, f"'date' must look like YYYY-MM-DD, found {value!r}") from exc


def _as_bool(value: Any, where: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InputError(where, f"'answerable' must be true or false, found {value!r}")


def parse_question(record: Mapping[str, Any], where: str = "<question>") -> Question:
    """One record (a JSON object or a CSV row) as a :class:`Question`.

    Raises:
        InputError: the record has no question, or a field has the wrong type.
    """
    if not isinstance(record, Mapping):
        raise InputError(where, f"expected an object with a 'question', found {type(record).__name__}")
    text = record.get("question")
    if not isinstance(text, str) or not text.strip():
        raise InputError(where, "the required field 'question' is missing or empty")
    text = text.strip()
    raw_id = record.get("id")
    qid = str(raw_id).strip() if raw_id not in (None, "") else ""
    if not qid:
        qid = "q-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
    lists = {key: _as_list(record.get(key), where, key) for key in _LIST_FIELDS}
    return Question(
        id=qid,
        question=text,
        answers=lists["answers"],
        gold_ids=lists["gold_ids"],
        gold_urls=lists["gold_urls"],
        as_of=_as_date(record.get("date"), where),
        choices=lists["choices"],
        answerable=_as_bool(record.get("answerable"), where),
        type=str(record.get("type") or "").strip(),
        parts=lists["parts"],
        extra={k: v for k, v in record.items() if k not in _KNOWN and k is not None},
    )


def _records(path: Path) -> Iterable[tuple[str, Any]]:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            with path.open(newline="", encoding="utf-8-sig") as fh:
                reader = csv.DictReader(fh)
                if not reader.fieldnames or "question" not in [f.strip() for f in reader.fieldnames]:
                    raise InputError(str(path), "a CSV question set needs a header with a 'question' column")
                for n, row in enumerate(reader, start=2):
                    yield f"{path}:{n}", {(k or "").strip(): v for k, v in row.items()}
        elif suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, Mapping) and isinstance(data.get("questions"), list):
                data = data["questions"]
            if not isinstance(data, list):
                raise InputError(str(path), "a JSON question set must be a list of objects")
            for n, item in enumerate(data):
                yield f"{path}[{n}]", item
        else:  # .jsonl, .ndjson and anything else: one object a line
            with path.open(encoding="utf-8-sig") as fh:
                for n, line in enumerate(fh, start=1):
                    if not line.strip():
                        continue
                    try:
                        yield f"{path}:{n}", json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise InputError(f"{path}:{n}", f"not valid JSON: {exc.msg}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not UTF-8 text: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"not valid JSON: {exc.msg}") from exc


def load_questions(path: Path | str, limit: int | None = None) -> list[Question]:
    """Read a question set from a ``.jsonl``, ``.json`` or ``.csv`` file.

    Args:
        path: the file.
        limit: keep only the first ``limit`` questions.

    Raises:
        InputError: the file is missing or unreadable, a record is malformed, or two share an id.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "no such question file")
    questions: list[Question] = []
    seen: dict[str, str] = {}
    for where, record in _records(path):
        q = parse_question(record, where)
        if q.id in seen:
            raise InputError(where, f"duplicate question id {q.id!r} (first at {seen[q.id]})")
        seen[q.id] = where
        questions.append(q)
        if limit is not None and len(questions) >= limit:
            break
    if not questions:
        raise InputError(str(path), "the question set is empty")
    return questions
