"""Compose API 2016-07 simulator used by the composeio.dbaas tests, demo and benchmarks (see README.md)."""
