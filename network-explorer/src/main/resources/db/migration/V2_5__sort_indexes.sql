-- #15: an index for every sort the device list offers without a filter (keyset pages read the
-- index in order, whatever the number of devices): id (primary key), status, lastSeen and
-- availability had one; firstSeen, kind and datacenter did not (their (kind|datacenter, status, id)
-- indexes serve a filter, not ORDER BY kind, id).
CREATE INDEX devices_first_seen_id ON devices (first_seen, id);
CREATE INDEX devices_kind_id       ON devices (kind, id);
CREATE INDEX devices_dc_id         ON devices (datacenter, id);
