"""One-time export of the bundled MiniLM to ONNX (fp32 and int8), cached under ``<home>/models``.

The graph holds the transformer, mean pooling over the attention mask and L2 normalisation, so at
run time only onnxruntime, tokenizers and numpy are needed (torch and onnx only for the export).
Files are keyed by a hash of the model's files and of this export recipe, written to a temporary
name and renamed into place, so a killed export never leaves a half-written model behind and two
processes exporting at once both end with the same complete file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
import warnings
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Literal

from rag.errors import ModelError

log = logging.getLogger(__name__)

OnnxVariant = Literal["fp32", "int8"]

# Bump when the export recipe changes, so stale cached files are not reused.
RECIPE = "minilm-onnx-v1|opset17|eager|meanpool|l2"
_MODEL_FILES = ("config.json", "model.safetensors", "1_Pooling/config.json", "modules.json")


@lru_cache(maxsize=4)
def model_key(model_dir: Path) -> str:
    """A short hash of the model's weight and config files plus :data:`RECIPE`."""
    h = hashlib.sha256(RECIPE.encode())
    for name in _MODEL_FILES:
        path = model_dir / name
        if not path.exists():
            continue
        h.update(name.encode())
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()[:16]


def onnx_path(model_dir: Path, home: Path, variant: OnnxVariant) -> Path:
    """Where the exported model for ``variant`` lives (it may not exist yet)."""
    return Path(home) / "models" / f"all-MiniLM-L6-v2-{model_key(model_dir)}-{variant}.onnx"


def ensure_onnx(model_dir: Path, home: Path, variant: OnnxVariant) -> Path:
    """The cached ONNX file for ``variant``, exported (and quantised for int8) on first use.

    Raises:
        ModelError: the export or quantisation failed (for example ``onnx`` is not installed).
    """
    target = onnx_path(model_dir, home, variant)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    if variant == "fp32":
        _atomic(target, lambda tmp: _export_fp32(model_dir, tmp))
    else:
        fp32 = ensure_onnx(model_dir, home, "fp32")
        _atomic(target, lambda tmp: _quantize_int8(fp32, tmp))
    return target


def _atomic(target: Path, write: Callable[[Path], None]) -> None:
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        start = time.perf_counter()
        write(tmp)
        tmp.chmod(0o644)  # mkstemp makes it private; the cache is as readable as the rest of home
        os.replace(tmp, target)
        log.info("wrote %s in %.1f s", target, time.perf_counter() - start)
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(
            f"could not build the ONNX embedding model at {target}: {exc} "
            "(set embedding_backend = 'torch' to run without it)"
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)


def _export_fp32(model_dir: Path, out: Path) -> None:
    try:
        import onnx  # noqa: F401  (torch's exporter needs it to serialise)
        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise ModelError(
            f"exporting the embedding model to ONNX needs torch, transformers and onnx ({exc}): "
            "pip install onnx, or set embedding_backend = 'torch'"
        ) from exc

    log.info("exporting %s to ONNX (once; cached at %s)", model_dir.name, out.parent)
    # Eager attention traces to plain ops; SDPA's shortcuts for all-ones masks would be baked in.
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")
    model.eval()

    class _Pooled(torch.nn.Module):
        def __init__(self, encoder: torch.nn.Module) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    # A padded dummy batch, so the traced graph honours the mask for every row.
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]], dtype=torch.long)
    mask = (ids != 0).long()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about shape checks that hold for any size
        torch.onnx.export(
            _Pooled(model),
            (ids, mask),
            str(out),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "sequence"},
                "attention_mask": {0: "batch", 1: "sequence"},
                "embedding": {0: "batch"},
            },
            opset_version=17,
            do_constant_folding=True,
            dynamo=False,
        )


def _quantize_int8(fp32: Path, out: Path) -> None:
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise ModelError(
            f"int8 quantisation needs onnxruntime.quantization and onnx ({exc}): pip install onnx"
        ) from exc
    log.info("quantising %s to int8 (once)", fp32.name)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # it advises "pre-processing" on the root logger: not needed here
    try:
        # Per-channel: the per-tensor default costs much more accuracy on this model.
        quantize_dynamic(str(fp32), str(out), per_channel=True, weight_type=QuantType.QInt8)
    finally:
        root.setLevel(level)
