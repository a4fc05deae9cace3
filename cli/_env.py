"""The environment newsrag's programs run in: offline (weights come bundled, never from a model hub),
no telemetry, and no tokenizer threads beside the embedder's own."""

from __future__ import annotations

import os

DEFAULTS = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
}


def set_env_defaults() -> None:
    """Set each variable of :data:`DEFAULTS` that the caller has not set (call before loading models)."""
    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)
