-- Who may write ingest's changes (explorer.ha). Every Explorer that starts ingesting raises the
-- epoch first, then loads the store; every ingest transaction checks, just before it commits, that
-- the epoch is still the one its writer raised. A former holder (frozen, partitioned, a second
-- Explorer started by mistake) is refused instead of writing over the new holder's work.
-- Versioned 1.1 so that it sorts before any V2 another change adds.
CREATE TABLE ingest_lease (
    id          INT           NOT NULL PRIMARY KEY,
    epoch       BIGINT        NOT NULL,
    holder      VARCHAR(200),
    claimed_at  TIMESTAMP WITH TIME ZONE
);

INSERT INTO ingest_lease (id, epoch) VALUES (1, 0);
