"""Benchmarks: ``python -m bench`` (``make bench``); see docs/benchmarks.md."""
