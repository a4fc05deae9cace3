"""The import contracts in pyproject.toml hold, and a forbidden import breaks them (so `make lint` fails)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("rag", "ingest", "ui", "eval", "cli", "server", "bench")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the project's packages and contracts, to break on purpose."""
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_contracts_hold(tree: Path) -> None:
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "line", "named"),
    [
        ("rag/records.py", "from ui import render  # noqa", "rag.records -> ui"),
        ("ui/render.py", "from rag.retrieval import HybridRetriever  # noqa", "ui.render -> rag.retrieval"),
        ("rag/verify.py", "from rag.claim_checker import ClaimChecker  # noqa", ".verify -> .claim_checker"),
    ],
    ids=[
        "the core importing a client breaks the layers",
        "a client reaching into the core breaks the face",
        "two modules of a package importing each other break the no-cycles contract",
    ],
)
def test_a_forbidden_import_breaks_a_contract(tree: Path, module: str, line: str, named: str) -> None:
    with (tree / module).open("a") as f:
        f.write(f"\n{line}\n")
    result = _lint(tree)
    assert result.returncode == 1
    assert named in result.stdout
