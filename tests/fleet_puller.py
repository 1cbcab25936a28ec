"""Pulls from a fleet source (a ``[[sources]]`` dict) through the real collector, for the fleet-source
tests."""

from __future__ import annotations

from typing import Any


class Puller:
    """One collector "process" pulling one fleet source (a ``[[sources]]`` dict) through the real collector."""

    def __init__(self, store: Any, cfg: dict) -> None:
        import importlib

        from analytics.collect.loop import Collector
        from analytics.config.settings import parse_config

        self.src = importlib.import_module(f"analytics.sources.fleet.{cfg['type']}").from_config(cfg)
        self.col = Collector(store, parse_config({}), sources=[self.src], persist=True, hooks=())
        self.col.open()

    def pull(self):
        self.col.step(force=True)
        for _ in range(100):
            if not self.src.has_more:
                break
            self.col.poll_source(self.src, self.col.clock())
        self.col.flush()
        return self.src.health

    def close(self) -> None:
        self.col.close()
