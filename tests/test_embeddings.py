"""The embedding backends: ONNX fp32 reproduces torch, int8 stays close, exports are cached once."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rag.embeddings import (
    DIMENSIONS,
    MAX_TOKENS,
    MiniLMEmbeddings,
    count_tokens,
    get_tokenizer,
    onnx_model_file,
)
from rag.errors import ConfigError

# Long enough to pass the 128 tokens the shipped tokenizer.json truncates at, short enough for 256.
_HEAD = (
    "NATO Secretary General Jens Stoltenberg visited Skopje on Tuesday and warned that Russia is "
    "trying to destabilise the Western Balkans, praising North Macedonia for its reforms. "
) * 4
LONG_A = _HEAD + "He then flew to Tirana to meet the prime minister of Albania about energy prices."
LONG_B = _HEAD + "Separately, a football club in Manchester sold its stadium naming rights to an airline."
TEXTS = [
    "NATO in Skopje",
    "What did Stoltenberg say about Balkan destabilisation?",
    "The central bank raised interest rates by three quarters of a point to fight inflation.",
    LONG_A,
    LONG_B,
    "",
    "x",
]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("newsrag-home")


@pytest.fixture(scope="module")
def torch_vectors() -> np.ndarray:
    return MiniLMEmbeddings(backend="torch").embed_array(TEXTS)


def test_long_texts_are_read_past_128_tokens() -> None:
    n_a, n_b = count_tokens([LONG_A, LONG_B])
    assert 128 < n_a <= MAX_TOKENS and 128 < n_b <= MAX_TOKENS
    assert len(get_tokenizer().encode(LONG_A).ids) == n_a  # the shared tokenizer is not cut at 128


@pytest.mark.parametrize("backend", ["torch", "onnx", "onnx-int8"])
def test_backend_shape_norm_and_order(backend: str, home: Path) -> None:
    emb = MiniLMEmbeddings(batch_size=2, backend=backend, home=home)  # type: ignore[arg-type]
    vecs = emb.embed_array(TEXTS)
    assert vecs.shape == (len(TEXTS), DIMENSIONS) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    # Sorting by length inside must not reorder the output: each row matches the text embedded alone.
    alone = np.stack([emb.embed_array([t])[0] for t in TEXTS])
    if backend == "onnx-int8":
        # Dynamic quantisation scales activations per batch, so batch-mates shift a vector slightly
        # (most for very short texts: cosine about 0.975 for "x" alone vs in a batch).
        assert (vecs * alone).sum(axis=1).min() > 0.95
    else:
        np.testing.assert_allclose(vecs, alone, atol=1e-4)
    # Text after the 128th token changes the vector (the shipped 128-token cut is overridden).
    assert float(vecs[3] @ vecs[4]) < 0.99
    assert emb.embed_array([]).shape == (0, DIMENSIONS)
    assert len(emb.embed_query("NATO")) == DIMENSIONS
    assert len(emb.embed_documents(["a", "b"])) == 2


def test_onnx_fp32_reproduces_torch(home: Path, torch_vectors: np.ndarray) -> None:
    vecs = MiniLMEmbeddings(backend="onnx", home=home).embed_array(TEXTS)
    cosine = (vecs * torch_vectors).sum(axis=1)
    assert cosine.min() > 0.9999


def test_onnx_int8_is_close_to_torch(home: Path, torch_vectors: np.ndarray) -> None:
    vecs = MiniLMEmbeddings(backend="onnx-int8", home=home).embed_array(TEXTS)
    cosine = (vecs * torch_vectors).sum(axis=1)
    assert cosine.min() > 0.95 and cosine.mean() > 0.98


def test_export_is_cached_under_home_and_reused(home: Path) -> None:
    path = onnx_model_file("onnx", home)
    assert path.parent == home / "models" and path.exists()
    stamp = path.stat().st_mtime_ns
    assert onnx_model_file("onnx", home) == path
    assert path.stat().st_mtime_ns == stamp  # not exported again
    int8 = onnx_model_file("onnx-int8", home)
    assert int8 != path and int8.stat().st_size < path.stat().st_size / 2
    assert not [p for p in (home / "models").iterdir() if p.suffix == ".tmp"]  # no half-written files


def test_torch_backend_writes_nothing(tmp_path: Path) -> None:
    MiniLMEmbeddings(backend="torch", home=tmp_path).embed_array(["hello"])
    assert not (tmp_path / "models").exists()


def test_unknown_backend_and_bad_batch_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="unknown embedding backend"):
        MiniLMEmbeddings(backend="tensorflow")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        MiniLMEmbeddings(batch_size=0)


@pytest.mark.data
def test_onnx_matches_torch_on_real_news(data_dir: Path, home: Path) -> None:
    """fp32 ONNX vs torch on real article passages of every length up to (and past) 256 tokens."""
    texts: list[str] = []
    with (data_dir / "realtimeqa" / "corpus-1k.jsonl").open(encoding="utf-8") as f:
        for line, _ in zip(f, range(12), strict=False):
            article = json.loads(line)
            text = article["text"]
            texts += [text[i : i + 300 + 90 * (i // 400 % 10)] for i in range(0, min(len(text), 4000), 400)]
    lengths = count_tokens(texts)
    assert max(lengths) > MAX_TOKENS and min(lengths) < 128
    ref = MiniLMEmbeddings(backend="torch").embed_array(texts)
    got = MiniLMEmbeddings(backend="onnx", home=home).embed_array(texts)
    cosine = (ref * got).sum(axis=1)
    assert cosine.min() > 0.9999, f"worst cosine {cosine.min():.6f}"
    # The same neighbours for a query, in the same order.
    query = MiniLMEmbeddings(backend="torch").embed_array(["Shinzo Abe shot while campaigning in Nara"])
    assert list(np.argsort(-(ref @ query[0]))[:5]) == list(np.argsort(-(got @ query[0]))[:5])
