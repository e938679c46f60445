"""Linkage: one master record per person and per business across sectors."""
