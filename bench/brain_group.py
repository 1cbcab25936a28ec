"""Brain (Yu et al., "Brain: Log Parsing with Bidirectional Parallel Tree", IEEE TSC 2023), written here
from the paper's description as a baseline for the grouping figures — one configuration for every system.

    python -m bench.brain_group [--threshold 4] < lines      # one group id per input line

1. Tokens are split on whitespace and ``,;:=()[]{}"'``; a token holding a digit is a variable (the
   usual preprocessing).
2. Lines are grouped by token count. Within a length group every (position, word) gets its frequency.
3. Each line's **longest common pattern**: the frequency shared by most of its positions (ties: the
   larger); those positions with their words form the root, and lines with the same root start one group.
4. The **bidirectional tree**: within a group a position whose word is more frequent than the root's is
   constant (upward); a less frequent one (downward) is a variable when the group holds at least
   ``threshold`` distinct words there, else constant (the group splits by it).
5. A line's group is its length group plus the resulting template.
Not a copy of any implementation; the paper's per-dataset tuning is not used (``threshold`` is the one
setting, chosen in bench.grouping_loo like ours).
"""

from __future__ import annotations

import collections
import hashlib
import re
import sys

_SPLIT = re.compile(r"[\s,;:=()\[\]{}\"']+")
VAR = "<*>"


def tokens(line: str) -> list[str]:
    return [VAR if any(c.isdigit() for c in t) else t for t in _SPLIT.split(line.strip()) if t]


def templates(lines: list[str], threshold: int = 4) -> list[str]:
    toks = [tokens(x) for x in lines]
    by_len: dict[int, list[int]] = collections.defaultdict(list)
    for i, t in enumerate(toks):
        by_len[len(t)].append(i)
    out = [""] * len(lines)
    for n, idx in by_len.items():
        freq = collections.Counter((p, toks[i][p]) for i in idx for p in range(n))
        roots: dict[tuple, list[int]] = collections.defaultdict(list)
        level: dict[int, int] = {}
        for i in idx:
            fs = [freq[(p, toks[i][p])] for p in range(n)]
            counts = collections.Counter(fs)
            best = max(counts, key=lambda f: (counts[f], f)) if fs else 0
            level[i] = best
            roots[tuple((p, toks[i][p]) for p in range(n) if fs[p] == best)].append(i)
        for members in roots.values():
            distinct = [len({toks[i][p] for i in members}) for p in range(n)]
            for i in members:
                t = toks[i]
                out[i] = f"{n}|" + " ".join(
                    t[p] if freq[(p, t[p])] >= level[i] or distinct[p] < threshold else VAR for p in range(n)
                )
    return out


def main(argv: list[str]) -> None:
    threshold = int(argv[argv.index("--threshold") + 1]) if "--threshold" in argv else 4
    lines = sys.stdin.read().splitlines()
    for t in templates(lines, threshold):
        print(hashlib.sha1(t.encode(), usedforsecurity=False).hexdigest()[:12])


if __name__ == "__main__":
    main(sys.argv[1:])
