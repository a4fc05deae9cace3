"""Timing, percentiles, peak memory and child processes measured one at a time."""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50, p95, mean and n of durations given in seconds, reported in milliseconds."""
    return {
        "p50_ms": round(percentile(seconds, 50) * 1000, 2),
        "p95_ms": round(percentile(seconds, 95) * 1000, 2),
        "mean_ms": round(sum(seconds) / len(seconds) * 1000, 2) if seconds else float("nan"),
        "n": len(seconds),
    }


PEAK_FILE_ENV = "BENCH_PEAK_FILE"


def self_peak_rss_mb() -> float:
    """Peak resident memory of this process so far.

    ``VmHWM`` is the high-water mark of this program's own memory; ``ru_maxrss`` would also carry
    the RSS of the (large) benchmark process this child was forked from.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def report_peak_at_exit() -> None:
    """In a child: write this process's peak RSS where :func:`run_child` reads it, at exit."""
    import atexit

    target = os.environ.get(PEAK_FILE_ENV)
    if target:
        atexit.register(lambda: Path(target).write_text(f"{self_peak_rss_mb():.1f}"))


class Stopwatch:
    """Accumulates the time spent in wrapped calls (a stage's share of a larger run)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.last: dict[str, float] = {}

    def wrap(self, name: str, fn: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.perf_counter() - start
                self.seconds[name] = self.seconds.get(name, 0.0) + spent
                self.last[name] = self.last.get(name, 0.0) + spent

        return timed

    def take(self) -> dict[str, float]:
        """The per-stage seconds since the previous ``take`` (one question's stages)."""
        out, self.last = self.last, {}
        return out


@dataclass(frozen=True)
class ChildRun:
    """One child process: exit code, wall time, its own peak RSS and its output."""

    argv: list[str]
    returncode: int
    wall_s: float
    peak_rss_mb: float
    stdout: str
    stderr: str

    def last_json(self) -> dict[str, Any]:
        """The last line of stdout that parses as a JSON object (the child's result)."""
        for line in reversed(self.stdout.strip().splitlines()):
            line = line.strip()
            if line.startswith("{"):
                try:
                    value = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(value, dict):
                    return value
        raise RuntimeError(
            f"no JSON result from {' '.join(self.argv[:4])}... (exit {self.returncode}): "
            f"{self.stderr.strip()[-2000:]}"
        )


def run_child(argv: Sequence[str], env: Mapping[str, str] | None = None, timeout: float = 7200) -> ChildRun:
    """Run a command; its peak RSS is what it reports through :func:`report_peak_at_exit`, else the
    ``wait4`` figure (an upper bound: Linux carries the forking parent's peak into ``ru_maxrss``)."""
    with tempfile.TemporaryDirectory() as tmp:
        peak_file = Path(tmp) / "peak"
        full_env = {**os.environ, "PYTHONPATH": str(REPO), PEAK_FILE_ENV: str(peak_file), **(env or {})}
        run = _run(argv, full_env, timeout)
        if peak_file.exists():
            return dataclasses.replace(run, peak_rss_mb=float(peak_file.read_text()))
        return run


def _run(argv: Sequence[str], full_env: Mapping[str, str], timeout: float) -> ChildRun:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), cwd=REPO, env=full_env, stdout=out, stderr=err)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ChildRun(
            argv=list(argv),
            returncode=proc.returncode,
            wall_s=wall,
            peak_rss_mb=usage.ru_maxrss / 1024,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def python_child(module: str, *args: str) -> list[str]:
    """argv running ``python -m module args`` with this interpreter."""
    return [sys.executable, "-m", module, *args]
