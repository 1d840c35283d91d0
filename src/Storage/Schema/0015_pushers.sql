-- A user's pushers (Synapse's pushers table): where to send push notifications, one row per user, app_id and
-- pushkey. A pusher is tied to the device that set it (device_id): deleting the device, or logging it out,
-- deletes its pushers. last_stream_ordering is the position on the events stream up to which the pusher has
-- delivered (or given up on) every notification: a pusher process resumes from it after a restart, so a
-- notification is sent at least once. failing_since marks a pusher whose gateway keeps failing.
CREATE TABLE pushers (
    user_id               TEXT   NOT NULL,
    app_id                TEXT   NOT NULL,
    pushkey               TEXT   NOT NULL,
    kind                  TEXT   NOT NULL,
    app_display_name      TEXT   NOT NULL,
    device_display_name   TEXT   NOT NULL,
    profile_tag           TEXT   NOT NULL,
    lang                  TEXT,
    data                  TEXT   NOT NULL,  -- the pusher's data object, as JSON
    pushkey_ts            BIGINT NOT NULL,  -- when it was last set (ms)
    device_id             TEXT,
    last_stream_ordering  BIGINT NOT NULL,
    last_success          BIGINT,
    failing_since         BIGINT,
    PRIMARY KEY (user_id, app_id, pushkey)
);
-- POST /pushers/set without append: the same app_id and pushkey of other users
CREATE INDEX pushers_app_pushkey ON pushers (app_id, pushkey);
-- The pusher app: which users have notifications in a range of the events stream
CREATE INDEX event_push_actions_stream ON event_push_actions (stream_ordering);
