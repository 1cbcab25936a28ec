"""Small helpers every capability shares: timestamp parsing, host-name recognition, and the former homes of moved
modules."""
