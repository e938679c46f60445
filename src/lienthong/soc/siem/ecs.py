"""Audit entries and alerts as Elastic Common Schema (ECS) documents, one JSON object a line.

ECS fields carry what a SIEM correlates on (time, action, outcome, who, from where, which
route); whatever of our entry has no ECS field stays under ``lienthong.*`` so nothing is lost.
``event.sequence`` is the entry's place in the chain and ``event.hash`` its chain hash, so the
SIEM's copy can be checked against the signed checkpoints (docs/audit.md).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from lienthong.soc.detection import SEVERITIES

ECS_VERSION = "8.11.0"
# Alerts' event.severity: the numbers Elastic's detection engine gives Sigma's levels.
SEVERITY_SCORE = {"informational": 1, "low": 21, "medium": 47, "high": 73, "critical": 99}
# The ECS event.category of an action, by its first word.
CATEGORY = {
    "auth": "authentication",
    "signin": "authentication",
    "data": "database",
    "record": "database",
    "operator": "iam",
    "permission": "iam",
    "people": "iam",
    "person": "iam",
    "credential": "iam",
    "grant": "iam",
    "ingest": "file",
    "quarantine": "file",
    "audit": "database",
}
MAPPED = frozenset({"action", "actor", "outcome", "at", "seq", "ip", "route", "path", "method"})
LABELLED = ("dataset", "purpose", "request_id", "organisation", "system")


def _category(action: str) -> str:
    return CATEGORY.get(action.split(".", 1)[0], "configuration")


def _ip(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _user(actor: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """ECS ``user`` and ``organization`` of an entry's actor."""
    kind = actor.get("kind")
    if kind == "system":
        org, system = actor.get("organisation"), actor.get("system")
        user = {"id": f"system:{org}/{system}", "name": system, "roles": ["system"]}
        return user, {"id": org} if org else {}
    if kind == "person":
        user = {"id": f"person:{actor.get('person')}", "roles": ["person"]}
        if actor.get("name"):
            user["name"] = actor["name"]
        return user, {}
    if kind == "operator":
        return {"id": "operator", "roles": ["operator"]}, {}
    return {}, {}


def audit_document(seq: int, body: str | Mapping[str, Any], hash_: str) -> dict[str, Any]:
    """The ECS document of audit entry ``seq`` (its stored JSON ``body`` and chain hash)."""
    entry: Mapping[str, Any] = json.loads(body) if isinstance(body, str) else body
    action = str(entry.get("action", ""))
    outcome = entry.get("outcome", "ok")
    event: dict[str, Any] = {
        "kind": "event",
        "action": action,
        "category": [_category(action)],
        "outcome": "success" if outcome == "ok" else "failure",
        "sequence": seq,
        "hash": hash_,
        "dataset": "lienthong.audit",
        "module": "lienthong",
    }
    if outcome != "ok":
        event["reason"] = str(outcome)
    doc: dict[str, Any] = {
        "@timestamp": entry.get("at"),
        "ecs": {"version": ECS_VERSION},
        "event": event,
        "service": {"name": "lienthong", "type": "data-exchange"},
    }
    actor = entry.get("actor")
    user, organization = _user(actor) if isinstance(actor, Mapping) else ({}, {})
    if user:
        doc["user"] = user
    if organization:
        doc["organization"] = organization
    ip = _ip(entry.get("ip")) or _ip(entry.get("source"))
    if ip:
        doc["source"] = {"ip": ip}
    path = entry.get("route") or entry.get("path")
    if isinstance(path, str):
        doc["url"] = {"path": path}
    http: dict[str, Any] = {}
    if isinstance(entry.get("method"), str):
        http["request"] = {"method": entry["method"]}
    status = entry.get("status")
    if isinstance(status, int) and not isinstance(status, bool):
        http["response"] = {"status_code": status}
    if http:
        doc["http"] = http
    labels = {k: str(entry[k]) for k in LABELLED if isinstance(entry.get(k), str | int)}
    if labels:
        doc["labels"] = labels
    rest = {k: v for k, v in entry.items() if k not in MAPPED}
    doc["lienthong"] = {"audit": {"seq": seq, "hash": hash_, "actor": actor, **rest}}
    return doc


def alert_document(alert: Mapping[str, Any]) -> dict[str, Any]:
    """The ECS document of an alert: a plain mapping with the fields of a
    :class:`~lienthong.soc.detection.Detection` and the alert's ``id`` and ``status``."""
    severity = str(alert["severity"])
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}")
    observed = alert["observed_at"]
    stamp = observed.isoformat() if isinstance(observed, datetime) else str(observed)
    seqs = [int(s) for s in alert.get("audit_seqs", ())]
    return {
        "@timestamp": stamp,
        "ecs": {"version": ECS_VERSION},
        "event": {
            "kind": "alert",
            "id": str(alert["id"]),
            "category": ["intrusion_detection"],
            "type": ["indicator"],
            "severity": SEVERITY_SCORE[severity],
            "dataset": "lienthong.alerts",
            "module": "lienthong",
        },
        "log": {"level": severity},
        "rule": {"id": str(alert["rule_id"]), "name": str(alert["rule_title"])},
        "service": {"name": "lienthong", "type": "data-exchange"},
        "lienthong": {
            "alert": {
                "id": alert["id"],
                "status": alert.get("status"),
                "group_key": alert["group_key"],
                "audit_seqs": seqs,
                "summary": dict(alert.get("summary") or {}),
            }
        },
    }


def json_line(document: Mapping[str, Any]) -> str:
    """One document as one line of JSON (UTF-8, no newline inside)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str) + "\n"
