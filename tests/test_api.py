"""The public API (``NewsRAG``, ``rag`` exports, the Runnable) and the ``newsrag ask`` command."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable
from typer.testing import CliRunner

import rag
from cli import app
from rag.answering import LLMUnavailableWithPassages
from rag.api import NewsRAG
from rag.errors import ConfigError, EmptyStoreError, ModelError
from rag.records import Answer
from rag.settings import Settings
from rag.store import NewsStore
from tests.answering_data import (
    MIA_ID,
    NO_THREAT,
    STOLTENBERG_Q,
    fake_llm,
    openai_server,
)

REPO = Path(__file__).resolve().parents[1]


def _cli(news: NewsStore, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        app, ["ask", *args, "--home", str(news.home), "--collection", news.collection_name]
    )
    return result.exit_code, result.stdout, result.stderr


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- the object ----------------------------------------------------------------------------------


def test_import_is_cheap_and_exports_the_public_api() -> None:
    code = (
        "import sys, rag; heavy = ('chromadb', 'torch', 'langchain_core', 'sentence_transformers'); "
        "print([m for m in heavy if m in sys.modules]); print(len(set(rag.__all__)) == len(rag.__all__))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.split("\n")[:2] == ["[]", "True"]
    assert rag.NewsRAG is NewsRAG and rag.Answer is Answer
    assert all(getattr(rag, name) is not None for name in rag.__all__)  # every public name resolves
    with pytest.raises(AttributeError):
        _ = rag.NoSuchThing  # type: ignore[attr-defined]


def test_constructor_is_cheap(tmp_path: Path) -> None:
    api = NewsRAG.from_settings(Settings(home=tmp_path / "home"))
    assert api._store is None and api._engine is None
    assert not (tmp_path / "home").exists()  # nothing opened until first use


def test_empty_store_says_how_to_ingest(tmp_path: Path) -> None:
    api = NewsRAG(Settings(home=tmp_path / "home", collection="empty"))
    with pytest.raises(EmptyStoreError, match="newsrag ingest"):
        api.ask("What happened?", backend="extractive")
    api.close()


def test_unknown_backend_and_empty_question_are_config_errors(samples: NewsStore) -> None:
    api = NewsRAG(store=samples)
    with pytest.raises(ConfigError, match="unknown backend"):
        api.ask(STOLTENBERG_Q, backend="gpt9")
    with pytest.raises(ConfigError, match="empty"):
        api.ask("   ", backend="extractive")


def test_auto_means_local_when_installed_else_extractive(samples: NewsStore, tmp_path: Path) -> None:
    missing = Settings(home=tmp_path, llm={"model": str(tmp_path / "missing.gguf")})
    assert NewsRAG(missing, store=samples).resolve_backend("auto") == "extractive"
    assert NewsRAG(store=samples, chat_model=fake_llm("x")).resolve_backend("auto") == "local"
    pytest.importorskip("llama_cpp")
    present = tmp_path / "present.gguf"
    present.write_bytes(b"GGUF")  # auto reads no model data: a file being there is enough to choose
    installed = Settings(home=tmp_path, llm={"model": str(present)})
    assert NewsRAG(installed, store=samples).resolve_backend("auto") == "local"


def test_local_backend_without_the_model_names_the_pip_command(samples: NewsStore, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, llm={"model": str(tmp_path / "missing.gguf")})
    with pytest.raises(ModelError):
        NewsRAG(settings, store=samples).ask(STOLTENBERG_Q, backend="local")
    from rag.llm import LOCAL_INSTALL_HINT

    assert "pip install" in LOCAL_INSTALL_HINT


def test_ask_retrieve_stats_and_filters(news: NewsStore) -> None:
    api = NewsRAG(store=news)
    answer = api.ask(STOLTENBERG_Q, backend="extractive", as_of=date(2023, 11, 22))
    assert not answer.abstained and answer.citations
    found = api.retrieve(STOLTENBERG_Q, k=3)
    assert len(found.passages) == 3 and found.passages[0].source == "MIA"
    before = api.ask(STOLTENBERG_Q, backend="extractive", until=date(2023, 11, 1))
    assert before.abstained  # the Skopje stories are later
    only_samples = api.retrieve("Jupiter probe launch", sources=["MIA"]).passages
    assert {p.source for p in only_samples} == {"MIA"}
    stats = api.stats()
    assert stats.articles == 5 and stats.last_published == date(2023, 11, 21)


def test_runnable_and_retriever_compose(samples: NewsStore) -> None:
    api = NewsRAG(store=samples, settings=Settings(llm={"backend": "extractive"}))
    chain = api.as_runnable()
    assert isinstance(chain, Runnable)
    out = chain.invoke({"question": STOLTENBERG_Q, "as_of": "2023-11-22"})
    assert isinstance(out, Answer) and "imminent military threat" in out.text
    assert chain.invoke(STOLTENBERG_Q).citations
    retriever = api.as_retriever(k=2)
    assert isinstance(retriever, BaseRetriever)
    assert len(retriever.invoke(STOLTENBERG_Q)) == 2


def test_openai_backend_through_a_real_http_server(news: NewsStore) -> None:
    n = next(
        i
        for i, p in enumerate(NewsRAG(store=news).retrieve(STOLTENBERG_Q).passages, 1)
        if p.article_id == MIA_ID
    )
    with openai_server([f"Stoltenberg said {NO_THREAT} [{n}]."]) as (url, received):
        api = NewsRAG(Settings(home=news.home, llm={"base_url": url, "openai_model": "tiny"}), store=news)
        events = list(api.stream(STOLTENBERG_Q, backend="openai"))
    final = events[-1]
    assert isinstance(final, Answer) and final.backend == "openai"
    assert len(events) > 3  # streamed word by word
    assert final.text == f"Stoltenberg said {NO_THREAT} [{n}]."
    assert final.citations[0].passage.article_id == MIA_ID
    (request,) = received
    assert request["model"] == "tiny" and request["stream"] is True
    assert "<sources>" in request["messages"][1]["content"]


def test_unreachable_llm_server_keeps_the_retrieved_sources(samples: NewsStore) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    api = NewsRAG(Settings(home=samples.home, llm={"base_url": url, "timeout_seconds": 5}), store=samples)
    with pytest.raises(LLMUnavailableWithPassages, match=r"127\.0\.0\.1") as info:
        api.ask(STOLTENBERG_Q, backend="openai")
    assert info.value.passages and info.value.passages[0].source == "MIA"


# ---- the command ---------------------------------------------------------------------------------


def test_cli_ask_json(samples: NewsStore) -> None:
    code, out, _ = _cli(samples, STOLTENBERG_Q, "--backend", "extractive", "--as-of", "2023-11-22", "--json")
    assert code == 0
    data = json.loads(out)
    assert {"answer", "abstained", "citations", "timings"} <= set(data)
    assert data["abstained"] is False and "imminent military threat" in data["answer"]
    c = data["citations"][0]
    assert set(c) == {
        "n",
        "article_id",
        "title",
        "published",
        "source",
        "url",
        "quote",
        "quote_start",
        "quote_end",
    }
    assert c["published"] == "2023-11-21" and c["source"] == "MIA"
    assert "imminent military threat" in c["quote"]
    assert data["timings"]["total"] > 0


def test_cli_ask_human_output_lists_numbered_sources_with_quotes(samples: NewsStore) -> None:
    code, out, _ = _cli(samples, STOLTENBERG_Q, "--backend", "extractive")
    assert code == 0
    answer, sources = out.split("\nSources:\n")
    assert "[1]" in answer
    assert sources.startswith("[1] ") and '    "' in sources and "(MIA, 2023-11-21)" in sources


def test_cli_ask_abstains_plainly(samples: NewsStore) -> None:
    code, out, _ = _cli(
        samples, "What did the mayor of Lyon say about bicycle lanes?", "--backend", "extractive"
    )
    assert code == 0
    assert out.startswith("The ingested articles don't say") and "The closest articles are:" in out


def test_cli_ask_unreachable_server_prints_sources_and_exits_1(samples: NewsStore) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    code, out, err = _cli(samples, STOLTENBERG_Q, "--backend", "openai", "--base-url", url)
    assert code == 1
    assert out.startswith("The retrieved passages (no answer was generated):") and "[1] " in out
    assert "cannot reach the LLM server" in err and "--backend extractive" in err


def test_cli_ask_bad_input(samples: NewsStore, tmp_path: Path) -> None:
    assert _cli(samples, "q", "--as-of", "yesterday")[0] == 2
    assert _cli(samples, "q", "--backend", "gpt9")[0] == 2
    result = CliRunner().invoke(
        app, ["ask", "What happened?", "--home", str(tmp_path), "--backend", "extractive"]
    )
    assert result.exit_code == 1 and "newsrag ingest" in result.stderr


def test_questions_use_the_embedding_backend_ingest_used(tmp_path: Path) -> None:
    """Ingest embeds with ``embedding_backend``; the API must embed questions with the same model."""
    settings = Settings(home=tmp_path, collection="backend", embedding_backend="onnx")
    rag = NewsRAG(settings)
    try:
        assert rag.store.embeddings.backend == "onnx"
        assert rag.store.embeddings.home == tmp_path
    finally:
        rag.close()
