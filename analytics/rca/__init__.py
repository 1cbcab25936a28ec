"""AI root-cause analysis of error patterns, on any OpenAI-compatible model.

Modules, each owning one idea:

* :mod:`.redact`  -- secrets and personal data removed before anything leaves the host (its rules also in
  :mod:`.redact_chars`, :mod:`.redact_keys`, :mod:`.redact_cli` and :mod:`.redact_prose`)
* :mod:`.prompt`  -- the analysis input gathered from the store (what ``lokifi ai preview`` prints)
* :mod:`.client`  -- the ``openai`` client: endpoint/key resolution, retries, faults, status check
* :mod:`.parse`   -- the answer's schema, a tolerant parser and strict validation
* :mod:`.cache`   -- seed 003's AiAnalysisCache (input hash + model, TTL, hits, stats)
* :mod:`.ledger`  -- tokens and money per call and per diagnosis
* :mod:`.analyze` -- ``analyze_pattern``: the entry point for the CLI and the dashboard

Importing this package does not import ``openai``; only a real call does.
"""
