"""Benchmarks: how fast CareDesk answers on a demo and a large database."""
