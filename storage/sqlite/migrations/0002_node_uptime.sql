-- 0002: heartbeat uptime, measured by the server: the first heartbeat and the seconds since
-- then that heartbeats arrived within the TTL.
ALTER TABLE nodes ADD COLUMN uptime_since INTEGER;
ALTER TABLE nodes ADD COLUMN up_seconds INTEGER NOT NULL DEFAULT 0;
