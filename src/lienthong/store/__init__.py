"""The store: one typed table per standard version, with provenance and history."""
