"""Smart recommendations: rules over real facts of the host, the project directories, the
metrics and the logs; computed priority and impact; a triage lifecycle that learns.

One small module per concern:

* :mod:`.facts` — the one filesystem walk (watched project and log directories);
* :mod:`.security`, :mod:`.secrets_gate`, :mod:`.audit`, :mod:`.dependencies`, :mod:`.performance`,
  :mod:`.maintenance`, :mod:`.system` — the rule families, each returning :class:`.finding.Finding` s;
* :mod:`.scoring` — priority 1-3 and impact 0-10 from severity, overshoot and breadth, damped by learning;
* :mod:`.lifecycle` — the stored rows, their states, history, undo and learning;
* :mod:`.upsert` — a refresh's findings recorded in one transaction (keyed, reopened only when worse);
* :mod:`.engine` — ``refresh(store, config)`` and the triage functions the CLI and dashboard call.

Nothing here imports textual, rich or lokifi_tui.
"""
