"""Options and helpers that every ``newsrag`` command shares."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

if TYPE_CHECKING:
    from rag import NewsStore, Settings

HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="State folder (default: NEWSRAG_HOME or .newsrag).")
]
CollectionOpt = Annotated[str | None, typer.Option("--collection", help="Chroma collection name.")]
ChromaOpt = Annotated[
    str | None, typer.Option("--chroma-url", help="http://host:port of a `chroma run` server.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]
BackendOpt = Annotated[
    Literal["auto", "local", "openai", "extractive"] | None,  # rag.Settings' llm.backend
    typer.Option(
        "--backend",
        help="The generator: auto (local if installed, else extractive), local, openai, extractive.",
    ),
]
HostOpt = Annotated[
    str | None, typer.Option("--host", help="Address to listen on (default: ui.host, 127.0.0.1).")
]
PortOpt = Annotated[
    int | None, typer.Option("--port", min=1, max=65535, help="Port (default: ui.port, 7860).")
]
MaxUploadOpt = Annotated[
    float | None, typer.Option("--max-upload-mb", min=0.01, help="Largest file the page accepts.")
]
AuthOpt = Annotated[
    str | None,
    typer.Option(
        "--auth",
        help="Require a login, user:password (default: ui.auth; NEWSRAG_UI__AUTH keeps it out of ps).",
    ),
]


def web_settings(
    home: Path | None,
    collection: str | None,
    chroma_url: str | None,
    host: str | None,
    port: int | None,
    auth: str | None,
    max_upload_mb: float | None,
    backend: str | None,
) -> Settings:
    """The settings of a command that serves the chat page (``chat``, ``serve``), flags on top."""
    extra = {
        "ui.host": host,
        "ui.port": port,
        "ui.auth": auth,
        "ui.max_upload_mb": max_upload_mb,
        "llm.backend": backend,
    }
    return settings_from(home, collection, chroma_url, **extra)


def is_loopback(host: str) -> bool:
    """Whether ``host`` only answers this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def settings_from(
    home: Path | None, collection: str | None, chroma_url: str | None, **extra: Any
) -> Settings:
    """Settings from defaults, newsrag.toml and NEWSRAG_* with the flags on top (exit 2 if invalid)."""
    from pydantic import ValidationError

    from rag import Settings

    try:
        base = Settings()
        overrides: dict[str, Any] = {k: v for k, v in extra.items() if v is not None}
        if home is not None:
            overrides["home"] = home
        if collection is not None:
            overrides["collection"] = collection
        if chroma_url is not None:
            overrides["chroma_url"] = chroma_url
        return base.with_overrides(overrides) if overrides else base
    except (ValidationError, KeyError) as exc:
        typer.echo(f"error: invalid settings: {exc}", err=True)
        raise typer.Exit(2) from exc


def open_store(settings: Settings) -> NewsStore:
    from rag import NewsStore, StoreError

    try:
        return NewsStore.from_settings(settings)
    except StoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


def parse_date(value: str | None, option: str) -> date | None:
    """A ``YYYY-MM-DD`` option's date (a usage error naming the option if it is not one)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date like 2023-11-21", param_hint=option) from exc


@contextmanager
def reported_errors(as_json: bool) -> Iterator[None]:
    """newsrag's errors as the commands report them: settings and input mistakes exit 2; a store
    or model failure exits 1 (with ``{"error"}`` on stdout under ``--json``)."""
    from rag import ConfigError, NewsragError

    try:
        yield
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except NewsragError as exc:
        if as_json:
            typer.echo(json.dumps({"error": str(exc)}, ensure_ascii=False))
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


@contextmanager
def store_session(settings: Settings, as_json: bool) -> Iterator[NewsStore]:
    """The settings' store for the length of a ``with`` block: errors inside are reported as
    :func:`reported_errors` reports them, and the store is closed after."""
    store = open_store(settings)
    try:
        with reported_errors(as_json):
            yield store
    finally:
        store.close()
