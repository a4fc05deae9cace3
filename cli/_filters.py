"""The flags that narrow a search to a window and outlets (``ask``, ``timeline``, ``brief``),
given to a command as one parsed :class:`Window` by :func:`window_flags`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

import typer

from cli._options import flag_group, parse_date

SinceOpt = Annotated[
    str | None, typer.Option("--since", help="Only articles published on/after (YYYY-MM-DD).")
]
UntilOpt = Annotated[
    str | None, typer.Option("--until", help="Only articles published on/before (YYYY-MM-DD).")
]
SourceOpt = Annotated[
    list[str] | None, typer.Option("--source", help="Only this outlet, e.g. cnn.com (repeatable).")
]
_WINDOW_FLAGS: dict[str, Any] = {"since": SinceOpt, "until": UntilOpt, "source": SourceOpt}


@dataclass(frozen=True)
class Window:
    """The publication dates (inclusive) and outlets a command's search keeps."""

    since: date | None = None
    until: date | None = None
    sources: tuple[str, ...] = ()


def _window(since: str | None = None, until: str | None = None, source: list[str] | None = None) -> Window:
    return Window(parse_date(since, "--since"), parse_date(until, "--until"), tuple(source or ()))


def window_flags(*names: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command ``--since``, ``--until`` and ``--source`` (``names``, default all three) in
    place of its keyword-only parameter ``window: Window`` (dates checked, exit 2 when bad)."""
    return flag_group("window", {n: _WINDOW_FLAGS[n] for n in names or _WINDOW_FLAGS}, _window)
