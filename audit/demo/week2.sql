-- Demo week 2: a fix, a new problem, growth (applied by audit/demo/weeks.py).
-- The fix: the carts' unique NOT NULL index becomes their primary key (resolves CDC101 on shop.carts).
ALTER TABLE shop.carts ADD CONSTRAINT carts_pkey PRIMARY KEY USING INDEX carts_session_id_key;

-- A new problem: a coupons table someone shipped without a key, already being updated.
CREATE TABLE shop.coupons (
    code text NOT NULL,
    discount numeric(5, 2) NOT NULL,
    valid_until date NOT NULL,
    redeemed integer NOT NULL DEFAULT 0
);
INSERT INTO shop.coupons (code, discount, valid_until)
SELECT 'C' || lpad(g::text, 6, '0'), 5 + g % 20, date '2027-01-01' + g % 90
FROM generate_series(1, 4000) g;
UPDATE shop.coupons SET redeemed = redeemed + 1 WHERE code LIKE '%7';

-- Growth: a week of orders.
INSERT INTO shop.orders (customer_id, status, total, created_at)
SELECT 1 + (g * 7919) % 20000, (ARRAY['new', 'paid', 'shipped', 'delivered'])[1 + g % 4],
       (g % 900) + 10.50, now() - (g || ' seconds')::interval
FROM generate_series(1, 40000) g;
INSERT INTO shop.order_items (order_id, line_no, product_id, qty, price)
SELECT o.id, l, 1 + (o.id * l * 31) % 2000, 1 + (o.id + l) % 3, 9.99
FROM (SELECT id FROM shop.orders ORDER BY id DESC LIMIT 40000) o, generate_series(1, 3) l
ON CONFLICT DO NOTHING;
INSERT INTO shop.events (kind, payload, processed)
SELECT 'order.created', jsonb_build_object('order_id', g, 'source', 'web', 'note', repeat(md5(g::text), 4)), true
FROM generate_series(1, 20000) g;
