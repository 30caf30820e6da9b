"""Benchmarks: one module per benchmark, run as `python -m bench.<name>`. Never timed tests."""
