"""The development sign-in (*đăng nhập phát triển*): without an identity provider, `make run`
lets a developer sign in to the console as one of the sample people with one click.

On only when ``LIENTHONG_ENVIRONMENT=development`` and ``LIENTHONG_DEV_SIGNIN`` is set (the
platform refuses to start with the setting anywhere else: :mod:`lienthong.preflight`). The
session is an ordinary one (the same cookie, expiry and ``signin.signed-in`` entry), opened for
a person of the development issuer holding the sample person's roles; each such sign-in is
audited as ``signin.development`` first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from lienthong.audit.service import record
from lienthong.config import Environment, Settings
from lienthong.db import utcnow
from lienthong.errors import NotFound
from lienthong.events import event
from lienthong.http.permissions import Role
from lienthong.people import service as people
from lienthong.signin.service import SignedIn, open_session

ISSUER = "urn:lienthong:development"
ACTOR = {"kind": "platform", "via": "development-signin"}


@dataclass(frozen=True)
class SamplePerson:
    subject: str
    name: str
    roles: tuple[tuple[Role, str | None], ...]
    personal_id: str | None = None


# The sample's people, their organisations those of the development sample (lienthong.devseed).
SAMPLE_PEOPLE: tuple[SamplePerson, ...] = (
    SamplePerson("van-hanh", "Nguyễn Văn Hành", ((Role.platform_operator, None),)),
    SamplePerson("lanh-dao", "Trần Thị Lãnh", ((Role.leader, None),)),
    SamplePerson("can-bo-ca", "Lê Văn Cán", ((Role.data_steward, "H33.CA"),)),
    SamplePerson("quan-tri-ca", "Phạm Thị Quản", ((Role.organisation_admin, "H33.CA"),)),
    SamplePerson("kiem-toan", "Hoàng Văn Toán", ((Role.auditor, None),)),
    SamplePerson("cong-dan", "Đỗ Thị Dân", ((Role.citizen, None),), personal_id="033090000001"),
)


def enabled(settings: Settings) -> bool:
    return settings.dev_signin and settings.environment is Environment.development


def sample_person(subject: str) -> SamplePerson | None:
    return next((p for p in SAMPLE_PEOPLE if p.subject == subject), None)


def sign_in_as(
    *, sessions: sessionmaker[Session], settings: Settings, subject: str, ip: str
) -> str:
    """A session for the sample person ``subject`` (created with their roles on first use);
    the session id for the cookie. Refused (``dev-signin-off``) unless the development
    sign-in is on and ``subject`` is one of :data:`SAMPLE_PEOPLE`."""
    who = sample_person(subject)
    if not enabled(settings) or who is None:
        raise NotFound("the development sign-in is off", code="dev-signin-off")
    with sessions.begin() as session:
        person = people.person_for_sign_in(
            session, issuer=ISSUER, subject=who.subject, name=who.name, personal_id=who.personal_id
        )
        held = people.roles_of(session=session, person_id=person.id)
        for role, organisation in who.roles:
            if (role, organisation) not in held:
                people.assign_role(
                    session=session,
                    settings=settings,
                    person_id=person.id,
                    role=role,
                    organisation=organisation,
                    actor=ACTOR,
                )
        record(
            session=session,
            settings=settings,
            entry=event(
                "signin.development",
                actor={"kind": "person", "person": person.id, "via": "development-signin"},
                subject=who.subject,
                roles=[f"{r.value}@{o}" if o else r.value for r, o in who.roles],
                ip=ip,
            ),
        )
    identity = SignedIn(
        issuer=ISSUER,
        subject=who.subject,
        name=who.name,
        personal_id=who.personal_id,
        claims={"development": True},
        expires_at=utcnow() + timedelta(seconds=settings.signin_session_seconds),
    )
    return open_session(sessions, settings, identity, ip)
