"""People's request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from lienthong.http.permissions import Role


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RoleRead(BaseModel):
    role: Role
    organisation: str | None = Field(None, description="None: the whole province")


class PersonCreate(Strict):
    issuer: str = Field(min_length=1, max_length=500, description="The identity provider")
    subject: str = Field(min_length=1, max_length=255, description="The account there")
    name: str = Field(min_length=1, max_length=200)
    personal_id: str | None = Field(None, pattern=r"^[0-9]{12}$")


class PersonRead(BaseModel):
    id: int
    issuer: str
    subject: str
    name: str
    roles: list[RoleRead]


class RoleChange(Strict):
    role: Role
    organisation: str | None = None


class TokenCreate(Strict):
    name: str = Field(min_length=1, max_length=100, description="What the token is for")
    scopes: list[Annotated[str, Field(max_length=64)]] | None = Field(
        None,
        max_length=50,
        description="api (all of your roles' permissions, the default), read (the token only "
        "reads), and/or permission names the token keeps",
        examples=[["read"], ["read", "audit.search"], ["api"]],
    )
    days: int = Field(30, description="Lifetime in days (1 to 365)")


class TokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class TokenIssued(TokenRead):
    token: str = Field(description="The secret: shown this once, kept only as a hash")
