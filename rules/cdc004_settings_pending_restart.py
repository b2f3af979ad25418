"""CDC004: settings changed in a configuration file but not applied by the running server."""

from __future__ import annotations

from collections.abc import Iterator

from audit.engine import Finding, RuleContext, Severity, rule
from audit.facts import Facts, Setting
from audit.platform.staged import Staged
from audit.remedy import Fix, Step, StepKind, note
from audit.remedy.settings import apply_staged

# Judged by their own rules, staged values included: CDC001 to CDC003 and CDC306, and on RDS and
# Aurora CDC001 (through wal_level) and the CDC4xx parameter-group rules for
# rds.logical_replication.
OWN_RULES = frozenset(
    {
        "wal_level",
        "max_replication_slots",
        "max_wal_senders",
        "max_connections",
        "rds.logical_replication",
    }
)
# What pg_file_settings.error says for a line that only waits for a restart.
WAITING_FOR_RESTART = "setting could not be applied"
# Settings whose staged value changes how CDC behaves once applied.
CDC_SETTINGS = frozenset(
    {
        "hot_standby_feedback",
        "idle_replication_slot_timeout",
        "logical_decoding_work_mem",
        "max_logical_replication_workers",
        "max_slot_wal_keep_size",
        "max_sync_workers_per_subscription",
        "max_worker_processes",
        "shared_preload_libraries",
        "sync_replication_slots",
        "synchronized_standby_slots",
        "track_commit_timestamp",
        "wal_keep_size",
        "wal_sender_timeout",
    }
)


@rule(
    code="CDC004",
    name="settings-pending-restart",
    severity=Severity.MEDIUM,
    requires=("settings",),
)
def settings_pending_restart(facts: Facts, ctx: RuleContext) -> Iterator[Finding]:
    """Settings were changed in a configuration file, but the running server has not applied them.

    ## What it checks
    Settings that `pg_settings.pending_restart` marks, or whose last line in the configuration
    files (`pg_file_settings`, read into `pending_value`) is not applied. The audit judges the
    running values; these show where the next restart or reload changes them.

    - A setting that matters for CDC (slot WAL limit, sender timeout, decoding memory, worker
      limits, slot synchronization, `shared_preload_libraries`, ...) is
      reported on its own, as medium.
    - The remaining ones are reported together, as low.
    - A staged value PostgreSQL rejected (`pending_error`, e.g. an invalid value) is high:
      on the next start the server reads the file again, and a bad line in it can stop the
      server from starting.

    `wal_level`, `max_replication_slots`, `max_wal_senders` and `max_connections` are left to
    CDC001, CDC002, CDC003 and CDC306, which judge their staged values too, and
    `rds.logical_replication` to CDC001. On RDS and Aurora, parameter-group changes waiting
    for a reboot are the CDC4xx rules' business.

    ## Why it matters for CDC
    A change board approves a plan for the server it was shown. A staged value that nobody
    remembers takes effect at the reboot the CDC change itself needs (for `wal_level`), and
    changes slot limits, timeouts or memory at the worst moment. A reload-only setting whose
    file value is not applied usually means the reload was forgotten.

    ## How to fix
    Apply the staged values on purpose (restart for `postmaster` settings, `SELECT
    pg_reload_conf();` for the others), or remove the lines you do not want. For a rejected
    value, correct or remove the line before any restart.

    ## References
    - https://www.postgresql.org/docs/current/view-pg-settings.html
    - https://www.postgresql.org/docs/current/view-pg-file-settings.html
    - https://www.postgresql.org/docs/current/config-setting.html
    """
    pending = [
        s
        for s in (facts.settings or {}).values()
        if s.name not in OWN_RULES and (s.pending_restart or s.pending_value is not None)
    ]
    others: list[Setting] = []
    for setting in sorted(pending, key=lambda s: s.name):
        if setting.pending_error not in (None, WAITING_FOR_RESTART):
            yield Finding(
                subject=f"setting:{setting.name}",
                message=(
                    f"{setting.name}: the value {setting.pending_value!r} staged in "
                    f"{setting.pending_source or 'a configuration file'} is rejected "
                    f"({setting.pending_error}); the next restart may fail"
                ),
                evidence=_evidence(setting),
                fix=Fix.of(
                    note(
                        f"correct or remove the {setting.name} line in "
                        f"{setting.pending_source or 'the configuration file'} before any restart",
                        setting=setting.name,
                        pending_value=setting.pending_value,
                        pending_source=setting.pending_source,
                        pending_error=setting.pending_error,
                    )
                ),
                severity=Severity.HIGH,
            )
        elif setting.name in CDC_SETTINGS:
            yield Finding(
                subject=f"setting:{setting.name}",
                message=f"{setting.name} is {_running(setting)}; {_staged(setting)}",
                evidence=_evidence(setting),
                fix=_apply(facts, setting),
            )
        else:
            others.append(setting)
    if others:
        names = ", ".join(s.name for s in others)
        yield Finding(
            subject="settings:pending",
            message=f"{len(others)} other setting(s) wait for a restart or reload: {names}",
            evidence={s.name: _evidence(s) for s in others},
            fix=_apply_all(facts, others),
            severity=Severity.LOW,
        )


def _running(setting: Setting) -> str:
    return f"{setting.value} {setting.unit}" if setting.unit else repr(setting.value)


def _staged(setting: Setting) -> str:
    where = setting.pending_source or "a configuration file"
    value = f"{setting.pending_value!r}" if setting.pending_value is not None else "a new value"
    when = "the next restart" if _needs_restart(setting) else "the next reload"
    return f"{value} is staged in {where} and applies at {when}"


def _needs_restart(setting: Setting) -> bool:
    return setting.pending_restart or setting.context == "postmaster"


def _apply(facts: Facts, setting: Setting) -> Fix:
    staged = Staged(
        name=setting.name,
        value=setting.pending_value if setting.pending_value is not None else "a new value",
        running=setting.value,
        where=setting.pending_source or "a configuration file",
        applies_at="restart" if _needs_restart(setting) else "reload",
    )
    return apply_staged(facts, staged)


def _apply_all(facts: Facts, settings: list[Setting]) -> Fix:
    """One fix for many staged settings: what is staged where, then one restart or reload."""
    said: list[Step] = []
    actions: list[Step] = []
    for setting in settings:
        for step in _apply(facts, setting).steps:
            if step.kind is StepKind.NOTE and step.restarts is None:
                said.append(step)
            elif all((a.kind, a.text) != (step.kind, step.text) for a in actions):
                actions.append(step)
    return Fix(steps=(*said, *actions))


def _evidence(setting: Setting) -> dict[str, object]:
    return {
        "value": setting.value,
        "unit": setting.unit,
        "context": setting.context,
        "pending_restart": setting.pending_restart,
        "pending_value": setting.pending_value,
        "pending_source": setting.pending_source,
        "pending_error": setting.pending_error,
    }
