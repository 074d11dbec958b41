-- Where each device is (#13's world map): the record's location.lat/lon as columns, so the map can
-- aggregate 100,000 devices into grid cells in SQL instead of reading every record_json.
-- Numbered 2.2, not 2: V2_1 (observations) already ran on existing stores, and Flyway refuses a
-- version below the latest applied one ("out of order").
-- Existing rows stay NULL (no location on the map, counted as unlocated): extracting lat/lon from
-- record_json needs JSON functions that H2 and PostgreSQL do not share, so a device gets its
-- position at its next record update (records are rewritten by their owners on every change and
-- at every restart of the node).
ALTER TABLE devices ADD COLUMN lat DOUBLE PRECISION;
ALTER TABLE devices ADD COLUMN lon DOUBLE PRECISION;

-- The map's query reads only these columns: an index holding all of them lets both databases
-- answer from the index (bbox as a range on lat) without touching the wide rows (record_json).
CREATE INDEX devices_map ON devices (lat, lon, kind, status, datacenter);
