"""The evaluator of pySigma's parsed rules: modifiers, lists, conditions, and refusals that
name the file and the construct."""

from __future__ import annotations

import pytest

from lienthong.soc.rules.engine import Engine
from lienthong.soc.rules.sigma import RuleInvalid, load_text

HEAD = """title: t
id: 5b0c4a43-0e0f-4a4c-9d49-3d1d1c1a0001
name: t
logsource: {product: lienthong, service: audit}
level: high
"""


def _matches(detection: str, body: dict[str, object]) -> bool:
    [rule] = load_text(HEAD + detection, source="t.yml")
    engine = Engine([rule])
    found = engine.feed([{"at": "2026-11-02T03:00:00+00:00", "seq": 1} | body])
    return bool(found)


@pytest.mark.parametrize(
    ("detection", "body", "expected"),
    [
        ("  s: {action: data.read}\n  condition: s", {"action": "DATA.READ"}, True),
        ("  s: {action: data.read}\n  condition: s", {"action": "data.list"}, False),
        ("  s: {ip|startswith: '10.'}\n  condition: s", {"ip": "10.1.2.3"}, True),
        ("  s: {ip|endswith: '.3'}\n  condition: s", {"ip": "10.1.2.4"}, False),
        ("  s: {route|contains: grants}\n  condition: s", {"route": "/api/v1/grants/x"}, True),
        ("  s: {ip|cidr: 10.0.0.0/8}\n  condition: s", {"ip": "10.200.0.1"}, True),
        ("  s: {ip|cidr: 10.0.0.0/8}\n  condition: s", {"ip": "testclient"}, False),
        (
            "  s: {actor.kind: [system, person]}\n  condition: s",
            {"actor": {"kind": "person"}},
            True,
        ),
        ("  s: {fields: phone}\n  condition: s", {"fields": ["full_name", "phone"]}, True),
        ("  s: {fields|all: [phone, full_name]}\n  condition: s", {"fields": ["phone"]}, False),
        ("  s: {count|gte: 5}\n  condition: s", {"count": 7}, True),
        ("  s: {count|lt: 5}\n  condition: s", {"count": 7}, False),
        (
            "  a: {action: x}\n  b: {outcome: ok}\n  condition: a and not b",
            {"action": "x", "outcome": "refused"},
            True,
        ),
        ("  a_1: {action: x}\n  a_2: {action: y}\n  condition: 1 of a_*", {"action": "y"}, True),
        ("  a_1: {action: y}\n  a_2: {ip: z}\n  condition: all of a_*", {"action": "y"}, False),
        ("  s: {a: 1}\n  t: {b: 2}\n  condition: s or t", {"b": 2}, True),
    ],
)
def test_the_evaluator(detection: str, body: dict[str, object], expected: bool) -> None:
    assert _matches("detection:\n" + detection, body) is expected


@pytest.mark.parametrize(
    ("text", "construct"),
    [
        ("detection:\n  s: {action|re: 'data\\..*'}\n  condition: s", "modifier |re on action"),
        ("detection:\n  s: [evil]\n  condition: s", "keyword search"),
        ("detection:\n  s: {action: 'da?a'}\n  condition: s", "the ? wildcard"),
        ("detection:\n  s: {action: x}\n  condition: s\nfalsepositives_x: 1", "unknown top-level"),
        ("detection:\n  s: {a: x}\n  condition: s\nlienthong: {sometimes: 1}", "lienthong:"),
    ],
)
def test_unsupported_constructs_are_named_with_the_file(text: str, construct: str) -> None:
    with pytest.raises(RuleInvalid) as caught:
        load_text(HEAD + text, source="mine.yml")
    assert caught.value.code == "soc-rule-invalid"
    assert caught.value.message.startswith("mine.yml") and construct in caught.value.message


def test_unsupported_correlation_types_are_refused() -> None:
    text = (
        HEAD
        + "detection:\n  s: {a: x}\n  condition: s\n---\n"
        + (
            "title: c\nid: 5b0c4a43-0e0f-4a4c-9d49-3d1d1c1a0002\nname: c\n"
            "correlation:\n  type: value_avg\n  rules: [t]\n  group-by: [ip]\n  timespan: 5m\n"
            "  condition: {gte: 3, field: count}\nlevel: high\n"
        )
    )
    with pytest.raises(RuleInvalid, match=r"corr.yml: .*correlation type value_avg"):
        load_text(text, source="corr.yml")


def test_invalid_sigma_is_refused_with_pysigmas_reason() -> None:
    with pytest.raises(RuleInvalid, match=r"^broken\.yml: "):
        load_text("title: x\ndetection: {condition: nothing}\n", source="broken.yml")


def test_state_stays_bounded() -> None:
    text = (
        HEAD
        + "detection:\n  s: {action: x}\n  condition: s\n---\n"
        + (
            "title: c\nid: 5b0c4a43-0e0f-4a4c-9d49-3d1d1c1a0003\nname: c\n"
            "correlation:\n  type: event_count\n  rules: [t]\n  group-by: [ip]\n  timespan: 1h\n"
            "  condition: {gte: 1000}\nlevel: high\n"
        )
    )
    engine = Engine(load_text(text, source="c.yml"), max_groups=100)
    at = "2026-11-02T03:00:00+00:00"
    engine.feed({"action": "x", "ip": f"ip{n}", "at": at, "seq": n} for n in range(5000))
    assert engine.groups("c") == 100  # the least recently seen groups were dropped
