-- Demo data: enough rows that sizes, widths and rates are realistic, small enough to load in seconds.
INSERT INTO shop.customers (email, name, country, created_at)
SELECT 'user' || g || '@example.com', 'Customer ' || g,
       (ARRAY['DE', 'FR', 'KR', 'US', 'BR', 'IN'])[1 + g % 6], now() - (g || ' minutes')::interval
FROM generate_series(1, 20000) g;

INSERT INTO shop.products (sku, title, price, stock)
SELECT 'SKU-' || lpad(g::text, 6, '0'), 'Product ' || g || ' ' || md5(g::text), (g % 500) + 0.99, g % 300
FROM generate_series(1, 2000) g;

INSERT INTO shop.orders (customer_id, status, total, created_at)
SELECT 1 + (g * 7919) % 20000, (ARRAY['new', 'paid', 'shipped', 'delivered'])[1 + g % 4],
       (g % 900) + 10.50, now() - (g || ' seconds')::interval
FROM generate_series(1, 50000) g;

INSERT INTO shop.order_items (order_id, line_no, product_id, qty, price)
SELECT o, l, 1 + (o * l * 31) % 2000, 1 + (o + l) % 3, 9.99
FROM generate_series(1, 50000) o, generate_series(1, 3) l;

INSERT INTO shop.events (kind, payload, processed)
SELECT (ARRAY['order.created', 'order.paid', 'cart.updated'])[1 + g % 3],
       jsonb_build_object('order_id', g, 'source', 'web', 'lines', jsonb_build_array(g, g + 1, g + 2),
                          'note', repeat(md5(g::text), 4)),
       g % 5 <> 0
FROM generate_series(1, 30000) g;

INSERT INTO shop.audit_log (actor, action, detail)
SELECT 'svc-' || (g % 7), 'login', 'ip=10.0.' || (g % 255) || '.' || (g % 200)
FROM generate_series(1, 50000) g;

INSERT INTO shop.carts (session_id, customer_id, items)
SELECT md5(g::text)::uuid, 1 + g % 20000, jsonb_build_array(jsonb_build_object('sku', g % 2000, 'qty', 1))
FROM generate_series(1, 5000) g;

INSERT INTO shop.page_views (viewed_at, url, customer_id)
SELECT timestamptz '2026-06-01' + (g || ' seconds')::interval, '/product/' || (g % 2000), 1 + g % 20000
FROM generate_series(1, 50000) g;

INSERT INTO shop.session_cache (key, value, expires_at)
SELECT 'sess:' || g, decode(md5(g::text), 'hex'), now() + interval '1 hour'
FROM generate_series(1, 5000) g;
