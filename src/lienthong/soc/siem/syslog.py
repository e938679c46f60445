"""RFC 5424 syslog messages and their octet-counted framing (RFC 6587 §3.4.1, as RFC 5425 uses
over TLS).

A message: ``<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ELEMENT...] BOM MSG``. Fields
we lack are the NILVALUE ``-``; header fields are printable US-ASCII cut to their RFC lengths;
in structured-data parameter values ``"``, ``\\`` and ``]`` are escaped with a backslash; the
MSG (the event's ECS JSON) is UTF-8 and so starts with the byte-order mark, as §6.4 requires of
a UTF-8 MSG.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

NILVALUE = "-"
BOM = "\ufeff"
# RFC 5612's number for documentation; a deployment sets its own
# (LIENTHONG_SOC_SYSLOG_ENTERPRISE_ID).
EXAMPLE_ENTERPRISE = 32473
FACILITY_SECURITY = 4  # security/authorisation messages
FACILITY_LOG_AUDIT = 13
FACILITY_LOG_ALERT = 14
# RFC 5424 severities (0 emergency … 7 debug) of Sigma's levels.
LEVEL_SEVERITY = {"informational": 6, "low": 5, "medium": 4, "high": 3, "critical": 2}
MAX = {"hostname": 255, "app_name": 48, "procid": 128, "msgid": 32, "sd_name": 32}


def _ascii(value: str | None, limit: int) -> str:
    """A header field: printable US-ASCII (33–126), cut to ``limit``; NILVALUE when empty."""
    if not value:
        return NILVALUE
    kept = "".join(c if 33 <= ord(c) <= 126 else "_" for c in value)[:limit]
    return kept or NILVALUE


def _sd_name(value: str) -> str:
    """An SD-ID or PARAM-NAME: printable US-ASCII but ``=``, space, ``]`` and ``"``."""
    kept = "".join(c for c in value if 33 <= ord(c) <= 126 and c not in '= ]"')[: MAX["sd_name"]]
    if not kept:
        raise ValueError(f"no valid SD name in {value!r}")
    return kept


def escape_param(value: str) -> str:
    """An SD PARAM-VALUE: ``"``, ``\\`` and ``]`` escaped (RFC 5424 §6.3.3)."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def timestamp(at: datetime | None) -> str:
    """RFC 3339 in UTC with microseconds (at most 6 fraction digits); NILVALUE when unknown."""
    if at is None:
        return NILVALUE
    return at.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Message:
    """One syslog message. ``data`` is the structured data: SD-ID → parameters (in order)."""

    facility: int
    severity: int
    at: datetime | None
    hostname: str | None
    app_name: str | None
    procid: str | None
    msgid: str | None
    data: Mapping[str, Sequence[tuple[str, str]]]
    msg: str | None

    def render(self) -> bytes:
        if not 0 <= self.facility <= 23 or not 0 <= self.severity <= 7:
            raise ValueError("facility must be 0–23 and severity 0–7")
        head = " ".join(
            [
                f"<{self.facility * 8 + self.severity}>1",
                timestamp(self.at),
                _ascii(self.hostname, MAX["hostname"]),
                _ascii(self.app_name, MAX["app_name"]),
                _ascii(self.procid, MAX["procid"]),
                _ascii(self.msgid, MAX["msgid"]),
            ]
        )
        elements = "".join(
            "["
            + " ".join(
                [_sd_name(sd_id)]
                + [f'{_sd_name(name)}="{escape_param(value)}"' for name, value in params]
            )
            + "]"
            for sd_id, params in self.data.items()
        )
        text = f"{head} {elements or NILVALUE}"
        if self.msg is not None:
            text += f" {BOM}{self.msg}"
        return text.encode("utf-8")


def frame(message: bytes) -> bytes:
    """Octet counting: ``MSG-LEN SP SYSLOG-MSG`` (RFC 6587 §3.4.1, RFC 5425 §4.3)."""
    return str(len(message)).encode("ascii") + b" " + message
