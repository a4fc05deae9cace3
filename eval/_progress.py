"""Progress bars of eval runs: rich, on stderr, as the CLI's."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["bar", "progress"]


def bar(desc: str, unit: str, enabled: bool) -> Any:
    """A rich progress bar on stderr (not started), or None when disabled."""
    if not enabled:
        return None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn(desc),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit + "{task.fields[extra]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )


@contextmanager
def progress(total: int, initial: int, desc: str, enabled: bool) -> Iterator[Callable[[], None]]:
    shown = bar(desc, "questions", enabled)
    if shown is None:
        yield lambda: None
        return
    with shown:
        task = shown.add_task(desc, total=total, completed=initial, extra="")
        yield lambda: shown.advance(task)
