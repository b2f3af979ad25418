-- The demo shop: an OLTP schema with the problems CDC audits find in real databases.
CREATE SCHEMA shop;

CREATE TABLE shop.customers (
    id bigserial PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name text NOT NULL,
    country char(2) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz
);

CREATE TABLE shop.products (
    id serial PRIMARY KEY,
    sku text NOT NULL UNIQUE,
    title text NOT NULL,
    price numeric(10, 2) NOT NULL,
    stock integer NOT NULL
);

CREATE TABLE shop.orders (
    id bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES shop.customers,
    status text NOT NULL,
    total numeric(12, 2) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz
);

CREATE TABLE shop.order_items (
    order_id bigint NOT NULL REFERENCES shop.orders ON DELETE CASCADE,
    line_no integer NOT NULL,
    product_id integer NOT NULL REFERENCES shop.products,
    qty integer NOT NULL,
    price numeric(10, 2) NOT NULL,
    PRIMARY KEY (order_id, line_no)
);

-- Domain events with JSONB payloads; someone set FULL although the primary key would do.
CREATE TABLE shop.events (
    id bigserial PRIMARY KEY,
    kind text NOT NULL,
    payload jsonb NOT NULL,
    processed boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE shop.events REPLICA IDENTITY FULL;

-- Append-only audit trail without a primary key.
CREATE TABLE shop.audit_log (
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,
    action text NOT NULL,
    detail text
);

-- Shopping carts: no primary key, but a unique NOT NULL column; rows are updated constantly.
CREATE TABLE shop.carts (
    session_id uuid NOT NULL,
    customer_id bigint,
    items jsonb NOT NULL DEFAULT '[]',
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX carts_session_id_key ON shop.carts (session_id);

-- Page views, partitioned by month.
CREATE TABLE shop.page_views (
    id bigint GENERATED ALWAYS AS IDENTITY,
    viewed_at timestamptz NOT NULL,
    url text NOT NULL,
    customer_id bigint,
    PRIMARY KEY (id, viewed_at)
) PARTITION BY RANGE (viewed_at);
CREATE TABLE shop.page_views_2026 PARTITION OF shop.page_views
    FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE shop.page_views_default PARTITION OF shop.page_views DEFAULT;

-- A cache someone made unlogged for speed: its changes never reach WAL.
CREATE UNLOGGED TABLE shop.session_cache (
    key text PRIMARY KEY,
    value bytea NOT NULL,
    expires_at timestamptz NOT NULL
);
