"""Benchmarks: `python benchmarks/run.py` measures delivery, limits, the due index, start-up and replies."""
