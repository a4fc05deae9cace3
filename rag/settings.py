"""The one settings object: defaults < ``newsrag.toml`` < ``NEWSRAG_*`` environment < explicit arguments.

Only the CLI, the UI and the eval harness read settings; library components take plain arguments.

Example:
    >>> s = Settings(home="/tmp/x", retrieval={"k": 8})
    >>> s.retrieval.k
    8
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

EmbeddingBackend = Literal["torch", "onnx", "onnx-int8"]
LLMBackend = Literal["auto", "local", "openai", "extractive"]


class ChunkSettings(BaseModel):
    """How articles are cut into chunks, in the embedding model's own word pieces."""

    max_tokens: int = Field(default=200, ge=32, le=250)  # measured: docs/ingest.md, "Choosing the chunk size"
    overlap_tokens: int = Field(default=40, ge=0, le=128)
    header: bool = True  # embed each chunk with "title | date | source" in front


class RetrievalSettings(BaseModel):
    """Hybrid, time-aware retrieval."""

    k: int = Field(default=5, ge=1, le=50)
    fetch_k: int = Field(default=40, ge=1, le=500)
    hybrid: bool = True
    rrf_k: int = 60
    dense_weight: float = 1.0
    keyword_weight: float = 1.0
    article_weight: float = 0.5  # the ranking of whole articles by BM25 (docs/retrieval.md)
    max_per_article: int = Field(default=2, ge=1)
    recency_window_days: int | None = 7
    recency_half_life_days: float = 30.0
    reranker_path: Path | None = None
    keyword_sync_seconds: float = 5.0
    # Questions that need several articles (comparisons, changes over time, order, "which states")
    # are split into sub-questions, one search each (rag/decompose.py, docs/multi.md).
    decompose: bool = True


class LLMSettings(BaseModel):
    """Which generator answers, and how."""

    backend: LLMBackend = "auto"
    model: str = "default"  # "default" (Qwen2.5-Coder-1.5B), "fast" (0.5B) or a path to a .gguf file
    base_url: str | None = None  # the openai backend's server
    openai_model: str = "gpt-4o-mini"
    temperature: float = 0.0
    answer_tokens: int = (
        256  # most tokens the model writes per answer (chunk.max_tokens is word pieces per chunk)
    )
    timeout_seconds: float = 120.0
    n_ctx: int = 4096
    n_threads: int | None = None
    # The passages' best sentences, about this many word pieces, go into the prompt (None: whole
    # passages); measured in docs/answering.md, "How a question is answered".
    source_tokens: int | None = Field(default=150, ge=32)

    @property
    def api_key(self) -> SecretStr | None:
        """The OpenAI-compatible server's key, from the environment only (never from a file)."""
        key = os.environ.get("NEWSRAG_OPENAI_API_KEY") or os.environ.get("OPENAI_API_KEY")
        return SecretStr(key) if key else None


class IngestSettings(BaseModel):
    """Limits and options for loading inputs."""

    max_file_mb: float = 50.0
    max_article_chars: int = Field(default=300_000, ge=1_000)
    max_feed_items: int = 500
    fetch_timeout_seconds: float = 20.0
    max_redirects: int = 5
    allow_private_urls: bool = False
    batch_chunks: int = 256


class UISettings(BaseModel):
    """The Gradio chat."""

    host: str = "127.0.0.1"
    port: int = 7860
    auth: str | None = None  # "user:password"
    max_upload_mb: float = 10.0


class Settings(BaseSettings):
    """Everything a user can set. Nested values by ``NEWSRAG_RETRIEVAL__K=8`` or ``[retrieval] k = 8``."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSRAG_",
        env_nested_delimiter="__",
        toml_file="newsrag.toml",
        extra="forbid",
    )

    home: Path = Path(".newsrag")
    collection: str = Field(default="news", pattern=r"^[a-zA-Z0-9._-]{3,60}$")
    chroma_url: str | None = None
    embedding_backend: EmbeddingBackend = "onnx-int8"  # measured: docs/benchmarks.md, "Embedding backends"
    embedding_batch_size: int = 32
    chunk: ChunkSettings = ChunkSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    llm: LLMSettings = LLMSettings()
    ingest: IngestSettings = IngestSettings()
    ui: UISettings = UISettings()
    # Bearer keys that programs present to ``newsrag serve``'s /v1 and /mcp routes, comma-separated
    # (NEWSRAG_API_KEYS="key1,key2"); unset: those routes need the chat login, or nothing without one.
    api_keys: SecretStr | None = None

    def api_key_set(self) -> frozenset[str]:
        """The API keys, split and stripped (empty when none is set)."""
        raw = self.api_keys.get_secret_value() if self.api_keys is not None else ""
        return frozenset(k.strip() for k in raw.split(",") if k.strip())

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = os.environ.get("NEWSRAG_CONFIG", "newsrag.toml")
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=toml_path))

    def with_overrides(self, overrides: dict[str, Any]) -> Settings:
        """A copy with dotted keys replaced, e.g. ``{"retrieval.k": 8}`` (used by ``--set``)."""
        data = self.model_dump()
        for dotted, value in overrides.items():
            node = data
            *parents, last = dotted.split(".")
            for part in parents:
                if not isinstance(node.get(part), dict):
                    raise KeyError(f"unknown setting {dotted!r}")
                node = node[part]
            if last not in node:
                raise KeyError(f"unknown setting {dotted!r}")
            node[last] = value
        return Settings.model_validate(data)
