"""Benchmarks, run by hand (`python -m bench.<name>`); each prints a table and a JSON line."""
