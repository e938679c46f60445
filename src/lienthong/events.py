"""An audit event as plain data: what happened, who did it, the outcome, with bounded text.

Built below every domain, so that request dependencies and middleware can describe what they
refuse; the audit domain chains, signs and stores the entries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

MAX_TEXT = 256  # longest text stored as sent in an entry
KEEP_TEXT = 200  # what is kept of a longer one, before its size and hash


def event(
    action: str,
    *,
    actor: Mapping[str, Any],
    outcome: str = "ok",
    **fields: Any,
) -> dict[str, Any]:
    """An audit event; ``None`` fields are left out and every text is bounded (:func:`bounded`),
    so that entries stay small whatever a caller sends."""
    entry = {"action": action, "actor": actor, "outcome": outcome} | {
        k: v for k, v in fields.items() if v is not None
    }
    return {k: bounded(v) for k, v in entry.items()}


def bounded(value: Any) -> Any:
    """``value`` with every string over ``MAX_TEXT`` characters cut, nested ones included.

    A cut string keeps its first ``KEEP_TEXT`` characters and names the whole one's size and
    SHA-256, so the entry remains evidence: whoever holds the original can show it is the one
    that was sent. Lists are kept whole (the hashes of a bulk lookup's keys are the record).
    """
    if isinstance(value, str):
        if len(value) <= MAX_TEXT:
            return value
        whole = value.encode("utf-8", "surrogatepass")
        digest = hashlib.sha256(whole).hexdigest()
        return f"{value[:KEEP_TEXT]}…[{len(whole)} bytes, sha256 {digest}]"
    if isinstance(value, Mapping):
        return {bounded(str(k)): bounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [bounded(v) for v in value]
    return value
