"""The demo's background workload: a web shop taking orders while the audit samples it."""

from __future__ import annotations

import random
import threading
import time
import uuid

import psycopg

NEW_ORDER = """
WITH o AS (
    INSERT INTO shop.orders (customer_id, status, total) VALUES (%(c)s, 'new', %(total)s)
    RETURNING id
)
INSERT INTO shop.order_items (order_id, line_no, product_id, qty, price)
SELECT o.id, l, %(p)s + l, 1, 19.99 FROM o, generate_series(1, %(lines)s) l
"""


class ShopWorkload:
    """Runs a mix of OLTP transactions at roughly ``rate`` per second until stopped."""

    def __init__(self, conninfo: str, rate: float = 60.0, seed: int = 7) -> None:
        self.conninfo = conninfo
        self.rate = rate
        self.random = random.Random(seed)
        self.transactions = 0
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-workload", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        try:
            with psycopg.connect(self.conninfo, application_name="demo-shop") as conn:
                period = 1.0 / self.rate
                next_at = time.monotonic()
                while not self._stop.is_set():
                    with conn.transaction():
                        self._one(conn)
                    self.transactions += 1
                    next_at += period
                    delay = next_at - time.monotonic()
                    if delay > 0:
                        self._stop.wait(delay)
        except BaseException as exc:  # reported by the demo, never swallowed
            self.error = exc

    def _one(self, conn: psycopg.Connection) -> None:
        r = self.random
        pick = r.random()
        customer = r.randint(1, 20000)
        if pick < 0.35:
            conn.execute(
                NEW_ORDER,
                {"c": customer, "total": r.randint(10, 900), "p": r.randint(1, 1990), "lines": 3},
            )
            conn.execute(
                "INSERT INTO shop.events (kind, payload) VALUES ('order.created', %s::jsonb)",
                (f'{{"customer": {customer}, "note": "{uuid.UUID(int=r.getrandbits(128))}"}}',),
            )
            conn.execute(
                "INSERT INTO shop.audit_log (actor, action, detail) VALUES ('web', 'order', %s)",
                (f"customer={customer}",),
            )
        elif pick < 0.55:
            conn.execute(
                "UPDATE shop.carts SET items = items || '[{\"qty\": 1}]'::jsonb, updated_at = now()"
                " WHERE session_id = md5(%s::text)::uuid",
                (r.randint(1, 5000),),
            )
        elif pick < 0.70:
            conn.execute(
                "UPDATE shop.events SET processed = true"
                " WHERE id = (SELECT max(id) FROM shop.events) - %s",
                (r.randint(0, 200),),
            )
        elif pick < 0.78:
            conn.execute(
                "DELETE FROM shop.events WHERE id IN"
                " (SELECT id FROM shop.events WHERE processed ORDER BY id LIMIT 2)"
            )
        elif pick < 0.88:
            conn.execute(
                "UPDATE shop.orders SET status = 'paid', updated_at = now() WHERE id = %s",
                (r.randint(1, 50000),),
            )
            conn.execute("UPDATE shop.customers SET updated_at = now() WHERE id = %s", (customer,))
        elif pick < 0.96:
            conn.execute(
                "INSERT INTO shop.page_views (viewed_at, url, customer_id) VALUES (now(), %s, %s)",
                (f"/product/{r.randint(1, 2000)}", customer),
            )
        else:
            conn.execute(
                "INSERT INTO shop.session_cache (key, value, expires_at)"
                " VALUES (%s, %s, now() + interval '1 hour')"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (f"sess:{r.randint(1, 8000)}", r.randbytes(16)),
            )
