"""``cdc-preflight demo --weeks N``: the demo shop audited N times, with a week's changes between.

One throwaway server, N collections. Between them a scripted week happens to the shop:

- week 2: a fix (``shop.carts`` gets its primary key), a limit (``max_slot_wal_keep_size``
  set, reloaded), a new problem (``shop.coupons``, no key, already updated) and growth
  (``week2.sql``);
- week 3: the restart that applies the staged ``wal_level = logical`` (a fix), a trial
  connector's logical slot left inactive (a new problem: it retains every byte written after
  it), and more growth (``week3.sql``);
- weeks 4 to 8: more growth.

The collections run minutes apart; the history dates them one week apart
(:attr:`audit.history.baseline.HistoryOptions.run_at`), and every report says so: the labels
``schedule`` and the trends' SIMULATED note. Nothing pretends the clock moved.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from audit import interrupt
from audit.collect import CollectError, collect_facts
from audit.demo import (
    DEMO_DATABASE,
    DEMO_SETTINGS,
    DemoError,
    _sql,
    build_shop,
    without_server_paths,
)
from audit.demo.localpg import LocalPostgres, LocalPostgresError, find_bin_dir
from audit.facts import Facts

MIN_WEEKS, MAX_WEEKS = 2, 8
WEEK = timedelta(weeks=1)
#: max_slot_wal_keep_size the demo sets in week 2 (the fix of CDC005).
KEEP_SIZE = "1GB"
TRIAL_SLOT = "orders_connector_trial"

#: What happens before each week's audit, as the demo says it.
WEEK_STORY = {
    2: "carts get a primary key; max_slot_wal_keep_size = 1GB; a new table shop.coupons "
    "without a key; 40,000 more orders",
    3: "the restart applies wal_level = logical; a trial connector's slot is left inactive; "
    "60,000 more orders",
}
GROWTH_STORY = "60,000 more orders"


def week_story(week: int) -> str:
    return WEEK_STORY.get(week, GROWTH_STORY) if week > 1 else "the demo shop as built"


def apply_week(server: LocalPostgres, week: int) -> None:
    """The changes that happen to the shop in the week before audit ``week`` (2 to 8)."""
    if week == 2:
        with server.connect(DEMO_DATABASE) as conn:
            conn.execute(_sql("week2.sql"))
            conn.execute(f"ALTER SYSTEM SET max_slot_wal_keep_size = '{KEEP_SIZE}'")
            conn.execute("SELECT pg_reload_conf()")
            conn.execute("ANALYZE")
            conn.execute("CHECKPOINT")  # as before every week: full-page images restart alike
        return
    if week == 3:
        server.restart()  # the staged wal_level = logical takes effect
        with server.connect(DEMO_DATABASE) as conn:
            conn.execute("SELECT pg_create_logical_replication_slot(%s, 'pgoutput')", (TRIAL_SLOT,))
    with server.connect(DEMO_DATABASE) as conn:
        conn.execute(_sql("week3.sql"))
        conn.execute("ANALYZE")
        conn.execute("CHECKPOINT")


def run_demo_weeks(
    *,
    weeks: int,
    sample_seconds: float,
    interval: float,
    log: Callable[[str], None],
    on_week: Callable[[int, Facts, datetime], None],
    progress: Callable[[str], None] | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> None:
    """Audit the demo shop ``weeks`` times; ``on_week(week, facts, run_at)`` gets each week's
    facts and the date the history gives the run (the first collection's time plus a week
    per week). ``stop()`` true after a week ends the demo there (an interrupted week)."""
    from audit.demo.workload import ShopWorkload

    if not MIN_WEEKS <= weeks <= MAX_WEEKS:
        raise DemoError(f"--weeks must be {MIN_WEEKS} to {MAX_WEEKS}, not {weeks}")
    try:
        bin_dir = find_bin_dir(None)
    except LocalPostgresError as exc:
        raise DemoError(str(exc)) from exc
    with tempfile.TemporaryDirectory(prefix="cdc-preflight-demo-") as base:
        Path(base).chmod(0o755)
        server = LocalPostgres(bin_dir, settings=dict(DEMO_SETTINGS), base_dir=Path(base))
        forget = interrupt.on_second_signal(server.stop)
        try:
            log(f"Starting a throwaway PostgreSQL from {bin_dir} ...")
            server.start()
            log(f"PostgreSQL {server.version_num // 10000} on 127.0.0.1:{server.port}; ...")
            build_shop(server)
            first: datetime | None = None
            for week in range(1, weeks + 1):
                if stop():
                    break
                if week > 1:
                    log(f"Week {week}: {week_story(week)} ...")
                    apply_week(server, week)
                workload = ShopWorkload(server.conninfo(DEMO_DATABASE), seed=week)
                workload.start()
                log(f"Week {week} of {weeks}: workload running; sampling for {sample_seconds:g} s")
                try:
                    facts = collect_facts(
                        server.conninfo(DEMO_DATABASE),
                        sample_seconds=sample_seconds,
                        interval=interval,
                        progress=progress,
                        labels={
                            "scenario": "demo-weeks",
                            "week": f"{week} of {weeks}",
                            "schedule": "SIMULATED weekly run: collected minutes after the "
                            "previous week, dated a week later in the history",
                            "changes": week_story(week),
                        },
                    )
                finally:
                    workload.stop()
                if workload.error is not None:
                    raise DemoError(f"the demo workload failed: {workload.error}")
                first = first or facts.collected_at
                on_week(week, without_server_paths(facts, Path(base)), first + WEEK * (week - 1))
        except (LocalPostgresError, CollectError) as exc:
            raise DemoError(str(exc)) from exc
        finally:
            server.stop()
            forget()
            log("Demo server stopped and removed.")
