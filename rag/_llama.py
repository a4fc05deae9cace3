"""The local generator: :class:`ChatLlamaCpp`, a LangChain chat model over ``llama_cpp.Llama``.

The ``Llama`` for a GGUF file is loaded once per process and shared; its use is serialised by a lock,
and a prompt's system turn is evaluated once and kept (see :meth:`_LoadedLlama.start`).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import logging
import threading
import time
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field

from rag.errors import ModelError

if TYPE_CHECKING:
    from llama_cpp import Llama

__all__ = ["LOCAL_INSTALL_HINT", "ChatLlamaCpp", "llama_cpp_importable"]

log = logging.getLogger(__name__)

LOCAL_INSTALL_HINT = "pip install 'newsrag[local]'"


@lru_cache(maxsize=1)
def llama_cpp_importable() -> bool:
    try:
        importlib.import_module("llama_cpp")
    except Exception as exc:  # a broken native build raises OSError/RuntimeError, not only ImportError
        log.debug("llama_cpp is not usable: %s", exc)
        return False
    return True


class _LoadedLlama:
    """One loaded model and the lock that serialises its use (a Llama context is not thread-safe)."""

    def __init__(self, llama: Llama, load_seconds: float) -> None:
        self.llama = llama
        self.load_seconds = load_seconds
        self.lock = threading.Lock()
        self.kept: tuple[int, ...] = ()  # the prompt head evaluated on its own and still in the cache
        self._heads: dict[str, tuple[int, ...]] = {}

    def head(self, system: str) -> tuple[int, ...]:
        """The tokens every prompt with this system message starts with: the system turn and the
        opening of the user's turn, as the GGUF's chat template writes them."""
        if system not in self._heads:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            llama = self.llama
            template = llama.metadata.get("tokenizer.chat_template")
            if not template:
                return ()
            eos, bos = llama.token_eos(), llama.token_bos()
            formatter = Jinja2ChatFormatter(
                template=template,
                eos_token=llama._model.token_get_text(eos) if eos != -1 else "",
                bos_token=llama._model.token_get_text(bos) if bos != -1 else "",
            )
            a, b = (
                llama.tokenize(
                    formatter(
                        messages=[{"role": "system", "content": system}, {"role": "user", "content": x}]
                    ).prompt.encode("utf-8"),
                    add_bos=False,
                    special=True,
                )
                for x in ("a", "b")
            )
            n = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), 0)
            self._heads[system] = tuple(a[:n])
        return self._heads[system]

    def start(self, messages: list[BaseMessage]) -> None:
        """Set the context up for a prompt of ``messages``.

        A prompt that opens with a system message reuses that message's evaluation: its head is
        evaluated on its own once, kept, and every such prompt is evaluated on from the end of it.
        The split is always at the same place, so the same prompt still gets the same answer
        (llama.cpp's own prefix reuse splits wherever the previous prompt stopped matching, and a
        different split can flip a greedy choice: "Paris." vs "Paris is the capital of France.").
        Any other prompt starts from an empty context.
        """
        llama = self.llama
        head = self.head(messages[0].text) if messages and isinstance(messages[0], SystemMessage) else ()
        if head and self.kept == head and llama.n_tokens >= len(head):
            llama.n_tokens = len(head)  # generate() matches the rest against nothing beyond it
            return
        llama.reset()
        self.kept = ()
        if head:
            llama.eval(list(head))
            self.kept = head


_cache: dict[tuple[str, int, int | None], _LoadedLlama] = {}
_cache_lock = threading.Lock()


def _load_llama(model_path: str, n_ctx: int, n_threads: int | None) -> _LoadedLlama:
    """The process-wide ``Llama`` for this file and context size, loaded on first use."""
    key = (str(Path(model_path).resolve()), n_ctx, n_threads)
    with _cache_lock:
        loaded = _cache.get(key)
        if loaded is not None:
            return loaded
        if not llama_cpp_importable():
            raise ModelError(f"the local LLM needs llama-cpp-python: {LOCAL_INSTALL_HINT}")
        from llama_cpp import Llama

        log.info("loading %s (n_ctx=%d, n_threads=%s)", model_path, n_ctx, n_threads)
        start = time.perf_counter()
        try:
            # chat_format=None: the chat template stored in the GGUF file formats the messages.
            llama = Llama(
                model_path=model_path, n_ctx=n_ctx, n_threads=n_threads, chat_format=None, verbose=False
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"could not load the GGUF model {model_path}: {exc}") from exc
        loaded = _LoadedLlama(llama, time.perf_counter() - start)
        log.info("loaded %s in %.1f s", model_path, loaded.load_seconds)
        _cache[key] = loaded
        return loaded


@atexit.register
def _close_at_exit() -> None:
    """Free every model while the interpreter still works: llama.cpp's own ``__del__`` at shutdown
    fails with "'NoneType' object is not callable" once its module globals are gone."""
    with _cache_lock:
        for loaded in _cache.values():
            loaded.llama.close()
        _cache.clear()


def _role(message: BaseMessage) -> str:
    if isinstance(message, SystemMessage):
        return "system"
    if isinstance(message, HumanMessage):
        return "user"
    if isinstance(message, AIMessage):
        return "assistant"
    if isinstance(message, ToolMessage):
        return "tool"
    if isinstance(message, ChatMessage):
        return message.role
    raise ModelError(f"cannot send a {type(message).__name__} to the local model")


def _to_llama_messages(messages: list[BaseMessage]) -> list[dict[str, str]]:
    return [{"role": _role(m), "content": m.text} for m in messages]


class ChatLlamaCpp(BaseChatModel):
    """A GGUF model run by llama.cpp in this process, as a LangChain chat model.

    The ``Llama`` object is loaded on first use and shared by every instance in the process with
    the same file, ``n_ctx`` and ``n_threads``; calls to one model are serialised by a lock.

    Args:
        model_path: the GGUF file (see :func:`resolve_gguf`).
        temperature: sampling temperature; 0 is greedy (reproducible).
        max_tokens: most tokens to write per answer.
        n_ctx: context window (prompt + answer) in tokens.
        n_threads: CPU threads; None lets llama.cpp choose.
        top_p: nucleus sampling cut-off (used when temperature > 0).
        seed: sampling seed (used when temperature > 0).

    Raises:
        ModelError: llama-cpp-python missing, the file fails to load, or the prompt does not fit
            in ``n_ctx``.

    Example:
        >>> llm = ChatLlamaCpp(model_path="model.gguf", max_tokens=64)  # doctest: +SKIP
        >>> "".join(c.text for c in llm.stream("Count to three"))  # doctest: +SKIP
        '1, 2, 3'
    """

    model_config = ConfigDict(protected_namespaces=())

    model_path: str
    temperature: float = 0.0
    max_tokens: int = Field(default=256, ge=1)
    n_ctx: int = Field(default=4096, ge=256)
    n_threads: int | None = None
    top_p: float = 0.95
    seed: int = 0

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model_path": self.model_path,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "n_ctx": self.n_ctx,
        }

    @property
    def load_seconds(self) -> float:
        """Seconds the model took to load (loads it if needed)."""
        return self._loaded().load_seconds

    def _loaded(self) -> _LoadedLlama:
        return _load_llama(self.model_path, self.n_ctx, self.n_threads)

    def _params(self, stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "seed": self.seed,
        }
        params.update({k: v for k, v in kwargs.items() if k in params})
        if stop:
            params["stop"] = stop
        return params

    @contextlib.contextmanager
    def _completion(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any], *, stream: bool
    ) -> Iterator[Any]:
        """llama.cpp's chat completion of ``messages`` (with ``stream``, an iterator of its parts) for
        the ``with`` block, which holds the model's lock; a ValueError inside is a ModelError."""
        loaded = self._loaded()
        with loaded.lock:
            try:
                loaded.start(messages)
                yield loaded.llama.create_chat_completion(
                    messages=_to_llama_messages(messages),  # type: ignore[arg-type]
                    stream=stream,
                    **self._params(stop, kwargs),
                )
            except ValueError as exc:  # llama_cpp raises ValueError when the prompt exceeds n_ctx
                raise ModelError(f"the local model ({Path(self.model_path).name}) failed: {exc}") from exc

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with self._completion(messages, stop, kwargs, stream=False) as response:
            pass
        choice = response["choices"][0]
        usage = response.get("usage") or {}
        message = AIMessage(
            content=choice["message"].get("content") or "",
            response_metadata={"finish_reason": choice.get("finish_reason"), "model_name": self._model_name},
            usage_metadata=UsageMetadata(
                input_tokens=usage.get("prompt_tokens", 0),
                output_tokens=usage.get("completion_tokens", 0),
                total_tokens=usage.get("total_tokens", 0),
            ),
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        with self._completion(messages, stop, kwargs, stream=True) as stream:
            for part in stream:
                choice = part["choices"][0]
                text = choice["delta"].get("content") or ""
                finish = choice.get("finish_reason")
                if not text and finish is None:
                    continue  # the role-only first delta
                metadata = {"finish_reason": finish, "model_name": self._model_name} if finish else {}
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=text, response_metadata=metadata))
                if run_manager and text:
                    run_manager.on_llm_new_token(text, chunk=chunk)
                yield chunk

    @property
    def _model_name(self) -> str:
        return Path(self.model_path).name
