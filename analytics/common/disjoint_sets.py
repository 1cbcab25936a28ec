"""Disjoint sets (union-find): items joined pairwise, then read back as groups.

Used where many items must be grouped by "these two belong together" evidence: templates that merge
(:func:`analytics.patterns.templates.merge_templates`) and the patterns those templates join
(:mod:`analytics.patterns.merge`).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

T = TypeVar("T", bound=Hashable)


class DisjointSets(Generic[T]):
    """Each item starts in a group of its own; :meth:`union` joins two groups."""

    def __init__(self, items: Iterable[T]) -> None:
        self._parent: dict[T, T] = {x: x for x in items}

    def find(self, x: T) -> T:
        """The root of ``x``'s group (path halving on the way)."""
        parent = self._parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: T, b: T) -> None:
        """Join ``a``'s group to ``b``'s (``b``'s root stays the root)."""
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self._parent[ra] = rb

    def groups(self) -> dict[T, list[T]]:
        """Every group by its root, its members in the order the items were given."""
        out: dict[T, list[T]] = {}
        for x in self._parent:
            out.setdefault(self.find(x), []).append(x)
        return out
