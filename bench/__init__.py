"""Benchmarks: speed is measured here, never as timed assertions in tests (see bench/README.md)."""
