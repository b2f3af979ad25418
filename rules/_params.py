"""How to change a server parameter, worded for the platform the facts describe.

Self-managed PostgreSQL takes ``ALTER SYSTEM``; RDS takes the DB parameter group of the
instance; Aurora takes the DB cluster parameter group and a reboot of the writer. A parameter
whose context is ``postmaster`` needs a restart, anything else a reload.
"""

from __future__ import annotations

from audit.facts import Server
from rules._sql import sql_literal


def _conf_value(value: str) -> str:
    if value.lstrip("-").isdigit() or value in ("on", "off", "logical", "replica"):
        return value
    return sql_literal(value)


def set_parameter(
    server: Server | None,
    name: str,
    value: str,
    *,
    restart: bool,
    group_value: str | None = None,
    group_name: str | None = None,
) -> str:
    """Copy-pastable steps that set ``name`` to ``value`` on this platform.

    ``value`` is written as ``ALTER SYSTEM`` takes it (``'100GB'``, ``12``); ``group_value`` is
    the value in the parameter's base unit, as RDS parameter groups take it (``102400``), and
    ``group_name`` the parameter that stands for ``name`` there (``rds.logical_replication``).
    """
    group_value = group_value or value
    group_name = group_name or name
    if server is not None and server.aurora_version is not None:
        return _aws(group_name, group_value, restart=restart, cluster=True)
    if server is not None and server.is_rds:
        return _aws(group_name, group_value, restart=restart, cluster=False)
    lines = [f"ALTER SYSTEM SET {name} = {_conf_value(value)};"]
    if restart:
        lines.append(f"-- then restart the server: {name} takes effect only at server start")
    else:
        lines.append("SELECT pg_reload_conf();")
    if server is None:
        lines.append(
            f"-- on RDS or Aurora set {group_name} = {group_value} in the parameter group instead"
        )
    return "\n".join(lines)


def _aws(name: str, value: str, *, restart: bool, cluster: bool) -> str:
    method = "pending-reboot" if restart else "immediate"
    parameters = f'"ParameterName={name},ParameterValue={value},ApplyMethod={method}"'
    if cluster:
        lines = [
            f"# set {name} = {value} in the custom DB cluster parameter group of the cluster",
            "aws rds modify-db-cluster-parameter-group --db-cluster-parameter-group-name "
            f"<cluster-parameter-group> --parameters {parameters}",
        ]
        if restart:
            lines.append(
                "aws rds reboot-db-instance --db-instance-identifier <writer-instance>"
                f"  # {name} is static: reboot the writer"
            )
        return "\n".join(lines)
    lines = [
        f"# set {name} = {value} in the custom DB parameter group of the instance",
        "aws rds modify-db-parameter-group "
        f"--db-parameter-group-name <parameter-group> --parameters {parameters}",
    ]
    if restart:
        lines.append(
            f"aws rds reboot-db-instance --db-instance-identifier <instance>  # {name} is static"
        )
    return "\n".join(lines)


def restart_server(server: Server | None, name: str) -> str:
    """The step that applies a value already staged for ``name``."""
    if server is not None and server.aurora_version is not None:
        return (
            "aws rds reboot-db-instance --db-instance-identifier <writer-instance>"
            f"  # applies the staged {name}"
        )
    if server is not None and server.is_rds:
        return (
            "aws rds reboot-db-instance --db-instance-identifier <instance>"
            f"  # applies the staged {name}"
        )
    return f"restart the server (for example pg_ctl restart): {name} is staged but not applied"
