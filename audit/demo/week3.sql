-- Demo week 3 and later: more growth (applied by audit/demo/weeks.py after its other changes).
INSERT INTO shop.orders (customer_id, status, total, created_at)
SELECT 1 + (g * 7919) % 20000, (ARRAY['new', 'paid', 'shipped', 'delivered'])[1 + g % 4],
       (g % 900) + 10.50, now() - (g || ' seconds')::interval
FROM generate_series(1, 60000) g;
INSERT INTO shop.order_items (order_id, line_no, product_id, qty, price)
SELECT o.id, l, 1 + (o.id * l * 31) % 2000, 1 + (o.id + l) % 3, 9.99
FROM (SELECT id FROM shop.orders ORDER BY id DESC LIMIT 60000) o, generate_series(1, 3) l
ON CONFLICT DO NOTHING;
INSERT INTO shop.events (kind, payload, processed)
SELECT 'order.paid', jsonb_build_object('order_id', g, 'source', 'web', 'note', repeat(md5(g::text), 4)), true
FROM generate_series(1, 30000) g;
INSERT INTO shop.audit_log (actor, action, detail)
SELECT 'svc-' || (g % 7), 'login', 'ip=10.0.' || (g % 255) || '.' || (g % 200)
FROM generate_series(1, 40000) g;
