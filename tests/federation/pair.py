"""Two instances set up as a province and the national hub, each the other's peer (the
two-instance test and bench/federation.py share it)."""

from __future__ import annotations

from pathlib import Path

from lienthong.db import transaction
from lienthong.federation import client
from lienthong.federation.service import get_peer
from lienthong.ingest.service import IngestRequest, ingest_file
from lienthong.keys import load_token_keys
from tests.exchange.factories import approve, issue_credential, request_grant
from tests.federation.instances import Instance
from tests.ingest.factories import citizen_row, personal_id, register_system, write_citizens
from tests.registry.factories import make_org, make_system

PROVINCE_SYSTEM = "H33.01/lgsp"  # the province's system that calls the hub
AT_HUB = ("H33.LGSP", "lgsp")  # the hub's registry entry that stands for the province


def citizens_at(hub: Instance, folder: Path) -> str:
    register_system(hub.engine, hub.settings)
    path = write_citizens(folder / "citizens.csv", [citizen_row(n) for n in range(1, 4)])
    ingest_file(
        engine=hub.engine,
        settings=hub.settings,
        request=IngestRequest(path=path, standard="citizen", system="H33.02/hoso"),
    )
    return personal_id(1)


def register_peers(hub: Instance, province: Instance) -> None:
    with hub.http() as h, province.http() as p:
        make_org(h, hub.operator, AT_HUB[0], name="Tỉnh Hưng Yên (LGSP)")
        make_system(h, hub.operator, *AT_HUB)
        make_org(p, province.operator, "NDXP", name="Nền tảng NDXP")
        make_system(p, province.operator, "NDXP", "ndxp")
        make_org(p, province.operator, "H33.01")
        make_system(p, province.operator, "H33.01", "lgsp")
        issue_credential(p, province.operator, "H33.01", "lgsp")
        body = {"name": "hy", "issuer": province.base, "organisation": AT_HUB[0]}
        added = h.post(
            "/api/v1/federation/peers", json=body | {"system": AT_HUB[1]}, headers=hub.operator
        )
        assert added.status_code == 201, added.text
        assert added.json()["keys"] and added.json()["audience"] == f"{province.base}/api/v1"
        body = {"name": "ndxp", "issuer": hub.base, "organisation": "NDXP", "system": "ndxp"}
        added = p.post("/api/v1/federation/peers", json=body, headers=province.operator)
        assert added.status_code == 201, added.text


def province_token(province: Instance) -> client.PeerToken:
    """A token the province issues to its calling system for the hub (as the CLI takes it)."""
    with transaction(province.engine) as session:
        peer = get_peer(session=session, name="ndxp")
        return client.peer_token(
            session=session,
            settings=province.settings,
            ring=load_token_keys(province.settings),
            peer=peer,
        )


def grant_province(hub: Instance) -> None:
    """The hub's steward grants the province's stand-in system the citizen dataset."""
    with hub.http() as h:
        grant = request_grant(
            h, hub.operator, consumer_organisation=AT_HUB[0], consumer_system=AT_HUB[1]
        )
        approve(h, hub.operator, grant["id"], owner="H33.02")
