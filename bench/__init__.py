"""Benchmarks: ``python -m bench`` (``make bench``); see docs/readme/bench.md."""
