"""An optional LLM judge: a model on an OpenAI-compatible server says whether an answer is right.

Never required: every other metric is computed locally. The judge sees the question, the accepted
answers (and choices) and the system's answer, and replies ``CORRECT`` or ``INCORRECT``.

Example:
    >>> judge = Judge("http://127.0.0.1:8080/v1", model="qwen")  # doctest: +SKIP
    >>> judge.correct(question, "Squid Game was renewed [1].")  # doctest: +SKIP
    True
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

from eval.questions import Question
from rag import ConfigError, LLMUnavailableError

__all__ = ["JUDGE_PROMPT", "Judge", "parse_verdict"]

log = logging.getLogger(__name__)

JUDGE_PROMPT = """You grade answers to news quiz questions.

Question: {question}
{choices}Accepted answer(s): {answers}
Answer to grade: {answer}

Is the answer to grade correct, that is, does it give (in any wording) one of the accepted answers
and no contradicting one? Reply with one word: CORRECT or INCORRECT."""

_VERDICT = re.compile(r"\b(INCORRECT|CORRECT)\b", re.IGNORECASE)


def parse_verdict(text: str) -> bool | None:
    """``True`` for CORRECT, ``False`` for INCORRECT (the first one written), ``None`` if neither."""
    found = _VERDICT.search(text)
    if not found:
        return None
    return found.group(1).upper() == "CORRECT"


class Judge:
    """Grades answers with a chat model.

    Args:
        base_url: the OpenAI-compatible server, e.g. ``http://127.0.0.1:8080/v1``.
        model: the model name the server knows (default ``"default"``).
        chat_model: a ready LangChain chat model instead (tests); ``base_url`` is then ignored.
        timeout_seconds: per request.
    """

    def __init__(
        self,
        base_url: str | None,
        *,
        model: str | None = None,
        chat_model: Any | None = None,
        timeout_seconds: float = 60.0,
    ) -> None:
        if chat_model is None:
            if not base_url or not base_url.startswith(("http://", "https://")):
                raise ConfigError(f"--judge-url must look like http://host:port/v1, got {base_url!r}")
            from langchain_openai import ChatOpenAI
            from pydantic import SecretStr

            key = os.environ.get("NEWSRAG_OPENAI_API_KEY") or os.environ.get("OPENAI_API_KEY") or "not-needed"
            chat_model = ChatOpenAI(
                base_url=base_url,
                model=model or "default",
                api_key=SecretStr(key),
                temperature=0.0,
                max_completion_tokens=8,
                timeout=timeout_seconds,
                max_retries=1,
            )
        self.base_url = base_url
        self.chat_model = chat_model

    def prompt(self, question: Question, answer: str) -> str:
        """The judge's prompt for one answer."""
        choices = f"Choices: {'; '.join(question.choices)}\n" if question.choices else ""
        return JUDGE_PROMPT.format(
            question=question.question, choices=choices, answers=" | ".join(question.answers), answer=answer
        )

    def correct(self, question: Question, answer: str) -> bool | None:
        """The verdict, or ``None`` when the judge's reply says neither.

        Raises:
            LLMUnavailableError: the server could not be reached or failed.
        """
        try:
            reply = self.chat_model.invoke(self.prompt(question, answer))
        except Exception as exc:
            raise LLMUnavailableError(f"the judge at {self.base_url} failed: {exc}") from exc
        text = reply.text if hasattr(reply, "text") else str(reply)
        verdict = parse_verdict(text if isinstance(text, str) else str(text))
        if verdict is None:
            log.warning("the judge's reply says neither CORRECT nor INCORRECT: %r", text[:80])
        return verdict
