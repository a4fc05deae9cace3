"""The flags that narrow a search to a window and outlets (``ask``, ``timeline``, ``brief``)."""

from typing import Annotated

import typer

SinceOpt = Annotated[
    str | None, typer.Option("--since", help="Only articles published on/after (YYYY-MM-DD).")
]
UntilOpt = Annotated[
    str | None, typer.Option("--until", help="Only articles published on/before (YYYY-MM-DD).")
]
SourceOpt = Annotated[
    list[str] | None, typer.Option("--source", help="Only this outlet, e.g. cnn.com (repeatable).")
]
