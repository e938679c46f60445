"""docs/people.md shows the role–permission table and the operations as the code has them."""

from __future__ import annotations

from pathlib import Path

from fastapi.routing import APIRoute

from lienthong.http.permissions import (
    ORGANISATION_SCOPED,
    ROLE_PERMISSIONS,
    SYSTEM_PERMISSIONS,
    Permission,
    Role,
)
from lienthong.web.access import permissions_of
from lienthong.web.app import ROUTERS

DOC = Path(__file__).parents[2] / "docs" / "people.md"


def _cell(permission: Permission, role: Role) -> str:
    if permission not in ROLE_PERMISSIONS[role]:
        return ""
    scoped = role in (Role.organisation_admin, Role.data_steward)
    return "org" if scoped and permission in ORGANISATION_SCOPED else "yes"


def test_the_permission_table_is_the_codes() -> None:
    operations: dict[Permission, list[str]] = {}
    for router, prefix in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute) and route.include_in_schema:
                for permission in permissions_of(route.dependant):
                    for method in sorted(route.methods or ()):
                        operations.setdefault(permission, []).append(
                            f"`{method} {prefix}{route.path}`"
                        )
    rows = {
        line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
        for line in DOC.read_text().splitlines()
        if line.startswith("| `") and "." in line.split("|")[1]
    }
    for permission in Permission:
        expected = [_cell(permission, role) for role in Role]
        expected.append("yes" if permission in SYSTEM_PERMISSIONS else "")
        expected.append(", ".join(operations.get(permission, [])))
        assert rows[f"`{permission.value}`"] == expected, permission
