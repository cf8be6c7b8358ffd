-- Loyalty (docs/loyalty.md): members, paid membership, tiers, the points ledger with lots,
-- earning rules, stored value, coupons, the points mall and idempotency keys. Money is in
-- minor units (分); points are whole numbers; times are UTC ms.

-- Per-tenant programme settings; a tenant without a row uses the defaults in loyalty/settings.h.
CREATE TABLE loyalty_settings (
    tenant_id  INTEGER PRIMARY KEY REFERENCES tenants(tenant_id),
    settings   TEXT    NOT NULL,                 -- JSON, see LoyaltySettings
    updated_at INTEGER NOT NULL
);

CREATE TABLE tiers (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(tenant_id),
    name         TEXT    NOT NULL,
    level        INTEGER NOT NULL,               -- 0 = the entry tier; higher is better
    threshold    INTEGER NOT NULL,               -- points earned, or spend in minor units, within the window
    multiplier   INTEGER NOT NULL DEFAULT 100,   -- points multiplier in percent (150 = 1.5x)
    benefits     TEXT    NOT NULL DEFAULT '[]',  -- JSON array of strings
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    deleted_at   INTEGER
);
CREATE UNIQUE INDEX tiers_level ON tiers(tenant_id, level) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX tiers_name ON tiers(tenant_id, name) WHERE deleted_at IS NULL;

-- One row per member. Balances are derived from the ledgers below and kept here so that a
-- read is one row; `siyu loyalty verify` proves they agree.
CREATE TABLE members (
    customer_id         INTEGER PRIMARY KEY REFERENCES customers(id),
    tenant_id           INTEGER NOT NULL REFERENCES tenants(tenant_id),
    member_no           TEXT    NOT NULL,
    channel             TEXT    NOT NULL DEFAULT '',
    store_id            INTEGER,
    referrer_id         INTEGER,                 -- the referring customer
    registered_at       INTEGER NOT NULL,
    tier_id             INTEGER,
    tier_since          INTEGER,
    downgrade_due_since INTEGER,                 -- when the member stopped qualifying for the tier
    points              INTEGER NOT NULL DEFAULT 0,  -- available
    points_held         INTEGER NOT NULL DEFAULT 0,
    points_debt         INTEGER NOT NULL DEFAULT 0,
    points_earned       INTEGER NOT NULL DEFAULT 0,  -- lifetime
    sv_principal        INTEGER NOT NULL DEFAULT 0,  -- stored value, paid part (minor units)
    sv_bonus            INTEGER NOT NULL DEFAULT 0,  -- stored value, bonus part
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE UNIQUE INDEX members_no ON members(tenant_id, member_no);
CREATE INDEX members_tenant ON members(tenant_id, customer_id);
CREATE INDEX members_tier ON members(tenant_id, tier_id);

CREATE TABLE member_sequences (
    tenant_id INTEGER PRIMARY KEY,
    next_no   INTEGER NOT NULL
);

CREATE TABLE tier_history (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    from_tier   INTEGER,
    to_tier     INTEGER,
    reason      TEXT    NOT NULL,                -- upgrade, downgrade, manual, import
    value       INTEGER NOT NULL DEFAULT 0,      -- the qualifying value at the change
    at          INTEGER NOT NULL
);
CREATE INDEX tier_history_customer ON tier_history(customer_id, id);

-- The points ledger. Each entry moves points between the member's accounts (available =
-- `amount`, held = `held_delta`, debt = `debt_delta`) and the programme; the balances after the
-- entry are recorded.
CREATE TABLE points_entries (
    id              INTEGER PRIMARY KEY,
    tenant_id       INTEGER NOT NULL,
    customer_id     INTEGER NOT NULL,
    type            TEXT    NOT NULL,   -- earn, redeem, expire, adjust, reverse, hold, release, transfer
    amount          INTEGER NOT NULL,
    held_delta      INTEGER NOT NULL DEFAULT 0,
    debt_delta      INTEGER NOT NULL DEFAULT 0,
    balance_after   INTEGER NOT NULL,
    held_after      INTEGER NOT NULL DEFAULT 0,
    debt_after      INTEGER NOT NULL DEFAULT 0,
    reason          TEXT    NOT NULL DEFAULT '',
    source_type     TEXT    NOT NULL DEFAULT '',  -- order, rule, campaign, operator, mall, hold, import, expiry, ...
    source_id       TEXT    NOT NULL DEFAULT '',
    operator        TEXT    NOT NULL DEFAULT '',
    idempotency_key TEXT,
    ref_entry_id    INTEGER,            -- the entry a restore, release or capture settles
    at              INTEGER NOT NULL
);
CREATE INDEX points_entries_ref ON points_entries(ref_entry_id) WHERE ref_entry_id IS NOT NULL;
CREATE INDEX points_entries_customer ON points_entries(customer_id, id);
CREATE INDEX points_entries_source ON points_entries(tenant_id, source_type, source_id);
CREATE INDEX points_entries_tenant ON points_entries(tenant_id, id);

-- Points held in lots, each with its own expiry (NULL: never). `remaining` counts what is
-- still available; points taken by a hold stay on `held`.
CREATE TABLE points_lots (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    entry_id    INTEGER NOT NULL,        -- the entry that created the lot
    amount      INTEGER NOT NULL,
    remaining   INTEGER NOT NULL,
    held        INTEGER NOT NULL DEFAULT 0,
    earned_at   INTEGER NOT NULL,
    expires_at  INTEGER,
    notified_at INTEGER                  -- when Points Expiring was emitted for this lot
);
CREATE INDEX points_lots_customer ON points_lots(customer_id, expires_at);
CREATE INDEX points_lots_expiry ON points_lots(tenant_id, expires_at) WHERE remaining > 0;

-- Which lots each entry took points from or gave them back to (negative: taken).
CREATE TABLE points_lot_moves (
    entry_id INTEGER NOT NULL,
    lot_id   INTEGER NOT NULL,
    amount   INTEGER NOT NULL,
    PRIMARY KEY (entry_id, lot_id)
) WITHOUT ROWID;
CREATE INDEX points_lot_moves_lot ON points_lot_moves(lot_id);

CREATE TABLE points_holds (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    amount      INTEGER NOT NULL,
    order_id    TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL,        -- held, captured, released
    entry_id    INTEGER NOT NULL,        -- the hold entry
    created_at  INTEGER NOT NULL,
    settled_at  INTEGER
);
CREATE INDEX points_holds_customer ON points_holds(customer_id, id);

-- What each order earned, redeemed and gave back, for proportional reversal on refunds.
CREATE TABLE loyalty_orders (
    tenant_id        INTEGER NOT NULL,
    order_id         TEXT    NOT NULL,
    customer_id      INTEGER NOT NULL,
    amount           INTEGER NOT NULL,   -- order total (minor units)
    refunded         INTEGER NOT NULL DEFAULT 0,
    points_earned    INTEGER NOT NULL DEFAULT 0,
    points_reversed  INTEGER NOT NULL DEFAULT 0,
    points_redeemed  INTEGER NOT NULL DEFAULT 0,
    points_restored  INTEGER NOT NULL DEFAULT 0,
    store_id         INTEGER,
    completed_at     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, order_id)
) WITHOUT ROWID;
CREATE INDEX loyalty_orders_customer ON loyalty_orders(customer_id, completed_at);

CREATE TABLE earning_rules (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants(tenant_id),
    name        TEXT    NOT NULL,
    kind        TEXT    NOT NULL,        -- spend, multiplier, bonus
    config      TEXT    NOT NULL,        -- JSON, see docs/loyalty.md
    active      INTEGER NOT NULL DEFAULT 1,
    priority    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    deleted_at  INTEGER
);
CREATE INDEX earning_rules_tenant ON earning_rules(tenant_id, id);

-- Points each rule gave each customer (per-customer caps; once-only bonuses).
CREATE TABLE earning_rule_usage (
    tenant_id   INTEGER NOT NULL,
    rule_id     INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    period      TEXT    NOT NULL,        -- '' for lifetime, or the local day / month / year
    points      INTEGER NOT NULL,
    times       INTEGER NOT NULL,
    PRIMARY KEY (rule_id, customer_id, period)
) WITHOUT ROWID;

-- Stored value ledger: principal (paid) and bonus parts move separately.
CREATE TABLE stored_value_entries (
    id               INTEGER PRIMARY KEY,
    tenant_id        INTEGER NOT NULL,
    customer_id      INTEGER NOT NULL,
    type             TEXT    NOT NULL,   -- topup, spend, refund, withdraw, adjust
    offer_id         INTEGER,            -- the top-up offer applied
    payment_ref      TEXT    NOT NULL DEFAULT '',  -- the payment a top-up or withdrawal settles with
    principal        INTEGER NOT NULL,   -- signed change of the paid part
    bonus            INTEGER NOT NULL,   -- signed change of the bonus part
    principal_after  INTEGER NOT NULL,
    bonus_after      INTEGER NOT NULL,
    order_id         TEXT    NOT NULL DEFAULT '',
    reason           TEXT    NOT NULL DEFAULT '',
    operator         TEXT    NOT NULL DEFAULT '',
    ref_entry_id     INTEGER,            -- the spend a refund gives back, the top-up a withdrawal returns
    idempotency_key  TEXT,
    at               INTEGER NOT NULL
);
CREATE INDEX stored_value_entries_customer ON stored_value_entries(customer_id, id);
CREATE INDEX stored_value_entries_order ON stored_value_entries(tenant_id, order_id);
CREATE INDEX stored_value_entries_tenant ON stored_value_entries(tenant_id, id);

-- Tenant-defined top-up offers (充值活动): pay `pay_amount`, get `bonus_amount` on top.
CREATE TABLE topup_offers (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL REFERENCES tenants(tenant_id),
    name         TEXT    NOT NULL,
    pay_amount   INTEGER NOT NULL,       -- minor units, > 0
    bonus_amount INTEGER NOT NULL,       -- minor units, >= 0
    active       INTEGER NOT NULL DEFAULT 1,
    valid_from   INTEGER,
    valid_to     INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    deleted_at   INTEGER
);
CREATE INDEX topup_offers_tenant ON topup_offers(tenant_id, id);

CREATE TABLE paid_plans (
    id            INTEGER PRIMARY KEY,
    tenant_id     INTEGER NOT NULL REFERENCES tenants(tenant_id),
    name          TEXT    NOT NULL,
    price         INTEGER NOT NULL,      -- minor units
    duration_days INTEGER NOT NULL,
    benefits      TEXT    NOT NULL DEFAULT '[]',
    active        INTEGER NOT NULL DEFAULT 1,   -- inactive plans cannot be bought; holders keep them
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    deleted_at    INTEGER
);
CREATE INDEX paid_plans_tenant ON paid_plans(tenant_id, id);

-- One row per purchase or renewal; a member's paid status is its latest period.
CREATE TABLE paid_memberships (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    plan_id     INTEGER NOT NULL,
    kind        TEXT    NOT NULL,        -- purchase, renewal
    price       INTEGER NOT NULL,
    order_id    TEXT    NOT NULL DEFAULT '',
    starts_at   INTEGER NOT NULL,
    ends_at     INTEGER NOT NULL,
    cancelled_at INTEGER,
    cancel_reason TEXT,
    expiring_notified_at INTEGER,        -- when Paid Membership Expiring was emitted for this period
    expired_notified_at  INTEGER,        -- when Paid Membership Expired was emitted for this period
    idempotency_key TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX paid_memberships_customer ON paid_memberships(customer_id, ends_at);
CREATE INDEX paid_memberships_ends ON paid_memberships(tenant_id, ends_at);

CREATE TABLE coupon_templates (
    id                 INTEGER PRIMARY KEY,
    tenant_id          INTEGER NOT NULL REFERENCES tenants(tenant_id),
    name               TEXT    NOT NULL,
    type               TEXT    NOT NULL, -- cash_off, threshold, percent, exchange, free_shipping
    config             TEXT    NOT NULL, -- JSON: amounts, validity, limits, scope, stacking
    total_stock        INTEGER,          -- NULL: unlimited
    issued             INTEGER NOT NULL DEFAULT 0,
    status             TEXT    NOT NULL DEFAULT 'active',  -- active, paused, archived
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX coupon_templates_tenant ON coupon_templates(tenant_id, id);

CREATE TABLE coupons (
    id             INTEGER PRIMARY KEY,
    tenant_id      INTEGER NOT NULL,
    template_id    INTEGER NOT NULL REFERENCES coupon_templates(id),
    customer_id    INTEGER NOT NULL,
    code           TEXT    NOT NULL,
    status         TEXT    NOT NULL,     -- issued, redeemed, expired, void
    source         TEXT    NOT NULL,     -- manual, segment, mall, api, journey, live_code
    source_id      TEXT    NOT NULL DEFAULT '',
    valid_from     INTEGER NOT NULL,
    valid_to       INTEGER NOT NULL,
    issued_at      INTEGER NOT NULL,
    redeemed_at    INTEGER,
    order_id       TEXT,
    order_amount   INTEGER,
    discount       INTEGER,
    store_id       INTEGER,
    redeemed_by    TEXT,
    notified_at    INTEGER,              -- when Coupon Expiring was emitted
    idempotency_key TEXT,
    reversals      INTEGER NOT NULL DEFAULT 0  -- redemptions reversed on refunds
);
CREATE UNIQUE INDEX coupons_code ON coupons(tenant_id, code);
CREATE INDEX coupons_customer ON coupons(customer_id, status);
CREATE INDEX coupons_template ON coupons(template_id, status);
CREATE INDEX coupons_valid_to ON coupons(tenant_id, valid_to) WHERE status = 'issued';

-- Every redemption of a coupon; a reversal closes it. At most one open redemption per coupon
-- (the unique index), so a coupon is redeemed exactly once at a time.
CREATE TABLE coupon_redemptions (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL,
    coupon_id    INTEGER NOT NULL REFERENCES coupons(id),
    template_id  INTEGER NOT NULL,
    customer_id  INTEGER NOT NULL,
    order_id     TEXT    NOT NULL,
    order_amount INTEGER NOT NULL,
    discount     INTEGER NOT NULL,
    store_id     INTEGER,
    redeemed_by  TEXT    NOT NULL DEFAULT '',
    redeemed_at  INTEGER NOT NULL,
    reversed_at  INTEGER,
    reversed_by  TEXT,
    reason       TEXT
);
CREATE UNIQUE INDEX coupon_redemptions_open ON coupon_redemptions(coupon_id) WHERE reversed_at IS NULL;
CREATE INDEX coupon_redemptions_template ON coupon_redemptions(template_id, reversed_at);

CREATE TABLE coupon_issue_jobs (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL,
    template_id INTEGER NOT NULL,
    target      TEXT    NOT NULL,        -- JSON: {"segment_id":..} or {"customer_ids":[..]}
    status      TEXT    NOT NULL,        -- queued, running, done, failed, interrupted
    total       INTEGER NOT NULL DEFAULT 0,
    issued      INTEGER NOT NULL DEFAULT 0,
    skipped     INTEGER NOT NULL DEFAULT 0,
    error       TEXT,
    created_by  TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    started_at  INTEGER,
    finished_at INTEGER
);

CREATE TABLE mall_items (
    id                INTEGER PRIMARY KEY,
    tenant_id         INTEGER NOT NULL REFERENCES tenants(tenant_id),
    name              TEXT    NOT NULL,
    kind              TEXT    NOT NULL,  -- gift, coupon, limited
    description       TEXT    NOT NULL DEFAULT '',
    image_url         TEXT,
    points_price      INTEGER NOT NULL,
    stock             INTEGER,           -- remaining; NULL: unlimited
    per_customer_limit INTEGER,
    coupon_template_id INTEGER,
    valid_from        INTEGER,
    valid_to          INTEGER,
    status            TEXT    NOT NULL DEFAULT 'active',
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

CREATE TABLE mall_exchanges (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL,
    item_id      INTEGER NOT NULL,
    customer_id  INTEGER NOT NULL,
    quantity     INTEGER NOT NULL,
    points       INTEGER NOT NULL,
    status       TEXT    NOT NULL,       -- done, cancelled
    entry_id     INTEGER NOT NULL,       -- the points entry that paid
    coupon_ids   TEXT    NOT NULL DEFAULT '[]',
    created_at   INTEGER NOT NULL,
    cancelled_at INTEGER
);
CREATE INDEX mall_exchanges_customer ON mall_exchanges(customer_id, item_id);
CREATE INDEX mall_exchanges_item ON mall_exchanges(item_id);
CREATE INDEX mall_items_tenant ON mall_items(tenant_id, id);

-- The result of every value-moving request that carried an Idempotency-Key, committed in the
-- same transaction as its effect: a retry returns the stored result.
CREATE TABLE idempotency_keys (
    tenant_id   INTEGER NOT NULL,
    key         TEXT    NOT NULL,
    operation   TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,        -- SHA-256 of the request
    status      INTEGER NOT NULL,        -- HTTP status of the stored result
    result      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, key)
) WITHOUT ROWID;
