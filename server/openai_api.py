"""OpenAI-compatible chat: ``GET /v1/models`` and ``POST /v1/chat/completions`` (streaming or not).

The last user message is the question and the earlier user/assistant turns are the history. The
reply's text is the verified answer, with its ``[n]`` markers and a Markdown list of sources; the
completion object (and the stream's last chunk) carries a top-level ``citations`` field with the
records ``newsrag ask --json`` prints. A stream sends the verified text only: the answer is checked
sentence by sentence against its sources before any of it is sent, so no unsupported sentence reaches
the client (the first chunk, with the role, goes out at once).

Beyond OpenAI's fields a request may carry ``as_of``, ``since``, ``until`` (YYYY-MM-DD) and
``sources`` (a list of source names), e.g. through the ``openai`` client's ``extra_body``.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, ValidationError

from rag import Answer, ConfigError, NewsRAG, NewsragError

__all__ = ["SOURCES_HEADING", "chat_router", "model_ids", "reply_text"]

SOURCES_HEADING = "\n\n**Sources**\n"
KEEPALIVE_SECONDS = 10.0  # while a stream's answer is written and checked, an SSE comment this often
_WORDS = re.compile(r"\S+\s*")


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str = ""


class _Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[_Part] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.text for p in self.content if p.type == "text")
        return self.content or ""


class _ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens, ... are accepted and unused
    model: str
    messages: list[_Message]
    stream: bool = False
    as_of: date | None = None
    since: date | None = None
    until: date | None = None
    sources: list[str] | None = None


class _Refusal(Exception):
    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", **extra: Any):
        super().__init__(message)
        self.status, self.kind, self.extra = status, kind, extra

    def body(self) -> dict[str, Any]:
        return {"error": {"message": str(self), "type": self.kind, "code": None, **self.extra}}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status)


def model_ids(api: NewsRAG) -> dict[str, str]:
    """Model id -> backend: ``newsrag`` is the server's own backend, ``newsrag-<backend>`` each
    generator that can answer here."""
    ids: dict[str, str] = {"newsrag": api.settings.llm.backend}
    return ids | {f"newsrag-{b}": b for b in api.backends()}


def _turns(messages: list[_Message]) -> tuple[str, list[dict[str, str]]]:
    """The question (the last message, from the user) and the earlier turns as history."""
    if not messages or messages[-1].role != "user" or not messages[-1].text().strip():
        raise _Refusal(400, "the last message must be the user's question, and not empty")
    history = [
        # An earlier reply's sources list is this server's addition, not part of the conversation.
        {"role": m.role, "content": m.text().split(SOURCES_HEADING, 1)[0]}
        for m in messages[:-1]
        if m.role in ("user", "assistant") and m.text().strip()
    ]
    return messages[-1].text().strip(), history


def reply_text(answer: Answer) -> str:
    """The answer with a Markdown list of the sources its ``[n]`` markers point at."""
    if not answer.citations:
        return answer.text
    lines = []
    for c in answer.citations:
        p = c.passage
        title = p.title or "(untitled)"
        name = f"[{title}]({p.url})" if p.url else title
        meta = ", ".join(x for x in (p.source, p.published.isoformat() if p.published else "") if x)
        lines.append(f"- [{c.n}] {name}" + (f" ({meta})" if meta else ""))
    return answer.text + SOURCES_HEADING + "\n".join(lines)


def _answer(api: NewsRAG, req: _ChatRequest, backend: str) -> Answer:
    question, history = _turns(req.messages)
    try:
        return api.ask(
            question,
            history=history,
            as_of=req.as_of,
            since=req.since,
            until=req.until,
            sources=req.sources,
            backend=backend,
        )
    except ConfigError as exc:
        raise _Refusal(400, str(exc)) from exc
    except NewsragError as exc:
        found = list(getattr(exc, "passages", None) or [])
        extra = {"passages": [p.to_dict(n) for n, p in enumerate(found, start=1)]} if found else {}
        raise _Refusal(503, str(exc), "server_error", **extra) from exc


def _completion(cid: str, model: str, answer: Answer) -> dict[str, Any]:
    return {
        "id": cid,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply_text(answer)},
                "finish_reason": "stop",
            }
        ],
        "citations": [c.to_dict() for c in answer.citations],
        "newsrag": {k: v for k, v in answer.to_dict().items() if k not in ("answer", "citations")},
    }


def _chunk(
    cid: str, model: str, delta: dict[str, str], finish: Literal["stop"] | None = None
) -> dict[str, Any]:
    return {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _event(body: dict[str, Any]) -> str:
    """One server-sent event carrying ``body`` as JSON."""
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def _stream(api: NewsRAG, req: _ChatRequest, backend: str, cid: str) -> Iterator[str]:
    """The SSE events of a streamed completion (a sync generator: Starlette runs it in a thread)."""
    yield _event(_chunk(cid, req.model, {"role": "assistant", "content": ""}))
    with ThreadPoolExecutor(1, thread_name_prefix="newsrag-answer") as pool:
        pending = pool.submit(_answer, api, req, backend)
        while True:
            try:
                answer = pending.result(timeout=KEEPALIVE_SECONDS)
                break
            except FutureTimeout:
                yield ": checking the answer against its sources\n\n"  # a comment keeps proxies patient
            except _Refusal as exc:
                yield _event(exc.body())
                yield "data: [DONE]\n\n"
                return
    for word in _WORDS.findall(reply_text(answer)):
        yield _event(_chunk(cid, req.model, {"content": word}))
    full = _completion(cid, req.model, answer)
    yield _event(_chunk(cid, req.model, {}, "stop") | {k: full[k] for k in ("citations", "newsrag")})
    yield "data: [DONE]\n\n"


def _parse(body: Any, api: NewsRAG) -> tuple[_ChatRequest, str]:
    try:
        req = _ChatRequest.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise _Refusal(400, f"bad request field {where!r}: {first['msg']}") from exc
    models = model_ids(api)
    if req.model not in models:
        raise _unknown_model(req.model, api)
    return req, models[req.model]


def _unknown_model(name: str, api: NewsRAG) -> _Refusal:
    return _Refusal(
        404, f"unknown model {name!r}: use one of {', '.join(model_ids(api))}", code="model_not_found"
    )


def chat_router(api: NewsRAG) -> APIRouter:
    """The ``/v1`` routes over ``api``."""
    router = APIRouter(prefix="/v1")

    @router.get("/models")
    def models() -> dict[str, Any]:
        data = [
            {"id": mid, "object": "model", "created": 0, "owned_by": f"newsrag ({backend})"}
            for mid, backend in model_ids(api).items()
        ]
        return {"object": "list", "data": data}

    @router.get("/models/{model}", response_model=None)
    def model(model: str) -> JSONResponse:
        found = {m["id"]: m for m in models()["data"]}
        if model not in found:
            return _unknown_model(model, api).response()
        return JSONResponse(found[model])

    @router.post("/chat/completions", response_model=None)
    async def completions(request: Request) -> JSONResponse | StreamingResponse:
        from starlette.concurrency import run_in_threadpool

        try:
            body = await request.json()
        except ValueError:
            return _Refusal(400, "the request body is not JSON").response()
        try:
            req, backend = _parse(body, api)
            cid = f"chatcmpl-{uuid.uuid4().hex}"
            if req.stream:
                _turns(req.messages)  # a malformed conversation is refused before the stream starts
                return StreamingResponse(_stream(api, req, backend, cid), media_type="text/event-stream")
            answer = await run_in_threadpool(_answer, api, req, backend)
        except _Refusal as exc:
            return exc.response()
        return JSONResponse(_completion(cid, req.model, answer))

    return router
