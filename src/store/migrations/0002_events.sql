-- Events, identity merges and conflicts, computed profile attributes.

CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,          -- the customer the event was first stored on
    message_id  TEXT    NOT NULL,
    type        TEXT    NOT NULL,          -- track, identify, page, screen, group, alias
    name        TEXT    NOT NULL DEFAULT '', -- event name, or page / screen name
    ts          INTEGER NOT NULL,          -- event time (UTC ms), clock-corrected
    received_at INTEGER NOT NULL,
    properties  TEXT    NOT NULL DEFAULT '{}',
    context     TEXT    NOT NULL DEFAULT '{}',
    revenue     INTEGER,                   -- minor units
    currency    TEXT,
    UNIQUE (tenant_id, message_id)
);
CREATE INDEX events_customer ON events(customer_id, ts);

CREATE TABLE customer_merges (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL,
    survivor_id INTEGER NOT NULL,
    merged_id   INTEGER NOT NULL,
    reason      TEXT    NOT NULL,
    message_id  TEXT    NOT NULL DEFAULT '',
    at          INTEGER NOT NULL,
    undone_at   INTEGER
);
CREATE INDEX customer_merges_survivor ON customer_merges(tenant_id, survivor_id);

CREATE TABLE identity_conflicts (
    id                INTEGER PRIMARY KEY,
    tenant_id         INTEGER NOT NULL,
    customer_id       INTEGER NOT NULL,
    other_customer_id INTEGER NOT NULL,
    identifier_type   TEXT    NOT NULL,
    message_id        TEXT    NOT NULL DEFAULT '',
    at                INTEGER NOT NULL
);
CREATE INDEX identity_conflicts_tenant ON identity_conflicts(tenant_id, id);

-- Computed attributes of a customer's own events (not of customers merged into it; reads add
-- those up). Kept current on every ingest.
CREATE TABLE customer_stats (
    customer_id   INTEGER PRIMARY KEY,
    tenant_id     INTEGER NOT NULL,
    first_seen    INTEGER,
    last_seen     INTEGER,
    order_count   INTEGER NOT NULL DEFAULT 0,
    order_total   INTEGER NOT NULL DEFAULT 0,
    last_order_at INTEGER,
    refund_count  INTEGER NOT NULL DEFAULT 0,
    refund_total  INTEGER NOT NULL DEFAULT 0,
    registered    INTEGER NOT NULL DEFAULT 0
);

-- Per-trait timestamps so that the newest value of each trait wins.
ALTER TABLE customers ADD COLUMN trait_times TEXT NOT NULL DEFAULT '{}';
CREATE INDEX customers_merged ON customers(merged_into) WHERE merged_into IS NOT NULL;
