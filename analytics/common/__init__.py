"""Small helpers every capability shares: the clock, timestamp parsing, host-name recognition, sizes for
people, disjoint sets, and the former homes of moved modules."""
