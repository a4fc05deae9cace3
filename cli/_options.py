"""Options and helpers that every ``newsrag`` command shares."""

from __future__ import annotations

import inspect
import ipaddress
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", help="Only articles published on/before (YYYY-MM-DD).")
]
ProgressOpt = Annotated[bool, typer.Option("--progress/--no-progress", help="Progress on stderr.")]
PrivateUrlsOpt = Annotated[
    bool, typer.Option("--allow-private-urls", help="Allow fetching from private/loopback addresses.")
]
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


@dataclass(frozen=True)
class Where:
    """Where a command's articles are: its ``--home``, ``--collection`` and ``--chroma-url``
    (``None``: what the settings say)."""

    home: Path | None = None
    collection: str | None = None
    chroma_url: str | None = None

    def settings(self, **extra: Any) -> Settings:
        """The settings with these flags and ``extra`` (dotted keys) on top; see :func:`settings_from`."""
        return settings_from(self.home, self.collection, self.chroma_url, **extra)


_WHERE_FLAGS: dict[str, Any] = {"home": HomeOpt, "collection": CollectionOpt, "chroma_url": ChromaOpt}


def where_flags(*names: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command the flags of :class:`Where` (``names``, default all three) in place of its
    keyword-only parameter ``where: Where``: typer sees the flags, the command gets one ``Where``."""
    return flag_group("where", {n: _WHERE_FLAGS[n] for n in names or _WHERE_FLAGS}, Where)


def flag_group(
    param: str, flags: dict[str, Any], make: Callable[..., Any]
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command ``flags`` (parameter name -> typer annotation, each defaulting to None) in
    place of its keyword-only parameter ``param``, which receives ``make(**flag values)``."""

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        sig = inspect.signature(command, eval_str=True)
        params = [p for p in sig.parameters.values() if p.name != param]
        kind = inspect.Parameter.KEYWORD_ONLY
        params += [inspect.Parameter(n, kind, default=None, annotation=a) for n, a in flags.items()]

        def with_flags(**kwargs: Any) -> None:
            group = make(**{n: kwargs.pop(n) for n in flags})
            command(**kwargs, **{param: group})

        with_flags.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
        with_flags.__annotations__ = {p.name: p.annotation for p in params}
        with_flags.__doc__, with_flags.__name__ = command.__doc__, command.__name__
        return with_flags

    return decorate


def web_command(serve: Callable[[Settings], None]) -> Callable[..., None]:
    """The typer command of ``serve`` (``chat``, ``serve``: the chat page on ui.host:ui.port): its
    flags make the settings it is called with; its help is ``serve``'s docstring."""

    @where_flags()
    def command(
        host: HostOpt = None,
        port: PortOpt = None,
        auth: AuthOpt = None,
        backend: BackendOpt = None,
        max_upload_mb: MaxUploadOpt = None,
        *,
        where: Where,
    ) -> None:
        ui = {"ui.host": host, "ui.port": port, "ui.auth": auth, "ui.max_upload_mb": max_upload_mb}
        serve(where.settings(**ui, **{"llm.backend": backend}))

    command.__doc__ = serve.__doc__
    return command


def fail(message: str, code: int) -> typer.Exit:
    """Say ``error: message`` on stderr; the exit to raise (``raise fail(...)``) with ``code``."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


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
        raise fail(f"invalid settings: {exc}", 2) from exc


def open_store(settings: Settings) -> NewsStore:
    from rag import NewsStore, StoreError

    try:
        return NewsStore.from_settings(settings)
    except StoreError as exc:
        raise fail(str(exc), 1) from exc


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
        raise fail(str(exc), 2) from exc
    except NewsragError as exc:
        if as_json:
            typer.echo(json.dumps({"error": str(exc)}, ensure_ascii=False))
        raise fail(str(exc), 1) from exc


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
