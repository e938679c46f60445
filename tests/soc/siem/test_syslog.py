"""RFC 5424 messages as a parser we did not write reads them (syslog-rfc5424-parser)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from syslog_rfc5424_parser import SyslogMessage

from lienthong.soc.siem.syslog import BOM, Message, escape_param, frame

AWKWARD = 'a]b"c\\d Đắk Lắk ]]'


def _unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value) and value[i + 1] in '"\\]':
            out.append(value[i + 1])
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def _message(**changes: object) -> Message:
    fields: dict[str, object] = {
        "facility": 13,
        "severity": 5,
        "at": datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC),
        "hostname": "lienthong-1",
        "app_name": "lienthong",
        "procid": None,
        "msgid": "data.denied",
        "data": {
            "audit@32473": [("seq", "42"), ("reason", AWKWARD)],
            "origin": [("ip", "10.0.0.7")],
        },
        "msg": '{"message":"Nguyễn Văn A"}',
    }
    return Message(**(fields | changes))  # type: ignore[arg-type]


def test_structured_data_values_are_escaped_and_read_back_by_a_stock_parser() -> None:
    parsed = SyslogMessage.parse(_message().render().decode("utf-8"))
    assert parsed.facility.value == 13 and parsed.severity.value == 5
    assert parsed.timestamp == "2026-03-01T08:30:15.123456Z"
    assert (parsed.hostname, parsed.appname, parsed.procid, parsed.msgid) == (
        "lienthong-1",
        "lienthong",
        None,
        "data.denied",
    )
    params = parsed.sd["audit@32473"]
    assert params["seq"] == "42"
    assert params["reason"] == escape_param(AWKWARD)
    assert _unescape(params["reason"]) == AWKWARD
    assert parsed.sd["origin"] == {"ip": "10.0.0.7"}


def test_a_utf8_msg_starts_with_the_byte_order_mark() -> None:
    raw = _message().render()
    assert raw.split(b"] ", 2)[-1].startswith(BOM.encode("utf-8"))
    parsed = SyslogMessage.parse(raw.decode("utf-8"))
    assert parsed.msg == BOM + '{"message":"Nguyễn Văn A"}'


def test_missing_fields_are_the_nilvalue() -> None:
    raw = _message(at=None, hostname=None, app_name="", msgid=None, data={}, msg=None).render()
    assert raw == b"<109>1 - - - - - -"
    parsed = SyslogMessage.parse(raw.decode())
    assert parsed.sd == {} and parsed.msgid is None and parsed.hostname == "-"


def test_header_fields_are_printable_ascii_within_their_lengths() -> None:
    raw = _message(msgid="x" * 40, hostname="máy chủ 1").render().decode()
    parsed = SyslogMessage.parse(raw)
    assert parsed.msgid == "x" * 32
    assert parsed.hostname == "m_y_ch__1"


def test_an_sd_name_loses_the_characters_rfc_5424_forbids() -> None:
    parsed = SyslogMessage.parse(_message(data={'a b="c]': [("k=1", "v")]}).render().decode())
    assert parsed.sd == {"abc": {"k1": "v"}}


def test_octet_counting_counts_bytes_not_characters() -> None:
    body = _message().render()
    framed = frame(body)
    length, _, rest = framed.partition(b" ")
    assert int(length) == len(body) > len(body.decode("utf-8")) and rest == body


@pytest.mark.parametrize(("facility", "severity"), [(24, 1), (1, 8), (-1, 0)])
def test_priority_out_of_range_is_refused(facility: int, severity: int) -> None:
    with pytest.raises(ValueError):
        _message(facility=facility, severity=severity).render()
