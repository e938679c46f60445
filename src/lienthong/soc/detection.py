"""What a detection rule found, as plain data: the rules engine produces it, the alert store
deduplicates, groups, suppresses and stores it, notifications and the SIEM export carry it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SEVERITIES = ("informational", "low", "medium", "high", "critical")  # Sigma's levels, in order


@dataclass(frozen=True)
class Detection:
    """One finding of one rule.

    ``group_key`` names what the finding is about (``system=H33.01.S01``, ``source=10.0.0.7``):
    findings of one rule with one key while an alert is open become that alert's occurrences.
    ``audit_seqs`` are the audit entries that raised it (bounded by the engine to the first
    and last few hundred), so every alert links to its evidence.
    """

    rule_id: str
    rule_title: str
    severity: str
    group_key: str
    observed_at: datetime
    audit_seqs: tuple[int, ...]
    summary: dict[str, Any] = field(default_factory=dict)
