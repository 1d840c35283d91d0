-- The admin API (Synapse's /_synapse/admin): user types and erasure, blocked rooms, event reports, the
-- status of background room deletions and history purges, and the outlier flag purged history leaves.

-- Synapse's users.user_type (null for a normal user, 'bot', 'support') and erased_users.
ALTER TABLE users ADD COLUMN user_type TEXT;
ALTER TABLE users ADD COLUMN erased SMALLINT NOT NULL DEFAULT 0;

-- Events before a purge point that are kept (state, and local events unless delete_local_events) leave
-- the timeline as Synapse's purge leaves them: outliers. Timeline reads (sync, /messages) skip them;
-- state reads do not, so the room's state at any later point stays what it was.
ALTER TABLE events ADD COLUMN outlier SMALLINT NOT NULL DEFAULT 0;

-- Rooms nobody may join or be invited to (Synapse's blocked_rooms); user_id is the admin who blocked it.
CREATE TABLE blocked_rooms (
    room_id  TEXT NOT NULL PRIMARY KEY,
    user_id  TEXT NOT NULL
);

-- POST /rooms/{roomId}/report/{eventId}. id comes from the event_reports stream sequence (unique across
-- processes), as Synapse's id generator gives it.
CREATE TABLE event_reports (
    id           BIGINT NOT NULL PRIMARY KEY,
    received_ts  BIGINT NOT NULL,
    room_id      TEXT   NOT NULL,
    event_id     TEXT   NOT NULL,
    user_id      TEXT   NOT NULL,
    reason       TEXT,
    score        BIGINT
);
CREATE INDEX event_reports_room ON event_reports (room_id);

-- Background admin work (room deletion, history purge) and its outcome, readable from any gateway
-- (Synapse's scheduled_tasks). result is the task's JSON result (shutdown_room for a deletion).
CREATE TABLE admin_tasks (
    task_id     TEXT   NOT NULL PRIMARY KEY,
    action      TEXT   NOT NULL,
    room_id     TEXT   NOT NULL,
    status      TEXT   NOT NULL,
    error       TEXT,
    result      TEXT,
    created_ts  BIGINT NOT NULL,
    updated_ts  BIGINT NOT NULL
);
CREATE INDEX admin_tasks_room ON admin_tasks (room_id, created_ts);
