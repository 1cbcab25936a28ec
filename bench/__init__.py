"""Benchmarks (not tests): `python -m bench.run` prints one table of median/min/max per figure."""
