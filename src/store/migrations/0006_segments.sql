-- Saved segments, their daily sizes, per-tenant RFM settings, and the change log of customers
-- whose profile, identifiers or tags changed. Triggers fill the log on every path that writes
-- those tables (API edits, ingest, merges, unmerges, imports, tagging); the server's segment
-- sync follows it to keep segment membership current. See docs/segments.md.

CREATE TABLE segments (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(tenant_id),
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    rule        TEXT    NOT NULL,               -- the rule as JSON (docs/segments.md)
    created_by  TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER
);
CREATE INDEX segments_tenant ON segments(tenant_id, id) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX segments_name ON segments(tenant_id, name) WHERE deleted_at IS NULL;

-- A segment's size per day (the tenant's time zone), the last one written that day.
CREATE TABLE segment_sizes (
    tenant_id  INTEGER NOT NULL,
    segment_id INTEGER NOT NULL,
    day        TEXT    NOT NULL,                -- YYYY-MM-DD
    size       INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, segment_id, day)
) WITHOUT ROWID;

-- RFM: the period orders count over and fixed thresholds (NULL: the tenant's mean).
CREATE TABLE rfm_settings (
    tenant_id    INTEGER PRIMARY KEY,
    period_days  INTEGER NOT NULL DEFAULT 365,
    recency_days REAL,
    frequency    REAL,
    monetary     REAL,                          -- minor units
    updated_at   INTEGER NOT NULL
);

-- Customers to re-read into the segment engine, oldest first. Rows are deleted once applied.
CREATE TABLE customer_changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   INTEGER NOT NULL,
    customer_id INTEGER NOT NULL
);

CREATE TRIGGER customer_changes_on_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customer_changes(tenant_id, customer_id) VALUES (NEW.tenant_id, NEW.id);
END;

-- Only columns the engine keeps; updated_at and trait_times alone do not count.
CREATE TRIGGER customer_changes_on_update
AFTER UPDATE OF name, phone, email, gender, birthday, store_id, member_no, traits, created_at, deleted_at, merged_into
ON customers
WHEN OLD.name IS NOT NEW.name OR OLD.phone IS NOT NEW.phone OR OLD.email IS NOT NEW.email
  OR OLD.gender IS NOT NEW.gender OR OLD.birthday IS NOT NEW.birthday OR OLD.store_id IS NOT NEW.store_id
  OR OLD.member_no IS NOT NEW.member_no OR OLD.traits IS NOT NEW.traits OR OLD.created_at IS NOT NEW.created_at
  OR OLD.deleted_at IS NOT NEW.deleted_at OR OLD.merged_into IS NOT NEW.merged_into
BEGIN
    INSERT INTO customer_changes(tenant_id, customer_id) VALUES (NEW.tenant_id, NEW.id);
END;

-- A merge or unmerge changes the survivor's merge set too (old and new survivor).
CREATE TRIGGER customer_changes_on_merge AFTER UPDATE OF merged_into ON customers
WHEN OLD.merged_into IS NOT NEW.merged_into
BEGIN
    INSERT INTO customer_changes(tenant_id, customer_id)
        SELECT NEW.tenant_id, OLD.merged_into WHERE OLD.merged_into IS NOT NULL;
    INSERT INTO customer_changes(tenant_id, customer_id)
        SELECT NEW.tenant_id, NEW.merged_into WHERE NEW.merged_into IS NOT NULL;
END;

CREATE TRIGGER customer_changes_on_identifier_insert AFTER INSERT ON customer_identifiers BEGIN
    INSERT INTO customer_changes(tenant_id, customer_id) VALUES (NEW.tenant_id, NEW.customer_id);
END;

CREATE TRIGGER customer_changes_on_identifier_delete AFTER DELETE ON customer_identifiers BEGIN
    INSERT INTO customer_changes(tenant_id, customer_id) VALUES (OLD.tenant_id, OLD.customer_id);
END;

CREATE TRIGGER customer_changes_on_identifier_update AFTER UPDATE OF customer_id, type ON customer_identifiers
WHEN OLD.customer_id IS NOT NEW.customer_id OR OLD.type IS NOT NEW.type
BEGIN
    INSERT INTO customer_changes(tenant_id, customer_id) VALUES (OLD.tenant_id, OLD.customer_id);
    INSERT INTO customer_changes(tenant_id, customer_id)
        SELECT NEW.tenant_id, NEW.customer_id WHERE NEW.customer_id IS NOT OLD.customer_id;
END;

CREATE TRIGGER customer_changes_on_tag_insert AFTER INSERT ON customer_tags BEGIN
    INSERT INTO customer_changes(tenant_id, customer_id) VALUES (NEW.tenant_id, NEW.customer_id);
END;

CREATE TRIGGER customer_changes_on_tag_delete AFTER DELETE ON customer_tags BEGIN
    INSERT INTO customer_changes(tenant_id, customer_id) VALUES (OLD.tenant_id, OLD.customer_id);
END;
