"""Ingest: sector exports and source databases into the store, with quarantine and batches."""
