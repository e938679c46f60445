"""Detection rules (Sigma, read with pySigma) over the audit stream: a streaming engine, the
runner that feeds it from the audit table, and the background chain verifier (docs/soc-rules.md)."""
