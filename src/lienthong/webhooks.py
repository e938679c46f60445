"""Signed webhook delivery by the Standard Webhooks specification (https://www.standardwebhooks.com).

One place signs and sends what leaves the platform by webhook: security alerts to the monitoring
centre's receivers, change events to subscribed consumers. A message carries ``webhook-id`` (the
same on every retry, so a receiver drops duplicates), ``webhook-timestamp`` and
``webhook-signature`` (``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body``), computed by the
``standardwebhooks`` package so a receiver using any Standard Webhooks library verifies it.

Secrets are ``whsec_`` + base64 of 32 random bytes; the platform stores them as given to the
receiver (it must sign with them) and never writes them to a log.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from standardwebhooks.webhooks import Webhook

# Delays before the 2nd, 3rd, ... attempt; after the last one the message is dead-lettered.
# The specification's suggested schedule, shortened at the tail: a receiver down for a day is
# an incident for a person, not for a retry loop.
RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
)
MAX_RESPONSE_TEXT = 200  # what of a receiver's refusal is kept as the attempt's error


def new_secret() -> str:
    """A fresh signing secret in the specification's ``whsec_`` form."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def signed_headers(
    secret: str, msg_id: str, body: str, at: datetime | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body`` (JSON text) sent as ``msg_id``."""
    when = (at or datetime.now(UTC)).astimezone(UTC)
    signature = Webhook(secret).sign(msg_id=msg_id, timestamp=when, data=body)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


@dataclass(frozen=True)
class Attempt:
    """One delivery attempt: ``ok`` on any 2xx; otherwise the status (None: no answer) and why."""

    ok: bool
    status: int | None
    error: str | None


def deliver(
    client: httpx.Client, url: str, secret: str, msg_id: str, body: str, *, timeout: float = 10.0
) -> Attempt:
    """POST ``body`` to ``url`` signed with ``secret``; never raises for the receiver's failure."""
    try:
        response = client.post(
            url,
            content=body.encode("utf-8"),
            headers=signed_headers(secret, msg_id, body),
            timeout=timeout,
        )
    except httpx.HTTPError as exc:
        return Attempt(
            ok=False, status=None, error=f"{type(exc).__name__}: {exc}"[:MAX_RESPONSE_TEXT]
        )
    if 200 <= response.status_code < 300:
        return Attempt(ok=True, status=response.status_code, error=None)
    return Attempt(
        ok=False, status=response.status_code, error=response.text[:MAX_RESPONSE_TEXT] or None
    )


def next_attempt_at(attempts_made: int, now: datetime) -> datetime | None:
    """When to try again after ``attempts_made`` failed attempts; None: dead-letter it."""
    if attempts_made < 1 or attempts_made > len(RETRY_DELAYS):
        return None
    return now + RETRY_DELAYS[attempts_made - 1]
