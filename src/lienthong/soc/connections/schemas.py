"""What the connection-monitoring routes take and answer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from lienthong.soc.connections.service import State


class ExpectedInterval(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seconds: int | None = Field(
        ...,
        description="Seconds within which the system is expected to call (60 s to 31 days); "
        "null returns it to LIENTHONG_SOC_CONNECTION_INTERVAL_SECONDS.",
    )


class SystemActivityRead(BaseModel):
    organisation: str
    system: str
    name: str
    state: State
    last_seen_at: datetime | None
    last_heartbeat_at: datetime | None
    expected_interval_seconds: int


class Heartbeat(BaseModel):
    organisation: str
    system: str
    received_at: datetime
    expected_interval_seconds: int


class StateCounts(BaseModel):
    never_connected: int = Field(alias="never-connected")
    silent: int
    active: int

    model_config = ConfigDict(populate_by_name=True)


class OrganisationActivity(BaseModel):
    organisation: str
    name: str
    state: State
    systems: list[SystemActivityRead]


class ActivityReport(BaseModel):
    at: datetime
    default_interval_seconds: int
    systems: StateCounts
    organisations: StateCounts
    by_organisation: list[OrganisationActivity]
