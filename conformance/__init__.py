"""Harness: datasets, the conformance engine, benchmarks and the `quartet` command."""
