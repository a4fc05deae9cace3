"""The ``newsrag`` command. Each command group lives in its own module and registers itself here."""

from __future__ import annotations

import os

import typer

from rag import _cli_ask, _cli_chat, _cli_eval, _cli_ingest

for _name, _value in (
    ("HF_HUB_OFFLINE", "1"),
    ("TRANSFORMERS_OFFLINE", "1"),
    ("ANONYMIZED_TELEMETRY", "False"),
    ("GRADIO_ANALYTICS_ENABLED", "False"),
    ("TOKENIZERS_PARALLELISM", "false"),
):
    os.environ.setdefault(_name, _value)

app = typer.Typer(
    name="newsrag",
    help="Question answering over news articles, with verified citations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

_cli_ingest.register(app)  # ingest, stats, delete
_cli_ask.register(app)  # ask
_cli_eval.register(app)  # eval (run, compare, report)
_cli_chat.register(app)  # chat (the web page)


def main() -> None:
    """Entry point of the console script."""
    app()
