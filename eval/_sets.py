"""The lines of a hand-made labelled set (JSON lines): each a JSON object, errors naming ``file:line``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rag import InputError


def set_rows(path: Path | str, what: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(where, row)`` for each non-blank line of the set at ``path`` (``what``: "claim set", ...).

    Raises:
        InputError: the file cannot be read, or a line is not a JSON object (``where`` = ``file:line``).
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(str(path), f"cannot read the {what}: {exc}") from exc
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(where, f"not JSON: {exc}") from exc
        if not isinstance(row, dict):
            raise InputError(where, "a line of the set is a JSON object")
        yield where, row
