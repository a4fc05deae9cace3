"""The wheel a user installs holds every package and the sample articles, and its `newsrag` ingests them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests._processes import run_newsrag

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # Built from a copy, so setuptools' build/ and egg-info folders never land in the checkout.
    src = out / "src"
    shutil.copytree(
        ROOT,
        src,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", ".newsrag", "build", "*.egg-info", "__pycache__", ".*_cache"
        ),
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("newsrag_cited-*.whl")
    return built


def test_the_wheel_holds_the_packages_prompts_and_samples(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for package in ("rag", "ingest", "ui", "eval", "cli", "server"):
        assert f"{package}/__init__.py" in names and f"{package}/py.typed" in names
    assert sum(n.startswith("ingest/samples/") and n.endswith(".txt") for n in names) == 4
    assert "rag/prompts/answer_system.txt" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "newsrag = cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


@pytest.mark.slow
def test_the_installed_command_ingests_the_bundled_samples(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    # Outside the checkout, with only the installed copy of newsrag on the path (its dependencies
    # come from this environment).
    env = {**os.environ, "PYTHONPATH": str(site), "NEWSRAG_HOME": str(tmp_path / "home")}
    run = run_newsrag("ingest", "--samples", "--json", "--no-progress", env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["added"] == 4 and not report["failed"]
    ask = run_newsrag("ask", "Who visited Skopje?", "--backend", "extractive", env=env, cwd=tmp_path)
    assert ask.returncode == 0 and "Stoltenberg" in ask.stdout, ask.stderr
