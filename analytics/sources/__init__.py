"""Collector sources: host vitals, probes, log tails (issue 9) and fleet sources (issue 10).

Every source implements the small interface in :mod:`analytics.sources.base`.
"""
