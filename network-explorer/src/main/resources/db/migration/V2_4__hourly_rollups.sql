-- #15: raw events are kept for --events-retention (90 days by default); older ones are rolled up
-- per device and hour before they are deleted, and the rollups are kept forever, so availability
-- over 30 days, a year or the report stays exact at hour boundaries after the raw events are gone.
-- A row exists only for an hour in which the device had events: an hour without one is the state
-- the previous row ended in (or devices.anchor_state), as it was between raw events.
CREATE TABLE availability_hourly (
    device_id    VARCHAR(200) NOT NULL,
    hour_start   TIMESTAMP WITH TIME ZONE NOT NULL,
    -- Timeline's state at the hour's start (NULL: not seen yet) and after its last event
    start_state  VARCHAR(16),
    end_state    VARCHAR(16)  NOT NULL,
    -- time online and observed (inside an observation period, status known) within the hour
    online_ms    BIGINT       NOT NULL,
    observed_ms  BIGINT       NOT NULL,
    events       INT          NOT NULL,
    PRIMARY KEY (device_id, hour_start)
);

-- The report over 30/90 d reads every device's rollups of a range in time order.
CREATE INDEX availability_hourly_hour ON availability_hourly (hour_start);

-- Everything before pruned_before is rolled up and deleted (NULL: nothing pruned yet).
CREATE TABLE retention_horizon (
    id             INT NOT NULL PRIMARY KEY,
    pruned_before  TIMESTAMP WITH TIME ZONE
);

INSERT INTO retention_horizon (id, pruned_before) VALUES (1, NULL);
