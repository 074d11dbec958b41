-- #15: the availability refresh is set-based. Each device carries the state of its latest event
-- (by happened_at, then seq: what Timeline reads) and that event's time, so a device with no event
-- in the 24 h window (most of them) gets its availability from one set-based UPDATE instead of two
-- queries per device. apply() keeps both columns; this backfills existing stores.
-- last_state is Timeline's state (ONLINE for ONLINE/MIGRATED/UPDATED), not the event type.
ALTER TABLE devices ADD COLUMN last_state VARCHAR(16);
ALTER TABLE devices ADD COLUMN last_event_at TIMESTAMP WITH TIME ZONE;
-- The device's state at retention's horizon: set when its older events are pruned (rolled up
-- first), so the state before a window is still known after the event that set it is gone.
ALTER TABLE devices ADD COLUMN anchor_state VARCHAR(16);
ALTER TABLE devices ADD COLUMN anchor_at TIMESTAMP WITH TIME ZONE;

UPDATE devices SET last_event_at = (SELECT MAX(e.happened_at) FROM events e WHERE e.device_id = devices.id);
UPDATE devices SET last_state = (SELECT CASE e.event_type WHEN 'OFFLINE' THEN 'OFFLINE' WHEN 'UNKNOWN' THEN 'UNKNOWN'
    ELSE 'ONLINE' END FROM events e WHERE e.device_id = devices.id ORDER BY e.happened_at DESC, e.seq DESC LIMIT 1);

-- Devices whose latest event is inside the window: the only ones the refresh computes one by one.
CREATE INDEX devices_last_event_at ON devices (last_event_at);
-- Events by time: the refresh's window and retention's pruning read them in time order.
CREATE INDEX events_happened_at ON events (happened_at);
