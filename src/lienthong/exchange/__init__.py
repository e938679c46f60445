"""Governed sharing: grants (fields, area, purposes, expiry) and the read API's logic."""
