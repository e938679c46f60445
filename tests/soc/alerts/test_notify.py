"""Notifications of new alerts to real receivers on 127.0.0.1: a webhook endpoint verifying
every message with the ``standardwebhooks`` package, an SMTP server (aiosmtpd); retries with
backoff, dead-lettering, the minimum severity per target, and no secret in any log."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import Engine

from lienthong.config import Settings
from lienthong.db import transaction, utcnow
from lienthong.soc.alerts import notify
from lienthong.soc.alerts.schemas import TargetCreate
from lienthong.webhooks import RETRY_DELAYS
from tests.soc.alerts.factories import deliveries, finding, store
from tests.soc.alerts.receivers import smtp_server, webhook_receiver

OPERATOR = {"kind": "operator", "via": "cli", "user": "test"}


def _target(engine: Engine, settings: Settings, **data: object) -> tuple[int, str | None]:
    with transaction(engine) as session:
        made = notify.create_target(
            session=session,
            settings=settings,
            data=TargetCreate.model_validate(data),
            actor=OPERATOR,
        )
        return made.id, made.secret


def test_a_new_alert_reaches_a_webhook_signed_as_the_specification_says(
    engine: Engine, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with webhook_receiver() as (url, got), httpx.Client() as client:
        _, secret = _target(
            engine, settings, name="soc-siem", kind="webhook", url=url, min_severity="high"
        )
        assert secret is not None and secret.startswith("whsec_")
        got.secret = secret
        [high] = store(engine, settings, finding([11, 12]))
        store(
            engine, settings, finding([13], group="source=10.9.9.9", severity="medium")
        )  # below min
        store(engine, settings, finding([14], minutes=1))  # an occurrence: no second message
        counts = notify.deliver_due(engine=engine, settings=settings, client=client)
    assert counts == {"delivered": 1, "retrying": 0, "dead": 0}
    assert got.refused == 0
    [message] = got.verified
    assert message["type"] == "soc.alert.opened"
    assert message["data"]["id"] == high
    assert message["data"]["evidence"] == [11, 12, 14]  # as it is when sent
    assert message["data"]["links"]["console"] == f"/console/alerts/{high}"
    assert [d["status"] for d in deliveries(engine)] == ["delivered"]
    assert secret not in caplog.text


def test_a_receiver_that_fails_is_retried_with_the_same_id_after_the_backoff(
    engine: Engine, settings: Settings
) -> None:
    with webhook_receiver() as (url, got), httpx.Client() as client:
        _, got.secret = _target(engine, settings, name="soc", kind="webhook", url=url)
        got.fail_first = 1
        store(engine, settings, finding([1]))
        now = utcnow()
        first = notify.deliver_due(engine=engine, settings=settings, client=client, now=now)
        assert first == {"delivered": 0, "retrying": 1, "dead": 0}
        [waiting] = deliveries(engine)
        assert waiting["next_attempt_at"] == now + RETRY_DELAYS[0]
        assert waiting["last_error"] == "busy"
        early = notify.deliver_due(engine=engine, settings=settings, client=client, now=now)
        assert early == {"delivered": 0, "retrying": 0, "dead": 0}  # not due yet
        later = now + RETRY_DELAYS[0]
        assert notify.deliver_due(engine=engine, settings=settings, client=client, now=later) == {
            "delivered": 1,
            "retrying": 0,
            "dead": 0,
        }
    assert len(got.ids) == 2 and got.ids[0] == got.ids[1]
    [done] = deliveries(engine)
    assert (done["status"], done["attempts"]) == ("delivered", 2)


def test_a_receiver_that_never_answers_is_dead_lettered_after_the_last_retry(
    engine: Engine, settings: Settings
) -> None:
    _target(engine, settings, name="gone", kind="webhook", url="http://127.0.0.1:9/hook")
    store(engine, settings, finding([1]))
    when = utcnow()
    with httpx.Client() as client:
        for _ in range(len(RETRY_DELAYS) + 1):
            notify.deliver_due(engine=engine, settings=settings, client=client, now=when)
            when += max(RETRY_DELAYS) + timedelta(seconds=1)
    [dead] = deliveries(engine)
    assert (dead["status"], dead["attempts"], dead["next_attempt_at"]) == (
        "dead",
        len(RETRY_DELAYS) + 1,
        None,
    )
    assert dead["last_error"].startswith("ConnectError")


def test_an_alert_e_mail_speaks_vietnamese_first(engine: Engine, settings: Settings) -> None:
    with smtp_server() as (port, messages), httpx.Client() as client:
        mailing = settings.model_copy(
            update={
                "smtp_host": "127.0.0.1",
                "smtp_port": port,
                "smtp_sender": "soc@lienthong.test",
            }
        )
        _target(engine, mailing, name="on-call", kind="email", address="truc@soc.test")
        [one] = store(engine, settings, finding([5, 6], severity="critical"))
        assert notify.deliver_due(engine=engine, settings=mailing, client=client)["delivered"] == 1
    [mail] = messages
    assert mail["To"] == "truc@soc.test" and mail["From"] == "soc@lienthong.test"
    subject = str(mail["Subject"])
    assert subject.startswith("[Lienthong] Cảnh báo an ninh mức nghiêm trọng")
    text = mail.get_content()  # type: ignore[attr-defined]
    assert text.index("Cảnh báo an ninh số") < text.index("Security alert")
    assert f"/console/alerts/{one}" in text and "5, 6" in text


def test_without_an_smtp_server_the_delivery_fails_and_waits(
    engine: Engine, settings: Settings
) -> None:
    _target(engine, settings, name="mail", kind="email", address="a@b.test")
    store(engine, settings, finding([1]))
    with httpx.Client() as client:
        counts = notify.deliver_due(engine=engine, settings=settings, client=client)
    assert counts["retrying"] == 1
    assert "LIENTHONG_SMTP_HOST" in deliveries(engine)[0]["last_error"]


def test_a_target_needs_the_destination_of_its_kind(engine: Engine, settings: Settings) -> None:
    from lienthong.errors import ValidationFailed

    for bad in ({"kind": "webhook", "url": "ftp://x/y"}, {"kind": "email", "url": "http://x/"}):
        with pytest.raises(ValidationFailed) as refused:
            _target(engine, settings, name="bad", **bad)
        assert refused.value.details[0].code == "invalid-notification-target"
