"""Scoring: run records in, verdicts, effective grades, fingerprints and staleness out.

Everything here is derived from the content and the ledger, never stored in YAML.
One job per module, each importing only those before it:
  types        the dataclasses and the Verdict enum
  uncertainty  per-seed values, 95% t-intervals, margins, fragile marks, sanity checks
  verdicts     which runs count for a link, and the verdict rules per link and claim
  grades       effective grade and factors, and the one place that words why a grade moved
  history      how each claim's effective grade moved as the ledger grew
  staleness    fingerprints of what is material, and thesis staleness with its reasons
  wiki_scores  all of it for a whole wiki
"""
