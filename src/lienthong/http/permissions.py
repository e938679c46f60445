"""Roles and permissions: which role may do what. A route declares one permission
(``Permit``, http/callers.py); this table alone decides who holds it. Deny by default: a
permission no role lists is held by nobody, and a person without a role holds nothing.

A role is assigned to a person for one organisation of the registry or for the whole
province. A permission in ``ORGANISATION_SCOPED`` is held through an organisation's role only
for that organisation: a route naming the organisation in its path (``{org}``) checks it here,
and the services of the others (grant decisions, quarantine fixes, grant requests) check the
organisation they touch. Every other permission needs a province-wide role.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    platform_operator = "platform-operator"
    organisation_admin = "organisation-admin"
    data_steward = "data-steward"
    auditor = "auditor"
    leader = "leader"
    citizen = "citizen"
    security_analyst = "security-analyst"


class Permission(StrEnum):
    organisations_manage = "organisations.manage"
    registry_read = "registry.read"
    systems_manage = "systems.manage"
    credentials_manage = "credentials.manage"
    standards_manage = "standards.manage"
    ingest_upload = "ingest.upload"
    ingest_read = "ingest.read"
    quarantine_fix = "quarantine.fix"
    grants_request = "grants.request"
    grants_read = "grants.read"
    grants_decide = "grants.decide"
    grants_revoke = "grants.revoke"
    datasets_own = "datasets.own"
    linkage_read = "linkage.read"
    linkage_decide = "linkage.decide"
    audit_search = "audit.search"
    audit_subjects = "audit.subjects"
    reports_read = "reports.read"
    dti_manage = "dti.manage"
    people_manage = "people.manage"
    people_self = "people.self"
    own_reads = "own.reads"
    soc_read = "soc.read"  # alerts, detection rules, the connection report
    soc_act = "soc.act"  # acknowledge, resolve and suppress alerts
    soc_manage = "soc.manage"  # enable rules, notification targets, the SIEM export
    changes_subscribe = "changes.subscribe"  # change-event subscriptions (systems; operator sees)
    providers_manage = "providers.manage"  # register an organisation's provider services
    federation_manage = "federation.manage"  # peer instances whose tokens are accepted


P = Permission
_READS = frozenset({P.registry_read, P.grants_read, P.ingest_read, P.reports_read, P.people_self})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # Runs the platform; decides no grant on an owner's behalf (it suspends or revokes).
    Role.platform_operator: frozenset(P) - {P.grants_decide, P.own_reads},
    Role.organisation_admin: _READS | {P.systems_manage, P.credentials_manage, P.grants_request},
    Role.data_steward: _READS
    | {P.grants_decide, P.grants_revoke, P.quarantine_fix, P.ingest_upload, P.providers_manage},
    Role.auditor: _READS | {P.audit_search, P.audit_subjects, P.linkage_read},
    Role.leader: frozenset({P.reports_read, P.registry_read, P.people_self}),
    Role.citizen: frozenset({P.own_reads, P.people_self}),
    # The monitoring centre's analyst: watches, acts on alerts, searches the evidence.
    Role.security_analyst: _READS | {P.soc_read, P.soc_act, P.audit_search},
}

# What a system's access token carries (its own grants and batches: the views narrow).
SYSTEM_PERMISSIONS: frozenset[Permission] = frozenset(
    {P.registry_read, P.grants_request, P.grants_read, P.ingest_read, P.reports_read}
    | {P.changes_subscribe}
)

ORGANISATION_SCOPED: frozenset[Permission] = _READS | {
    P.systems_manage,
    P.credentials_manage,
    P.grants_request,
    P.grants_decide,
    P.grants_revoke,
    P.quarantine_fix,
    P.ingest_upload,
    P.providers_manage,
}

# Roles that only make sense province-wide, and the one that only makes sense for oneself.
PROVINCE_ONLY: frozenset[Role] = frozenset({Role.platform_operator, Role.leader})
PERSONAL: frozenset[Role] = frozenset({Role.citizen})


def holds(
    roles: frozenset[tuple[Role, str | None]],
    permission: Permission,
    organisation: str | None = None,
) -> bool:
    """Whether these (role, organisation or None for the province) assignments give the
    permission, for ``organisation`` when the operation names one."""
    for role, scope in roles:
        if permission not in ROLE_PERMISSIONS[role]:
            continue
        if scope is None:
            return True
        if permission in ORGANISATION_SCOPED and organisation in (None, scope):
            return True
    return False


def organisations_for(
    roles: frozenset[tuple[Role, str | None]], permission: Permission
) -> frozenset[str] | None:
    """The organisations for which the permission is held; None means every organisation."""
    found: set[str] = set()
    for role, scope in roles:
        if permission not in ROLE_PERMISSIONS[role]:
            continue
        if scope is None:
            return None
        if permission in ORGANISATION_SCOPED:
            found.add(scope)
    return frozenset(found)
