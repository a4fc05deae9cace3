"""What an eval run is configured by: its options record, its settings and the key that names its results."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag import ConfigError, Settings

__all__ = [
    "BASELINES",
    "EvalOptions",
    "corpus_collection",
    "parse_set",
    "run_key",
    "settings_for_eval",
    "slug",
]

BASELINES = ("tutorial", "single")
"""Baseline pipelines ``EvalOptions(baseline=...)`` can measure beside newsrag on the same questions:
the LangChain tutorial pipeline, or newsrag itself answering every question with a single search
(``retrieval.decompose`` off)."""


@dataclass(frozen=True)
class EvalOptions:
    """How :func:`eval.harness.run_eval` runs a question set (the CLI builds one from its flags).

    Attributes:
        config: a TOML file of settings applied on top of the base settings.
        overrides: dotted settings, e.g. ``{"retrieval.k": 8}`` (``--set``).
        corpus: a file or folder to ingest first, into a collection of its own (reused by later runs);
            without it the current store is evaluated.
        out: the run folder (default ``<home>/eval-runs/<timestamp>-<name>``); an existing one resumes.
        name: the run's name (default: the question file's stem and the mode).
        retrieval_only: score retrieval only (no generation).
        without_gold: withhold each question's gold articles and every article containing one of its
            answers; every question becomes unanswerable, so the right behaviour is to abstain.
        without_dates: ask every question without its date (no ``as_of``), as a user who types
            it in the chat would.
        k: passages given to the generator (``retrieval.k``).
        backend: the generator (``llm.backend``: local, openai, extractive, auto).
        limit: only the first ``limit`` questions.
        baseline: also measure a baseline on the same corpus: ``"tutorial"``, its retrieval and,
            unless ``retrieval_only``, its answers by the bundled local model; ``"single"``, newsrag
            with the same settings and generator but one search per question (no sub-questions).
        judge_url: an OpenAI-compatible server whose model judges answers (optional).
        judge_model: the judge's model name on that server.
        with_choices: add a multiple-choice question's options to the question asked.
        progress: show progress bars on stderr.

    Raises:
        ConfigError: an unknown baseline.
    """

    config: Path | str | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)
    corpus: Path | str | None = None
    out: Path | str | None = None
    name: str | None = None
    retrieval_only: bool = False
    without_gold: bool = False
    without_dates: bool = False
    k: int | None = None
    backend: str | None = None
    limit: int | None = None
    baseline: str | None = None
    judge_url: str | None = None
    judge_model: str | None = None
    with_choices: bool = False
    progress: bool = False

    def __post_init__(self) -> None:
        if self.baseline is not None and self.baseline not in BASELINES:
            raise ConfigError(f"unknown baseline {self.baseline!r}: choose one of {', '.join(BASELINES)}")

    @property
    def corpus_path(self) -> Path | None:
        return Path(self.corpus) if self.corpus is not None else None

    def settings(self, base: Settings | None = None) -> Settings:
        """The run's settings: ``base``, the config file, ``overrides``, then ``k`` and ``backend``.

        With a corpus, the collection is the corpus's own (see :func:`corpus_collection`).
        """
        sets = dict(self.overrides)
        if self.k is not None:
            sets["retrieval.k"] = self.k
        if self.backend is not None:
            sets["llm.backend"] = self.backend
        settings = settings_for_eval(base, config=self.config, overrides=sets)
        if self.corpus_path is not None:
            settings = settings.with_overrides({"collection": corpus_collection(self.corpus_path, settings)})
        return settings


def parse_set(items: Sequence[str]) -> dict[str, Any]:
    """``["retrieval.k=8", "llm.backend=extractive"]`` -> ``{"retrieval.k": 8, "llm.backend": "extractive"}``.

    Values are read as JSON when they parse (numbers, true/false, null, lists), else as strings.

    Raises:
        ConfigError: an item has no ``=``.
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects KEY=VALUE (e.g. retrieval.k=8), got {item!r}")
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        out[key.strip()] = value
    return out


def settings_for_eval(
    settings: Settings | None = None,
    *,
    config: Path | str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """The settings of a run: ``settings`` (or the usual sources), a TOML file on top, then ``--set`` values.

    Raises:
        ConfigError: the file is unreadable or a key or value is invalid.
    """
    import tomllib

    from pydantic import ValidationError

    try:
        if config is not None:
            path = Path(config)
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"cannot read the config file {path}: {exc}") from exc
            base = settings or Settings()
            settings = base.with_overrides(_flatten(data))
        settings = settings or Settings()
        if overrides:
            settings = settings.with_overrides(dict(overrides))
    except KeyError as exc:
        raise ConfigError(f"{exc.args[0]}: the keys are the fields of rag/settings.py") from exc
    except ValidationError as exc:
        raise ConfigError(f"invalid setting: {exc}") from exc
    return settings


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, dotted + "."))
        else:
            out[dotted] = value
    return out


def slug(text: str, n: int = 40) -> str:
    """``text`` as a file-name part of at most ``n`` characters (``"run"`` when nothing is left)."""
    return re.sub(r"[^a-zA-Z0-9._-]+", "-", text).strip("-._")[:n] or "run"


def corpus_collection(corpus: Path, settings: Settings) -> str:
    """The collection a corpus is ingested into for evaluation: named after the file and chunking.

    Chunking and the embedding backend change what is stored, so each combination gets its own
    collection; re-running with the same ones reuses it (ingest skips unchanged articles).
    """
    key = json.dumps(
        {"chunk": settings.chunk.model_dump(mode="json"), "embedding": settings.embedding_backend},
        sort_keys=True,
    )
    digest = hashlib.sha1(key.encode()).hexdigest()[:8]
    return f"eval-{slug(corpus.stem, 40)}-{digest}"


def run_key(settings: Settings, options: Mapping[str, Any]) -> str:
    """A hash of everything that changes a run's results (not where its files live)."""
    data = settings.model_dump(mode="json", exclude={"home", "ui"})
    blob = json.dumps({"settings": data, "options": dict(options)}, sort_keys=True, default=str)
    return hashlib.sha1(blob.encode()).hexdigest()[:16]
