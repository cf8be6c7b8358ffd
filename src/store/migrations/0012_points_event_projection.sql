-- The CDP events of points movements ("Points Earned", "Points Redeemed", ...) are written
-- from the ledger after the movement commits, not inside its transaction (docs/loyalty.md,
-- "Events of points movements"). An entry keeps what its event needs that the entry does not
-- already hold; the projection remembers the last entry it has turned into an event.

-- Extra properties of the entry's event (a JSON object); NULL: the entry emits no event.
ALTER TABLE points_entries ADD COLUMN event TEXT;

CREATE TABLE loyalty_projections (
    name     TEXT    PRIMARY KEY,  -- points_events
    position INTEGER NOT NULL      -- the last points_entries.id projected
);

-- Entries made before this migration emitted their events in their own transaction.
INSERT INTO loyalty_projections(name, position)
SELECT 'points_events', COALESCE(MAX(id), 0) FROM points_entries;
