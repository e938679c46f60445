"""The ``lienthong`` command tree: serve, db, and one sub-command group per domain.

The executable starts in :mod:`lienthong.command`, which loads this tree for every command but
``ingest``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
import uvicorn

from lienthong.audit.cli import audit_app
from lienthong.changes.cli import changes_app
from lienthong.command import HELP, run
from lienthong.config import Environment, get_settings
from lienthong.db import make_engine, should_auto_upgrade
from lienthong.devseed import populate_sample
from lienthong.dti.cli import dti_app
from lienthong.exchange.cli import grants_app, retire_command
from lienthong.federation.cli import federation_app
from lienthong.http.operator import operator_token_digest
from lienthong.ingest.cli import ingest_app
from lienthong.linkage.cli import linkage_app
from lienthong.people.cli import people_app
from lienthong.preflight import refuse_unsafe
from lienthong.prepare import prepare_database
from lienthong.providers.cli import providers_app
from lienthong.registry.cli import orgs_app, report_app, systems_app, units_app
from lienthong.sample.cli import sample_command
from lienthong.security.cli import security_app
from lienthong.services.cli import public_services_app
from lienthong.soc.alerts.cli import alerts_app, targets_app
from lienthong.soc.connections.cli import connections_app
from lienthong.soc.monitor import MonitorProcess, monitor_command
from lienthong.soc.rules.cli import rules_app
from lienthong.soc.siem.cli import export_command as soc_export_command
from lienthong.soc.siem.cli import forward_command as soc_forward_command
from lienthong.standards.cli import codelists_app, standards_app
from lienthong.terminal import preparation
from lienthong.web.tls import tls_options

app = typer.Typer(
    help=HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
preparation.prepare = prepare_database  # every domain's commands (terminal.py)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(units_app, name="units")
app.add_typer(orgs_app, name="orgs")
app.add_typer(systems_app, name="systems")
app.add_typer(report_app, name="report")
app.command("sample")(sample_command)
app.add_typer(grants_app, name="grants")
app.add_typer(audit_app, name="audit")
app.add_typer(security_app, name="security")
app.add_typer(linkage_app, name="linkage")
standards_app.command("retire")(retire_command)
app.add_typer(standards_app, name="standards")
app.add_typer(codelists_app, name="codelists")
app.add_typer(ingest_app, name="ingest")
app.add_typer(dti_app, name="dti")
app.add_typer(public_services_app, name="public-services")
app.add_typer(people_app, name="people")
soc_app = typer.Typer(
    help="Security monitoring: detection rules, alerts and their notifications, connections, "
    "the SIEM export.",
    no_args_is_help=True,
)
soc_app.command("export")(soc_export_command)
soc_app.command("forward")(soc_forward_command)
soc_app.command("monitor")(monitor_command)
soc_app.add_typer(connections_app, name="connections")
soc_app.add_typer(alerts_app, name="alerts")
soc_app.add_typer(targets_app, name="targets")
soc_app.add_typer(rules_app, name="rules")
app.add_typer(soc_app, name="soc")
app.add_typer(changes_app, name="changes")
app.add_typer(providers_app, name="providers")
app.add_typer(federation_app, name="federation")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply migrations and load missing reference data (idempotent)."""
    settings = get_settings()
    engine = make_engine(settings)
    try:
        prepare_database(engine)
    finally:
        engine.dispose()
    typer.echo("database is up to date")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port")] = None,
    workers: Annotated[int | None, typer.Option(help="Server processes")] = None,
) -> None:
    """Run the API and console."""
    settings = get_settings()
    refuse_unsafe(settings)  # before anything (database, keys, data folder) is created
    operator_token_digest(settings)
    if should_auto_upgrade(settings):
        engine = make_engine(settings)
        try:
            prepare_database(engine)
        finally:
            engine.dispose()
        # Prepared once here, so that several workers do not race to migrate.
        os.environ["LIENTHONG_AUTO_UPGRADE"] = "false"
    if settings.environment is Environment.development:
        engine = make_engine(settings)
        try:
            populate_sample(engine=engine, settings=settings)  # only if empty
        finally:
            engine.dispose()
    with monitoring_process():
        uvicorn.run(
            "lienthong.web.app:create_app",
            factory=True,
            host=host or settings.host,
            port=port or settings.port,
            workers=workers or settings.workers,
            log_level=settings.log_level,
            access_log=False,
            server_header=False,  # the server software is nobody's business
            # A worker still importing on a busy host answers the supervisor's ping late; at
            # the default 5 s it was killed and restarted in a loop, and --workers N never
            # served.
            timeout_worker_healthcheck=60,
            **tls_options(settings),
        )


@contextmanager
def monitoring_process() -> Iterator[None]:
    """One ``lienthong soc monitor`` beside the workers, which then run no watch of their own
    (soc.monitor); none when the settings turn monitoring off."""
    if not get_settings().soc_watch_runs:
        yield
        return
    monitor = MonitorProcess()
    monitor.start()
    os.environ["LIENTHONG_SOC_WATCH"] = "false"  # for the workers, as the upgrade above
    get_settings.cache_clear()  # one worker runs in this process and reads them again
    try:
        yield
    finally:
        monitor.stop()


def main() -> None:
    run(app)


if __name__ == "__main__":
    main()
